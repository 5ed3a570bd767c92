"""Running a broadcast: the worker behind the state machine's three steps.

- ``plan``: the broadcast must still be wanted (scheduled or running); it becomes running and
  the customer table is split into parallel-scan segments (the Distributed Map's items);
- ``segment``: one scan segment, page after page from where the last call stopped (the state
  machine loops until ``done``): each customer is evaluated against the segment and goes
  through the same decision path as an event's message — consent, suppression, caps, quiet
  hours (:func:`herald.domain.policy.check`), the experiment's arms and holdout
  (:func:`herald.domain.experiment.assign`) — then the page is written in batches
  (:mod:`herald.dal.broadcasts`) and queued with SendMessageBatch;
- ``finish``: every segment is done, the broadcast is completed.

A paused or cancelled broadcast stops at the next page. The queueing rate is capped by
``BROADCAST_SEND_RATE`` (shared by ``BROADCAST_WORKERS`` workers), below the SES quota.

AWS calls per 1,000 customers (pages of 500, every customer a member): 2 Scan, 20
TransactWriteItems (messages + contact logs), 2 for the page counts, 2 GetItem (the status,
once a page) and 100 SendMessageBatch: ~126, plus 3 a worker call (the live segment,
contents and policy) and a few a run (plan, finish).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from herald.aws import queues, scheduler
from herald.dal import broadcasts as store
from herald.dal import contact_policy, customers
from herald.dal.counters import Increment
from herald.dal.versions import contents
from herald.domain import experiment, policy
from herald.domain.broadcast import SENDING, Broadcast, BroadcastStatus, message_id_for
from herald.domain.channel import Category
from herald.domain.clock import iso, utcnow
from herald.domain.customer import Contact, CustomerState, CustomerUpdate
from herald.domain.message import OUTGOING, Message, MessageStatus
from herald.errors import NotFound
from herald.observability import logger
from herald.service import audience
from herald.settings import settings

DUE_SLACK = timedelta(minutes=1)  # a customer due within a minute is queued now
PAGES_PER_CALL = 20  # pages one invocation takes at most (the state machine loops)
MIN_REMAINING_MS = 15_000  # stop taking pages when the invocation has less time left


@dataclass(frozen=True, slots=True)
class Setup:
    """What every customer of one page is planned against (read once per page)."""

    broadcast: Broadcast
    segment: audience.CompiledSegment
    audience: audience.Audience
    contact_policy: policy.ContactPolicy
    content_versions: dict[str, int]
    now: datetime


@dataclass
class PageCounts:
    values: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, by: int = 1) -> None:
        self.values[name] = self.values.get(name, 0) + by


STATUS_COUNT = {
    MessageStatus.QUEUED: "queued",
    MessageStatus.DEFERRED: "deferred",
    MessageStatus.SUPPRESSED: "suppressed",
    MessageStatus.CAPPED: "capped",
    MessageStatus.HELD_OUT: "held_out",
    MessageStatus.FAILED: "failed",
    MessageStatus.SENT: "queued",  # a retried page whose message went out meanwhile
    MessageStatus.SENDING: "queued",
}


def run_event_id(broadcast: Broadcast) -> str:
    return f"{broadcast.rule_id}:r{broadcast.run}"


def plan_customer(setup: Setup, state: CustomerState) -> store.PlannedWrite | None:
    """The customer's message (None: not a member). Pure but for the clock in ``setup``."""
    b, now = setup.broadcast, setup.now
    state = audience.with_aggregates(setup.audience, state, now)
    if not audience.is_member(setup.segment, audience.segment_context(state, now)):
        return None
    action = b.action
    arm = experiment.assign(action, state.customer_id, b.rule_id)
    ref = arm.content or action.content
    version = ref.version or setup.content_versions.get(ref.id)
    due = b.send_at.for_customer(state.profile.timezone)
    at = due if due is not None and due > now + DUE_SLACK else now
    log = policy.recent_contacts(state.contact_log, at, setup.contact_policy.longest_window)
    if not version:
        verdict = policy.Verdict(MessageStatus.FAILED, f"content {ref.id} has no live version")
    else:
        verdict = policy.check(
            setup.contact_policy,
            channel=action.channel,
            category=b.category,
            customer=state,
            contact_log=log,
            now=at,
        )
    status, reason, send_at = verdict.status, verdict.reason, verdict.send_at
    if status in OUTGOING and arm.name == experiment.HOLDOUT:
        status, reason, send_at = MessageStatus.HELD_OUT, "in the holdout group", None
    elif status == MessageStatus.QUEUED and at > now:
        status, send_at = MessageStatus.DEFERRED, at  # the customer's local send time
    now_iso = iso(now)
    message = Message(
        message_id=message_id_for(b.id, state.customer_id),
        customer_id=state.customer_id,
        event_id=run_event_id(b),
        event_name="broadcast",
        rule_id=b.rule_id,
        rule_version=1,
        content_id=ref.id,
        content_version=version or 0,
        channel=str(action.channel),
        category=str(b.category),
        status=status,
        reason=reason,
        send_at=iso(send_at) if send_at else None,
        created_at=now_iso,
        updated_at=now_iso,
        event={"broadcast_id": b.id, "broadcast": b.name},
        arm=arm.name,
    )
    update = None
    if status in OUTGOING and b.category == Category.MARKETING:
        contact = Contact(str(action.channel), iso(send_at or at))
        update = CustomerUpdate(contact_log=(*log, contact))
    return store.PlannedWrite(message, state.revision, update)


