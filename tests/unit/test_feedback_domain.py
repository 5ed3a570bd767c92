"""Feedback, pure logic: taxonomy matching on real sentences, truncation at a sentence
boundary, redaction."""

from __future__ import annotations

import pytest

from herald.domain import feedback as fb
from herald.domain.document import ValidationError
from herald.domain.taxonomy import parse_taxonomy
from herald.service import customer_feedback
from herald_dev import rulesfiles
from tests.conftest import REPO


@pytest.fixture(scope="module")
def topics():
    doc = rulesfiles._read_file(REPO / "rules" / "taxonomies" / "customer-topics.yaml")
    return customer_feedback.compile_taxonomy(parse_taxonomy(doc))


def _topics(text, topics, tier="silver", phrases=()):
    context = {"event": {}, "customer": {"attributes": {"tier": tier}}, "now": "x"}
    return [t["id"] for t in customer_feedback.match_topics(text, phrases, context, topics)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("My parcel never arrived and the courier didn't even ring.", ["delivery"]),
        ("The package was delivered to the wrong address, again.", ["delivery"]),
        ("I was charged twice for the same order and want my money back.", ["billing"]),
        ("The kettle stopped working after two days, really poor quality.", ["product-quality"]),
        ("Your agent on the phone was rude and kept me on hold for an hour.", ["staff"]),
        ("Lovely jumper, fits perfectly. Thank you!", []),
        ("The shipping was late and the box arrived damaged.", ["delivery", "product-quality"]),
    ],
)
def test_real_sentences_map_to_the_expected_topics(topics, sentence, expected):
    assert _topics(sentence, topics) == expected


def test_a_topic_condition_must_hold_too(topics):
    # Given a customer writing that they will cancel their membership
    text = "If this happens again I will cancel my membership."
    # Then it is a churn risk for a gold customer only
    assert "vip-churn-risk" in _topics(text, topics, tier="gold")
    assert "vip-churn-risk" not in _topics(text, topics, tier="bronze")


def test_key_phrases_count_as_text(topics):
    assert _topics("Not happy.", topics, phrases=("the late delivery",)) == ["delivery"]


def test_a_keyword_matches_whole_words_only(topics):
    # "billboard" is no bill; "parcels" is a parcel
    assert _topics("I saw your billboard downtown.", topics) == []
    assert "delivery" in _topics("Both parcels came torn", topics)


def test_truncation_cuts_at_the_last_sentence_that_fits_and_says_so():
    text = "First sentence here. " * 300  # ~6,300 bytes
    cut, truncated = fb.truncate(text)
    assert truncated and len(cut.encode()) <= fb.COMPREHEND_MAX_BYTES
    assert cut.endswith("here.")
    short, truncated = fb.truncate("Short and sweet.")
    assert (short, truncated) == ("Short and sweet.", False)
    # multi-byte text is cut on characters, never inside one
    cut, _ = fb.truncate("é" * 4000)
    assert len(cut.encode()) <= fb.COMPREHEND_MAX_BYTES and set(cut) == {"é"}


def test_redaction_replaces_entities_and_the_fallback_finds_emails_and_numbers():
    text = "I am Ann Lee, write to ann.lee@example.com or call +44 20 7946 0958."
    begin = text.index("Ann Lee")
    assert fb.redact(text, ((begin, begin + 7, "NAME"),)).startswith("I am [NAME], write")
    fallback = fb.redact(text, fb.fallback_entities(text))
    assert "ann.lee@example.com" not in fallback and "7946" not in fallback
    assert "[EMAIL]" in fallback and "[PHONE]" in fallback


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer_id": "c-1", "channel": "fax", "text": "hi"}, "channel"),
        ({"customer_id": "c-1", "channel": "chat", "text": " "}, "text"),
        ({"customer_id": "c-1", "channel": "chat", "text": "hi", "rating": 11}, "rating"),
        ({"channel": "chat", "text": "hi"}, "customer_id"),
    ],
)
def test_feedback_requests_are_checked(body, field):
    with pytest.raises(ValidationError) as err:
        fb.parse_feedback(body, "2026-11-24T14:00:00.000Z")
    assert err.value.field == field


def test_the_same_ref_gives_the_same_feedback_id():
    assert fb.feedback_id_for("c-1", "survey-9") == fb.feedback_id_for("c-1", "survey-9")
    assert fb.feedback_id_for("c-1", "survey-9") != fb.feedback_id_for("c-2", "survey-9")
