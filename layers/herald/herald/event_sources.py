"""What kind of event a Lambda function was given, and a guard for each function's kind.

A function wired to the wrong source (an SQS batch sent to the admin API, an API request sent to
the send function) must fail with one clear log line, not a ``KeyError`` deep in a parser.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.middleware_factory import lambda_handler_decorator

from herald.observability import logger

API, SQS, SNS, EVENTBRIDGE, DYNAMODB = "api", "sqs", "sns", "eventbridge", "dynamodb"


def kind_of(event: Any) -> str:
    """api | sqs | sns | eventbridge | dynamodb (a table stream) | unknown."""
    if not isinstance(event, dict):
        return "unknown"
    if "httpMethod" in event and "requestContext" in event:
        return API
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        source = records[0].get("eventSource") or records[0].get("EventSource")
        return {"aws:sqs": SQS, "aws:sns": SNS, "aws:dynamodb": DYNAMODB}.get(source, "unknown")
    if "detail-type" in event and "detail" in event:
        return EVENTBRIDGE
    return "unknown"


@lambda_handler_decorator
def only(handler, event: Any, context: Any, kinds: tuple[str, ...] = ()) -> Any:
    """Run ``handler`` only for events of ``kinds``; log one line and refuse anything else.

    Use as ``@only(kinds=(SQS,))`` (powertools middleware take keyword arguments)."""
    kind = kind_of(event)
    if kind not in kinds:
        logger.error(
            "event of the wrong kind for this function: refused", expected=list(kinds), got=kind
        )
        return {"status": "refused", "reason": f"expected a {'/'.join(kinds)} event, got {kind}"}
    return handler(event, context)
