"""The audience snapshot for callers without a ruleset: the revision is read once per refresh
window, not on every profile upsert."""

from __future__ import annotations

from herald.service import audience


def test_the_revision_is_read_once_per_refresh_window(monkeypatch):
    # Given a revision counter that counts its reads, and a snapshot loader
    reads, loads = [], []
    monkeypatch.setattr(audience.versions, "ruleset_revision", lambda: reads.append(1) or 7)
    monkeypatch.setattr(
        audience, "load", lambda revision: loads.append(revision) or _live(revision)
    )
    cache = audience.AudienceCache()
    # When three upserts ask within the window, and one after it
    for t in (100.0, 100.5, 101.0):
        cache.current(clock=lambda t=t: t)
    assert (len(reads), loads) == (1, ["7"])
    cache.current(clock=lambda: 103.0)
    # Then the revision was read twice, and the unchanged snapshot loaded once
    assert (len(reads), loads) == (2, ["7"])


def _live(revision: str) -> audience.Audience:
    return audience.Audience(audience.profile.EMPTY_SCHEMA, (), revision)
