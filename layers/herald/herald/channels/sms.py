"""SMS through SNS Publish to an E.164 number."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from herald import runtime
from herald.channels import classify

STOP_WORDING = "Reply STOP to opt out."
MAX_SMS_CHARS = 1600  # SNS splits into parts; beyond this carriers refuse


def text_for(rendered: dict, category: str) -> str:
    """Marketing SMS must tell how to opt out; add the STOP wording where content doesn't."""
    text = rendered.get("text", "").strip()
    if category == "marketing" and "stop" not in text.lower():
        text = f"{text} {STOP_WORDING}"
    return text[:MAX_SMS_CHARS]


def send(phone: str, rendered: dict, category: str) -> str:
    try:
        response = runtime.client("sns").publish(
            PhoneNumber=phone,
            Message=text_for(rendered, category),
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {
                    "DataType": "String",
                    "StringValue": "Promotional" if category == "marketing" else "Transactional",
                }
            },
        )
    except (ClientError, BotoCoreError) as exc:
        raise classify(exc, "SNS Publish (SMS)") from exc
    return response["MessageId"]


def opted_out_numbers():
    """Every phone number that replied STOP to an SNS SMS (paginated; yields E.164 numbers)."""
    client = runtime.client("sns")
    token = None
    while True:
        try:
            page = client.list_phone_numbers_opted_out(**({"nextToken": token} if token else {}))
        except (ClientError, BotoCoreError) as exc:
            raise classify(exc, "SNS ListPhoneNumbersOptedOut") from exc
        yield from page.get("phoneNumbers", [])
        token = page.get("nextToken")
        if not token:
            return
