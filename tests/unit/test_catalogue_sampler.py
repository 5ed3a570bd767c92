"""The event catalogue's sampler: advisory, so a failing write never fails an event."""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError


def test_a_failed_summary_write_is_logged_and_kept_for_the_next_flush(monkeypatch, caplog):
    from herald.observability import logger
    from herald.service import catalogue

    # Given a catalogue table that refuses writes (throttled beyond botocore's retries)
    written: list[tuple] = []

    def refuse(*args):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "Update")

    monkeypatch.setattr(catalogue.store, "add", refuse)
    sampler = catalogue.Sampler()
    caplog.set_level(logging.WARNING, logger=logger.name)
    # When an event of a new name is observed (a new name flushes at once)
    sampler.observe("event", "cart.abandoned", lambda: {"total"})
    # Then nothing is raised: the warning is logged (it once raised KeyError on a LogRecord key)
    warnings = [r for r in caplog.records if r.name == logger.name]
    assert [r.getMessage() for r in warnings] == ["event catalogue not updated"]
    assert warnings[0].event_name == "cart.abandoned"
    # And the counts wait for the next flush, which writes them once the table takes writes
    monkeypatch.setattr(catalogue.store, "add", lambda *args: written.append(args))
    sampler.observe("event", "cart.abandoned", lambda: {"total"})
    assert [(kind, name, seen) for kind, name, seen, *_ in written] == [
        ("event", "cart.abandoned", 2)
    ]
