"""Unsubscribe tokens: HMAC-signed (customer, channel); anything altered is refused."""

from __future__ import annotations

import pytest

from herald import unsubscribe
from herald.errors import Forbidden

KEY = b"k" * 32


def test_a_token_round_trips():
    token = unsubscribe.sign("c-ann", "email", KEY)
    assert unsubscribe.verify(token, KEY) == ("c-ann", "email")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature altered
        lambda t: unsubscribe.sign("c-bob", "email", KEY).split(".")[0] + "." + t.split(".")[1],
        lambda t: t.split(".")[0],  # no signature
        lambda t: "%%%." + t.split(".")[1],  # garbled payload
        lambda t: "",
    ],
)
def test_a_tampered_token_is_forbidden(tamper):
    token = unsubscribe.sign("c-ann", "email", KEY)
    with pytest.raises(Forbidden):
        unsubscribe.verify(tamper(token), KEY)


def test_a_token_signed_with_another_key_is_forbidden():
    with pytest.raises(Forbidden):
        unsubscribe.verify(unsubscribe.sign("c-ann", "email", b"other"), KEY)
