"""Shared fixtures: AWS is moto (``mock_aws``), with every resource built from template.yaml."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from herald_dev.local.context import LambdaContext

# Never let a test reach a real AWS endpoint, even by accident.
for _key, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
}.items():
    os.environ[_key] = _value
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)


def _share_botocore_loader() -> None:
    """One botocore data loader for every session the tests make.

    Each test gets fresh boto3/botocore sessions (moto's stack, Herald's per-container clients),
    and each session's loader parses the service model files again: most of a test's setup
    time. The files never change, so one loader (with its cache) serves them all.
    """
    import functools

    import botocore.session

    botocore.session.create_loader = functools.cache(botocore.session.create_loader)


_share_botocore_loader()


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext("test", "arn:aws:lambda:us-east-1:123456789012:function:test")


@pytest.fixture
def aws(monkeypatch):
    """moto with the template's resources; the functions' environment set from the template."""
    from moto import mock_aws

    from herald import runtime
    from herald.settings import settings
    from herald_dev.local import stack as local_stack

    with mock_aws():
        stack = local_stack.create()
        for key, value in stack.environment().items():
            monkeypatch.setenv(key, value)
        settings.cache_clear()
        runtime.reset()
        yield stack
        settings.cache_clear()
        runtime.reset()


REPO = Path(__file__).resolve().parents[1]
DEMO_NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # daytime in Europe, 23:00 in Tokyo


@pytest.fixture
def handlers(aws):
    """The Lambda handler modules, imported as the runtime would (after the environment is set)."""
    import importlib

    class Handlers:
        stack = aws

        def __getattr__(self, name: str):
            return importlib.import_module(f"functions.{name}.app")

    return Handlers()


@pytest.fixture
def demo_data(aws):
    """The example rules/ published and events/customers.json upserted."""
    from herald.dal import customers
    from herald.domain.customer import parse_customer
    from herald_dev import rulesfiles

    rulesfiles.load_into_tables(REPO / "rules", echo=lambda _line: None)
    for doc in json.loads((REPO / "events" / "customers.json").read_text()):
        customers.upsert(parse_customer(doc))
    return aws


@pytest.fixture
def clock(monkeypatch):
    """Freeze the decide function's clock; returns a setter for moving it."""
    from herald.service import decide

    current = [DEMO_NOW]
    monkeypatch.setattr(decide, "utcnow", lambda: current[0])

    def set_now(value: datetime) -> None:
        current[0] = value

    return set_now


def eventbridge(name: str, customer_id: str, event_id: str, **detail) -> dict:
    """An EventBridge envelope as the bus delivers it to the decide function."""
    return {
        "version": "0",
        "id": f"eb-{event_id}",
        "detail-type": name,
        "source": "tests",
        "account": "123456789012",
        "time": "2026-11-24T14:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"customer_id": customer_id, "event_id": event_id, **detail},
    }


def drain_send_queue(handlers, context=None) -> list[dict]:
    """Feed the send queue to the send function until it is empty, as the SQS event source
    does (failed records come back, parked ones leave); returns each batch response."""
    from herald_dev import faults

    pipeline = faults.Pipeline(handlers.stack)
    # Bounded rounds: stop when a receive comes back empty, rather than waiting out a record a
    # test itself holds invisible (pump_send's unbounded mode waits for in-flight records).
    pipeline.pump_send(rounds=50)
    return pipeline.send_responses


def count_changes(handlers, batch_size: int = 500) -> int:
    """What the stream trigger does deployed: the messages table's stream, batch by batch, to
    the counting function (the counters trail the messages until then); returns the records."""
    from herald.settings import settings
    from herald_dev.local import streams

    context = LambdaContext("counters", "arn:aws:lambda:us-east-1:123456789012:function:counters")
    return streams.drain(
        lambda event: handlers.counters.lambda_handler(event, context),
        settings().messages_table,
        batch_size=batch_size,
    )


def sqs_record(message: dict, arn: str) -> dict:
    """One Lambda SQS record for a message as ReceiveMessage returns it."""
    from herald_dev.local.runner import sqs_event

    return sqs_event([message], arn, "us-east-1")["Records"][0]


def ses_sent() -> list[dict]:
    """What moto's SES accepted: recipients, subject and the parsed MIME message."""
    from email import message_from_string, policy

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    out = []
    for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages:
        mime = message_from_string(m.raw_data, policy=policy.default)
        out.append({"to": mime["To"], "subject": mime["Subject"], "mime": mime})
    return out


def sms_sent() -> list[tuple[str, str]]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    return list(sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values())


def push_sent() -> list[tuple[str, dict]]:
    """(platform endpoint token, payload) of every push moto's SNS accepted."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    out = []
    for endpoint in sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].platform_endpoints.values():
        for message in getattr(endpoint, "messages", {}).values():
            out.append((endpoint.token, json.loads(message)))
    return out
