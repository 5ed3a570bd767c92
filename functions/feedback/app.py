"""feedback: SES bounce/complaint notifications (SNS) and the hourly SMS opt-out sync → suppression."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent

from herald import feedback
from herald.errors import BadEvent
from herald.observability import logger, metrics
from herald.settings import settings

settings().require("customers_table", "suppression_table")


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context) -> dict:
    if event.get("detail-type") == "Scheduled Event":
        added = feedback.sync_sms_opt_outs()
        logger.info("sms opt-outs synced", added=added)
        metrics.add_metric(name="SmsOptOutsAdded", unit=MetricUnit.Count, value=added)
        return {"sms_opt_outs_added": added}
    if not isinstance(event.get("Records"), list):
        logger.warning("not an SNS or scheduled event: ignored")
        return {"suppressed": 0, "rejected": 1}
    suppressed = rejected = 0
    for record in SNSEvent(event).records:
        try:
            suppressed += len(feedback.handle_ses_notification(record.sns.message))
        except BadEvent as exc:
            # Retrying can't fix it: log and go on (a throttled DynamoDB write still raises,
            # and Lambda retries the whole notification; suppress() is idempotent).
            logger.warning("notification ignored", reason=exc.message, sns_id=record.sns.message_id)
            rejected += 1
    metrics.add_metric(name="AddressesSuppressed", unit=MetricUnit.Count, value=suppressed)
    return {"suppressed": suppressed, "rejected": rejected}
