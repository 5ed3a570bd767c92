"""DynamoDB streams locally: the stack's tables stream as the template says, moto records every
write with its old and new images, and the stream is delivered as Lambda delivers it.

The reader and ``drain`` are tested with handlers of the tests' own; the runner with a toy
template (a table with a stream, a function on it) and with template.yaml's wiring.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import textwrap
import urllib.request
from pathlib import Path

import boto3
import pytest

from herald_dev import dlq
from herald_dev.local import streams
from herald_dev.local import template as tpl
from herald_dev.local.moto_transactions import item_snapshots
from herald_dev.local.runner import LocalStack

pytestmark = pytest.mark.e2e


def _s(value: str) -> dict:
    return {"S": value}


def _put(table: str, pk: str, **attrs: str) -> None:
    item = {"pk": _s(pk), **{k: _s(v) for k, v in attrs.items()}}
    boto3.client("dynamodb").put_item(TableName=table, Item=item)


def _set_status(table: str, pk: str, status: str) -> None:
    boto3.client("dynamodb").update_item(
        TableName=table,
        Key={"pk": _s(pk)},
        UpdateExpression="SET #s = :s",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": _s(status)},
    )


def _image(record: dict, which: str) -> dict | None:
    image = record["dynamodb"].get(which)
    return None if image is None else {k: v["S"] for k, v in image.items()}


class Collector:
    """A handler that keeps every batch it is given and, if told to, raises on some calls."""

    def __init__(self, fail_on: tuple[int, ...] = ()) -> None:
        self.batches: list[list[dict]] = []
        self.fail_on = fail_on

    def __call__(self, event: dict) -> None:
        self.batches.append(json.loads(json.dumps(event["Records"])))
        if len(self.batches) in self.fail_on:
            event["Records"][0].pop("dynamodb")  # a handler's own mess must not reach a retry
            raise RuntimeError("the counters table is throttled")

    @property
    def delivered(self) -> list[dict]:
        return [r for i, b in enumerate(self.batches, 1) if i not in self.fail_on for r in b]


@pytest.fixture
def messages(aws) -> str:
    return aws.physical["MessagesTable"]


# ---------------------------------------------------------------------- the stack's streams
def test_the_stacks_tables_stream_as_the_template_declares(aws):
    # Given the stack built from template.yaml (conftest's aws fixture)
    ddb = boto3.client("dynamodb")
    declared = {
        logical_id: (res["Properties"].get("StreamSpecification") or {}).get("StreamViewType")
        for logical_id, res in tpl.load()["Resources"].items()
        if res["Type"] == "AWS::DynamoDB::Table"
    }
    assert declared["MessagesTable"] == "NEW_AND_OLD_IMAGES"

    for logical_id, view_type in declared.items():
        table = ddb.describe_table(TableName=aws.physical[logical_id])["Table"]
        if view_type is None:
            # Then a table without a declared stream has none
            assert "LatestStreamArn" not in table, logical_id
            continue
        # Then a declared stream exists with its view type, and GetAtt StreamArn resolves to it
        assert table["StreamSpecification"] == {
            "StreamEnabled": True,
            "StreamViewType": view_type,
        }
        assert aws.resolver.getatt(logical_id, "StreamArn") == table["LatestStreamArn"]


def test_put_update_and_transactions_arrive_in_order_with_old_and_new_images(messages):
    # Given a message put, then updated, then a transaction putting another and updating it
    _put(messages, "m1", status="queued")
    _set_status(messages, "m1", "sent")
    boto3.client("dynamodb").transact_write_items(
        TransactItems=[
            {"Put": {"TableName": messages, "Item": {"pk": _s("m2"), "status": _s("queued")}}},
            {
                "Update": {
                    "TableName": messages,
                    "Key": {"pk": _s("m1")},
                    "UpdateExpression": "SET outcome = :o",
                    "ExpressionAttributeValues": {":o": _s("clicked")},
                }
            },
        ]
    )

    # When the stream is drained
    handler = Collector()
    assert streams.drain(handler, messages) == 4

    # Then every change arrived once, in order, with the images before and after
    records = handler.delivered
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records] == [
        ("INSERT", "m1"),
        ("MODIFY", "m1"),
        ("INSERT", "m2"),
        ("MODIFY", "m1"),
    ]
    assert [(_image(r, "OldImage"), _image(r, "NewImage")) for r in records] == [
        (None, {"pk": "m1", "status": "queued"}),
        ({"pk": "m1", "status": "queued"}, {"pk": "m1", "status": "sent"}),
        (None, {"pk": "m2", "status": "queued"}),
        ({"pk": "m1", "status": "sent"}, {"pk": "m1", "status": "sent", "outcome": "clicked"}),
    ]
    # And in Lambda's shape: the stream's ARN on each record, sequence numbers increasing
    arn = streams.stream_arn(messages)
    assert {(r["eventSource"], r["eventSourceARN"], r["awsRegion"]) for r in records} == {
        ("aws:dynamodb", arn, "us-east-1")
    }
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(set(numbers))
    assert all(isinstance(r["dynamodb"]["ApproximateCreationDateTime"], int) for r in records)


@pytest.mark.parametrize("snapshots", [False, True], ids=["moto", "item_snapshots"])
def test_a_cancelled_transaction_leaves_nothing_on_the_stream(messages, snapshots):
    # Given a message (moto's transactions, or the bench's item snapshots)
    _put(messages, "m1", status="queued")
    ddb = boto3.client("dynamodb")

    # When a transaction puts a new message, then fails its condition on the existing one
    with (
        item_snapshots() if snapshots else contextlib.nullcontext(),
        pytest.raises(ddb.exceptions.TransactionCanceledException),
    ):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": messages, "Item": {"pk": _s("m2")}}},
                {
                    "Put": {
                        "TableName": messages,
                        "Item": {"pk": _s("m1")},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    _put(messages, "m3")

    # Then the stream holds the writes that happened, and only those
    handler = Collector()
    streams.drain(handler, messages)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in handler.delivered] == ["m1", "m3"]


# ---------------------------------------------------------------------- drain and the reader
def test_drain_delivers_each_record_once_in_batches_across_calls(messages):
    # Given five writes
    for n in range(5):
        _put(messages, f"m{n}")
    handler = Collector()

    # When drained in batches of two, drained again, then again after two more writes
    first = streams.drain(handler, messages, batch_size=2)
    again = streams.drain(handler, messages, batch_size=2)
    _put(messages, "m5")
    _put(messages, "m6")
    later = streams.drain(handler, messages, batch_size=2)

    # Then each record was handed over once, in order, in batches of at most two
    assert (first, again, later) == (5, 0, 2)
    assert [len(b) for b in handler.batches] == [2, 2, 1, 2]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in handler.delivered] == [
        f"m{n}" for n in range(7)
    ]
    assert len({r["eventID"] for r in handler.delivered}) == 7
    assert streams.reader(messages).pending() == 0


def test_a_batch_whose_handler_raised_is_delivered_again_identical(messages):
    # Given three writes and a handler that raises on its first call (and mangles its batch)
    for n in range(3):
        _put(messages, f"m{n}")
    handler = Collector(fail_on=(1,))

    # When a drain fails, and the stream still has the batch pending
    with pytest.raises(RuntimeError, match="throttled"):
        streams.drain(handler, messages, batch_size=2)
    assert streams.reader(messages).pending() == 3

    # Then the next drain delivers the identical batch first, then the rest
    assert streams.drain(handler, messages, batch_size=2) == 3
    failed, retried, rest = handler.batches
    assert retried == failed
    assert [len(b) for b in (failed, retried, rest)] == [2, 2, 1]
    # And nothing was lost or delivered twice after the retry
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in handler.delivered] == ["m0", "m1", "m2"]
    assert streams.drain(handler, messages) == 0


def test_only_the_batch_just_read_can_be_handed_back(messages):
    # Given a reader that handed out one batch, then another
    for n in range(2):
        _put(messages, f"m{n}")
    reader = streams.StreamReader(streams.stream_arn(messages))
    first = reader.read(1)
    second = reader.read(1)

    # Then an older batch (or a copy of one) can't be handed back; the last one can, once
    with pytest.raises(ValueError, match="last read"):
        reader.retry(first)
    with pytest.raises(ValueError, match="last read"):
        reader.retry(list(second))
    reader.retry(second)
    with pytest.raises(ValueError, match="last read"):
        reader.retry(second)
    assert reader.read(10) == second
    assert reader.read(10) == []


# ---------------------------------------------------------------------- the runner
TOY = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: toy}
Globals:
  Function:
    Environment:
      Variables:
        OUT_FILE: "%(out)s"
        FAIL_FILE: "%(fail)s"
Resources:
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  ItemsDLQ:
    Type: AWS::SQS::Queue
  TallyFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fns/tally/
      Handler: app.lambda_handler
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Items.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 2
            MaximumRetryAttempts: %(retries)s
            DestinationConfig:
              OnFailure: {Type: SQS, Destination: !GetAtt ItemsDLQ.Arn}
"""

