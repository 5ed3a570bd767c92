"""Unsubscribe links outlive key rotation: `herald keys rotate` adds a key to the keyring secret,
and the unsubscribe function keeps honouring links signed before, including those issued before
keyrings existed (plain-string secret, no kid)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import boto3
import pytest

from herald_dev import cli
from tests.integration import apigw

ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def ann(aws):
    from herald.service import ingest

    ingest.upsert_customer(
        "c-ann",
        {"email": "ann@example.com", "timezone": "UTC", "consent": {"email": True, "sms": True}},
    )


def _secret_id() -> str:
    from herald.settings import settings

    return settings().unsubscribe_key_param


def _keyring() -> dict:
    return json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId=_secret_id())["SecretString"]
    )


def _rotate(capsys) -> str:
    """`herald keys rotate` against this test's (moto) secret; the kid it printed."""
    assert cli.main(["keys", "rotate", "--aws-endpoint", "aws", "--secret-id", _secret_id()]) == 0
    return capsys.readouterr().out.strip()


def _click(handlers, lambda_context, token: str) -> int:
    event = apigw.event("POST", f"/u/{token}", user=None, resource="/u/{token}", raw_body=ONE_CLICK)
    return handlers.unsubscribe.lambda_handler(event, lambda_context)["statusCode"]


def _email_consent() -> bool:
    from herald.dal import customers

    return customers.get("c-ann").profile.consent["email"]


def test_a_link_sent_before_rotation_unsubscribes_after_it(ann, handlers, lambda_context, capsys):
    from herald import unsubscribe

    # Given a link sent with the local stack's keyring (one key, k1)
    token = unsubscribe.url_for("c-ann", "email").rsplit("/", 1)[1]
    assert token.startswith("k1.")

    # When an operator rotates the key
    assert _rotate(capsys) == "k2"

    # Then the keyring signs with k2 and keeps k1
    keyring = _keyring()
    assert keyring["active"] == "k2" and set(keyring["keys"]) == {"k1", "k2"}
    # And the old link still unsubscribes
    assert _click(handlers, lambda_context, token) == 200
    assert _email_consent() is False


def test_a_link_signed_with_a_key_newer_than_the_cached_keyring_verifies(
    ann, handlers, lambda_context, capsys
):
    from herald import unsubscribe

    # Given a container that cached the keyring (k1 only) by signing a link
    unsubscribe.url_for("c-ann", "sms")
    # And a rotation, after which another container signs with k2
    _rotate(capsys)
    fresh = unsubscribe.Keyring.parse(json.dumps(_keyring()))
    token = unsubscribe.sign("c-ann", "email", fresh.key("k2"), "k2")

    # When the link is clicked in the container with the stale cache
    status = _click(handlers, lambda_context, token)

    # Then it re-reads the keyring rather than refuse the link
    assert status == 200
    assert _email_consent() is False


def test_a_link_naming_an_unknown_key_is_forbidden(ann, handlers, lambda_context):
    from herald import unsubscribe

    token = unsubscribe.sign("c-ann", "email", b"whatever", "k7")
    assert _click(handlers, lambda_context, token) == 403
    assert _email_consent() is True


def test_a_plain_string_secret_keeps_its_old_links_through_rotation(
    ann, handlers, lambda_context, capsys
):
    # Given today's secret format (a plain string, as GenerateSecretString makes) and a link
    # Herald issued with it before keyrings: base64url(customer|channel).mac, no kid
    secret = "PlainGeneratedSecret0123456789abcdefABCDEF"
    boto3.client("secretsmanager").put_secret_value(SecretId=_secret_id(), SecretString=secret)
    payload = b"c-ann\x1femail"
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:16]
    legacy = ".".join(base64.urlsafe_b64encode(x).rstrip(b"=").decode() for x in (payload, mac))

    # When the key is rotated
    assert _rotate(capsys) == "k1"

    # Then the plain string became the keyring's k0, and the old link unsubscribes
    assert _keyring()["keys"]["k0"] == secret
    assert _click(handlers, lambda_context, legacy) == 200
    assert _email_consent() is False


def test_rotating_a_deployed_keyring_needs_its_secret_id(aws, capsys):
    assert cli.main(["keys", "rotate", "--aws-endpoint", "aws"]) == 1
    assert "--secret-id is required" in capsys.readouterr().err
