"""Channel payloads: MIME for SES, APNs/FCM bodies for SNS push, SMS opt-out wording."""

from __future__ import annotations

import json

from herald.channels import email, push, sms


def test_email_mime_has_text_and_html_alternatives_and_our_headers():
    mime = email.build_mime(
        sender="hello@example.com",
        sender_name="Northwind",
        to="ann@example.com",
        rendered={"subject": "Héllo", "text": "plain", "html": "<p>rich</p>"},
        message_id="0123456789abcdef0123456789abcdef",
        unsubscribe_url="https://api.example.com/u/" + "t" * 120,
    )
    assert mime["From"] == "Northwind <hello@example.com>"
    assert mime["Subject"] == "Héllo"
    assert [p.get_content_type() for p in mime.iter_parts()] == ["text/plain", "text/html"]
    raw = mime.as_bytes().decode()
    # a long unsubscribe URL is folded, never RFC 2047-encoded (clients must see a URL)
    assert "List-Unsubscribe: <https://api.example.com/u/" + "t" * 120 + ">" in raw
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw


def test_transactional_email_has_no_unsubscribe_headers_and_html_only_gets_a_text_part():
    mime = email.build_mime(
        sender="hello@example.com",
        sender_name=None,
        to="a@b.co",
        rendered={"subject": "s", "html": "<p>Only <b>html</b></p>"},
        message_id="m" * 32,
        unsubscribe_url=None,
    )
    assert mime["List-Unsubscribe"] is None
    assert mime.get_body(("plain",)).get_content().strip() == "Only html"


def test_push_payload_has_the_apns_and_fcm_shapes():
    body = json.loads(
        push.payload({"title": "T", "body": "B", "data": {"deeplink": "app://x"}}, "mid")
    )
    apns = json.loads(body["APNS"])
    assert apns["aps"]["alert"] == {"title": "T", "body": "B"} and apns["deeplink"] == "app://x"
    fcm = json.loads(body["GCM"])["fcmV1Message"]["message"]
    assert fcm["notification"] == {"title": "T", "body": "B"}
    assert fcm["data"] == {"deeplink": "app://x", "herald_message_id": "mid"}
    assert body["default"] == "B"


def test_marketing_sms_carries_stop_wording_unless_the_content_has_it():
    assert sms.text_for({"text": "20% off today"}, "marketing").endswith("Reply STOP to opt out.")
    assert (
        sms.text_for({"text": "Sale! Text STOP to quit"}, "marketing") == "Sale! Text STOP to quit"
    )
    assert sms.text_for({"text": "Your order shipped"}, "transactional") == "Your order shipped"


def test_provider_errors_never_carry_the_recipient_into_reasons():
    from botocore.exceptions import ClientError

    from herald.channels import classify
    from herald.errors import DeliveryError

    error = ClientError(
        {
            "Error": {
                "Code": "MessageRejected",
                "Message": "Email address is not verified: ann@example.com, +14155550123",
            },
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "SendEmail",
    )
    mapped = classify(error, "SES SendEmail")
    assert isinstance(mapped, DeliveryError)
    assert "ann@example.com" not in mapped.message and "4155550123" not in mapped.message
    assert mapped.message.startswith(
        "SES SendEmail: MessageRejected: Email address is not verified"
    )