def _setup(broadcast: Broadcast, now: datetime) -> Setup:
    from herald.dal.versions import ruleset_revision  # noqa: PLC0415

    live = audience.cache.get(str(ruleset_revision()))
    compiled = live.segment(broadcast.segment)
    if compiled is None:
        raise NotFound(f"segment {broadcast.segment} is not live", field="segment")
    content_versions = {c.id: c.version for c in contents.live()}
    return Setup(broadcast, compiled, live, contact_policy.current(), content_versions, now)


def _counts_for(broadcast: Broadcast, counts: PageCounts) -> Callable:
    """The page's increments: its counts per state."""
    run_id = run_event_id(broadcast)

    def increments(messages: list[Message]) -> list[Increment]:
        page = PageCounts(dict(counts.values))
        found: list[Increment] = []
        for m in messages:
            if m.event_id != run_id:
                page.add("existing")  # an earlier run's message: not sent again
                continue
            page.add(STATUS_COUNT.get(m.status, "failed"))  # (exposures: the stream counts)
        bucket = store.run_bucket(broadcast.run)
        key = f"{broadcast.id}:{broadcast.run}"
        found.append(Increment(store.scope(broadcast.id), bucket, page.values, shard_key=key))
        return found

    return increments


def _deliver(messages: list[Message]) -> int:
    """Queue the queued (batched), schedule the deferred; returns how many were queued."""
    bodies = [
        (str(i), queues.send_request(m.message_id, m.customer_id))
        for i, m in enumerate(messages)
        if m.status == MessageStatus.QUEUED
    ]
    for _ in range(3):
        if not bodies:
            break
        refused = set(queues.put_batch(settings().send_queue_url, bodies))
        bodies = [b for b in bodies if b[0] in refused]
    if bodies:
        raise RuntimeError(f"SQS refused {len(bodies)} messages three times")  # retried
    for m in messages:
        if m.status == MessageStatus.DEFERRED and m.send_at:
            scheduler.defer(m.message_id, m.customer_id, m.send_at)
    return sum(1 for m in messages if m.status == MessageStatus.QUEUED)


def process_page(
    broadcast: Broadcast,
    states: list[CustomerState],
    marker: tuple[str, str],
    now: datetime,
    setup: Setup | None = None,
) -> int:
    """Plan, write and queue one page of customers; returns the messages queued."""
    setup = replace(setup, broadcast=broadcast, now=now) if setup else _setup(broadcast, now)
    counts = PageCounts({"scanned": len(states)})
    plans = [p for p in (plan_customer(setup, s) for s in states) if p is not None]
    counts.add("matched", len(plans))

    def replan(customer_id: str) -> store.PlannedWrite | None:
        fresh = customers.get(customer_id)  # it changed since the scan read it
        return plan_customer(setup, fresh) if fresh is not None else None

    result = store.write_page(plans, _counts_for(broadcast, counts), marker, replan)
    run_id = run_event_id(broadcast)
    messages = result.written + [
        m for m in result.existing if m.event_id == run_id or m.status in OUTGOING
    ]
    return _deliver(messages)


class Pacer:
    """Keeps one worker's queueing at or below its share of the broadcast's rate."""

    def __init__(self, rate_per_s: float, sleep=time.sleep, clock=time.monotonic):
        self.rate, self.sleep, self.clock = rate_per_s, sleep, clock
        self.started = clock()
        self.sent = 0

    def after(self, queued: int) -> None:
        self.sent += queued
        if self.rate <= 0:
            return
        ahead = self.sent / self.rate - (self.clock() - self.started)
        if ahead > 0:
            self.sleep(ahead)


# --------------------------------------------------------------------------- the worker steps
def plan(event: dict) -> dict:
    broadcast = store.get(event["broadcast_id"])
    if broadcast.run != event["run"] or broadcast.status not in SENDING:
        return {**event, "go": False, "segments": [], "status": str(broadcast.status)}
    if broadcast.status == BroadcastStatus.SCHEDULED:
        broadcast = store.change(
            broadcast.id,
            lambda b: (
                b.moved(BroadcastStatus.RUNNING, "herald-broadcast", iso(utcnow()))
                if b.status == BroadcastStatus.SCHEDULED
                else b
            ),
        )
    total = event.get("total_segments") or _segments_for(customers.approximate_count())
    return {**event, "go": True, "total_segments": total, "segments": list(range(total))}


