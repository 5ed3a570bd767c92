"""Mobile push through SNS platform endpoints (APNs and FCM payload shapes)."""

from __future__ import annotations

import json

from botocore.exceptions import BotoCoreError, ClientError

from herald import runtime
from herald.channels import classify
from herald.errors import DeliveryError
from herald.settings import settings


def payload(rendered: dict, message_id: str) -> str:
    """SNS ``MessageStructure=json``: one body per platform, in each platform's own shape."""
    title, body = rendered.get("title", ""), rendered.get("body", "")
    data = {**(rendered.get("data") or {}), "herald_message_id": message_id}
    apns = {"aps": {"alert": {"title": title, "body": body}, "sound": "default"}, **data}
    fcm = {"fcmV1Message": {"message": {"notification": {"title": title, "body": body}, "data": data}}}
    body_json = json.dumps(apns)
    return json.dumps(
        {
            "default": body or title,
            "APNS": body_json,
            "APNS_SANDBOX": body_json,
            "GCM": json.dumps(fcm),
        }
    )


def endpoint_for(device: dict) -> str:
    """The device's SNS endpoint (CreatePlatformEndpoint is idempotent for a token)."""
    if device.get("endpoint_arn"):
        return device["endpoint_arn"]
    config = settings()
    app = config.apns_app_arn if device["platform"] == "apns" else config.fcm_app_arn
    if not app:
        raise DeliveryError(f"no SNS platform application configured for {device['platform']}")
    try:
        return runtime.client("sns").create_platform_endpoint(
            PlatformApplicationArn=app, Token=device["token"]
        )["EndpointArn"]
    except (ClientError, BotoCoreError) as exc:
        raise classify(exc, "SNS CreatePlatformEndpoint") from exc


def send(endpoint_arn: str, rendered: dict, message_id: str) -> str:
    try:
        return runtime.client("sns").publish(
            TargetArn=endpoint_arn, Message=payload(rendered, message_id), MessageStructure="json"
        )["MessageId"]
    except (ClientError, BotoCoreError) as exc:
        error = classify(exc, "SNS Publish (push)")
        if isinstance(exc, ClientError) and exc.response["Error"].get("Code") == "EndpointDisabled":
            error = DeliveryError("push endpoint disabled", field="endpoint")
            error.endpoint_disabled = True
        raise error from exc
