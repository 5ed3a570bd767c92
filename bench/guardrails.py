"""Guardrail figures for ``make bench``: the fault run (lost / duplicated under injected
throttling and 5xx) and the contact-policy check's in-process cost.

``run()`` returns ``faults_lost``, ``faults_duplicated``, ``faults_rate``, ``faults_events``
(plus ``faults_exhausted_rate``, ``faults_injected``, ``faults_seconds``) and
``policy_us_per_message``. The fault run is the one ``tests/integration/test_faults.py``
asserts on (``herald_dev.faults``), smaller here to keep the bench short.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

FAULT_EVENTS = 160  # the test runs 1,000; moto in-process costs ~35 ms per event end to end
POLICY_CALLS = 20_000


def policy_us_per_message(calls: int = POLICY_CALLS) -> float:
    """µs per ``policy.check`` on a realistic marketing customer (a week of contact log,
    consent, a time zone) against the default policy (3 caps, quiet hours)."""
    from herald.domain import policy
    from herald.domain.clock import iso
    from herald.domain.customer import Contact, CustomerState, stored_customer

    now = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    log = tuple(
        Contact(ch, iso(now - timedelta(hours=h)))
        for ch, h in (("email", 30), ("push", 50), ("email", 100))
    )
    profile = stored_customer({
        "customer_id": "c-bench", "email": "b@example.com", "phone": "+14155550100",
        "timezone": "America/New_York", "consent": {"email": True, "sms": True, "push": True},
        "attributes": {f"a{i}": i for i in range(40)},
    }, "c-bench")  # fmt: skip
    customer = CustomerState(profile, contact_log=log, revision=1)
    channels = ("email", "sms", "push")
    for i in range(1000):  # warm the zone cache
        policy.check(policy.default(), channel=channels[i % 3], category="marketing",
                     customer=customer, contact_log=log, now=now)  # fmt: skip
    started = time.perf_counter()
    for i in range(calls):
        policy.check(policy.default(), channel=channels[i % 3], category="marketing",
                     customer=customer, contact_log=log, now=now)  # fmt: skip
    return round((time.perf_counter() - started) / calls * 1e6, 2)


def fault_figures(events: int = FAULT_EVENTS) -> dict:
    import contextlib
    import io
    import logging
    import warnings

    from herald.observability import logger
    from herald_dev import faults
    from herald_dev.local import stack as local_stack

    # The functions log and emit metrics on every invocation: keep the bench output readable.
    logger.setLevel(logging.CRITICAL)
    with (
        local_stack.in_process() as stack,
        contextlib.redirect_stdout(io.StringIO()),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        report = faults.run(stack, events=events, rate=0.15, exhausted_rate=0.03, seed=7)
    return {**report.figures(), "faults_seconds": report.seconds}


def run() -> dict:
    return {**fault_figures(), "policy_us_per_message": policy_us_per_message()}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
