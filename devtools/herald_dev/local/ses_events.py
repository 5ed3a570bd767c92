"""What SES would publish for the mail the local stack sends, through the template's wiring.

moto accepts SES v2 ``SendEmail`` but keeps neither its message tags nor a configuration set's
event destinations. Locally, then, a botocore hook records each accepted ``SendEmail`` (its
SES message id, tags, recipient and configuration set) and :meth:`SesEvents.emit_pending` puts
``Email Sent`` and ``Email Delivered`` events of SES's EventBridge shape on the default bus,
where the template's rules route them (the feedback function's ``SesEvents`` pattern).
:meth:`SesEvents.engage` stands in for a recipient: an open, a click, a bounce or a complaint of
an accepted email (``POST /local/engagement``).

Shapes follow SES's documented event records; samples of every type are in ``events/ses/``.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import botocore.handlers

ACCOUNT = "123456789012"
DETAIL_TYPES = {
    "Send": "Email Sent",
    "Delivery": "Email Delivered",
    "Open": "Email Opened",
    "Click": "Email Clicked",
    "Bounce": "Email Bounced",
    "Complaint": "Email Complaint Received",
}
ENGAGEMENTS = {"open": "Open", "click": "Click", "bounce": "Bounce", "complaint": "Complaint"}


@dataclass
class SentEmail:
    ses_id: str
    source: str
    to: list[str]
    tags: dict[str, list[str]]
    configuration_set: str | None
    at: str

    @property
    def herald_id(self) -> str | None:
        found = self.tags.get("herald_message_id")
        return found[0] if found else None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def record(sent: SentEmail, event_type: str, region: str, at: str | None = None) -> dict:
    """One SES event of ``event_type`` for ``sent``, as EventBridge delivers it."""
    at = at or _now()
    mail = {
        "timestamp": sent.at,
        "source": sent.source,
        "sourceArn": f"arn:aws:ses:{region}:{ACCOUNT}:identity/{sent.source.split('@')[-1]}",
        "sendingAccountId": ACCOUNT,
        "messageId": sent.ses_id,
        "destination": sent.to,
        "headersTruncated": False,
        "tags": sent.tags,
    }
    detail: dict[str, Any] = {"eventType": event_type, "mail": mail}
    recipient = sent.to[0] if sent.to else ""
    if event_type == "Send":
        detail["send"] = {}
    elif event_type == "Delivery":
        detail["delivery"] = {
            "timestamp": at,
            "processingTimeMillis": 420,
            "recipients": sent.to,
            "smtpResponse": "250 2.6.0 Message received",
            "reportingMTA": "a8-70.smtp-out.amazonses.com",
        }
    elif event_type == "Open":
        detail["open"] = {"timestamp": at, "ipAddress": "192.0.2.1", "userAgent": "local"}
    elif event_type == "Click":
        detail["click"] = {
            "timestamp": at,
            "ipAddress": "192.0.2.1",
            "userAgent": "local",
            "link": "https://shop.example.com/",
            "linkTags": {},
        }
    elif event_type == "Bounce":
        detail["bounce"] = {
            "timestamp": at,
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": recipient, "action": "failed",
                                   "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "feedbackId": str(uuid.uuid4()),
            "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
        }  # fmt: skip
    elif event_type == "Complaint":
        detail["complaint"] = {
            "timestamp": at,
            "complainedRecipients": [{"emailAddress": recipient}],
            "complaintFeedbackType": "abuse",
            "feedbackId": str(uuid.uuid4()),
            "userAgent": "local",
        }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPES[event_type],
        "source": "aws.ses",
        "account": ACCOUNT,
        "time": at,
        "region": region,
        "resources": [
            f"arn:aws:ses:{region}:{ACCOUNT}:configuration-set/{sent.configuration_set or ''}"
        ],
        "detail": detail,
    }


@dataclass
class SesEvents:
    """Records what SES accepted and publishes its events on the default bus."""

    region: str
    sent: list[SentEmail] = field(default_factory=list)
    emitted: int = 0  # how many of ``sent`` had their Send/Delivery events published
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _hooks: list = field(default_factory=list)

    def install(self) -> None:
        """Hook every botocore client created from now on (call before the functions' own)."""
        hooks = [
            ("before-parameter-build.sesv2.SendEmail", self._before),
            ("after-call.sesv2.SendEmail", self._after),
        ]
        botocore.handlers.BUILTIN_HANDLERS.extend(hooks)
        self._hooks = hooks

    def uninstall(self) -> None:
        for hook in self._hooks:
            if hook in botocore.handlers.BUILTIN_HANDLERS:
                botocore.handlers.BUILTIN_HANDLERS.remove(hook)
        self._hooks = []

    @staticmethod
    def _before(params: dict, context: dict, **_: Any) -> None:
        context["herald_send"] = {
            "tags": {t["Name"]: [t["Value"]] for t in params.get("EmailTags") or []},
            "to": list((params.get("Destination") or {}).get("ToAddresses") or []),
            "source": params.get("FromEmailAddress", ""),
            "configuration_set": params.get("ConfigurationSetName"),
        }

    def _after(self, parsed: dict, context: dict, http_response: Any = None, **_: Any) -> None:
        request = context.get("herald_send")
        if not request or not parsed.get("MessageId"):
            return
        tags = dict(request["tags"])
        if request["configuration_set"]:
            tags["ses:configuration-set"] = [request["configuration_set"]]
        with self._lock:
            self.sent.append(
                SentEmail(
                    parsed["MessageId"],
                    request["source"],
                    request["to"],
                    tags,
                    request["configuration_set"],
                    _now(),
                )
            )

    def emit_pending(self, put_events) -> int:
        """Send and Delivery events for every email accepted since the last call."""
        with self._lock:
            pending = self.sent[self.emitted :]
            self.emitted = len(self.sent)
        envelopes = []
        for sent in pending:
            envelopes += [record(sent, "Send", self.region), record(sent, "Delivery", self.region)]
        if envelopes:
            put_events(envelopes)
        return len(envelopes)

    def find(self, message_id: str) -> SentEmail | None:
        """The accepted email of a Herald message id (or an SES message id)."""
        with self._lock:
            for sent in reversed(self.sent):
                if message_id in (sent.herald_id, sent.ses_id):
                    return sent
        return None

    def engage(self, message_id: str, kind: str, put_events) -> dict:
        """A recipient's open, click, bounce or complaint of an accepted email."""
        if kind not in ENGAGEMENTS:
            raise ValueError(f"type must be one of {', '.join(ENGAGEMENTS)}")
        sent = self.find(message_id)
        if sent is None:
            raise LookupError(f"no email with message id {message_id!r} was accepted locally")
        envelope = record(sent, ENGAGEMENTS[kind], self.region)
        put_events([envelope])
        return {"published": envelope["detail-type"], "message_id": sent.herald_id}


def entries(envelopes: list[dict]) -> list[dict]:
    """PutEvents entries for SES envelopes: on the default bus, where SES publishes."""
    return [
        {
            "EventBusName": "default",
            "Source": e["source"],
            "DetailType": e["detail-type"],
            "Detail": json.dumps(e["detail"]),
            "Resources": e["resources"],
        }
        for e in envelopes
    ]
