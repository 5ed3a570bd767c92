"""The approvals queue: versions marketers submitted, waiting for an approver to publish them.

Each item says whether the caller may publish it and, when not, why (not an approver; the
two-person rule, when the caller wrote that version), so the console can say so instead of
offering a button that would answer 403.
"""

from __future__ import annotations

from herald.admin.users import User
from herald.admin.versioned import Versioned
from herald.domain.version import State


def queue(user: User) -> list[dict]:
    """Every pending submission across the versioned kinds, oldest first."""
    user.require_editor()
    items = []
    for use_cases in Versioned.every:
        for head in use_cases.store.heads():
            submitted = head.submitted
            if submitted is None or head.state == State.ARCHIVED:
                continue
            target = use_cases.store.version(head.id, submitted.version)
            items.append(
                {
                    "kind": str(use_cases.kind),
                    "id": head.id,
                    "name": target.doc.get("name"),
                    "version": target.version,
                    "state": str(head.version_state(target)),
                    "entity_state": str(head.state),
                    "published_version": head.published_version,
                    "latest_version": head.latest_version,
                    "created_by": target.created_by,
                    "created_at": target.created_at,
                    "submitted_by": submitted.by,
                    "submitted_at": submitted.at,
                    "blocked": use_cases.publish_blocked(user, target),
                }
            )
    return sorted(items, key=lambda i: (i["submitted_at"], i["kind"], i["id"]))
