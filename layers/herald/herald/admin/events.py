"""The event catalogue as marketers read it: which events exist, with which fields, how often."""

from __future__ import annotations

from herald.admin.users import User
from herald.dal import catalogue


def event_catalogue(user: User) -> dict:
    user.require_editor()
    known = catalogue.read()
    return {
        "events": [e.to_dict() for e in sorted(known.events.values(), key=lambda e: e.name)],
        "profile_attributes": sorted(known.profile_attributes),
    }
