"""Amazon Comprehend: language, personal data, sentiment and key phrases of feedback text.

The raw text goes to Comprehend only; what comes back is offsets and labels. PII detection
(``DetectPiiEntities``) supports English and Spanish; for other languages the caller's
pattern fallback redacts what it can. Any failure (throttling after botocore's retries, an
unsupported language, an outage) raises :class:`ComprehendUnavailable`: the caller publishes
the feedback with ``sentiment: unknown`` and retries the enrichment later.
"""

from __future__ import annotations

from typing import Protocol

from botocore.exceptions import BotoCoreError, ClientError

from herald.aws.clients import client
from herald.domain.feedback import Analysis, Sentiment
from herald.errors import RetryableError

PII_LANGUAGES = frozenset({"en", "es"})
SENTIMENT_LANGUAGES = frozenset(
    {"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"}
)


class ComprehendUnavailable(RetryableError):
    code = "comprehend_unavailable"


class Analyser(Protocol):
    def __call__(self, text: str) -> Analysis: ...


def analyse(text: str) -> Analysis:
    """Language, PII entities (offsets in ``text``), sentiment and key phrases (four calls)."""
    comprehend = client("comprehend")
    try:
        languages = comprehend.detect_dominant_language(Text=text).get("Languages") or []
        language = (
            max(languages, key=lambda lang: lang["Score"])["LanguageCode"] if languages else "en"
        )
        pii: tuple[tuple[int, int, str], ...] = ()
        if language in PII_LANGUAGES:
            entities = comprehend.detect_pii_entities(Text=text, LanguageCode=language)
            pii = tuple(
                (int(e["BeginOffset"]), int(e["EndOffset"]), str(e["Type"]))
                for e in entities.get("Entities") or ()
            )
        code = language if language in SENTIMENT_LANGUAGES else "en"
        found = comprehend.detect_sentiment(Text=text, LanguageCode=code)
        phrases = comprehend.detect_key_phrases(Text=text, LanguageCode=code)
    except (ClientError, BotoCoreError) as exc:
        raise ComprehendUnavailable(f"Comprehend failed: {type(exc).__name__}") from exc
    scores = {k.lower(): round(float(v), 4) for k, v in (found.get("SentimentScore") or {}).items()}
    return Analysis(
        language,
        Sentiment(str(found.get("Sentiment", "unknown")).lower()),
        scores,
        # a key phrase that overlaps personal data ("Mr Smith") is dropped: it would be stored
        tuple(
            p["Text"]
            for p in phrases.get("KeyPhrases") or ()
            if not any(
                b < int(p.get("EndOffset", 0)) and int(p.get("BeginOffset", 0)) < e
                for b, e, _ in pii
            )
        ),
        pii,
    )
