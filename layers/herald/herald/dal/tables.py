"""pynamodb models of Herald's DynamoDB tables (shapes declared in template.yaml).

Table names come from the environment at first use (``bind``), so the same code serves Lambda,
the local runner and tests. Private to ``herald.dal``.
"""

from __future__ import annotations

import pynamodb.connection.base
from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from herald.aws.clients import session
from herald.domain.version import VersionedKind
from herald.settings import Settings, settings

# pynamodb gives every table's connection a botocore session of its own, and each one parses the
# DynamoDB model files again (~70 ms a table on a cold start): share the thread's session.
pynamodb.connection.base.get_session = session

HEAD = 0  # version number of the head item that points at the latest and the live version


class _Base(Model):
    class Meta:
        table_name = "unbound"
        max_retry_attempts = 5
        base_backoff_ms = 20


class LiveIndex(GlobalSecondaryIndex):
    """Sparse index: only a live (published) version carries ``live``."""

    class Meta:
        index_name = "live"
        projection = AllProjection()

    live = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)


class _Versioned(_Base):
    """One item per version (``version`` >= 1) plus a head item (``version`` = 0)."""

    id = UnicodeAttribute(hash_key=True)
    version = NumberAttribute(range_key=True)
    # version items
    doc = JSONAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    live = UnicodeAttribute(null=True)
    went_live_at = UnicodeAttribute(null=True)  # first time this version went live
    live_index = LiveIndex()
    # head item
    latest_version = NumberAttribute(null=True)
    published_version = NumberAttribute(null=True)
    state = UnicodeAttribute(null=True)  # herald.domain.version.State
    pause = JSONAttribute(null=True)  # {reason, at, by} while paused (a guardrail says why)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)
    submitted = JSONAttribute(null=True)  # {version, by, at}: waiting for an approver
    lock = VersionAttribute(null=True)


class RuleItem(_Versioned):
    class Meta(_Base.Meta):
        pass


class ContentItem(_Versioned):
    class Meta(_Base.Meta):
        pass


class OfferItem(_Versioned):
    class Meta(_Base.Meta):
        pass


class TaxonomyItem(_Versioned):
    class Meta(_Base.Meta):
        pass


class ProfileSchemaItem(_Versioned):
    class Meta(_Base.Meta):
        pass


class SegmentItem(_Versioned):
    class Meta(_Base.Meta):
        pass


# Each kind of versioned document and its table (a new kind: a model above, a line here, a
# binding below and a table in template.yaml).
VERSIONED_MODELS: dict[VersionedKind, type[_Versioned]] = {
    VersionedKind.RULE: RuleItem,
    VersionedKind.CONTENT: ContentItem,
    VersionedKind.OFFER: OfferItem,
    VersionedKind.TAXONOMY: TaxonomyItem,
    VersionedKind.PROFILE: ProfileSchemaItem,
    VersionedKind.SEGMENT: SegmentItem,
}


class EmailIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_email"
        projection = KeysOnlyProjection()

    email = UnicodeAttribute(hash_key=True)


class PhoneIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_phone"
        projection = KeysOnlyProjection()

    phone = UnicodeAttribute(hash_key=True)


class CustomerItem(_Base):
    class Meta(_Base.Meta):
        pass

    customer_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    doc = JSONAttribute(null=True)  # the profile (herald.domain.customer.Customer.to_doc)
    suppressed = JSONAttribute(null=True)  # {channel: reason}
    contact_log = JSONAttribute(null=True)  # [[channel, iso time], ...] of marketing messages
    exposures = JSONAttribute(null=True)  # {rule id: [exposure row, ...]} (herald.domain.goal)
    activity = JSONAttribute(null=True)  # day buckets of the aggregates (herald.domain.profile)
    aggregates = JSONAttribute(null=True)  # their values at the last event (timeline, display)
    segments = JSONAttribute(null=True)  # [segment id, ...] the customer is a member of
    rev = NumberAttribute(null=True)  # bumped by every write: optimistic lock
    updated_at = UnicodeAttribute(null=True)
    by_email = EmailIndex()
    by_phone = PhoneIndex()


