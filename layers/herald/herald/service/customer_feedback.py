"""Customer feedback: ``POST /feedback`` and ``feedback.submitted`` events → enriched, redacted,
sorted into topics, stored, and published as ``feedback.received`` for rules to act on.

Order matters: the text is cut to Comprehend's limit (at a sentence boundary, marked), sent to
Comprehend, and redacted with the PII entities it found *before* anything is stored or
published. When Comprehend fails or is throttled, a pattern fallback redacts emails, card and
phone numbers, the feedback goes out with ``sentiment: unknown``, and its id goes on the retry
queue: the retry enriches the stored (redacted) text and publishes ``feedback.received`` again
with ``re_enriched: true``. Nothing is lost; the raw text is never stored or logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from herald import expressions
from herald.aws import bus, comprehend, queues
from herald.dal import customers
from herald.dal import feedback as feedback_data
from herald.domain import feedback as fb
from herald.domain.clock import iso, parse_time, utcnow
from herald.domain.customer import unknown_customer
from herald.domain.document import ValidationError
from herald.domain.feedback import Analysis, Feedback, Sentiment
from herald.domain.taxonomy import Taxonomy, Topic, Words, parse_taxonomy, words
from herald.errors import HeraldError
from herald.expressions import Condition
from herald.runtime import register_cache
from herald.settings import settings

SOURCE = "herald.feedback"
RECEIVED = "feedback.received"
REFRESH_SECONDS = 30.0
MAX_WEEKS = 26


@dataclass(frozen=True, slots=True)
class CompiledTopic:
    taxonomy_id: str
    topic: Topic
    condition: Condition | None


def compile_taxonomy(taxonomy: Taxonomy) -> list[CompiledTopic]:
    """Compile each topic's condition; raise naming the field."""
    out = []
    for i, topic in enumerate(taxonomy.topics):
        condition = None
        if topic.when:
            try:
                condition = expressions.compile_condition(topic.when)
            except ValidationError as exc:
                raise ValidationError(
                    f"topics[{i}].when: {exc.message}", field=f"topics[{i}].when"
                ) from exc
        out.append(CompiledTopic(taxonomy.id, topic, condition))
    return out


def check(doc: dict) -> Taxonomy:
    """Shape and meaning of a taxonomy document (the admin API's save check)."""
    taxonomy = parse_taxonomy(doc)
    compile_taxonomy(taxonomy)
    return taxonomy


class _Topics(list):
    loaded_at: float = -1e9

    def clear(self) -> None:
        super().clear()
        self.loaded_at = -1e9


_topics = register_cache(_Topics())


def install(taxonomies: list[Taxonomy]) -> None:
    """Replace the cached topics (a reload, or a bench/test with taxonomies of its own)."""
    _topics.clear()
    for taxonomy in taxonomies:
        _topics.extend(compile_taxonomy(taxonomy))
    _topics.loaded_at = time.monotonic()


def live_topics() -> list[CompiledTopic]:
    if time.monotonic() - _topics.loaded_at > REFRESH_SECONDS:
        from herald.dal.versions import taxonomies  # noqa: PLC0415

        found = []
        for version in taxonomies.live():
            try:
                found.append(check({**version.doc}))
            except ValidationError:
                continue
        install(found)
    return list(_topics)


def match_topics(
    text: str, key_phrases: tuple[str, ...], context: dict, topics: list[CompiledTopic]
) -> list[dict]:
    """The topics the feedback is about: each with the terms that matched."""
    prepared = Words.of(words(text) + [w for p in key_phrases for w in words(p)])
    found = []
    for compiled in topics:
        terms = compiled.topic.matches(prepared)
        if not terms:
            continue
        if compiled.condition is not None:
            try:
                if compiled.condition.evaluate(context) is not True:
                    continue
            except HeraldError:
                continue  # a condition that fails on this customer's data does not match
        found.append({"id": compiled.topic.id, "name": compiled.topic.name, "matched": terms})
    return found


def _needs_customer(topics: list[CompiledTopic]) -> bool:
    return any(t.condition is not None for t in topics)


def process(feedback: Feedback, analyse: Callable[[str], Analysis] | None = None) -> dict:
    """Enrich, redact, match, store, count and publish one feedback; the published detail."""
    analyse = analyse or comprehend.analyse
    text, truncated = fb.truncate(feedback.text)
    try:
        analysis: Analysis | None = analyse(text)
    except comprehend.ComprehendUnavailable:
        analysis = None
    if analysis is not None:
        redacted = fb.redact(text, analysis.pii)
    else:  # never store raw text: redact by pattern now, enrich (and redact again) later
        redacted = fb.redact(text, fb.fallback_entities(text))
    topics = live_topics()
    detail = _enriched(feedback, redacted, truncated, analysis, topics)
    stored = feedback_data.put_record(feedback.feedback_id, {**detail, "text": redacted})
    if not stored:
        return {**(feedback_data.get_record(feedback.feedback_id) or detail), "duplicate": True}
    week = fb.week_of(parse_time(feedback.submitted_at, "submitted_at"))
    ids = list(detail["topics"])
    feedback_data.count_topics(week, ids, 1, int(detail["sentiment"] == Sentiment.NEGATIVE))
    for topic in ids:
        feedback_data.put_snippet(
            week,
            topic,
            detail["submitted_at"],
            feedback.feedback_id,
            fb.snippet(redacted),
            detail["sentiment"],
        )
    if analysis is None and settings().feedback_retry_queue_url:
        queues.put_json(settings().feedback_retry_queue_url, {"feedback_id": feedback.feedback_id})
    bus.put_event(SOURCE, RECEIVED, detail)
    return detail


