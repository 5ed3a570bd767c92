"""Customer feedback: free text from a channel (email, chat, survey, call, review), enriched
with language, sentiment and key phrases, redacted of personal data, sorted into topics.

Pure logic here: the request's shape, truncation to Comprehend's size limit at a sentence
boundary, redaction of the entities found (and a pattern fallback for when Comprehend is
unavailable, so raw text is never stored), the week a feedback counts in.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from herald.domain.document import ValidationError, check_json_fields

MAX_TEXT = 20_000  # characters accepted
COMPREHEND_MAX_BYTES = 5_000  # DetectSentiment's limit, UTF-8 bytes (the smallest of the four)
SNIPPET = 160


class FeedbackChannel(StrEnum):
    EMAIL = "email"
    CHAT = "chat"
    SURVEY = "survey"
    CALL = "call"
    REVIEW = "review"


class Sentiment(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    MIXED = "mixed"
    UNKNOWN = "unknown"  # Comprehend failed or was throttled: a retry re-enriches later


@dataclass(frozen=True, slots=True)
class Feedback:
    feedback_id: str
    customer_id: str
    channel: FeedbackChannel
    text: str  # as received: never stored, never logged
    rating: float | None = None
    ref: str | None = None
    submitted_at: str | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    """What Comprehend found (on the truncated text)."""

    language: str
    sentiment: Sentiment
    scores: dict[str, float] = field(default_factory=dict)
    key_phrases: tuple[str, ...] = ()
    pii: tuple[tuple[int, int, str], ...] = ()  # (begin, end, type) offsets in the text


def feedback_id_for(customer_id: str, ref: str | None) -> str:
    """Stable for a (customer, ref) pair, so a resubmission is recognised; random without ref."""
    if ref:
        return hashlib.sha256(f"{customer_id}\x00{ref}".encode()).hexdigest()[:32]
    return uuid.uuid4().hex


def parse_feedback(body: Any, submitted_at: str) -> Feedback:
    """``{customer_id, channel, text, rating?, ref?}``; raise naming the field."""
    if not isinstance(body, dict):
        raise ValidationError("the feedback must be a JSON object", field="body")
    extra = sorted(set(body) - {"customer_id", "channel", "text", "rating", "ref", "event_id"})
    if extra:
        raise ValidationError(f"unknown field {extra[0]}", field=extra[0])
    check_json_fields(body)
    customer_id = body.get("customer_id")
    if not isinstance(customer_id, str) or not 1 <= len(customer_id) <= 128:
        raise ValidationError("customer_id must be a 1-128 character string", field="customer_id")
    channel = body.get("channel")
    if channel not in tuple(FeedbackChannel):
        raise ValidationError(
            "channel must be email, chat, survey, call or review", field="channel"
        )
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise ValidationError(f"text must be 1-{MAX_TEXT} characters", field="text")
    rating = body.get("rating")
    if rating is not None and (
        isinstance(rating, bool) or not isinstance(rating, int | float) or not 0 <= rating <= 10
    ):
        raise ValidationError("rating must be a number 0-10", field="rating")
    ref = body.get("ref") or body.get("event_id")
    if ref is not None and (not isinstance(ref, str) or not 1 <= len(ref) <= 128):
        raise ValidationError("ref must be a 1-128 character string", field="ref")
    return Feedback(
        feedback_id_for(customer_id, ref),
        customer_id,
        FeedbackChannel(channel),
        text,
        float(rating) if rating is not None else None,
        ref,
        submitted_at,
    )


_SENTENCE_END = re.compile(r"[.!?…。！？]+[\"')\]]*\s+")


def truncate(text: str, max_bytes: int = COMPREHEND_MAX_BYTES) -> tuple[str, bool]:
    """``text`` cut to at most ``max_bytes`` UTF-8 bytes at the last sentence boundary that
    fits (at a word boundary when no sentence ends in time); whether it was cut."""
    if len(text.encode()) <= max_bytes:
        return text, False
    head = text.encode()[:max_bytes].decode(errors="ignore")
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends:
        return head[: ends[-1]].rstrip(), True
    cut = head.rsplit(" ", 1)[0] if " " in head else head
    return cut.rstrip(), True


def redact(text: str, entities: tuple[tuple[int, int, str], ...]) -> str:
    """``text`` with each entity (begin, end, type) replaced by ``[TYPE]``."""
    out, last = [], 0
    for begin, end, kind in sorted(entities):
        if begin < last:
            continue  # overlapping entity: the first one covers it
        out.append(text[last:begin])
        out.append(f"[{kind}]")
        last = end
    out.append(text[last:])
    return "".join(out)


# What a fallback redaction catches when Comprehend is unavailable (the retry, with Comprehend,
# catches the rest: names, addresses).
_FALLBACK = (
    ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("CREDIT_DEBIT_NUMBER", re.compile(r"\b(?:\d[ -]?){13,19}\b")),
    ("PHONE", re.compile(r"(?:\+\d{1,3}[ .-]?)?(?:\(?\d{2,4}\)?[ .-]?){2,4}\d{2,4}")),
)


def fallback_entities(text: str) -> tuple[tuple[int, int, str], ...]:
    """Emails, card numbers and phone numbers found by pattern."""
    found: list[tuple[int, int, str]] = []
    for kind, pattern in _FALLBACK:
        for m in pattern.finditer(text):
            if sum(c.isdigit() for c in m.group()) >= 7 or kind == "EMAIL":
                found.append((m.start(), m.end(), kind))
    return tuple(found)


def snippet(text: str, limit: int = SNIPPET) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def week_of(when: datetime) -> str:
    """The ISO week a feedback counts in: ``2026-W48``."""
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"