class CustomerTimeIndex(GlobalSecondaryIndex):
    """Keys only: the entry is written once, when the item is created (see template.yaml)."""

    class Meta:
        index_name = "by_customer"
        projection = KeysOnlyProjection()

    customer_id = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)


class RecordItem(_Base):
    """Messages (``msg#<id>``) and decision traces (``trace#<event id>``) share a table."""

    class Meta(_Base.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # message | trace
    # The customer index's keys; a trace of a decision with messages has neither (not indexed)
    customer_id = UnicodeAttribute(null=True)
    at = UnicodeAttribute(null=True)  # created time + id, the timeline's sort key
    doc = JSONAttribute()
    status = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    outcomes = UnicodeSetAttribute(null=True)  # outcome kinds reported (herald.dal.outcomes)
    by_customer = CustomerTimeIndex()


class SettingItem(_Base):
    class Meta(_Base.Meta):
        pass

    name = UnicodeAttribute(hash_key=True)  # "policy" | "ruleset"
    doc = JSONAttribute(null=True)
    revision = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)
    lock = VersionAttribute(null=True)


class AuditItem(_Base):
    class Meta(_Base.Meta):
        pass

    entity_key = UnicodeAttribute(hash_key=True)  # "rule#<id>", "content#<id>", "policy#policy"
    at = UnicodeAttribute(range_key=True)  # iso time + "#" + random suffix
    doc = JSONAttribute()


class SuppressionItem(_Base):
    class Meta(_Base.Meta):
        pass

    address = UnicodeAttribute(hash_key=True)  # lower-cased email, E.164 phone, endpoint ARN
    channel = UnicodeAttribute()
    reason = UnicodeAttribute()
    at = UnicodeAttribute()


class CatalogueItem(_Base):
    """The event catalogue: ``kind`` "event" (one item per event name) or "profile"."""

    class Meta(_Base.Meta):
        pass

    kind = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)
    seen = NumberAttribute(null=True)  # how many were seen (ADDed by each container's summary)
    fields = UnicodeSetAttribute(null=True)  # dotted field paths (ADDed, capped in size)
    first_seen = UnicodeAttribute(null=True)
    last_seen = UnicodeAttribute(null=True)


class CounterItem(_Base):
    """Sharded counters (:mod:`herald.dal.counters`): ``pk`` the scope, ``sk`` bucket#shard;
    the figures are number attributes named by each feature (not declared here)."""

    class Meta(_Base.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


_BINDINGS = {
    RuleItem: "rules_table",
    ContentItem: "contents_table",
    CustomerItem: "customers_table",
    RecordItem: "messages_table",
    SettingItem: "settings_table",
    AuditItem: "audit_table",
    SuppressionItem: "suppression_table",
    CatalogueItem: "catalogue_table",
    CounterItem: "counters_table",
    OfferItem: "offers_table",
    TaxonomyItem: "taxonomies_table",
    ProfileSchemaItem: "profiles_table",
    SegmentItem: "segments_table",
}
_bound: list = [None]


def bind(config: Settings | None = None) -> None:
    """Point every model at the tables named in ``config`` (default: the environment)."""
    config = config or settings()
    if _bound[0] is config:
        return
    for model, attr in _BINDINGS.items():
        model.Meta.table_name = getattr(config, attr) or f"unset-{attr}"
        model.Meta.region = config.region
        model._connection = None  # pynamodb caches a connection bound to the old name
    _connection[0] = None
    _bound[0] = config


_connection: list = [None]


def connection():
    """The pynamodb Connection transactions go through (created once per binding)."""
    if _connection[0] is None:
        from pynamodb.connection import Connection  # noqa: PLC0415

        _connection[0] = Connection(region=settings().region, max_retry_attempts=5)
    return _connection[0]


def conditional_failure(exc: Exception) -> bool:
    """Whether a pynamodb write failed on its condition (not on throttling or a 5xx)."""
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def cancellation_codes(exc: Exception) -> list[str | None]:
    """The per-item reasons a transaction was cancelled (``ConditionalCheckFailed``, …)."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return [getattr(r, "code", None) if r else None for r in reasons]