TALLY_APP = """
import json, os

def lambda_handler(event, context):
    fail = os.environ["FAIL_FILE"]
    if os.path.exists(fail):
        left = int(open(fail).read())
        if left:
            with open(fail, "w") as fh:
                fh.write(str(left - 1))
            raise RuntimeError("tally table throttled")
    with open(os.environ["OUT_FILE"], "a") as fh:
        fh.write(json.dumps(event["Records"]) + "\\n")
"""


@pytest.fixture
def toy(tmp_path, request):
    out, fail = tmp_path / "out.jsonl", tmp_path / "fail"
    retries = getattr(request, "param", -1)
    template = TOY % {"out": out, "fail": fail, "retries": retries}
    for path, text in (
        (tmp_path / "template.yaml", template),
        (tmp_path / "fns/tally/app.py", TALLY_APP),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    local = LocalStack(aws_port=0, template_path=tmp_path / "template.yaml").start()
    yield local, out, fail
    _reset(local)


def _reset(local: LocalStack) -> None:
    # moto's backends are process-wide: leave nothing behind for the next test.
    urllib.request.urlopen(
        urllib.request.Request(f"{local.endpoint}/moto-api/reset", method="POST")
    )
    local.stop()


def _batches(out: Path) -> list[list[str]]:
    if not out.exists():
        return []
    return [
        [r["dynamodb"]["Keys"]["pk"]["S"] for r in json.loads(line)]
        for line in out.read_text().splitlines()
    ]


def _toy_put(local: LocalStack, *pks: str) -> None:
    table = local.stack.physical["Items"]
    for pk in pks:
        local.client("dynamodb").put_item(TableName=table, Item={"pk": _s(pk)})


def test_the_runner_delivers_a_stream_in_batches_and_retries_a_failed_one(toy):
    # Given the toy stack, its function wired to the table's stream
    local, out, fail = toy
    (source,) = local.sources
    assert (source.function, source.kind, source.batch_size) == ("TallyFunction", "DynamoDB", 2)
    assert source.stream_arn == local.stack.resolver.getatt("Items", "StreamArn")

    # When three items are written, pending() sees them before any pump
    _toy_put(local, "a", "b", "c")
    assert local.pending() == 3

    # And the function fails on its first invocation
    fail.write_text("1")
    assert local.pump_once() == 0
    assert [f.trigger for f in local.failures()] == ["DynamoDB:Changes"]
    assert local.pending() == 3  # the failed batch is still to deliver

    # Then the next pumps deliver the failed batch again, whole, then the rest
    local.drain(timeout=20)
    assert _batches(out) == [["a", "b"], ["c"]]
    assert local.pending() == 0
    assert len(local.failures()) == 1
    assert local.dead_letters() == {}


@pytest.mark.parametrize("toy", [1], indirect=True)
def test_a_batch_that_outlives_its_retries_is_described_to_the_on_failure_queue(toy):
    # Given the toy stack with MaximumRetryAttempts 1 and a function failing twice
    local, out, fail = toy
    fail.write_text("2")
    _toy_put(local, "a", "b", "c")

    # When the stream is pumped dry
    local.drain(timeout=20)

    # Then the first batch was tried twice, then given up on and described to the DLQ
    assert len(local.failures()) == 2
    assert _batches(out) == [["c"]]
    assert local.dead_letters() == {"ItemsDLQ": 1}
    url = local.dead_letter_queues()["ItemsDLQ"]
    sqs = local.client("sqs")
    (message,) = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
    info = json.loads(message["Body"])["DDBStreamBatchInfo"]
    assert info["batchSize"] == 2
    assert info["streamArn"] == local.stack.resolver.getatt("Items", "StreamArn")
    assert int(info["startSequenceNumber"]) < int(info["endSequenceNumber"])

    # And `herald dlq` says what the record is, and refuses to re-drive it
    parked = dlq._parked(message)
    assert dlq.event_of(parked).startswith("stream batch of 2 change(s)")
    assert parked.reason == "RetryAttemptsExhausted (Unhandled, 2 attempts)"
    assert dlq.NOT_REDRIVABLE["CountersDLQ"].startswith("counted batches can't be redriven: ")


def test_the_template_wires_the_counting_function_to_the_messages_stream():
    # Given the local stack of template.yaml
    local = LocalStack(aws_port=0).start()
    try:
        (source,) = [s for s in local.sources if s.kind == "DynamoDB"]
        messages = local.stack.physical["MessagesTable"]
        table = local.client("dynamodb").describe_table(TableName=messages)["Table"]

        # Then CountersFunction reads the messages table's stream, failures go to CountersDLQ
        assert (source.function, source.event_name) == ("CountersFunction", "MessageChanges")
        assert source.stream_arn == table["LatestStreamArn"]
        assert source.batch_size == 500
        dlq_name = local.stack.resolver.getatt("CountersDLQ", "QueueName")
        assert source.dead_letter_url.rsplit("/", 1)[-1] == dlq_name
        assert "CountersDLQ" in local.dead_letter_queues()

        # And pending() counts a change not yet delivered to it
        before = local.pending()
        local.client("dynamodb").put_item(TableName=messages, Item={"pk": _s("not-a-message")})
        assert local.pending() == before + 1
    finally:
        _reset(local)


# ---------------------------------------------------------------------- herald dlq, status
def _batch_description(stream_arn: str) -> dict:
    """What Lambda parks on a stream event's OnFailure queue (the runner's rendering of it)."""
    from herald_dev.local.context import LambdaContext
    from herald_dev.local.runner import EventSource, stream_failure

    source = EventSource("CountersFunction", "MessageChanges", "DynamoDB", "", "")
    source = dataclasses.replace(source, stream_arn=stream_arn)
    change = {"SequenceNumber": "1100000000017454423009", "ApproximateCreationDateTime": 0}
    batch = [
        {"dynamodb": change},
        {"dynamodb": {**change, "SequenceNumber": "1100000000017454423012"}},
    ]
    context = LambdaContext("counters", "arn:aws:lambda:us-east-1:123456789012:function:counters")
    return stream_failure(source, context, "shardId-1", batch, attempts=3)


def test_herald_dlq_shows_a_counted_batch_and_refuses_to_redrive_it(aws, capsys):
    from herald_dev import cli, status

    # Given a batch description parked on the counters DLQ, which `herald status` watches
    assert status.DLQS["counters"] == "CountersDLQ"
    url = aws.physical["CountersDLQ"]
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(_batch_description("arn:stream")))
    where = ["--aws-endpoint", "aws", "--dlq-url", url]

    # When an operator inspects it, Then it says which changes and why
    assert cli.main(["dlq", "inspect", "counters", *where]) == 0
    out = capsys.readouterr().out
    assert "stream batch of 2 change(s), sequence numbers 1100000000017454423009…" in out
    assert "reason: RetryAttemptsExhausted (Unhandled, 3 attempts)" in out

    # When they try to re-drive it, even into a queue of their choosing, Then it is refused
    target = ["--target", aws.physical["SendQueue"]]
    assert cli.main(["dlq", "redrive", "counters", *where, *target]) == 1
    assert "error: counted batches can't be redriven: " in capsys.readouterr().err
    result = dlq.redrive(url, aws.physical["SendQueue"], echo=lambda _line: None)
    assert (result.moved, result.failed) == (0, 1)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    kept = int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )
    assert kept == 1  # still parked (hidden a while by the attempt, as any record it keeps)
