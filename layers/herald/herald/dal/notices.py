"""Notices said once: a marker item per notice in the settings table, put on condition that it
doesn't exist, so however many events and containers see the same thing, one of them says it."""

from __future__ import annotations

from pynamodb.exceptions import PutError

from herald.dal.tables import SettingItem, bind, conditional_failure
from herald.domain.clock import iso, utcnow


def first(notice: str) -> bool:
    """Whether this is the first time ``notice`` is given (and record that it was)."""
    bind()
    try:
        SettingItem(f"notice#{notice}", updated_at=iso(utcnow())).save(
            condition=SettingItem.name.does_not_exist()
        )
    except PutError as exc:
        if conditional_failure(exc):
            return False
        raise
    return True
