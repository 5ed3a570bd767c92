"""Email through SES v2: a multipart/alternative MIME message (text + HTML), sent raw so the
RFC 8058 one-click unsubscribe headers and our message id travel with it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from botocore.exceptions import BotoCoreError, ClientError

from herald.aws.clients import client
from herald.channels import classify
from herald.errors import DeliveryError
from herald.settings import settings

# SMTP line endings; long header values (an unsubscribe URL) fold instead of being RFC 2047
# encoded, which mail clients would not recognise as a URL.
_POLICY = email_policy.SMTP.clone(max_line_length=998)


def build_mime(
    *,
    sender: str,
    sender_name: str | None,
    to: str,
    rendered: dict,
    message_id: str,
    unsubscribe_url: str | None,
) -> EmailMessage:
    mime = EmailMessage(policy=_POLICY)
    mime["From"] = formataddr((sender_name, sender)) if sender_name else sender
    mime["To"] = to
    mime["Subject"] = rendered.get("subject", "")
    mime["Message-ID"] = make_msgid(idstring=message_id[:16], domain=sender.split("@", 1)[1])
    mime["X-Herald-Message-Id"] = message_id
    if unsubscribe_url:
        mime["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        mime["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text, html = rendered.get("text"), rendered.get("html")
    mime.set_content(text or _strip_html(html or ""), subtype="plain", charset="utf-8")
    if html:
        mime.add_alternative(html, subtype="html", charset="utf-8")
    return mime


def _strip_html(html: str) -> str:
    return re.sub(r"\s+\n", "\n", re.sub(r"<[^>]+>", "", html)).strip()


@dataclass(frozen=True, slots=True)
class PreparedEmail:
    request: dict

    def send(self) -> str:
        try:
            return client("sesv2").send_email(**self.request)["MessageId"]
        except (ClientError, BotoCoreError) as exc:
            raise classify(exc, "SES SendEmail") from exc


def prepare(to: str, rendered: dict, message_id: str, unsubscribe_url: str | None) -> PreparedEmail:
    """The SES request, built completely: a header the MIME library refuses (a CR/LF that got
    through) or text that can't be encoded is a :class:`DeliveryError` here, before sending."""
    config = settings()
    try:
        mime = build_mime(
            sender=config.sender_email,
            sender_name=rendered.get("from_name"),
            to=to,
            rendered=rendered,
            message_id=message_id,
            unsubscribe_url=unsubscribe_url,
        )
        raw = mime.as_bytes()
    except (ValueError, UnicodeError) as exc:  # email.errors are ValueErrors
        raise DeliveryError(f"the rendered email can't be built: {exc}"[:300]) from exc
    request = {
        "FromEmailAddress": config.sender_email,
        "Destination": {"ToAddresses": [to]},
        "Content": {"Raw": {"Data": raw}},
        "EmailTags": [{"Name": "herald_message_id", "Value": message_id}],
    }
    if config.ses_configuration_set:
        request["ConfigurationSetName"] = config.ses_configuration_set
    return PreparedEmail(request)
