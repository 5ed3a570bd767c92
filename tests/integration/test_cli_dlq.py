"""`herald dlq inspect|redrive`: an operator sees why records were parked and re-drives them."""

from __future__ import annotations

import json

import boto3

from herald_dev import cli


def test_inspect_shows_reasons_and_redrive_moves_records_back(aws, capsys):
    from herald.service import dead_letters
    from herald.settings import settings

    # Given two records parked on the send DLQ with their reasons
    dlq = settings().send_dlq_url
    dead_letters.park(
        dlq,
        json.dumps({"message_id": "a" * 32}),
        "gave up after 5 attempts: SES SendEmail: Throttling",
    )
    dead_letters.park(dlq, "not json", "queue record body is not JSON")
    urls = ["--aws-endpoint", "aws", "--dlq-url", settings().send_dlq_url]

    # When an operator inspects the DLQ, Then each reason is listed and nothing is consumed
    assert cli.main(["dlq", "inspect", "send", *urls]) == 0
    out = capsys.readouterr().out
    assert "gave up after 5 attempts: SES SendEmail: Throttling" in out
    assert "queue record body is not JSON" in out

    # When they re-drive it into the send queue, Then both records move and the DLQ is empty
    assert cli.main(["dlq", "redrive", "send", *urls, "--target", settings().send_queue_url]) == 0
    assert "moved 2, kept 0, 0 left" in capsys.readouterr().out
    sqs = boto3.client("sqs")
    bodies = {
        m["Body"]
        for m in sqs.receive_message(QueueUrl=settings().send_queue_url, MaxNumberOfMessages=10)[
            "Messages"
        ]
    }
    assert bodies == {json.dumps({"message_id": "a" * 32}), "not json"}


def test_deployed_mode_needs_the_queue_url(aws, capsys):
    assert cli.main(["dlq", "inspect", "send", "--aws-endpoint", "aws"]) == 1
    assert "--dlq-url is required" in capsys.readouterr().err
