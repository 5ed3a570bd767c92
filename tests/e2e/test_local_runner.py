"""The local runner wires functions as a template declares them, with moto doing the routing.

A small template of its own (two toy functions) keeps these tests independent of Herald's
functions: an EventBridge rule whose pattern moto must match, an SQS-triggered function with
partial batch responses and a redrive policy, and a one-time schedule.
"""

from __future__ import annotations

import json
import textwrap
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from herald_dev.local.runner import LocalStack, schedule_due_at

pytestmark = pytest.mark.e2e

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: toy}
Globals:
  Function:
    Environment:
      Variables:
        WORK_QUEUE_URL: !Ref WorkQueue
        OUT_FILE: "%(out)s"
Resources:
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: !Sub "toy-${Stage}"}
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt WorkDLQ.Arn, maxReceiveCount: 2}
  WorkDLQ:
    Type: AWS::SQS::Queue
  RouteFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fns/route/
      Handler: app.lambda_handler
      Events:
        Orders:
          Type: EventBridgeRule
          Properties:
            EventBusName: !Ref Bus
            Pattern: {detail-type: [order.placed], detail: {customer_id: [{exists: true}]}}
  WorkFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fns/work/
      Handler: app.lambda_handler
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            BatchSize: 5
            FunctionResponseTypes: [ReportBatchItemFailures]
"""

ROUTE_APP = """
import json, os
import boto3

def lambda_handler(event, context):
    boto3.client("sqs").send_message(
        QueueUrl=os.environ["WORK_QUEUE_URL"], MessageBody=json.dumps(event["detail"])
    )
"""

WORK_APP = """
import json, os

def lambda_handler(event, context):
    failures = []
    for record in event["Records"]:
        body = json.loads(record["body"])
        if body.get("bad"):
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        with open(os.environ["OUT_FILE"], "a") as fh:
            fh.write(json.dumps(body) + "\\n")
    return {"batchItemFailures": failures}
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def toy(tmp_path):
    out = tmp_path / "out.jsonl"
    _write(tmp_path / "template.yaml", TEMPLATE % {"out": out})
    _write(tmp_path / "fns/route/app.py", ROUTE_APP)
    _write(tmp_path / "fns/work/app.py", WORK_APP)
    local = LocalStack(aws_port=0, template_path=tmp_path / "template.yaml").start()
    yield local, out
    # moto's backends are process-wide: leave nothing behind for the next test.
    urllib.request.urlopen(
        urllib.request.Request(f"{local.endpoint}/moto-api/reset", method="POST")
    )
    local.stop()


def _event(detail_type: str, **detail) -> dict:
    return {"source": "shop", "detail-type": detail_type, "detail": detail}


def test_events_are_routed_by_the_template_pattern_and_queues_drained(toy):
    # Given the toy stack
    local, out = toy

    # When events are published, one not matching the pattern, one without customer_id
    local.put_events(
        [
            _event("order.placed", customer_id="c1", n=1),
            _event("order.cancelled", customer_id="c1", n=2),
            _event("order.placed", n=3),
            _event("order.placed", customer_id="c2", n=4),
        ]
    )
    local.drain(timeout=20)

    # Then only the matching ones went through both functions
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["n"] for line in lines] == [1, 4]
    assert not local.failures()
    assert local.dead_letters() == {}


def test_batch_item_failures_are_redriven_to_the_dead_letter_queue(toy):
    # Given the toy stack
    local, out = toy

    # When one good and one bad record reach the work function
    local.put_events([_event("order.placed", customer_id="c1", n=1, bad=True)])
    local.put_events([_event("order.placed", customer_id="c2", n=2)])
    local.drain(timeout=20)

    # Then the good one was processed and the bad one is in the DLQ after maxReceiveCount
    assert [json.loads(line)["n"] for line in out.read_text().splitlines()] == [2]
    assert local.dead_letters() == {"WorkDLQ": 1}


def test_due_one_time_schedules_are_delivered_to_their_queue(toy):
    # Given a schedule due in one hour whose target is the work queue
    local, out = toy
    local.client("scheduler").create_schedule(
        Name="later",
        ScheduleExpression=f"at({(datetime.now(UTC) + timedelta(hours=1)).strftime('%Y-%m-%dT%H:%M:%S')})",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": local.stack.resolver.attrs[("WorkQueue", "Arn")],
            "RoleArn": "arn:aws:iam::123456789012:role/toy",
            "Input": json.dumps({"n": 7}),
        },
    )

    # When it is not due yet, nothing fires; two hours later, it does
    assert local.fire_due_schedules() == []
    fired = local.fire_due_schedules(datetime.now(UTC) + timedelta(hours=2))
    local.drain(timeout=20)

    # Then the message was delivered and the schedule is gone
    assert fired == ["later"]
    assert [json.loads(line)["n"] for line in out.read_text().splitlines()] == [7]
    assert local.schedules() == []


def test_schedule_due_at_reads_one_time_expressions_in_their_zone():
    assert schedule_due_at("at(2026-01-01T08:00:00)", "Europe/Paris") == datetime(
        2026, 1, 1, 7, tzinfo=UTC
    )
    assert schedule_due_at("rate(5 minutes)", None) is None
