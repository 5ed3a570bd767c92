"""Who the caller is and what they may do: the console shows only the actions that won't 403."""

from __future__ import annotations

from herald.admin.users import APPROVERS, MARKETERS, User
from herald.settings import settings


def me(user: User) -> dict:
    editor = bool(user.groups & {MARKETERS, APPROVERS})
    approver = APPROVERS in user.groups
    return {
        "user": user.name,
        "groups": sorted(user.groups),
        "may": {
            "edit": editor,  # drafts, submit, preview, simulate, read everything
            "publish": approver,  # publish, roll back, pause, archive
            "edit_policy": approver,
        },
        "two_person_rule": settings().two_person_rule,
    }
