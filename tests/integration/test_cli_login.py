"""`herald login`: authorization code + PKCE through the hosted UI, tokens kept for the owner only,
renewed with the refresh token. Cognito's hosted pages are a stand-in (tests/hosted_ui.py):
moto serves neither the sign-in page nor the OAuth token endpoint."""

from __future__ import annotations

import json
import stat
import threading

import pytest

from herald.errors import HeraldError
from herald_dev import login, tokens
from tests.hosted_ui import HostedUi

API = "https://abc123.execute-api.eu-west-1.amazonaws.com/dev"
CLIENT = "cli-client-id"


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


def _sign_in(ui: HostedUi, **browse) -> tokens.Profile:
    """herald login, with the hosted UI's "browser" following the printed URL."""
    urls = []

    def browser(url: str) -> None:  # the person signs in while the CLI listens
        urls.append(url)
        threading.Thread(target=ui.browse, args=(url,), kwargs=browse, daemon=True).start()

    profile = login.login(
        API, ui.domain, CLIENT, port=0, open_browser=browser, echo=lambda _: None, wait_s=10
    )
    assert len(urls) == 1
    return profile


def test_login_trades_the_code_with_its_pkce_verifier_and_stores_tokens_for_the_owner_only(
    config_home,
):
    with HostedUi(CLIENT, "ann@example.com", ["approvers"]) as ui:
        # When Ann signs in
        profile = _sign_in(ui)

        # Then the code went to the token endpoint with the verifier of the S256 challenge
        (exchange,) = ui.token_requests
        assert exchange["grant_type"] == "authorization_code"
        assert exchange["redirect_uri"].startswith("http://localhost:")
        assert len(exchange["code_verifier"]) >= 43
        # and the tokens are stored, readable by her alone, outside the repository
        path = tokens.store_path()
        assert path.is_relative_to(config_home)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        stored = json.loads(path.read_text())["profiles"][API]
        assert stored["id_token"] == profile.id_token and stored["refresh_token"]
        assert profile.who().startswith("ann@example.com (approvers)")
        assert tokens.groups_of(profile.id_token) == {"approvers"}


def test_an_expired_id_token_is_renewed_with_the_refresh_token(config_home):
    with HostedUi(CLIENT, "ann@example.com", ["marketers"]) as ui:
        first = _sign_in(ui)
        # Given the stored ID token has expired
        tokens.save(tokens.Profile(**{**first.__dict__, "expires_at": 0}))

        # When a command asks for a bearer
        api, token = tokens.bearer()

        # Then the CLI renewed it (no browser) and kept the refresh token
        assert api == API
        assert token != first.id_token
        assert ui.token_requests[-1]["grant_type"] == "refresh_token"
        assert tokens.load(API).refresh_token == first.refresh_token
        # and a fresh token is used as it is
        assert tokens.bearer(API) == (API, token)
        assert len(ui.token_requests) == 2


def test_an_answer_with_another_state_is_refused(config_home):
    with HostedUi(CLIENT, "ann@example.com", ["approvers"]) as ui:
        with pytest.raises(HeraldError, match="state doesn't match"):
            _sign_in(ui, state="forged")
        assert ui.token_requests == []  # the code was never traded
        assert not tokens.store_path().exists()


def test_without_a_sign_in_a_command_says_to_log_in(config_home):
    with pytest.raises(tokens.SignInError, match="run herald login"):
        tokens.bearer()


def test_the_pkce_challenge_is_the_s256_digest_of_the_verifier():
    import base64
    import hashlib

    pkce = login.Pkce.new()
    digest = hashlib.sha256(pkce.verifier.encode()).digest()
    assert pkce.challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert 43 <= len(pkce.verifier) <= 128
    assert login.Pkce.new().verifier != pkce.verifier
