"""Delivery feedback → the suppression list.

SES publishes bounce and complaint events (configuration-set event publishing, ``eventType``;
or identity notifications, ``notificationType``) to an SNS topic; a permanent bounce or a
complaint suppresses the address for email. Transient bounces (mailbox full, greylisting) are
not suppressed: the next message may well get through. SMS opt-outs (replies of STOP) live in
SNS; an hourly sync copies them to the suppression list so that decisions and traces see them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from herald.channels import sms
from herald.dal import customers
from herald.domain.event import BadEvent
from herald.observability import logger, metrics
from herald.service import dead_letters

BOUNCE, COMPLAINT, SMS_OPT_OUT = "bounce", "complaint", "sms opt-out"


@dataclass(frozen=True, slots=True)
class Suppression:
    address: str
    channel: str
    reason: str


def parse_ses_notification(message: Any) -> list[Suppression]:
    """The suppressions an SES notification calls for (none for deliveries, opens, …).

    Raises :class:`BadEvent` for a message that is not an SES notification at all.
    """
    if isinstance(message, str):
        try:
            message = json.loads(message)
        except ValueError as exc:
            raise BadEvent("SES notification is not JSON") from exc
    if not isinstance(message, dict):
        raise BadEvent("SES notification is not a JSON object")
    kind = message.get("eventType") or message.get("notificationType")
    if not isinstance(kind, str):
        raise BadEvent("SES notification has no eventType or notificationType")
    if kind == "Bounce":
        bounce = message.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return []  # Transient / Undetermined: retrying later may succeed
        return _recipients(bounce.get("bouncedRecipients"), BOUNCE)
    if kind == "Complaint":
        complaint = message.get("complaint") or {}
        return _recipients(complaint.get("complainedRecipients"), COMPLAINT)
    return []


def _recipients(entries: Any, reason: str) -> list[Suppression]:
    found = []
    for entry in entries if isinstance(entries, list) else []:
        raw = entry.get("emailAddress") if isinstance(entry, dict) else None
        address = parseaddr(raw)[1].strip().lower() if isinstance(raw, str) else ""
        if "@" in address:
            found.append(Suppression(address, "email", reason))
    return found


def apply(suppressions: list[Suppression]) -> list[str]:
    """Put each address on the suppression list; the ids of the customers flagged."""
    flagged: list[str] = []
    for s in suppressions:
        flagged += customers.suppress(s.address, s.channel, s.reason)
    return flagged


def handle_ses_notification(message: Any) -> list[Suppression]:
    """Parse and apply one SES notification (an SNS record's ``Message``)."""
    suppressions = parse_ses_notification(message)
    apply(suppressions)
    return suppressions


def sync_sms_opt_outs() -> int:
    """Copy SNS's opted-out phone numbers to the suppression list; how many were new."""
    added = 0
    for number in sms.opted_out_numbers():
        if customers.suppression_reason(number) is None:
            customers.suppress(number, "sms", SMS_OPT_OUT)
            added += 1
    return added


def on_sns(event) -> dict:
    """The feedback function's call for an SNS batch (a powertools ``SNSEvent``)."""
    suppressed = rejected = 0
    for record in event.records:
        try:
            suppressed += len(handle_ses_notification(record.sns.message))
        except BadEvent as exc:
            # Retrying can't fix it: log the reason and go on. AWS errors still raise, and
            # Lambda retries the whole notification (suppress() is idempotent), then parks it
            # on the function's dead-letter queue.
            logger.warning(
                "notification ignored",
                reason=dead_letters.reason(exc),
                sns_id=record.sns.message_id,
            )
            rejected += 1
    metrics.add_metric(name="AddressesSuppressed", unit=MetricUnit.Count, value=suppressed)
    return {"suppressed": suppressed, "rejected": rejected}


def on_schedule() -> dict:
    """The hourly SMS opt-out sync."""
    added = sync_sms_opt_outs()
    logger.info("sms opt-outs synced", added=added)
    metrics.add_metric(name="SmsOptOutsAdded", unit=MetricUnit.Count, value=added)
    return {"sms_opt_outs_added": added}
