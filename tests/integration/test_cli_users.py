"""`herald users add`: Cognito admin calls (moto's cognito-idp) put a person in a group."""

from __future__ import annotations

import boto3
import pytest

from herald_dev import cli


@pytest.fixture
def cognito():
    """moto's cognito-idp alone (the users commands need nothing else of the stack)."""
    from moto import mock_aws

    from herald import runtime

    with mock_aws():
        runtime.reset()
        yield boto3.client("cognito-idp")
    runtime.reset()


@pytest.fixture
def pool(cognito):
    pool_id = cognito.create_user_pool(PoolName="herald-dev", UsernameAttributes=["email"])[
        "UserPool"
    ]["Id"]
    for group in ("marketers", "approvers"):
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
    return pool_id


def _groups(pool_id: str, email: str) -> set[str]:
    answer = boto3.client("cognito-idp").admin_list_groups_for_user(
        UserPoolId=pool_id, Username=email
    )
    return {g["GroupName"] for g in answer["Groups"]}


def test_users_add_creates_the_person_in_the_group_and_adding_again_only_adds_a_group(pool, capsys):
    # When an approver is invited
    assert cli.main(["users", "add", "alex@example.com", "--group", "approvers",
                     "--user-pool-id", pool]) == 0  # fmt: skip

    # Then the user exists with a verified email, in approvers, told how to sign in
    user = boto3.client("cognito-idp").admin_get_user(UserPoolId=pool, Username="alex@example.com")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email"] == "alex@example.com"
    assert attributes["email_verified"] == "true"
    assert _groups(pool, "alex@example.com") == {"approvers"}
    assert "temporary password" in capsys.readouterr().out

    # When the same person is added to marketers too, Then nothing is recreated
    assert cli.main(["users", "add", "alex@example.com", "--group", "marketers",
                     "--user-pool-id", pool]) == 0  # fmt: skip
    assert "already existed" in capsys.readouterr().out
    assert _groups(pool, "alex@example.com") == {"approvers", "marketers"}


def test_a_group_other_than_marketers_or_approvers_is_refused(pool, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["users", "add", "x@example.com", "--group", "admins", "--user-pool-id", pool])
    assert exit_.value.code == 2
    assert "invalid choice: 'admins'" in capsys.readouterr().err


def test_without_a_pool_or_stack_it_says_what_to_pass(cognito, capsys):
    assert cli.main(["users", "add", "x@example.com", "--group", "marketers"]) == 1
    assert "--stack NAME" in capsys.readouterr().err
