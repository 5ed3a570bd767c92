"""The local API serves a template's Api events as API Gateway would, with local bearer auth.

A toy template whose one function echoes its event keeps these tests about the server:
routing (literal, ``{id}``, ``{proxy+}``, ANY), the proxy event's shape, auth per route, and
the 401/404/413 answers.
"""

from __future__ import annotations

import json
import textwrap
import threading
import urllib.error
import urllib.request

import pytest

from herald_dev.local.runner import LocalStack
from herald_dev.local.server import LocalApi, compile_path, parse_bearer

pytestmark = pytest.mark.e2e

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: toy}
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
      Auth:
        DefaultAuthorizer: Cognito
        Authorizers: {Cognito: {UserPoolArn: !GetAtt Pool.Arn}}
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fns/echo/
      Handler: app.lambda_handler
      Events:
        Health:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /health, Method: get, Auth: {Authorizer: NONE}}
        Admin:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/admin/{proxy+}", Method: ANY}
        Rule:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/admin/rules/{id}", Method: get}
        Events:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /events, Method: post, Auth: {Authorizer: AWS_IAM}}
"""

ECHO_APP = """
import json

def lambda_handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}
"""

ADMIN = "Bearer local:ann:marketers,approvers"


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """(the local API's base URL, the embedded AWS endpoint) of the toy template."""
    root = tmp_path_factory.mktemp("toyapi")
    (root / "template.yaml").write_text(textwrap.dedent(TEMPLATE), encoding="utf-8")
    (root / "fns/echo").mkdir(parents=True)
    (root / "fns/echo/app.py").write_text(textwrap.dedent(ECHO_APP), encoding="utf-8")
    server = LocalApi(0)
    local = LocalStack(
        aws_port=0, api_port=server.port, template_path=root / "template.yaml"
    ).start()
    server.attach(local)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.port}", local.endpoint
    server.shutdown()
    server.server_close()
    urllib.request.urlopen(
        urllib.request.Request(f"{local.endpoint}/moto-api/reset", method="POST")
    )
    local.stop()


@pytest.fixture(scope="module")
def api(toy) -> str:
    return toy[0]


def _call(
    url: str, method: str = "GET", body: bytes | None = None, auth: str | None = None
) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method=method)
    if auth:
        request.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_open_route_needs_no_bearer_and_gets_a_rest_proxy_event(api):
    status, event = _call(f"{api}/health?x=1&x=2&y=")
    assert status == 200
    assert event["resource"] == "/health"
    assert event["path"] == "/health"
    assert event["httpMethod"] == "GET"
    assert event["queryStringParameters"] == {"x": "2", "y": ""}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": [""]}
    assert event["pathParameters"] is None
    assert event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "toy"
    assert context["resourcePath"] == "/health"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"]


def test_cognito_route_passes_claims_with_comma_separated_groups(api):
    status, event = _call(f"{api}/admin/rules/r-1", auth=ADMIN)
    assert status == 200
    assert event["resource"] == "/admin/rules/{id}"
    assert event["pathParameters"] == {"id": "r-1"}
    assert event["requestContext"]["authorizer"]["claims"] == {
        "cognito:username": "ann",
        "sub": "ann",
        "cognito:groups": "marketers,approvers",
    }


def test_any_method_and_greedy_path(api):
    status, event = _call(f"{api}/admin/contents/c-1/publish", "POST", b'{"version": 1}', ADMIN)
    assert status == 200
    assert event["resource"] == "/admin/{proxy+}"
    assert event["pathParameters"] == {"proxy": "contents/c-1/publish"}
    assert json.loads(event["body"]) == {"version": 1}


def test_iam_route_sets_the_callers_identity(api):
    status, event = _call(f"{api}/events", "POST", b"{}", "Bearer local:ingest:")
    assert status == 200
    identity = event["requestContext"]["identity"]
    assert identity["userArn"] == "arn:aws:iam::123456789012:user/ingest"
    assert identity["caller"] == "ingest"
    assert "authorizer" not in event["requestContext"]


@pytest.mark.parametrize(
    "auth", [None, "Bearer nope", "Basic local:ann:marketers", "Bearer local::x"]
)
def test_protected_routes_answer_401_without_a_local_bearer(api, auth):
    status, body = _call(f"{api}/admin/rules", auth=auth)
    assert status == 401
    assert body["error"]["code"] == "unauthorized"


def test_unknown_routes_answer_404_and_wrong_methods_405(api):
    assert _call(f"{api}/nope")[0] == 404
    status, body = _call(f"{api}/health", "DELETE")
    assert status == 405
    assert body["error"]["code"] == "method_not_allowed"


def test_bodies_over_one_mib_answer_413(api):
    status, body = _call(f"{api}/events", "POST", b"x" * (1024 * 1024 + 1), "Bearer local:ingest:")
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"


def test_outbox_lists_what_ses_and_sns_accepted(toy):
    import boto3

    url, endpoint = toy
    # Given an email SES accepted and an SMS SNS accepted on the embedded AWS
    ses = boto3.client("sesv2", endpoint_url=endpoint, region_name="us-east-1")
    boto3.client("ses", endpoint_url=endpoint, region_name="us-east-1").verify_email_identity(
        EmailAddress="shop@example.com"
    )
    ses.send_email(
        FromEmailAddress="shop@example.com",
        Destination={"ToAddresses": ["ann@example.com"]},
        Content={"Simple": {"Subject": {"Data": "Your order"}, "Body": {"Text": {"Data": "Hi"}}}},
    )
    boto3.client("sns", endpoint_url=endpoint, region_name="us-east-1").publish(
        PhoneNumber="+14155550100", Message="Shipped: NW-1"
    )
    # When the outbox is read, Then it lists both, with recipient and first line
    status, body = _call(f"{url}/local/outbox")
    assert status == 200
    assert sorted((m["channel"], m["recipient"], m["subject_or_first_line"]) for m in body) == [
        ("email", "ann@example.com", "Your order"),
        ("sms", "+14155550100", "Shipped: NW-1"),
    ]


def test_paths_and_bearers_parse_as_documented():
    pattern, literals, greedy = compile_path("/admin/{kind}/{id}/versions")
    assert pattern.match("/admin/rules/r-1/versions").groupdict() == {"kind": "rules", "id": "r-1"}
    assert (literals, greedy) == (2, False)
    assert parse_bearer("Bearer local:bo:marketers").groups == ("marketers",)
    assert parse_bearer("Bearer local:bo:").groups == ()
    assert parse_bearer("Bearer local:bo") is None