def _segments_for(count: int) -> int:
    from herald.domain.broadcast import scan_segments  # noqa: PLC0415

    return scan_segments(count)


def _pages(
    event: dict,
    remaining_ms: Callable[[], int] | None,
    each: Callable[[list[CustomerState], int], None],
    stopped: Callable[[], bool] = lambda: False,
) -> dict:
    """Pages of one scan segment from ``event["start"]``, each handed to ``each(states, page)``;
    at most PAGES_PER_CALL, fewer when the call's time runs short (the state machine calls
    again until ``done``). Done early, ``stopped``, when ``stopped()`` says so before a page."""
    config = settings()
    start, page = event.get("start"), int(event.get("page") or 0)
    for _ in range(PAGES_PER_CALL):
        if stopped():
            return {**event, "start": start, "page": page, "done": True, "stopped": True}
        states, start = customers.scan_page(
            event["segment"], event["total_segments"], config.broadcast_page_size, start
        )
        each(states, page)
        page += 1
        if start is None:
            return {**event, "start": None, "page": page, "done": True}
        if remaining_ms is not None and remaining_ms() < MIN_REMAINING_MS:
            break
    return {**event, "start": start, "page": page, "done": False}


def work_segment(event: dict, remaining_ms: Callable[[], int] | None = None) -> dict:
    """Pages of one scan segment (see :func:`_pages`); stops early (done) when the broadcast is
    paused or cancelled."""
    config = settings()
    pacer = Pacer(config.broadcast_send_rate / max(1, config.broadcast_workers))
    current: dict = {}  # the broadcast as read before the page, and its setup

    def stopped() -> bool:
        broadcast = current["broadcast"] = store.get(event["broadcast_id"])
        return broadcast.run != event["run"] or broadcast.status not in SENDING

    def each(states: list[CustomerState], page: int) -> None:
        broadcast, now = current["broadcast"], utcnow()
        marker = (
            f"{store.scope(broadcast.id)}#pages",
            f"r{broadcast.run:05d}#{event['segment']:04d}#{page:06d}",
        )
        if "setup" not in current:  # the live segment, contents and policy: once per call
            current["setup"] = _setup(broadcast, now)
        pacer.after(process_page(broadcast, states, marker, now, current["setup"]))

    return _pages(event, remaining_ms, each, stopped)


def finish(event: dict) -> dict:
    def complete(b: Broadcast) -> Broadcast:
        if b.run == event["run"] and b.status == BroadcastStatus.RUNNING:
            return b.moved(BroadcastStatus.COMPLETED, "herald-broadcast", iso(utcnow()))
        return b

    done = store.change(event["broadcast_id"], complete)
    logger.info("broadcast finished", broadcast_id=done.id, status=str(done.status))
    return {"broadcast_id": done.id, "run": event["run"], "status": str(done.status)}


STEPS = {"plan": plan, "segment": work_segment, "finish": finish}


def on_step(event: dict, remaining_ms: Callable[[], int] | None = None) -> dict:
    """The worker function's one call: the state machine names the step."""
    step = event.get("step")
    if event.get("job") == "memberships":
        return _memberships_step(event, remaining_ms)
    if step == "segment":
        return work_segment(event, remaining_ms)
    if step not in STEPS:
        raise ValueError(f"unknown broadcast step {step!r}")
    return STEPS[step](event)


# --------------------------------------------------------------------------- memberships
# The same state machine and scan backfill a newly published segment version's members: job
# "memberships", broadcast_id the segment, run its version. Each customer whose memberships
# changed is updated under its revision (one UpdateItem); a customer written meanwhile has had
# them recomputed by that write already.
def _memberships_step(event: dict, remaining_ms: Callable[[], int] | None = None) -> dict:
    from herald.dal.versions import ruleset_revision  # noqa: PLC0415
    from herald.errors import Conflict  # noqa: PLC0415

    step = event.get("step")
    if step == "plan":
        total = _segments_for(customers.approximate_count())
        return {**event, "go": True, "total_segments": total, "segments": list(range(total))}
    if step == "finish":
        logger.info("memberships backfilled", segment_id=event["broadcast_id"])
        return {"segment_id": event["broadcast_id"], "version": event["run"], "status": "done"}
    live = audience.cache.get(str(ruleset_revision()))

    def each(states: list[CustomerState], _page: int) -> None:
        now = utcnow()
        for state in states:
            found = audience.memberships(live, audience.with_aggregates(live, state, now), now)
            if found != state.segments:
                try:
                    customers.update(
                        state.customer_id, state.revision, CustomerUpdate(segments=found)
                    )
                except Conflict:
                    continue

    return _pages(event, remaining_ms, each)
