"""Broadcasts, pure: local send times across time zones and DST, the definition's document,
message ids, the worker's pacing, and the local state-machine interpreter."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from herald.domain.broadcast import (
    SendAt,
    local_instant,
    message_id_for,
    parse_broadcast,
    parse_send_at,
    scan_segments,
)
from herald.domain.document import ValidationError

DOC = {
    "id": "winter-vip",
    "name": "Winter preview",
    "segment": "vip",
    "channel": "email",
    "variants": [
        {"content": "winter-sale-a", "weight": 1},
        {"content": "winter-sale-b", "weight": 1},
    ],
    "holdout": 0.1,
    "send_at": "2026-12-08T10:00",
}


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/Paris", "2026-12-08T09:00:00+00:00"),  # CET, UTC+1 in winter
        ("America/New_York", "2026-12-08T15:00:00+00:00"),  # EST, UTC-5
        ("Asia/Tokyo", "2026-12-08T01:00:00+00:00"),  # no DST
        ("Australia/Sydney", "2026-12-07T23:00:00+00:00"),  # AEDT: summer there, UTC+11
        ("Pacific/Kiritimati", "2026-12-07T20:00:00+00:00"),  # UTC+14, the first to get it
        ("Not/AZone", "2026-12-08T10:00:00+00:00"),  # unknown: UTC
    ],
)
def test_a_local_send_time_is_applied_in_each_customers_time_zone(zone, expected):
    send_at = parse_send_at("2026-12-08T10:00")
    assert send_at.for_customer(zone).isoformat() == expected


def test_a_customer_without_a_time_zone_gets_utc_and_an_instant_is_the_same_for_everyone():
    assert parse_send_at("2026-12-08T10:00").for_customer(None) == datetime(
        2026, 12, 8, 10, tzinfo=UTC
    )
    instant = parse_send_at("2026-12-08T09:00:00Z")
    assert instant.for_customer("Asia/Tokyo") == instant.for_customer("Europe/Paris")


def test_across_dst_the_same_wall_time_moves_in_utc():
    # Given 10:00 in Paris the day before and the day after the spring change (29 March 2026)
    before = local_instant(date(2026, 3, 28), time(10), "Europe/Paris")
    after = local_instant(date(2026, 3, 29), time(10), "Europe/Paris")
    # Then the UTC instant moves by an hour: 09:00 (CET) then 08:00 (CEST)
    assert (before.hour, after.hour) == (9, 8)
    # And New York changed two weeks earlier (8 March 2026): 14:00 UTC then, not 15:00
    assert local_instant(date(2026, 3, 9), time(10), "America/New_York").hour == 14


def test_a_time_in_the_spring_gap_is_an_hour_later_and_a_repeated_one_is_the_first():
    # 02:30 does not exist in Paris on 29 March 2026: taken as 03:30 CEST (01:30 UTC)
    gap = local_instant(date(2026, 3, 29), time(2, 30), "Europe/Paris")
    assert gap == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 02:30 happens twice on 25 October 2026: the first, CEST (00:30 UTC)
    twice = local_instant(date(2026, 10, 25), time(2, 30), "Europe/Paris")
    assert twice == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_local_time_broadcast_starts_where_the_day_comes_first():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_send_at("2026-12-08T10:00").first_instant(now) == datetime(
        2026, 12, 7, 20, tzinfo=UTC
    )
    assert SendAt().first_instant(now) == now  # no send_at: as soon as approved


def test_the_definition_round_trips_and_names_its_rule():
    broadcast = parse_broadcast(DOC)
    again = parse_broadcast(broadcast.definition())
    assert again.definition() == broadcast.definition()
    assert broadcast.definition()["send_at"] == "2026-12-08T10:00"
    assert broadcast.rule_id == "broadcast:winter-vip"
    assert broadcast.action.holdout == 0.1 and len(broadcast.action.variants) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"segment": "Not An Id"}, "segment"),
        ({"send_at": "tomorrow"}, "send_at"),
        ({"category": "promo"}, "category"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_wrong_broadcast_is_refused_naming_its_field(change, field):
    with pytest.raises(ValidationError) as raised:
        parse_broadcast({**DOC, **change})
    assert raised.value.field == field


def test_message_ids_depend_on_broadcast_and_customer_only():
    assert message_id_for("b", "c1") == message_id_for("b", "c1")
    assert (
        len({message_id_for("b", "c1"), message_id_for("b", "c2"), message_id_for("x", "c1")}) == 3
    )


def test_scan_segments_grow_with_the_table_within_bounds():
    assert scan_segments(0) == 1 and scan_segments(20_001) == 2
    assert scan_segments(10_000_000) == 500 and scan_segments(10**10) == 1000


def test_the_pacer_keeps_a_worker_at_its_share_of_the_rate():
    from herald.service.broadcast import Pacer

    clock, slept = [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    pacer = Pacer(100.0, sleep=sleep, clock=lambda: clock[0])
    pacer.after(500)  # a page of 500 at 100/s: 5 s
    clock[0] += 1.0  # the next page took a second to plan
    pacer.after(500)
    assert slept == [5.0, 4.0] and clock[0] == 10.0
    unpaced = Pacer(0.0, sleep=sleep)
    unpaced.after(10_000)
    assert len(slept) == 2


def test_the_local_interpreter_runs_the_templates_broadcast_machine_with_retries():
    from herald_dev.local.statemachine import StateMachine

    calls, failed = [], {"n": 0}

    def invoke(function: str, payload: dict) -> dict:
        calls.append((function, payload.get("step"), payload.get("segment"), payload.get("page")))
        if payload["step"] == "plan":
            return {**payload, "go": True, "total_segments": 2, "segments": [0, 1]}
        if payload["step"] == "segment":
            if payload["segment"] == 1 and payload["page"] == 1 and not failed["n"]:
                failed["n"] += 1
                raise ConnectionError("injected")
            page = payload["page"] + 1
            return {**payload, "page": page, "done": page == 2}
        return {"status": "completed"}

    machine = StateMachine.from_template("BroadcastStateMachine", invoke)
    execution = machine.run({"job": "broadcast", "broadcast_id": "b", "run": 1})
    assert execution.output == {"status": "completed"} and execution.retried == 1
    segment_calls = [c for c in calls if c[1] == "segment"]
    assert [(s, p) for _, _, s, p in segment_calls] == [(0, 0), (0, 1), (1, 0), (1, 1), (1, 1)]
    assert {c[0] for c in calls} == {"BroadcastWorkerFunction"}
