"""feedback: SES bounce/complaint notifications (SNS) and the hourly SMS opt-out sync → suppression."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import SNSEvent

from herald.event_sources import EVENTBRIDGE, SNS, only
from herald.observability import logger, metrics
from herald.service import feedback
from herald.settings import settings

settings().require("customers_table", "suppression_table")


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@only(kinds=(SNS, EVENTBRIDGE))
def lambda_handler(event: dict, context) -> dict:
    if event.get("detail-type") == "Scheduled Event":
        return feedback.on_schedule()
    return feedback.on_sns(SNSEvent(event))
