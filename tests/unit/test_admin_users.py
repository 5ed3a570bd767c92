"""Who may do what: identity from Cognito claims, and the two roles."""

from __future__ import annotations

import pytest

from herald.admin.users import Forbidden, Unauthorized, User, from_claims, parse_groups


@pytest.mark.parametrize(
    ("claim", "groups"),
    [
        ("marketers", {"marketers"}),
        ("marketers,approvers", {"marketers", "approvers"}),
        ("[marketers approvers]", {"marketers", "approvers"}),
        (["approvers"], {"approvers"}),
        ("", set()),
        (None, set()),
        (42, set()),
    ],
)
def test_groups_claim_formats(claim, groups):
    assert parse_groups(claim) == groups


def test_claims_become_a_user():
    user = from_claims({"cognito:username": "mia", "cognito:groups": "marketers"})
    assert user == User("mia", frozenset({"marketers"}))


@pytest.mark.parametrize(
    "claims", [None, {}, {"cognito:groups": "approvers"}, "mia", {"cognito:username": ""}]
)
def test_no_identity_is_unauthorized(claims):
    with pytest.raises(Unauthorized):
        from_claims(claims)


def test_roles():
    marketer = User("mia", frozenset({"marketers"}))
    approver = User("alex", frozenset({"approvers"}))
    nobody = User("sam", frozenset())
    assert marketer.require_editor() is marketer
    assert approver.require_editor() is approver
    with pytest.raises(Forbidden):
        nobody.require_editor()
    with pytest.raises(Forbidden, match="approvers"):
        marketer.require_approver("publishing")
    assert approver.require_approver("publishing") is approver
