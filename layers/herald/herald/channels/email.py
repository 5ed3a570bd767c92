"""Email through SES v2: the MIME message (:mod:`herald.channels.mime`), sent raw so the RFC
8058 one-click unsubscribe headers and our message id travel with it, through the
configuration set with the message tags its events carry back (:func:`herald.domain.outcome.tags`)."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from herald.aws.clients import client
from herald.channels import classify, mime
from herald.domain.outcome import MessageRef, tags
from herald.errors import DeliveryError
from herald.settings import settings

build_mime = mime.build  # the name the send path (and tests that break it) use


@dataclass(frozen=True, slots=True)
class PreparedEmail:
    request: dict

    def send(self) -> str:
        try:
            return client("sesv2").send_email(**self.request)["MessageId"]
        except (ClientError, BotoCoreError) as exc:
            raise classify(exc, "SES SendEmail") from exc


def prepare(
    to: str,
    rendered: dict,
    ref: MessageRef,
    unsubscribe_url: str | None,
    locale: str | None = None,
) -> PreparedEmail:
    """The SES request, built completely: a header the MIME library refuses (a CR/LF that got
    through) or text that can't be encoded is a :class:`DeliveryError` here, before sending."""
    config = settings()
    try:
        message = build_mime(
            sender=config.sender_email,
            sender_name=rendered.get("from_name"),
            to=to,
            rendered=rendered,
            message_id=ref.message_id,
            unsubscribe_url=unsubscribe_url,
            locale=locale,
            rule_id=ref.rule_id,
            category=ref.category,
        )
        raw = message.as_bytes()
    except (ValueError, UnicodeError) as exc:  # email.errors are ValueErrors
        raise DeliveryError(f"the rendered email can't be built: {exc}"[:300]) from exc
    request = {
        "FromEmailAddress": config.sender_email,
        "Destination": {"ToAddresses": [to]},
        "Content": {"Raw": {"Data": raw}},
        "EmailTags": tags(ref),
    }
    if config.ses_configuration_set:
        request["ConfigurationSetName"] = config.ses_configuration_set
    return PreparedEmail(request)
