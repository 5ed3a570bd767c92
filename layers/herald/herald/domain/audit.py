"""The audit trail: who changed which rule, content or policy, when, from which version to which."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ENTITIES = ("rule", "content", "policy", "offer", "taxonomy", "profile", "segment")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    entity: str  # rule | content | policy
    id: str
    action: str  # create | save | submit | publish | rollback | pause | archive | update
    user: str
    at: str
    from_version: int | None = None
    to_version: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)
