"""The console function: the page and its files, served with the security headers; the sign-in
configuration from the SSM parameter the template declares (local, or Cognito when deployed)."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.integration.apigw import event

PARAMETER = "/herald/dev/console"
COGNITO = {
    "auth": "cognito",
    "domain": "herald-dev-123456789012.auth.us-east-1.amazoncognito.com",
    "client_id": "abc123",
    "redirect_uri": "https://api.example.com/dev/console/callback",
    "logout_uri": "https://api.example.com/dev/console/",
}


@pytest.fixture
def get(handlers, lambda_context):
    app = handlers.console

    def call(path: str, proxy: str | None = None, headers: dict | None = None) -> dict:
        resource = "/console" if proxy is None else "/console/{proxy+}"
        request = event("GET", path, user=None, resource=resource)
        request["pathParameters"] = None if proxy is None else {"proxy": proxy}
        request["headers"] = headers or {}
        return app.lambda_handler(request, lambda_context)

    return call


def _set_parameter(value: str) -> None:
    from herald import runtime

    boto3.client("ssm").put_parameter(Name=PARAMETER, Value=value, Type="String", Overwrite=True)
    runtime.reset()  # the parameter is cached per container: a new one, as after five minutes


def test_the_bare_path_redirects_to_the_page_relative_to_wherever_it_is(get):
    response = get("/console")
    # relative: /dev/console (a stage) and /herald/console (a custom domain's path) alike
    assert response["statusCode"] == 301 and response["headers"]["Location"] == "console/"


@pytest.mark.parametrize("proxy", [None, "callback", "index.html"])
def test_the_page_is_served_with_a_strict_policy(get, proxy):
    response = get("/console/", proxy=proxy) if proxy else get("/console/")
    assert response["statusCode"] == 200
    headers = response["headers"]
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="js/main.js">' in response["body"]
    policy = dict(p.strip().split(" ", 1) for p in headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["default-src"] == "'none'"
    assert policy["connect-src"] == "'self'"  # locally: the API only
    assert "unsafe" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"


def test_locally_the_configuration_says_sign_in_with_the_local_bearer(get):
    response = get("/console/config.json", proxy="config.json")
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"auth": "local"}


def test_deployed_the_configuration_names_the_hosted_ui_and_the_policy_lets_the_page_call_it(get):
    # Given the parameter as the template writes it when deployed
    _set_parameter(json.dumps(COGNITO))
    # Then config.json carries it, and the page may call the hosted UI's token endpoint
    assert json.loads(get("/console/config.json", proxy="config.json")["body"]) == COGNITO
    policy = get("/console/")["headers"]["Content-Security-Policy"]
    assert f"connect-src 'self' https://{COGNITO['domain']};" in policy


@pytest.mark.parametrize(
    "value",
    ["not json", json.dumps({"auth": "cognito", "domain": "x"}), json.dumps({"auth": "magic"})],
)
def test_a_broken_configuration_is_said_and_the_page_still_loads(get, value):
    _set_parameter(value)
    response = get("/console/config.json", proxy="config.json")
    assert response["statusCode"] == 503
    assert json.loads(response["body"])["error"]["code"] == "console_misconfigured"
    page = get("/console/")
    assert (
        page["statusCode"] == 200
        and "connect-src 'self';" in page["headers"]["Content-Security-Policy"]
    )


def test_a_missing_parameter_is_said_too(get):
    boto3.client("ssm").delete_parameter(Name=PARAMETER)
    from herald import runtime

    runtime.reset()
    response = get("/console/config.json", proxy="config.json")
    assert response["statusCode"] == 503
    assert "can't be read" in json.loads(response["body"])["error"]["message"]


def test_files_are_served_by_type_and_revalidated_by_etag(get):
    response = get("/console/js/main.js", proxy="js/main.js")
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"
    assert "import" in response["body"]
    etag = response["headers"]["ETag"]
    again = get("/console/js/main.js", proxy="js/main.js", headers={"If-None-Match": etag})
    assert again["statusCode"] == 304 and again["body"] == ""
    css = get("/console/console.css", proxy="console.css")
    assert css["headers"]["Content-Type"] == "text/css; charset=utf-8"


@pytest.mark.parametrize("proxy", ["../app.py", "js/../../app.py", "nope.js", "app.py", "js/"])
def test_nothing_but_the_files_found_at_cold_start_is_served(get, proxy):
    response = get(f"/console/{proxy}", proxy=proxy)
    assert response["statusCode"] == 404 and response["body"] == "not found"


def test_an_event_of_another_kind_is_refused(handlers, lambda_context):
    answer = handlers.console.lambda_handler(
        {"Records": [{"eventSource": "aws:sqs"}]}, lambda_context
    )
    assert answer["status"] == "refused"


def test_no_token_reaches_the_logs(handlers, lambda_context, capsys):
    # Given requests that carry a bearer token, to the console and to the admin API
    secret = "Bearer eyJsecret.token.value"
    page = event("GET", "/console/", user=None, resource="/console")
    page["headers"] = {"Authorization": secret}
    admin = event("GET", "/admin/me")
    admin["headers"] = {"Authorization": secret}
    # When both functions handle them
    assert handlers.console.lambda_handler(page, lambda_context)["statusCode"] == 200
    assert handlers.admin.lambda_handler(admin, lambda_context)["statusCode"] == 200
    # Then nothing they logged contains it
    logged = capsys.readouterr()
    assert "eyJsecret" not in logged.out + logged.err
