"""API Gateway REST (v1) proxy events for handler tests, as API Gateway builds them."""

from __future__ import annotations

import json
from typing import Any

MARKETER = ("mia", "marketers")
APPROVER = ("alex", "approvers")
OTHER_APPROVER = ("ada", "approvers")


def event(
    method: str,
    path: str,
    body: Any = None,
    *,
    user: tuple[str, str] | None = MARKETER,
    query: dict | None = None,
    resource: str = "/admin/{proxy+}",
    raw_body: str | None = None,
) -> dict:
    """A proxy event; ``user`` = (username, "group,group") becomes Cognito claims."""
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "api1234567",
        "httpMethod": method,
        "path": f"/dev{path}",
        "resourcePath": resource,
        "stage": "dev",
        "requestId": "req-1",
        "identity": {"sourceIp": "127.0.0.1"},
    }
    if user is not None:
        context["authorizer"] = {"claims": {"cognito:username": user[0], "cognito:groups": user[1]}}
    if raw_body is None and body is not None:
        raw_body = json.dumps(body)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"} if raw_body is not None else {},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": ({k: [v] for k, v in query.items()} if query else None),
        "pathParameters": {"proxy": path.split("/", 2)[-1]} if resource.endswith("+}") else None,
        "stageVariables": None,
        "requestContext": context,
        "body": raw_body,
        "isBase64Encoded": False,
    }


def call(handler, context, method: str, path: str, body: Any = None, **kwargs) -> tuple[int, Any]:
    """Invoke ``handler`` with a proxy event; return (status, decoded JSON body)."""
    response = handler(event(method, path, body, **kwargs), context)
    raw = response.get("body")
    return response["statusCode"], json.loads(raw) if raw else None


class Api:
    """Calls a handler the way API Gateway would: ``api("GET", "/admin/rules")``."""

    def __init__(self, handler, context):
        self.handler = handler
        self.context = context

    def __call__(self, method: str, path: str, body: Any = None, **kwargs) -> tuple[int, Any]:
        return call(self.handler, self.context, method, path, body, **kwargs)


def snapshot(environment: dict) -> dict:
    """Every item of every table and the depth of every queue: to prove nothing was written."""
    import boto3

    dynamodb = boto3.client("dynamodb")
    sqs = boto3.client("sqs")
    state: dict = {}
    for key, name in sorted(environment.items()):
        if key.endswith("_TABLE"):
            items = dynamodb.scan(TableName=name)["Items"]
            state[key] = sorted(json.dumps(i, sort_keys=True) for i in items)
        elif key.endswith("_QUEUE_URL") or key.endswith("_DLQ_URL"):
            attrs = sqs.get_queue_attributes(
                QueueUrl=name,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            state[key] = attrs
    return state
