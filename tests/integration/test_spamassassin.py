"""The demo's emails through SpamAssassin (when installed; `.ci/run` installs it): no rule that
is Herald's fault may fire. Date and DKIM-Signature stand in for what SES adds on sending."""

from __future__ import annotations

import re
import shutil
import subprocess
from email.utils import formatdate

import pytest

from tests.conftest import DEMO_NOW, drain_send_queue, eventbridge

SPAMASSASSIN = shutil.which("spamassassin")
# What fires on any message that hasn't travelled yet, or whose stand-in signature can't verify:
# SES's own part (Received headers, a real DKIM signature), not Herald's.
NOT_HERALDS = {
    "NO_RECEIVED", "NO_RELAYS", "HTML_MESSAGE", "DKIM_SIGNED", "DKIM_INVALID", "T_DKIM_INVALID",
    "DKIM_VALID", "DKIM_VALID_AU", "DKIM_VALID_EF", "MISSING_DATE", "TVD_SPACE_RATIO",
}  # fmt: skip
RULE_LINE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s", re.MULTILINE)


def _as_ses_sends_it(raw: str) -> str:
    stand_ins = (
        f"Date: {formatdate(DEMO_NOW.timestamp(), usegmt=True)}\r\n"
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=ses; c=relaxed/simple;\r\n"
        " h=From:To:Subject:Date; bh=stand-in; b=stand-in\r\n"
    )
    return stand_ins + raw


def _fired(message: str) -> dict[str, float]:
    report = subprocess.run(
        [SPAMASSASSIN, "-L", "-t"], input=message, capture_output=True, text=True, timeout=120
    ).stdout
    details = report.split("Content analysis details:", 1)[-1]
    return {name: float(points) for points, name in RULE_LINE.findall(details)}


@pytest.mark.skipif(SPAMASSASSIN is None, reason="spamassassin is not installed")
def test_the_demo_emails_fire_no_spamassassin_rule_that_is_heralds_fault(
    demo_data, handlers, lambda_context, clock
):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    # Given the demo's emails: the welcome, the French cart email and both winter-sale variants
    decide = handlers.decide.lambda_handler
    decide(eventbridge("customer.signed_up", "c-fay", "e-1"), lambda_context)
    decide(eventbridge("cart.abandoned", "c-ann", "e-2", cart_total=180.5, item_count=3),
           lambda_context)  # fmt: skip
    for i in range(12):  # enough shoppers to draw both variants
        from herald.dal import customers
        from herald.domain.customer import parse_customer

        customers.upsert(parse_customer({"customer_id": f"c-w{i}", "email": f"w{i}@example.com",
                                         "consent": {"email": True}}))  # fmt: skip
        decide(eventbridge("product.viewed", f"c-w{i}", f"v-{i}", category="outerwear"),
               lambda_context)  # fmt: skip
    drain_send_queue(handlers)
    sent = {}
    for message in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages:
        subject = re.search(r"^Subject: (.*)$", message.raw_data, re.MULTILINE).group(1)
        sent.setdefault(subject[:20], message.raw_data)  # one email per content
    assert len(sent) >= 4
    # When SpamAssassin (local tests, Debian's rules) reads each as SES would send it
    faults = {}
    for subject, raw in sent.items():
        fired = _fired(_as_ses_sends_it(raw))
        assert fired, "no SpamAssassin report"  # NO_RECEIVED always fires: the run worked
        ours = {name: points for name, points in fired.items() if name not in NOT_HERALDS}
        if ours:
            faults[subject] = ours
    # Then no rule that is Herald's fault fired
    assert faults == {}
