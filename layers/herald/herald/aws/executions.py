"""Step Functions: starting and stopping the broadcast state machine's executions."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from herald.aws.clients import client, error_code


def start(state_machine_arn: str, name: str, payload: dict) -> str:
    """Start an execution named ``name`` (unique per broadcast run: a second start of the same
    run is refused by Step Functions and answered with the first's ARN)."""
    sfn = client("stepfunctions")
    try:
        return sfn.start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload)
        )["executionArn"]
    except ClientError as exc:
        if error_code(exc) != "ExecutionAlreadyExists":
            raise
    arn = state_machine_arn.replace(":stateMachine:", ":execution:")
    return f"{arn}:{name}"


def stop(execution_arn: str, cause: str) -> None:
    """Stop an execution; one that has ended or never started is left as it is."""
    try:
        client("stepfunctions").stop_execution(executionArn=execution_arn, cause=cause[:256])
    except ClientError as exc:
        if error_code(exc) not in ("ExecutionDoesNotExist", "InvalidArn"):
            raise