def _enriched(
    feedback: Feedback,
    redacted: str,
    truncated: bool,
    analysis: Analysis | None,
    topics: list[CompiledTopic],
    event_suffix: str = "",
) -> dict:
    sentiment = analysis.sentiment if analysis else Sentiment.UNKNOWN
    event = {
        "channel": str(feedback.channel),
        "rating": feedback.rating,
        "sentiment": str(sentiment),
        "language": analysis.language if analysis else None,
    }
    customer_doc: dict = {}
    if _needs_customer(topics):
        state = customers.get(feedback.customer_id)
        customer_doc = state.context if state else unknown_customer(feedback.customer_id).to_doc()
    context = {"event": event, "customer": customer_doc, "now": iso(utcnow())}
    matched = match_topics(redacted, analysis.key_phrases if analysis else (), context, topics)
    return {
        "customer_id": feedback.customer_id,
        "event_id": f"feedback-{feedback.feedback_id}{event_suffix}",
        "feedback_id": feedback.feedback_id,
        "channel": str(feedback.channel),
        "rating": feedback.rating,
        "sentiment": str(sentiment),
        "scores": analysis.scores if analysis else {},
        "language": analysis.language if analysis else "unknown",
        "topics": [t["id"] for t in matched],
        "topic_matches": matched,
        "key_phrases": list(analysis.key_phrases) if analysis else [],
        "truncated": truncated,
        "enriched": analysis is not None,
        "submitted_at": feedback.submitted_at,
        **({"ref": feedback.ref} if feedback.ref else {}),
    }


def submit(body: Any, analyse: Callable[[str], Analysis] | None = None) -> dict:
    """``POST /feedback``."""
    feedback = fb.parse_feedback(body, iso(utcnow()))
    detail = process(feedback, analyse)
    return {k: v for k, v in detail.items() if k not in ("text", "topic_matches")}


def on_event(event: dict, analyse: Callable[[str], Analysis] | None = None) -> dict:
    """A ``feedback.submitted`` event from the bus (its detail is the POST body)."""
    detail = dict(event.get("detail") or {})
    feedback = fb.parse_feedback(
        {**detail, "ref": detail.get("ref") or detail.get("event_id") or event.get("id")},
        detail.get("occurred_at") or event.get("time") or iso(utcnow()),
    )
    return process(feedback, analyse)


def retry(feedback_id: str, analyse: Callable[[str], Analysis] | None = None) -> dict | None:
    """Enrich a feedback stored while Comprehend was unavailable; raises
    :class:`ComprehendUnavailable` again if it still is (the queue retries)."""
    record = feedback_data.get_record(feedback_id)
    if record is None or record.get("enriched"):
        return None  # expired, or enriched already (a repeated retry)
    analysis = (analyse or comprehend.analyse)(record["text"])
    redacted = fb.redact(record["text"], analysis.pii)
    feedback = Feedback(
        feedback_id,
        record["customer_id"],
        fb.FeedbackChannel(record["channel"]),
        redacted,
        record.get("rating"),
        record.get("ref"),
        record["submitted_at"],
    )
    detail = _enriched(
        feedback, redacted, record.get("truncated", False), analysis, live_topics(), "-r"
    )
    detail["re_enriched"] = True
    feedback_data.put_record(feedback_id, {**detail, "text": redacted}, replace=True)
    if detail["sentiment"] == Sentiment.NEGATIVE:
        week = fb.week_of(parse_time(record["submitted_at"], "submitted_at"))
        feedback_data.count_topics(week, detail["topics"], 0, 1)
    bus.put_event(SOURCE, RECEIVED, detail)
    return detail


def _weeks(first: datetime, last: datetime) -> list[str]:
    weeks, day = [], first
    while day <= last and len(weeks) < MAX_WEEKS:
        week = fb.week_of(day)
        if week not in weeks:
            weeks.append(week)
        day += timedelta(days=7 if weeks else 1)
    if fb.week_of(last) not in weeks and len(weeks) < MAX_WEEKS:
        weeks.append(fb.week_of(last))
    return weeks


def topics_report(first: str | None, last: str | None) -> dict:
    """``GET /admin/feedback/topics?from=&to=``: per topic per week, count, negative share and
    redacted snippets."""
    end = parse_time(last, "to") if last else utcnow()
    start = parse_time(first, "from") if first else end - timedelta(weeks=4)
    if start > end:
        raise ValidationError("from must be before to", field="from")
    weeks = _weeks(start, end)
    figures = feedback_data.topic_figures(weeks[0], weeks[-1])
    rows = []
    for bucket, values in sorted(figures.items()):
        week, _, topic = bucket.partition("#")
        if week not in weeks:
            continue
        count = values.get("count", 0)
        rows.append(
            {
                "week": week,
                "topic": topic,
                "count": count,
                "negative": values.get("negative", 0),
                "negative_share": round(values.get("negative", 0) / count, 4) if count else None,
                "snippets": feedback_data.snippets(week, topic),
            }
        )
    return {"from": iso(start), "to": iso(end), "weeks": weeks, "topics": rows}
