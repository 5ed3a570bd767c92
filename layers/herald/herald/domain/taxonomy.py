"""Feedback taxonomies: the topics marketers want free-text feedback sorted into.

A taxonomy is versioned like rules. Each topic lists phrases (matched as whole words, in order:
"never arrived") and keywords (single words, matched with their common inflections: "deliver"
matches "delivered", "delivery", "deliveries"), and may carry a ZEN condition over ``event``
(the feedback: channel, rating, sentiment, language) and ``customer`` that must hold too.
Matching runs on the redacted text and on Comprehend's key phrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from herald.domain.document import ID_PATTERN, ValidationError, document_head

TAXONOMY_FIELDS = frozenset({"id", "name", "topics"})
TOPIC_FIELDS = frozenset({"id", "name", "phrases", "keywords", "when"})
MAX_TOPICS = 100
MAX_TERMS = 200
MAX_TERM = 100
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
# Inflections a keyword may carry (checked longest first): deliver → delivered, delivery, …
_SUFFIXES = ("ies", "ied", "ing", "ery", "ers", "ed", "es", "er", "y", "s")


def words(text: str) -> list[str]:
    """The text's words, lower-cased (apostrophes kept inside words)."""
    return [w.lower() for w in _WORD.findall(text)]


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    name: str
    phrases: tuple[tuple[str, ...], ...] = ()  # each phrase as its words
    keywords: frozenset[str] = frozenset()  # stems
    when: str | None = None
    doc: dict = field(default_factory=dict, compare=False)

    def matches(self, text: Words) -> list[str]:
        """The phrases and keywords of this topic found in ``text`` (empty: no match)."""
        found = sorted(self.keywords & text.stems)
        for phrase in self.phrases:
            if " " + " ".join(phrase) + " " in text.joined:
                found.append(" ".join(phrase))
        return found


@dataclass(frozen=True, slots=True)
class Words:
    """A text prepared for matching once, whatever the number of topics."""

    stems: frozenset[str]  # each word and its stem
    joined: str  # the words, space-separated, with a space at both ends

    @classmethod
    def of(cls, text_words: list[str]) -> Words:
        return cls(
            frozenset(text_words) | {_stem(w) for w in text_words},
            " " + " ".join(text_words) + " ",
        )


@dataclass(frozen=True, slots=True)
class Taxonomy:
    id: str
    name: str
    topics: tuple[Topic, ...]
    version: int = 0

    def to_doc(self) -> dict:
        return {"id": self.id, "name": self.name, "topics": [dict(t.doc) for t in self.topics]}


def _terms(value: Any, field_name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_TERMS:
        raise ValidationError(f"{field_name} must list at most {MAX_TERMS} terms", field=field_name)
    out = []
    for i, term in enumerate(value):
        if not isinstance(term, str) or not words(term) or len(term) > MAX_TERM:
            raise ValidationError(
                f"{field_name}[{i}] must be a word or phrase of at most {MAX_TERM} characters",
                field=f"{field_name}[{i}]",
            )
        out.append(term)
    return out


def parse_taxonomy(doc: Any, version: int = 0) -> Taxonomy:
    """Check a taxonomy's shape (topic conditions are compiled by the service)."""
    taxonomy_id, name = document_head(doc, TAXONOMY_FIELDS, "a taxonomy")
    raw = doc.get("topics")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_TOPICS:
        raise ValidationError(f"topics must list 1-{MAX_TOPICS} topics", field="topics")
    topics, seen = [], set()
    for i, t in enumerate(raw):
        p = f"topics[{i}]"
        if not isinstance(t, dict):
            raise ValidationError(f"{p} must be a mapping", field=p)
        extra = sorted(set(t) - TOPIC_FIELDS)
        if extra:
            raise ValidationError(f"unknown field {p}.{extra[0]}", field=f"{p}.{extra[0]}")
        topic_id = t.get("id")
        if not isinstance(topic_id, str) or not ID_PATTERN.match(topic_id) or topic_id in seen:
            raise ValidationError(f"{p}.id must be a unique [a-z0-9-]{{1,64}}", field=f"{p}.id")
        seen.add(topic_id)
        phrases = _terms(t.get("phrases"), f"{p}.phrases")
        keywords = _terms(t.get("keywords"), f"{p}.keywords")
        if not phrases and not keywords:
            raise ValidationError(f"{p} needs phrases or keywords", field=p)
        when = t.get("when")
        if when is not None and (not isinstance(when, str) or not when.strip()):
            raise ValidationError(f"{p}.when must be a ZEN condition", field=f"{p}.when")
        normal = {"id": topic_id, "name": t.get("name") or topic_id}
        if phrases:
            normal["phrases"] = phrases
        if keywords:
            normal["keywords"] = keywords
        if when:
            normal["when"] = when
        topics.append(
            Topic(
                topic_id,
                str(normal["name"]),
                tuple(tuple(words(ph)) for ph in phrases),
                frozenset(_stem(w) for k in keywords for w in words(k)),
                when,
                normal,
            )
        )
    return Taxonomy(taxonomy_id, name, tuple(topics), version)
