"""Broadcasts locally: the broadcast state machine of template.yaml run by the local interpreter
(:mod:`herald_dev.local.statemachine`) with the worker invoked in-process, and the demo's
broadcast to a segment of the demo customers with its progress counts.

On AWS an approved broadcast's schedule starts the state machine; locally :func:`run` is that
start (the schedule is created in moto, but moto's Scheduler can't start an execution).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from herald_dev.local.statemachine import Execution, StateMachine

STATE_MACHINE = "BroadcastStateMachine"


def run(
    invoke: Callable[[str, dict], Any],
    broadcast_id: str,
    run_number: int,
    job: str = "broadcast",
    **kwargs: Any,
) -> Execution:
    """One execution of the broadcast state machine for ``broadcast_id``'s run (or, with job
    "memberships", the backfill of a published segment's version)."""
    from herald.aws import scheduler

    machine = StateMachine.from_template(STATE_MACHINE, invoke, **kwargs)
    # The schedule's work, done: it starts the run, and deletes itself once it has fired.
    prefix = "broadcast" if job == "broadcast" else "segment"
    scheduler.unschedule(f"{prefix}-{broadcast_id}-r{run_number}"[:64])
    return machine.run({"job": job, "broadcast_id": broadcast_id, "run": run_number})


def progress_line(view: dict) -> str:
    counts = view["counts"]
    shown = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items() if k != "existing")
    if counts.get("existing"):
        shown += f", already reached by an earlier run {counts['existing']}"
    return f"{view['id']} run {view['run']} {view['status']}: {shown}"


DEMO_BROADCAST = {
    "id": "winter-vip-preview",
    "name": "Winter sale preview for VIPs",
    "segment": "vip",
    "channel": "email",
    "variants": [
        {"content": "winter-sale-a", "weight": 1},
        {"content": "winter-sale-b", "weight": 1},
    ],
    "category": "marketing",
}


def demo(local) -> None:
    """Broadcast to the ``vip`` segment of the demo customers, then print its progress."""
    import os
    import warnings

    from herald.admin import broadcasts as use_case
    from herald.admin.users import User
    from herald.domain.clock import utcnow
    from herald.settings import settings

    # A worker step that counts nothing publishes no metric; powertools warns about that.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    # Locally there is no SES quota to stay under: the worker queues unpaced.
    os.environ["BROADCAST_SEND_RATE"] = "0"
    settings.cache_clear()

    marketer = User("mia", frozenset({"marketers"}))
    approver = User("ada", frozenset({"approvers"}))
    # Due now: the demo's customers are spread over Paris, New York, Tokyo…, so a local 10:00
    # would defer most of them to tomorrow (the README shows a local-time broadcast).
    doc = {**DEMO_BROADCAST, "send_at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")}
    print(f"\n▸ a broadcast: {doc['name']!r} to segment {doc['segment']!r}")
    use_case.create(marketer, doc)
    use_case.submit(marketer, doc["id"])
    approved = use_case.approve(approver, doc["id"])
    print(f"  approved by {approved['approved_by']}: {approved['status']}, run {approved['run']}")
    execution = run(lambda fn, payload: local.invoke(fn, payload, "states"), doc["id"], 1)
    print(
        f"  state machine (template.yaml, run locally): {execution.tasks} worker calls, "
        f"{len(set(execution.history))} states"
    )
    print(f"  {progress_line(use_case.get(approver, doc['id']))}")
    local.drain(timeout=60)
    print(f"  after the send queue drained: {progress_line(use_case.get(approver, doc['id']))}")
    again = use_case.rerun(approver, doc["id"])
    run(lambda fn, payload: local.invoke(fn, payload, "states"), doc["id"], again["run"])
    local.drain(timeout=60)
    print(f"  re-run: {progress_line(use_case.get(approver, doc['id']))}")
