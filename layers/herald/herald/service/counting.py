"""The messages table's stream → counters, then the guardrail.

Every change of a message item is a stream record with the item before and after. What it
counts follows from the two (:func:`herald.domain.outcome.figures_of_change`): created in an
exposed status → ``exposed``; moved to ``sent``/``failed`` → that figure; an outcome kind new to
its set → that kind's figure. A batch is applied exactly once per record
(:mod:`herald.dal.counting`). Writers therefore make plain conditional writes of the message
(one write unit each, no transaction) and counting costs a few writes per batch, whatever the
batch's size. Counters trail the messages by the stream's batching window (seconds).

After counting, a rule whose messages drew a hard bounce or a complaint in the batch is measured
by the guardrail (once per rule version per batch, also on a retried batch: pausing is
idempotent).
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from herald.dal import counting, outcomes, records
from herald.domain.message import EXPOSED
from herald.domain.outcome import MessageRef, figures_of_change, ref_of
from herald.observability import logger, metrics
from herald.service import guardrail

BAD_NEWS = frozenset({"bounced", "complained"})


def _counted(record: dict) -> tuple[counting.Counted, MessageRef, list[str]] | None:
    """What one stream record counts (None: a trace, or a message removed by its TTL)."""
    change = record.get("dynamodb") or {}
    new = records.from_image(change.get("NewImage"))
    if new is None:
        return None
    old = records.from_image(change.get("OldImage"))
    ref = ref_of(new)
    figures = figures_of_change(
        old.status if old else None,
        new.status,
        old.outcomes if old else frozenset(),
        new.outcomes,
        exposed=EXPOSED,
    )
    entry = counting.Counted(
        str(record.get("eventID", "")),
        int(change.get("SequenceNumber") or 0),
        outcomes.change_increments(ref, figures),
    )
    return entry, ref, figures


def on_stream(event: dict) -> dict:
    """One batch of the messages table's stream (the counting function's one call)."""
    found = [c for r in event.get("Records") or () if (c := _counted(r)) is not None]
    applied = counting.apply([entry for entry, _, _ in found])
    bad = {
        (ref.rule_id, ref.rule_version): ref
        for _, ref, figures in found
        if BAD_NEWS.intersection(figures)
    }
    paused = [rule for rule in bad.values() if guardrail.after_bad_outcome(rule)]
    metrics.add_metric(name="ChangesCounted", unit=MetricUnit.Count, value=applied.records)
    if applied.skipped:
        metrics.add_metric(
            name="ChangesCountedBefore", unit=MetricUnit.Count, value=applied.skipped
        )
    logger.info(
        "counted",
        records=len(event.get("Records") or ()),
        counted=applied.records,
        skipped=applied.skipped,
        transactions=applied.transactions,
        paused=[r.rule_id for r in paused],
    )
    return {
        "counted": applied.records,
        "skipped": applied.skipped,
        "transactions": applied.transactions,
        "paused": sorted(r.rule_id for r in paused),
    }
