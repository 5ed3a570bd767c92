"""Broadcasts as marketers run them: create a draft, submit it, an approver (not its author,
under the two-person rule) approves it and it is scheduled; pause, resume, cancel, re-run;
progress and stats.

Approval schedules the start through EventBridge Scheduler (one-time schedule, target: the
broadcast state machine); pause and cancel stop the running execution (StopExecution) and the
send function skips what was queued but not sent; resume and re-run start a new run, which
finds the messages already written (deterministic ids) and sends nothing twice.
"""

from __future__ import annotations

import json

from herald.admin.users import Forbidden, User
from herald.aws import executions, scheduler
from herald.dal import broadcasts as store
from herald.dal import counters, outcomes
from herald.dal.versions import contents, segments
from herald.domain.broadcast import (
    EDITABLE,
    FINISHED,
    Broadcast,
    BroadcastStatus,
    parse_broadcast,
)
from herald.domain.clock import iso, utcnow
from herald.domain.document import check_id
from herald.errors import Conflict, NotFound
from herald.settings import settings


def _view(broadcast: Broadcast) -> dict:
    runs = store.counts(broadcast.id, broadcast.run) if broadcast.run else {}
    figures = _outcomes(broadcast)
    progress = {**{k: 0 for k in runs}, **runs}
    progress["sent"] = int(figures.get("sent", 0))
    progress["failed"] = int(progress.get("failed", 0) + figures.get("failed", 0))
    return {**broadcast.to_doc(), "counts": progress, "stats": figures}


def _outcomes(broadcast: Broadcast) -> dict:
    """The broadcast's outcome counters (every arm and day summed): sent, delivered, opened,
    clicked, converted, … as the send function and the feedback loop count them."""
    totals: dict[str, float] = {}
    for figures in counters.read(
        outcomes.rule_scope(broadcast.rule_id), "\x00", "\U0010ffff"
    ).values():
        for name, value in figures.items():
            totals[name] = totals.get(name, 0) + value
    return totals


def create(user: User, doc: dict) -> dict:
    user.require_editor()
    broadcast = parse_broadcast(doc, user.name, iso(utcnow()))
    _check_references(broadcast, live=False)
    return _view(store.create(broadcast))


def _check_references(broadcast: Broadcast, *, live: bool) -> None:
    """The segment and the contents must exist (and be live, to approve)."""
    try:
        head = segments.head(broadcast.segment)
    except NotFound as exc:
        raise NotFound(f"segment {broadcast.segment} does not exist", field="segment") from exc
    if live and head.live_version is None:
        raise Conflict(
            f"segment {broadcast.segment} is not live: publish it first", field="segment"
        )
    for ref in broadcast.action.content_refs():
        try:
            content = contents.head(ref.id)
        except NotFound as exc:
            raise NotFound(f"content {ref.id} does not exist", field="content") from exc
        if live and not ref.version and content.live_version is None:
            raise Conflict(f"content {ref.id} is not live: publish it first", field="content")


def get(user: User, broadcast_id: str) -> dict:
    user.require_editor()
    return _view(store.get(check_id(broadcast_id)))


def every(user: User) -> list[dict]:
    user.require_editor()
    return [
        {"id": b.id, "name": b.name, "status": str(b.status), "segment": b.segment, "run": b.run}
        for b in sorted(store.every(), key=lambda b: b.id)
    ]


def submit(user: User, broadcast_id: str) -> dict:
    user.require_editor()

    def move(b: Broadcast) -> Broadcast:
        if b.status not in EDITABLE:
            raise Conflict(f"broadcast {b.id} is {b.status}: nothing to submit", field="status")
        return b.moved(BroadcastStatus.SUBMITTED, user.name, iso(utcnow()), submitted_by=user.name)

    return _view(store.change(check_id(broadcast_id), move))


