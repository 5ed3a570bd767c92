"""Delivery feedback → the suppression list.

A hard (permanent) bounce or a complaint that SES reports (configuration-set events on
EventBridge, :mod:`herald.service.outcomes`) suppresses the address for email, whether or not
Herald sent that mail. Transient bounces (mailbox full, greylisting) are not suppressed: the
next message may well get through. SMS opt-outs (replies of STOP) live in SNS; an hourly sync
copies them to the suppression list so that decisions and traces see them.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools.metrics import MetricUnit

from herald.channels import sms
from herald.dal import customers
from herald.domain.outcome import Outcome, OutcomeKind
from herald.observability import logger, metrics

BOUNCE, COMPLAINT, SMS_OPT_OUT = "bounce", "complaint", "sms opt-out"
REASONS = {OutcomeKind.BOUNCED: BOUNCE, OutcomeKind.COMPLAINED: COMPLAINT}


@dataclass(frozen=True, slots=True)
class Suppression:
    address: str
    channel: str
    reason: str


def suppressions_of(outcome: Outcome) -> list[Suppression]:
    """The suppressions an outcome calls for (hard bounces and complaints only)."""
    reason = REASONS.get(outcome.kind)
    if reason is None:
        return []
    return [Suppression(address, "email", reason) for address in outcome.addresses]


def apply(suppressions: list[Suppression]) -> list[str]:
    """Put each address on the suppression list; the ids of the customers flagged."""
    flagged: list[str] = []
    for s in suppressions:
        flagged += customers.suppress(s.address, s.channel, s.reason)
    if suppressions:
        metrics.add_metric(
            name="AddressesSuppressed", unit=MetricUnit.Count, value=len(suppressions)
        )
    return flagged


def sync_sms_opt_outs() -> int:
    """Copy SNS's opted-out phone numbers to the suppression list; how many were new."""
    added = 0
    for number in sms.opted_out_numbers():
        if customers.suppression_reason(number) is None:
            customers.suppress(number, "sms", SMS_OPT_OUT)
            added += 1
    return added


def on_schedule() -> dict:
    """The hourly SMS opt-out sync."""
    added = sync_sms_opt_outs()
    logger.info("sms opt-outs synced", added=added)
    metrics.add_metric(name="SmsOptOutsAdded", unit=MetricUnit.Count, value=added)
    return {"sms_opt_outs_added": added}
