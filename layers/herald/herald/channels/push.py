"""Mobile push through SNS platform endpoints (APNs and FCM payload shapes)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from herald.aws.clients import client, error_code
from herald.channels import classify
from herald.domain.channel import PushPlatform
from herald.domain.customer import PushDevice
from herald.errors import DeliveryError
from herald.settings import settings


def payload(rendered: dict, message_id: str) -> str:
    """SNS ``MessageStructure=json``: one body per platform, in each platform's own shape."""
    title, body = rendered.get("title", ""), rendered.get("body", "")
    data = {**(rendered.get("data") or {}), "herald_message_id": message_id}
    apns = {"aps": {"alert": {"title": title, "body": body}, "sound": "default"}, **data}
    fcm = {
        "fcmV1Message": {"message": {"notification": {"title": title, "body": body}, "data": data}}
    }
    body_json = json.dumps(apns)
    return json.dumps(
        {
            "default": body or title,
            "APNS": body_json,
            "APNS_SANDBOX": body_json,
            "GCM": json.dumps(fcm),
        }
    )


_EXISTING_ENDPOINT = re.compile(r"Endpoint (arn:\S+) already exists with the same [Tt]oken")


def endpoint_for(device: PushDevice) -> str:
    """The device's SNS endpoint (CreatePlatformEndpoint is idempotent for a token)."""
    if device.endpoint_arn:
        return device.endpoint_arn
    config = settings()
    app = config.apns_app_arn if device.platform == PushPlatform.APNS else config.fcm_app_arn
    if not app:
        raise DeliveryError(f"no SNS platform application configured for {device.platform}")
    try:
        return client("sns").create_platform_endpoint(
            PlatformApplicationArn=app, Token=device.token
        )["EndpointArn"]
    except ClientError as exc:
        # The endpoint exists with other attributes (e.g. SNS disabled it): AWS names it only in
        # the message, and its documented recovery is to use that ARN.
        found = _EXISTING_ENDPOINT.search(exc.response.get("Error", {}).get("Message", ""))
        if error_code(exc) == "InvalidParameter" and found:
            return found.group(1)
        raise classify(exc, "SNS CreatePlatformEndpoint") from exc
    except BotoCoreError as exc:
        raise classify(exc, "SNS CreatePlatformEndpoint") from exc


class EndpointDisabled(DeliveryError):
    """APNs/FCM told SNS the token is dead (app uninstalled, token rotated): stop using it."""

    code = "endpoint_disabled"

    def __init__(self, endpoint_arn: str):
        super().__init__("push endpoint disabled", field="endpoint")
        self.endpoint_arn = endpoint_arn


@dataclass(frozen=True, slots=True)
class PreparedPush:
    message: str  # the SNS MessageStructure=json document

    def send_to(self, endpoint_arn: str) -> str:
        try:
            return client("sns").publish(
                TargetArn=endpoint_arn, Message=self.message, MessageStructure="json"
            )["MessageId"]
        except ClientError as exc:
            if error_code(exc) == "EndpointDisabled":
                raise EndpointDisabled(endpoint_arn) from exc
            raise classify(exc, "SNS Publish (push)") from exc
        except BotoCoreError as exc:
            raise classify(exc, "SNS Publish (push)") from exc


def prepare(rendered: dict, message_id: str) -> PreparedPush:
    try:
        message = payload(rendered, message_id)
        message.encode("utf-8")
    except UnicodeError as exc:
        raise DeliveryError("the rendered push contains invalid Unicode") from exc
    return PreparedPush(message)
