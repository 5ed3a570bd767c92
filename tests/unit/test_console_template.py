"""The console's part of template.yaml: open routes for the static files only, the hosted-UI
domain and a public PKCE client, and a function that may read one SSM parameter and nothing
else (the policies evaluated as in test_template.py)."""

from __future__ import annotations

import json

from herald_dev.local import stack as local_stack
from herald_dev.local import template as tpl
from tests.unit.test_template import (  # noqa: F401 — `transformed` is a fixture
    ACCOUNT,
    REGION,
    _allowed,
    _deployed,
    _role_statements,
    transformed,
)

PARAMETER_ARN = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/herald/dev/console"


def test_the_console_routes_are_open_get_routes_of_the_console_function_only():
    template = tpl.load()
    events = template["Resources"]["ConsoleFunction"]["Properties"]["Events"]
    routes = {(e["Properties"]["Path"], e["Properties"]["Method"]) for e in events.values()}
    assert routes == {("/console", "get"), ("/console/{proxy+}", "get")}
    assert all(e["Properties"]["Auth"] == {"Authorizer": "NONE"} for e in events.values())
    # and no other function serves anything under /console (nor the console anything else)
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function" or name == "ConsoleFunction":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            assert not str((event.get("Properties") or {}).get("Path", "")).startswith("/console")


def test_the_hosted_ui_domain_and_its_prefix_are_as_the_deploy_helper_declares_them():
    template = tpl.load()
    parameter = template["Parameters"]["AuthDomainPrefix"]
    assert (
        parameter["Default"] == "" and parameter["AllowedPattern"] == "^([a-z0-9](-?[a-z0-9])*)?$"
    )
    domain = template["Resources"]["UserPoolDomain"]
    assert domain["Type"] == "AWS::Cognito::UserPoolDomain"
    assert domain["Properties"]["Domain"] == {
        "Fn::If": [
            "HasAuthDomainPrefix",
            {"Ref": "AuthDomainPrefix"},
            {"Fn::Sub": "herald-${Stage}-${AWS::AccountId}"},
        ]
    }


def test_the_console_client_is_public_and_uses_the_code_flow_back_to_the_console(transformed):  # noqa: F811
    resources, _ = _deployed(transformed)
    client = resources["ConsoleClient"]["Properties"]
    assert client["GenerateSecret"] is False  # a browser keeps no secret: PKCE instead
    assert client["AllowedOAuthFlows"] == ["code"] and client["AllowedOAuthFlowsUserPoolClient"]
    assert set(client["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    (callback,) = client["CallbackURLs"]
    (logout,) = client["LogoutURLs"]
    assert callback.startswith("https://") and callback.endswith("/dev/console/callback")
    assert logout.endswith("/dev/console/")
    deployed, _ = _deployed(transformed, {"PublicBaseUrl": "https://mail.example.com"})
    assert deployed["ConsoleClient"]["Properties"]["CallbackURLs"] == [
        "https://mail.example.com/console/callback"
    ]


def test_the_configuration_parameter_carries_what_the_page_needs_and_the_function_its_name(
    transformed,  # noqa: F811
):
    resources, _ = _deployed(transformed)
    parameter = resources["ConsoleConfig"]["Properties"]
    config = json.loads(parameter["Value"])
    assert config["auth"] == "cognito"
    assert config["domain"].endswith(f".auth.{REGION}.amazoncognito.com")
    assert config["redirect_uri"].endswith("/dev/console/callback")
    assert set(config) == {"auth", "domain", "client_id", "redirect_uri", "logout_uri"}
    # the function finds it by name (built from Stage: referencing it would close a cycle)
    env = resources["ConsoleFunction"]["Properties"]["Environment"]["Variables"]
    assert env["CONSOLE_CONFIG_PARAM"] == parameter["Name"] == "/herald/dev/console"


def test_the_console_function_may_read_its_parameter_and_nothing_else(transformed):  # noqa: F811
    resources, _ = _deployed(transformed)
    statements = _role_statements(resources, "ConsoleFunctionRole")
    assert _allowed(statements, "ssm:GetParameter", PARAMETER_ARN)
    assert not _allowed(statements, "ssm:PutParameter", PARAMETER_ARN)
    assert not _allowed(statements, "ssm:GetParameter", f"{PARAMETER_ARN}-other")
    assert not _allowed(statements, "ssm:GetParameter", PARAMETER_ARN.replace("/dev/", "/prod/"))
    for action, resource in (
        ("dynamodb:GetItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/herald-dev-RulesTable"),
        ("secretsmanager:GetSecretValue", "*"),
        ("sns:Publish", "*"),
    ):
        assert not _allowed(statements, action, resource), action


def test_locally_the_configuration_says_local_and_nothing_of_cognito_is_created():
    from moto import mock_aws

    with mock_aws():
        created = local_stack.create()
        import boto3

        value = boto3.client("ssm", region_name=REGION).get_parameter(Name="/herald/dev/console")
    assert json.loads(value["Parameter"]["Value"]) == {"auth": "local"}
    assert created.physical["ConsoleConfig"] == "/herald/dev/console"
