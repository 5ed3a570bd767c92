"""Broadcasts end to end against moto: the admin lifecycle, the state machine of template.yaml
run by the local interpreter with the worker in-process, the send function draining the queue.
0 lost and 0 duplicated under a re-run, injected worker failures, pause/resume and cancel."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_NOW, count_changes, drain_send_queue, ses_sent
from tests.integration.apigw import APPROVER, MARKETER, OTHER_APPROVER, Api

VIP_EMAIL = {
    "id": "winter-vip",
    "name": "Winter preview for VIPs",
    "segment": "vip",
    "channel": "email",
    "content": "winter-sale-a",
    "send_at": "2026-11-24T14:00:00Z",
}


@pytest.fixture
def api(aws, lambda_context) -> Api:
    from functions.admin import app

    return Api(app.lambda_handler, lambda_context)


@pytest.fixture
def now(monkeypatch):
    from herald.admin import broadcasts as admin
    from herald.service import broadcast

    monkeypatch.setattr(broadcast, "utcnow", lambda: DEMO_NOW)
    monkeypatch.setattr(admin, "utcnow", lambda: DEMO_NOW)
    return DEMO_NOW


@pytest.fixture
def run(handlers, lambda_context, monkeypatch):
    """Run the broadcast state machine (from template.yaml) for a broadcast's current run
    (unpaced: moto has no SES quota to stay under)."""
    from herald.dal import broadcasts
    from herald.settings import settings
    from herald_dev import broadcasts as local

    monkeypatch.setenv("BROADCAST_SEND_RATE", "0")
    settings.cache_clear()

    calls: list[dict] = []

    def invoke(function: str, payload: dict):
        assert function == "BroadcastWorkerFunction"
        calls.append(payload)
        return handlers.broadcast_worker.lambda_handler(payload, lambda_context)

    def go(broadcast_id: str):
        return local.run(invoke, broadcast_id, broadcasts.get(broadcast_id).run)

    go.calls = calls
    return go


def approved(api: Api, doc: dict) -> dict:
    status, body = api("POST", "/admin/broadcasts", doc, user=MARKETER)
    assert status == 201, body
    assert api("POST", f"/admin/broadcasts/{doc['id']}/submit", user=MARKETER)[0] == 200
    status, body = api("POST", f"/admin/broadcasts/{doc['id']}/approve", user=OTHER_APPROVER)
    assert status == 200, body
    return body


def test_a_broadcast_goes_to_the_segment_once_and_reports_its_counts(
    api, demo_data, handlers, lambda_context, now, run
):
    # Given an approved broadcast to the VIPs (Ann and Dana take email)
    body = approved(api, VIP_EMAIL)
    assert body["status"] == "scheduled" and body["run"] == 1 and body["approved_by"] == "ada"
    # When its run goes through the state machine and the send queue drains
    execution = run("winter-vip")
    drain_send_queue(handlers, lambda_context)
    count_changes(handlers)
    # Then each VIP got exactly one email, and the counts say what happened
    assert sorted(m["to"] for m in ses_sent()) == ["ann@example.com", "dana@example.com"]
    view = api("GET", "/admin/broadcasts/winter-vip")[1]
    assert view["status"] == "completed", execution.history
    counts = view["counts"]
    assert (counts["scanned"], counts["matched"], counts["queued"], counts["sent"]) == (6, 2, 2, 2)
    assert counts["suppressed"] == counts["capped"] == counts["held_out"] == 0
    assert view["stats"]["sent"] == 2 and view["stats"]["exposed"] == 2  # outcome counters
    # When an approver re-runs it
    assert api("POST", "/admin/broadcasts/winter-vip/rerun", user=APPROVER)[1]["run"] == 2
    run("winter-vip")
    drain_send_queue(handlers, lambda_context)
    count_changes(handlers)
    # Then nobody got it twice: the new run found both messages
    assert len(ses_sent()) == 2
    again = api("GET", "/admin/broadcasts/winter-vip")[1]["counts"]
    assert (again["matched"], again["existing"], again["queued"], again["sent"]) == (2, 2, 0, 2)


def test_the_author_may_not_approve_and_a_draft_needs_a_live_segment(api, demo_data, now):
    status, _ = api("POST", "/admin/broadcasts", {**VIP_EMAIL, "id": "mine"}, user=APPROVER)
    assert status == 201
    status, body = api("POST", "/admin/broadcasts/mine/approve", user=APPROVER)
    assert status == 403 and "two-person rule" in body["error"]["message"]
    status, body = api("POST", "/admin/broadcasts", {**VIP_EMAIL, "id": "x", "segment": "nope"})
    assert status == 404 and body["error"]["field"] == "segment"


def _crowd(count: int) -> None:
    from herald.dal import customers
    from herald.domain.customer import parse_customer

    for i in range(count):
        customers.upsert(
            parse_customer(
                {
                    "customer_id": f"c-crowd-{i:03d}",
                    "email": f"crowd{i:03d}@example.com",
                    "consent": {"email": True},
                    "attributes": {"lifetime_value": 2000},
                }
            )
        )


def test_injected_worker_failures_lose_nothing_and_duplicate_nothing(
    api, demo_data, handlers, lambda_context, now, run, monkeypatch
):
    from herald.dal import broadcasts as store
    from herald.service import broadcast

    # Given 120 more VIPs, pages of 25 customers, and a worker that dies: after writing a
    # page (twice), and after a transaction of messages once, before queueing
    _crowd(120)
    monkeypatch.setenv("BROADCAST_PAGE_SIZE", "25")
    from herald.settings import settings

    settings.cache_clear()
    failures = {"after_write": 2, "before_queue": 1}
    write_page, deliver = store.write_page, broadcast._deliver

    def flaky_write(*args, **kwargs):
        result = write_page(*args, **kwargs)
        if failures["after_write"] and result.written:
            failures["after_write"] -= 1
            raise ConnectionError("injected: the worker died after writing its page")
        return result

    def flaky_deliver(messages):
        if failures["before_queue"] and messages:
            failures["before_queue"] -= 1
            raise ConnectionError("injected: the worker died before queueing")
        return deliver(messages)

    monkeypatch.setattr(store, "write_page", flaky_write)
    monkeypatch.setattr(broadcast, "_deliver", flaky_deliver)
    approved(api, VIP_EMAIL)
    # When the state machine runs it (its Retry re-invokes the failed calls)
    execution = run("winter-vip")
    drain_send_queue(handlers, lambda_context)
    # Then every VIP got exactly one email
    recipients = [m["to"] for m in ses_sent()]
    assert execution.retried == 3 and not any(failures.values())
    assert len(recipients) == 122 and len(set(recipients)) == 122
    count_changes(handlers)
    counts = api("GET", "/admin/broadcasts/winter-vip")[1]["counts"]
    assert (counts["scanned"], counts["matched"], counts["sent"]) == (126, 122, 122)


def test_pause_holds_what_was_queued_and_resume_sends_it_once(
    api, demo_data, handlers, lambda_context, now, run, monkeypatch
):
    from herald.dal import broadcasts as store

    # Given a running broadcast paused by an approver after its first page was queued
    _crowd(40)
    monkeypatch.setenv("BROADCAST_PAGE_SIZE", "20")
    from herald.settings import settings

    settings.cache_clear()
    write_page = store.write_page
    pages = []

    def pausing_write(*args, **kwargs):
        result = write_page(*args, **kwargs)
        pages.append(len(result.written))
        if len(pages) == 1:
            status, body = api("POST", "/admin/broadcasts/winter-vip/pause", user=APPROVER)
            assert status == 200, body
        return result

    monkeypatch.setattr(store, "write_page", pausing_write)
    approved(api, VIP_EMAIL)
    run("winter-vip")
    # When the send queue drains while it is paused
    drain_send_queue(handlers, lambda_context)
    # Then nothing went out, and the run stopped at the next page
    assert ses_sent() == [] and len(pages) == 1
    assert api("GET", "/admin/broadcasts/winter-vip")[1]["status"] == "paused"
    # When it is resumed (a new run) and the queue drains
    from herald.service.broadcast_status import cache

    cache.clear()  # the send function's few seconds of cached status (one process here)
    status, body = api("POST", "/admin/broadcasts/winter-vip/resume", user=APPROVER)
    assert status == 200 and body["run"] == 2, body
    run("winter-vip")
    drain_send_queue(handlers, lambda_context)
    # Then every member got it exactly once
    recipients = [m["to"] for m in ses_sent()]
    assert len(recipients) == 42 == len(set(recipients))
    assert api("GET", "/admin/broadcasts/winter-vip")[1]["status"] == "completed"


def test_cancel_drops_what_was_queued_but_not_sent(
    api, demo_data, handlers, lambda_context, now, run, monkeypatch
):
    from herald.dal import broadcasts as store
    from herald.dal import records
    from herald.settings import settings

    # Given a running broadcast cancelled by an approver once its first page is queued
    _crowd(30)
    monkeypatch.setenv("BROADCAST_PAGE_SIZE", "20")
    settings.cache_clear()
    write_page, pages = store.write_page, []

    def cancelling_write(*args, **kwargs):
        result = write_page(*args, **kwargs)
        pages.append(result.written)
        if len(pages) == 1:
            status, body = api("POST", "/admin/broadcasts/winter-vip/cancel", user=APPROVER)
            assert status == 200 and body["status"] == "cancelled", body
        return result

    monkeypatch.setattr(store, "write_page", cancelling_write)
    approved(api, VIP_EMAIL)
    run("winter-vip")
    # When the send queue drains
    drain_send_queue(handlers, lambda_context)
    # Then nothing went out, the run stopped, and the queued messages say why
    assert ses_sent() == [] and len(pages) == 1 and pages[0]
    message = records.get_message(pages[0][0].message_id)
    assert message.status == "suppressed" and "cancelled" in message.reason
    assert api("GET", "/admin/broadcasts/winter-vip")[1]["status"] == "cancelled"
    # And a cancelled broadcast can't be resumed
    assert api("POST", "/admin/broadcasts/winter-vip/resume", user=APPROVER)[0] == 409
