"""The alerts topic (SNS): ``alert`` actions and Herald's own operational alerts."""

from __future__ import annotations

from herald.aws.clients import client
from herald.settings import settings


def publish(topic: str, message: str, **attributes: str) -> None:
    client("sns").publish(
        TopicArn=settings().alerts_topic_arn,
        Subject=f"Herald alert: {topic}"[:100],
        Message=message,
        MessageAttributes={
            "topic": {"DataType": "String", "StringValue": topic},
            **{
                name: {"DataType": "String", "StringValue": value}
                for name, value in attributes.items()
            },
        },
    )
