"""customer_feedback: POST /feedback (API Gateway REST, IAM auth), feedback.submitted events on
the bus, and the retry queue's records (feedback to enrich again) → Comprehend, redaction,
topics, feedback.received on the bus."""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)

from herald.admin import api
from herald.event_sources import API, EVENTBRIDGE, SQS, kind_of, only
from herald.observability import logger, metrics
from herald.service import customer_feedback
from herald.settings import settings

settings().require("taxonomies_table", "messages_table", "counters_table", "event_bus_name")

app = APIGatewayRestResolver()
api.register_errors(app)
processor = BatchProcessor(event_type=EventType.SQS)


@app.post("/feedback")
def post_feedback() -> dict:
    return customer_feedback.submit(api.json_body(app))


_api = api.lambda_handler(app, requests_metric="FeedbackRequests")


def _retry(record) -> None:
    customer_feedback.retry(json.loads(record.body)["feedback_id"])


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@only(kinds=(EVENTBRIDGE, SQS))
def _events(event: dict, context) -> dict:
    if kind_of(event) == SQS:
        return process_partial_response(
            event=event, record_handler=_retry, processor=processor, context=context
        )
    customer_feedback.on_event(event)
    return {"status": "done"}


def lambda_handler(event: dict, context) -> dict:
    return _api(event, context) if kind_of(event) == API else _events(event, context)
