"""The contact policy as approvers change it: validated, locked, audited, live within seconds."""

from __future__ import annotations

from typing import Any

from herald.admin.users import User
from herald.dal import contact_policy as store
from herald.domain import policy
from herald.domain.document import ValidationError

# Fields GET returns beside the policy; a client may PUT the document back unchanged.
READ_ONLY = ("version", "updated_at", "updated_by")


def _view(stored: store.StoredPolicy) -> dict:
    doc = {**policy.DEFAULT_POLICY, **(stored.doc or {})}
    return {
        **doc,
        "version": stored.version,
        "updated_at": stored.updated_at,
        "updated_by": stored.updated_by,
    }


def get(user: User) -> dict:
    user.require_editor()
    return _view(store.get())


def put(user: User, body: Any) -> dict:
    """Replace the policy (approvers). ``expected_version`` (optional) guards lost updates."""
    user.require_approver("changing the contact policy")
    if not isinstance(body, dict):
        raise ValidationError("the policy must be a JSON object", field="policy")
    doc = {k: v for k, v in body.items() if k not in READ_ONLY}
    expected = doc.pop("expected_version", None)
    if expected is not None and (
        not isinstance(expected, int) or isinstance(expected, bool) or expected < 0
    ):
        raise ValidationError(
            "expected_version must be the version GET returned (0 before any change)",
            field="expected_version",
        )
    parsed = policy.parse_policy(doc)
    _, after = store.put(parsed.doc, user.name, expected)
    return _view(after)
