"""`herald status --stack NAME`: a deployed stack's resources come from CloudFormation (moto's,
with the tables, queues and an alarm of template.yaml), not from names the CLI guesses."""

from __future__ import annotations

import json
import os

import boto3
import pytest

from herald_dev import cli
from herald_dev.local import template as tpl

KEPT = ("SendDLQ", "DecideDLQ", "FeedbackDLQ", "RulesTable", "ContentsTable", "AuditTable")


@pytest.fixture
def deployed():
    """A CloudFormation stack in moto holding what `herald status` reads, as template.yaml
    declares it (tables with their keys and indexes, the DLQs), and the send DLQ's alarm."""
    from moto import mock_aws

    from herald import runtime
    from herald.settings import settings

    resources = tpl.load()["Resources"]
    body = {"Parameters": {"Stage": {"Type": "String", "Default": "dev"}}, "Resources": {}}
    for name in KEPT:
        props = resources[name].get("Properties") or {}
        kept = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")
        body["Resources"][name] = {
            "Type": resources[name]["Type"],
            "Properties": {k: v for k, v in props.items() if k in kept},
        }
    saved = dict(os.environ)
    with mock_aws():
        cloudformation = boto3.client("cloudformation")
        cloudformation.create_stack(StackName="herald-dev", TemplateBody=json.dumps(body))
        # moto's CloudFormation can't create alarms: this one as the stack's would be
        boto3.client("cloudwatch").put_metric_alarm(
            AlarmName="herald-dev-send-dlq",
            AlarmDescription="A record is parked on the send dead-letter queue.",
            Namespace="AWS/SQS",
            MetricName="ApproximateNumberOfMessagesVisible",
            Statistic="Maximum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
        yield {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cloudformation.list_stack_resources(StackName="herald-dev")[
                "StackResourceSummaries"
            ]
        }
    os.environ.clear()
    os.environ.update(saved)
    settings.cache_clear()
    runtime.reset()


def test_status_of_a_deployed_stack(deployed, capsys):
    # Given a parked record on the stack's send DLQ and its alarm in ALARM
    boto3.client("sqs").send_message(QueueUrl=deployed["SendDLQ"], MessageBody="{}")
    boto3.client("cloudwatch").set_alarm_state(
        AlarmName="herald-dev-send-dlq", StateValue="ALARM", StateReason="test"
    )

    # When the operator asks for the deployed stack's status
    code = cli.main(["status", "--stack", "herald-dev", "--region", "us-east-1"])

    # Then it read the stack's own resources and says what needs attention
    out = capsys.readouterr().out
    assert code == 1
    assert "Herald: stack herald-dev in us-east-1" in out
    assert "(CREATE_COMPLETE)" in out
    assert "send 1 · decide 0 · feedback 0" in out
    assert "nothing published yet" in out and "paused rules:      none" in out
    assert "herald-dev-send-dlq: A record is parked on the send dead-letter queue." in out


def test_a_stack_that_does_not_exist_is_one_line(deployed, capsys):
    assert cli.main(["status", "--stack", "herald-nope", "--region", "us-east-1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: stack herald-nope:") and "Traceback" not in err
