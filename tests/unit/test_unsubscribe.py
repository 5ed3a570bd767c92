"""Unsubscribe tokens: HMAC-signed (customer, channel) under a keyring that rotates; anything
altered, or signed with a key the keyring lacks, is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from types import SimpleNamespace

import pytest

from herald import unsubscribe
from herald.unsubscribe import InvalidLink, Keyring, KeyringError, UnknownKey

KEY = "k" * 32
KEYS = Keyring("k1", {"k1": KEY})


def _sign(keys: Keyring, customer_id: str = "c-ann", channel: str = "email") -> str:
    return unsubscribe.sign(customer_id, channel, keys.key(keys.active), keys.active)


def _legacy_sign(customer_id: str, channel: str, key: bytes) -> str:
    """Tokens as Herald issued them before keyrings (copied from that ``sign``): no kid."""
    payload = f"{customer_id}\x1f{channel}".encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(mac)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_token_round_trips_and_names_its_key():
    token = _sign(KEYS)
    assert token.startswith("k1.")
    assert unsubscribe.verify(token, KEYS) == ("c-ann", "email")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature altered
        lambda t: _sign(KEYS, "c-bob").rsplit(".", 1)[0] + "." + t.rsplit(".", 1)[1],  # payload
        lambda t: t.rsplit(".", 1)[0],  # no signature
        lambda t: "k1.%%%." + t.rsplit(".", 1)[1],  # garbled payload
        lambda t: "k1.." + t.rsplit(".", 1)[1],  # empty payload
        lambda t: "k 1." + t.split(".", 1)[1],  # not a kid
        lambda t: "x." + t,  # one part too many
        lambda t: "",
    ],
)
def test_a_tampered_token_is_forbidden(tamper):
    token = _sign(KEYS)
    with pytest.raises(InvalidLink):
        unsubscribe.verify(tamper(token), KEYS)


def test_a_token_signed_with_another_key_under_a_known_kid_is_forbidden():
    with pytest.raises(InvalidLink):
        unsubscribe.verify(unsubscribe.sign("c-ann", "email", b"other", "k1"), KEYS)


def test_a_token_moved_to_another_kid_is_forbidden():
    # Given a keyring of two keys and a token signed with k1
    keys = KEYS.rotated()
    token = _sign(KEYS)
    # When its kid is changed to k2, Then it no longer verifies (the kid is signed too)
    with pytest.raises(InvalidLink):
        unsubscribe.verify("k2" + token.removeprefix("k1"), keys)


def test_an_unknown_kid_is_forbidden():
    token = unsubscribe.sign("c-ann", "email", KEY.encode(), "k9")
    with pytest.raises(UnknownKey) as raised:
        unsubscribe.verify(token, KEYS)
    assert isinstance(raised.value, InvalidLink) and raised.value.status == 403


def test_a_token_signed_before_rotation_verifies_after_it():
    # Given a token signed with the active key
    before = _sign(KEYS)
    # When the keyring rotates
    rotated = KEYS.rotated()
    # Then a new key signs, and the token signed before still verifies
    assert rotated.active == "k2" and set(rotated.keys) == {"k1", "k2"}
    assert rotated.keys["k1"] == KEY and rotated.keys["k2"] != KEY
    after = _sign(rotated)
    assert after.startswith("k2.")
    assert unsubscribe.verify(before, rotated) == ("c-ann", "email")
    assert unsubscribe.verify(after, rotated) == ("c-ann", "email")
    # And the keyring survives its trip through the secret
    assert Keyring.parse(rotated.to_secret()) == rotated


def test_a_plain_string_secret_is_the_legacy_key_and_verifies_tokens_without_a_kid():
    # Given today's secret (a plain string) and a link Herald sent before keyrings
    secret = "s3cretPlainStringFromGenerateSecretString"
    legacy = _legacy_sign("c-ann", "sms", secret.encode())
    assert legacy.count(".") == 1
    # Then the secret reads as a keyring of one key, k0, which verifies the old link
    keys = Keyring.parse(secret)
    assert (keys.active, dict(keys.keys)) == ("k0", {"k0": secret})
    assert unsubscribe.verify(legacy, keys) == ("c-ann", "sms")
    # And after a rotation, old links (with and without a kid) still verify
    rotated = keys.rotated()
    assert rotated.active == "k1"
    assert unsubscribe.verify(legacy, rotated) == ("c-ann", "sms")
    assert unsubscribe.verify(_sign(keys), rotated) == ("c-ann", "email")


def test_a_token_without_a_kid_needs_the_legacy_key():
    legacy = _legacy_sign("c-ann", "email", KEY.encode())
    with pytest.raises(UnknownKey):
        unsubscribe.verify(legacy, KEYS)  # a keyring born as one has no k0
    with pytest.raises(InvalidLink):
        unsubscribe.verify(_legacy_sign("c-ann", "email", b"other"), Keyring.parse(KEY))


def test_a_new_keyring_has_one_random_key_and_no_legacy_key():
    first, second = Keyring.new(), Keyring.new()
    assert first.active == "k1" and set(first.keys) == {"k1"}
    assert first.keys["k1"] != second.keys["k1"] and len(first.keys["k1"]) >= 43


def test_the_keys_stay_out_of_repr():
    assert KEY not in repr(KEYS)


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "{not json",
        json.dumps({"active": "k1"}),
        json.dumps({"active": "k2", "keys": {"k1": KEY}}),
        json.dumps({"active": "k1", "keys": {"k1": ""}}),
        json.dumps({"active": "k.1", "keys": {"k.1": KEY}}),
        json.dumps({"active": "k1", "keys": []}),
    ],
)
def test_a_malformed_keyring_is_a_configuration_error_not_a_403(secret):
    with pytest.raises(KeyringError):
        Keyring.parse(secret)


def test_a_container_re_reads_the_keyring_for_an_unknown_kid_at_most_once_a_minute(monkeypatch):
    # Given a container whose keyring lacks k9, and its clock standing still
    reads = []

    def keyring(*, refresh: bool = False) -> Keyring:
        reads.append(refresh)
        return KEYS

    monkeypatch.setattr(unsubscribe, "keyring", keyring)
    monkeypatch.setattr(unsubscribe, "_refresh", unsubscribe._KeyringRefresh())
    monkeypatch.setattr(unsubscribe, "time", SimpleNamespace(monotonic=lambda: 1000.0))
    token = unsubscribe.sign("c-ann", "email", b"whatever", "k9")

    # When links naming k9 keep arriving
    for _ in range(3):
        with pytest.raises(UnknownKey):
            unsubscribe.parse_token(token)

    # Then the secret was re-read for the first only
    assert reads == [False, True, False, False]
