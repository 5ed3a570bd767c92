"""EventBridge Scheduler: one-time schedules that put a deferred message on the send queue."""

from __future__ import annotations

from botocore.exceptions import ClientError

from herald.aws.clients import client, error_code
from herald.aws.queues import send_request
from herald.settings import settings


def defer(message_id: str, customer_id: str, send_at: str) -> None:
    """Schedule the message for ``send_at`` (ISO UTC); an existing schedule (a replay) is kept."""
    config = settings()
    try:
        client("scheduler").create_schedule(
            Name=f"msg-{message_id}",
            GroupName=config.scheduler_group,
            ScheduleExpression=f"at({send_at[:19]})",  # at(yyyy-mm-ddThh:mm:ss)
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={
                "Arn": config.send_queue_arn,
                "RoleArn": config.scheduler_role_arn,
                "Input": send_request(message_id, customer_id),
            },
        )
    except ClientError as exc:
        if error_code(exc) != "ConflictException":  # already scheduled: a replay
            raise


def schedule_start(name: str, at: str, target_arn: str, role_arn: str, payload: str) -> None:
    """A one-time schedule that starts a state machine execution at ``at`` (ISO UTC); an
    existing schedule of that name (a retried approval) is kept."""
    try:
        client("scheduler").create_schedule(
            Name=name,
            GroupName=settings().scheduler_group,
            ScheduleExpression=f"at({at[:19]})",
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={"Arn": target_arn, "RoleArn": role_arn, "Input": payload},
        )
    except ClientError as exc:
        if error_code(exc) != "ConflictException":
            raise


def unschedule(name: str) -> None:
    """Delete a schedule that has not fired (cancel before the start); gone already is fine."""
    try:
        client("scheduler").delete_schedule(Name=name, GroupName=settings().scheduler_group)
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