def approve(user: User, broadcast_id: str) -> dict:
    """Approve and schedule (approvers; under the two-person rule, not its author)."""
    user.require_approver("approving a broadcast")
    current = store.get(check_id(broadcast_id))
    if settings().two_person_rule and current.created_by == user.name:
        raise Forbidden(
            f"two-person rule: {user.name} wrote broadcast {current.id}; another approver "
            "must approve it"
        )
    _check_references(current, live=True)

    def move(b: Broadcast) -> Broadcast:
        if b.status not in EDITABLE:
            raise Conflict(f"broadcast {b.id} is {b.status}, not waiting", field="status")
        return b.moved(
            BroadcastStatus.SCHEDULED,
            user.name,
            iso(utcnow()),
            approved_by=user.name,
            run=b.run + 1,
        )

    return _view(_start(store.change(current.id, move)))


def _schedule_name(broadcast: Broadcast) -> str:
    return f"broadcast-{broadcast.id}-r{broadcast.run}"[:64]


def _start(broadcast: Broadcast) -> Broadcast:
    """Schedule the run's execution at the broadcast's first send instant (now, or where the
    local time comes first); the execution is named after the run, so it starts once."""
    config = settings()
    at = broadcast.send_at.first_instant(utcnow())
    name = _schedule_name(broadcast)
    payload = {"job": "broadcast", "broadcast_id": broadcast.id, "run": broadcast.run}
    scheduler.schedule_start(
        name,
        iso(at),
        config.broadcast_state_machine_arn,
        config.broadcast_scheduler_role_arn,
        json.dumps(payload),
    )
    arn = config.broadcast_state_machine_arn.replace(":stateMachine:", ":execution:")
    return store.change(broadcast.id, lambda b: _with_execution(b, f"{arn}:{name}"))


def _with_execution(b: Broadcast, execution: str) -> Broadcast:
    from dataclasses import replace  # noqa: PLC0415

    return replace(b, execution=execution)


def _stop(broadcast: Broadcast, why: str) -> None:
    scheduler.unschedule(_schedule_name(broadcast))
    if broadcast.execution:
        executions.stop(broadcast.execution, why)


def pause(user: User, broadcast_id: str) -> dict:
    user.require_approver("pausing a broadcast")

    def move(b: Broadcast) -> Broadcast:
        if b.status not in (BroadcastStatus.SCHEDULED, BroadcastStatus.RUNNING):
            raise Conflict(f"broadcast {b.id} is {b.status}: nothing to pause", field="status")
        return b.moved(BroadcastStatus.PAUSED, user.name, iso(utcnow()))

    paused = store.change(check_id(broadcast_id), move)
    _stop(paused, f"paused by {user.name}")
    return _view(paused)


def resume(user: User, broadcast_id: str) -> dict:
    """A new run from the start: what the earlier runs wrote is found, not sent again; what
    they queued but the pause kept back is queued again."""
    return _new_run(user, broadcast_id, BroadcastStatus.PAUSED, "resuming")


def rerun(user: User, broadcast_id: str) -> dict:
    """Run a completed broadcast again (new members since get it; nobody gets it twice)."""
    return _new_run(user, broadcast_id, BroadcastStatus.COMPLETED, "re-running")


def _new_run(user: User, broadcast_id: str, from_status: BroadcastStatus, doing: str) -> dict:
    """Start run n+1 of a broadcast that is ``from_status`` (a 409 otherwise)."""
    user.require_approver(f"{doing} a broadcast")

    def move(b: Broadcast) -> Broadcast:
        if b.status != from_status:
            raise Conflict(f"broadcast {b.id} is {b.status}, not {from_status}", field="status")
        return b.moved(BroadcastStatus.SCHEDULED, user.name, iso(utcnow()), run=b.run + 1)

    return _view(_start(store.change(check_id(broadcast_id), move)))


def cancel(user: User, broadcast_id: str) -> dict:
    """For good: the execution stops and nothing queued but unsent goes out."""
    user.require_approver("cancelling a broadcast")

    def move(b: Broadcast) -> Broadcast:
        if b.status in FINISHED:
            raise Conflict(f"broadcast {b.id} is {b.status} already", field="status")
        return b.moved(BroadcastStatus.CANCELLED, user.name, iso(utcnow()))

    cancelled = store.change(check_id(broadcast_id), move)
    _stop(cancelled, f"cancelled by {user.name}")
    return _view(cancelled)
