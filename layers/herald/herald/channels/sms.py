"""SMS through SNS Publish to an E.164 number."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from herald.aws.clients import client
from herald.channels import classify
from herald.domain.channel import Category
from herald.errors import DeliveryError

STOP_WORDING = "Reply STOP to opt out."
MAX_SMS_CHARS = 1600  # SNS splits into parts; beyond this carriers refuse


def text_for(rendered: dict, category: str) -> str:
    """Marketing SMS must tell how to opt out; add the STOP wording where content doesn't."""
    text = rendered.get("text", "").strip()
    if category == Category.MARKETING and "stop" not in text.lower():
        text = f"{text} {STOP_WORDING}"
    return text[:MAX_SMS_CHARS]


@dataclass(frozen=True, slots=True)
class PreparedSms:
    request: dict

    def send(self) -> str:
        try:
            return client("sns").publish(**self.request)["MessageId"]
        except (ClientError, BotoCoreError) as exc:
            raise classify(exc, "SNS Publish (SMS)") from exc


def prepare(phone: str, rendered: dict, category: str) -> PreparedSms:
    text = text_for(rendered, category)
    try:
        text.encode("utf-8")
    except UnicodeError as exc:
        raise DeliveryError("the rendered SMS contains invalid Unicode") from exc
    return PreparedSms(
        {
            "PhoneNumber": phone,
            "Message": text,
            "MessageAttributes": {
                "AWS.SNS.SMS.SMSType": {
                    "DataType": "String",
                    "StringValue": "Promotional"
                    if category == Category.MARKETING
                    else "Transactional",
                }
            },
        }
    )


def opted_out_numbers() -> Iterator[str]:
    """Every phone number that replied STOP to an SNS SMS (paginated; yields E.164 numbers)."""
    sns = client("sns")
    token = None
    while True:
        try:
            page = sns.list_phone_numbers_opted_out(**({"nextToken": token} if token else {}))
        except (ClientError, BotoCoreError) as exc:
            raise classify(exc, "SNS ListPhoneNumbersOptedOut") from exc
        yield from page.get("phoneNumbers", [])
        token = page.get("nextToken")
        if not token:
            return
