"""The stored contact policy: one settings item, changed under an optimistic lock, read by
decide (with the ruleset) and by send (``cache``, for its send-time re-check).

A change writes the policy, bumps the ruleset revision (warm decide functions reload within
their refresh interval) and appends the audit entry in one transaction: the policy never
changes without its audit entry, and two approvers editing at once never lose an update.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from herald.dal import audit
from herald.dal.tables import SettingItem, bind, cancellation_codes, connection
from herald.dal.versions import RULESET
from herald.domain import policy
from herald.domain.audit import AuditEntry
from herald.domain.clock import iso, utcnow
from herald.domain.document import ValidationError
from herald.errors import Conflict
from herald.observability import logger
from herald.runtime import register_cache
from herald.settings import settings

POLICY = "policy"


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    doc: dict | None  # None: never edited (the default applies)
    version: int  # the lock's value; 0 before the first change
    updated_at: str | None = None
    updated_by: str | None = None


def get() -> StoredPolicy:
    bind()
    try:
        item = SettingItem.get(POLICY, consistent_read=True)
    except DoesNotExist:
        return StoredPolicy(None, 0)
    return StoredPolicy(item.doc, int(item.lock or 0), item.updated_at, item.updated_by)


def current() -> policy.ContactPolicy:
    """The policy in force: the stored one, or the default until someone edits it."""
    doc = get().doc
    if doc is None:
        return policy.default()
    try:
        return policy.parse_policy(doc)
    except ValidationError as exc:  # validated on PUT; never let a bad item stop sending
        logger.error("stored contact policy is invalid; using the default", error=exc.message)
        return policy.default()


class PolicyCache:
    """The policy alone, re-read at most every ``RULESET_REFRESH_SECONDS`` (the send function's
    view; decide reads it with the ruleset)."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.policy: policy.ContactPolicy | None = None
        self.read_at = 0.0

    def get(self, clock=time.monotonic) -> policy.ContactPolicy:
        now = clock()
        if self.policy is None or now - self.read_at >= settings().ruleset_refresh_seconds:
            self.policy, self.read_at = current(), now
        return self.policy


cache = register_cache(PolicyCache())


def put(
    doc: dict, user: str, expected_version: int | None = None
) -> tuple[StoredPolicy, StoredPolicy]:
    """Store ``doc``; 409 if ``expected_version`` (or a concurrent writer) disagrees."""
    bind()
    try:
        item = SettingItem.get(POLICY, consistent_read=True)
    except DoesNotExist:
        item = SettingItem(POLICY)
    before = StoredPolicy(item.doc, int(item.lock or 0), item.updated_at, item.updated_by)
    if expected_version is not None and expected_version != before.version:
        raise Conflict(
            f"the policy is at version {before.version}, not {expected_version}: "
            "reload and reapply your change",
            field="expected_version",
        )
    now = iso(utcnow())
    item.doc, item.updated_at, item.updated_by = doc, now, user
    entry = AuditEntry("policy", POLICY, "update", user, now, before.version, before.version + 1)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(item)  # conditional on the lock value read above (VersionAttribute)
            tx.update(
                SettingItem(RULESET),
                actions=[SettingItem.revision.add(1), SettingItem.updated_at.set(now)],
                add_version_condition=False,
            )
            tx.save(audit.item(entry))
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in cancellation_codes(exc):
            raise Conflict(
                "the policy changed meanwhile: reload and reapply your change",
                field="expected_version",
            ) from exc
        raise
    return before, StoredPolicy(doc, before.version + 1, now, user)
