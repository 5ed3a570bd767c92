"""The audit trail: who changed which rule, content or policy, when, from which version to which.

One item per change, keyed by entity (``rule#<id>``, ``content#<id>``, ``policy#policy``) and
time, so an entity's history is one query, newest first. The unfiltered listing scans: the
trail grows by human actions (a few hundred a day at most), and admins read it rarely.
"""

from __future__ import annotations

import secrets

from herald.dal.tables import AuditItem, bind
from herald.domain.audit import AuditEntry

MAX_LIMIT = 500


def entity_key(entity: str, entity_id: str) -> str:
    return f"{entity}#{entity_id}"


def item(entry: AuditEntry) -> AuditItem:
    """The item for ``entry`` (for callers that write it inside their own transaction)."""
    bind()
    # The suffix keeps two changes within one millisecond apart, in the same sort order.
    return AuditItem(
        entity_key(entry.entity, entry.id),
        f"{entry.at}#{secrets.token_hex(4)}",
        doc=entry.to_dict(),
    )


def for_entity(entity: str, entity_id: str, limit: int = 100) -> list[AuditEntry]:
    """One entity's changes, newest first."""
    bind()
    items = AuditItem.query(
        entity_key(entity, entity_id), scan_index_forward=False, limit=min(limit, MAX_LIMIT)
    )
    return [AuditEntry(**i.doc) for i in items]


def search(
    entity: str | None = None, entity_id: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    """The newest changes, of one kind of entity and/or of one id (both: one query; otherwise
    a scan — the trail grows by human actions, a few hundred a day at most)."""
    if entity is not None and entity_id is not None:
        return for_entity(entity, entity_id, limit)
    bind()
    condition = None
    if entity is not None:
        condition = AuditItem.entity_key.startswith(f"{entity}#")
    entries = [
        AuditEntry(**i.doc)
        for i in AuditItem.scan(condition)
        if entity_id is None or i.doc.get("id") == entity_id
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[: min(limit, MAX_LIMIT)]
