"""Fault runs: the decide → send pipeline under injected AWS throttling and 5xx, then accounted.

Used by ``tests/integration/test_faults.py`` and ``bench/guardrails.py`` (local only, never
deployed). Runs in-process against moto (``mock_aws``) with the template's resources.

Faults come from botocore event hooks on every botocore session created while a run is on.
botocore calls *every* ``before-send`` handler (the first response wins), so a fault handler
merely registered first would still let moto's stub execute the request: instead the run puts
a wrapper in the place of moto's stub in botocore's built-in handler list, which answers a
failed attempt itself and hands the others to moto:

- ``before-send`` fails a seeded fraction ``rate`` of HTTP attempts (400 throttling or 500) to
  DynamoDB, SQS, SES and SNS; botocore's standard-mode retries absorb most of them (their
  backoff sleeps are skipped while a run is on, to keep it fast);
- ``before-call`` fails a fraction ``exhausted_rate`` of whole API calls, the throttling storms
  that outlast botocore's retries, so Herald's own retry paths run: EventBridge/Lambda
  re-invoking decide with the same envelope, SQS redelivering the records a send batch reported
  in ``batchItemFailures``, parking on the last attempt.

Faults are armed only while a handler runs: the harness's own calls play the AWS services
(Lambda's retries, the SQS event source mapping) and those don't fail here.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from herald.domain.version import State

FAULT_SERVICES = ("dynamodb", "sqs", "sesv2", "sns")
ASYNC_ATTEMPTS = 3  # Lambda's asynchronous invocation: the first try and two retries
DEFAULT_NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # afternoon in Europe, night in Tokyo

# (code, HTTP status) per service: one throttling error and one server error each.
_ERRORS = {
    "dynamodb": (("ProvisionedThroughputExceededException", 400), ("InternalServerError", 500)),
    "sqs": (("ThrottlingException", 400), ("InternalError", 500)),
    "sesv2": (("TooManyRequestsException", 429), ("InternalFailure", 500)),
    "sns": (("Throttling", 400), ("InternalError", 500)),
}
_PROTOCOL = {"dynamodb": "json", "sqs": "json", "sesv2": "rest-json", "sns": "query"}


# --------------------------------------------------------------------------- injection


class FaultInjector:
    """Seeded botocore hooks failing a fraction of calls to ``services`` while armed."""

    def __init__(
        self,
        rate: float,
        *,
        exhausted_rate: float = 0.0,
        seed: int = 7,
        services: tuple[str, ...] = FAULT_SERVICES,
    ) -> None:
        self.rate = rate
        self.exhausted_rate = exhausted_rate
        self.services = frozenset(services)
        self.random = random.Random(seed)
        self.armed = False
        self.injected: Counter = Counter()  # (service, code, where) -> count
        self.calls: Counter = Counter()  # service -> HTTP attempts seen while armed
        self._saved_delay: Any = None
        self._stubber: Any = None

    # ------------------------------------------------------------------ lifecycle
    def install(self) -> FaultInjector:
        from botocore import handlers
        from botocore.retries import standard
        from moto.core.models import botocore_stubber

        from herald import runtime

        self._stubber = botocore_stubber
        handlers.BUILTIN_HANDLERS[:] = [
            ("before-send", self._before_send) if h[1] is botocore_stubber else h
            for h in handlers.BUILTIN_HANDLERS
        ]
        # before-call stops at the first response, so registering first is enough there.
        handlers.BUILTIN_HANDLERS.insert(
            0, ("before-call", self._before_call, handlers.REGISTER_FIRST)
        )
        self._saved_delay = standard.ExponentialBackoff.delay_amount
        standard.ExponentialBackoff.delay_amount = lambda _self, _context: 0.0
        runtime.reset()  # new clients (and pynamodb connections) pick the hooks up
        return self

    def uninstall(self) -> None:
        from botocore import handlers
        from botocore.retries import standard

        from herald import runtime

        handlers.BUILTIN_HANDLERS[:] = [
            ("before-send", self._stubber) if h[1] == self._before_send else h
            for h in handlers.BUILTIN_HANDLERS
            if h[1] != self._before_call
        ]
        if self._saved_delay is not None:
            standard.ExponentialBackoff.delay_amount = self._saved_delay
        self.armed = False
        runtime.reset()

    @contextmanager
    def active(self) -> Iterator[None]:
        """Arm the faults for the duration of a handler call."""
        self.armed = True
        try:
            yield
        finally:
            self.armed = False

    # ------------------------------------------------------------------ hooks
    def _service(self, event_name: str) -> str | None:
        service = event_name.split(".")[1] if event_name.count(".") >= 1 else ""
        return service if self.armed and service in self.services else None

    def _pick(self, service: str) -> tuple[str, int]:
        return _ERRORS[service][0 if self.random.random() < 0.6 else 1]

    def _before_call(self, event_name: str, **_kwargs: Any):
        service = self._service(event_name)
        if service is None or self.random.random() >= self.exhausted_rate:
            return None
        code, status = self._pick(service)
        self.injected[(service, code, "call")] += 1
        return _response(status, b"", {}), {
            "Error": {"Code": code, "Message": "injected fault (retries exhausted)"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }

    def _before_send(self, event_name: str, request: Any = None, **kwargs: Any):
        service = self._service(event_name)
        if service is not None:
            self.calls[service] += 1
        if service is None or self.random.random() >= self.rate:
            return self._stubber(event_name=event_name, request=request, **kwargs)
        code, status = self._pick(service)
        self.injected[(service, code, "attempt")] += 1
        headers, body = _error_body(_PROTOCOL[service], code)
        return _response(status, body, headers, getattr(request, "url", ""))

    def summary(self) -> dict:
        by_where = Counter()
        for (_service, _code, where), n in self.injected.items():
            by_where[where] += n
        return {"attempts_failed": by_where["attempt"], "calls_failed": by_where["call"]}


def _response(status: int, body: bytes, headers: dict, url: str = ""):
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse

    return AWSResponse(url, status, {"x-amzn-RequestId": "fault", **headers}, MockRawResponse(body))


def _error_body(protocol: str, code: str) -> tuple[dict, bytes]:
    message = "injected fault"
    if protocol == "json":
        body = {"__type": f"com.amazonaws.fault#{code}", "message": message}
        return {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(body).encode()
    if protocol == "rest-json":
        return {"x-amzn-ErrorType": code, "Content-Type": "application/json"}, json.dumps(
            {"message": message}
        ).encode()
    xml = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>fault</RequestId></ErrorResponse>"
    )
    return {"Content-Type": "text/xml"}, xml.encode()


# --------------------------------------------------------------------------- the scenario

CONTENTS = [
    {
        "id": "fault-email",
        "channels": {
            "email": {
                "subject": "{{ customer.attributes.first_name }}, your cart is waiting",
                "html": "<p>{{ event.sku }} is still in your cart.</p>",
                "text": "{{ event.sku }} is still in your cart.",
            }
        },
    },
    {
        "id": "fault-sms",
        "channels": {"sms": {"text": "Shipped: {{ event.sku }} ref {{ message.id }}"}},
    },
    {
        "id": "fault-push",
        "channels": {"push": {"title": "Back in stock", "body": "{{ event.sku }} is back"}},
    },
    {
        "id": "fault-welcome",
        "channels": {"email": {"subject": "Welcome", "text": "Welcome {{ customer.customer_id }}"}},
    },
]
RULES = [
    {"id": "fault-cart", "name": "fault-cart", "priority": 100, "on": "fault.cart", "category": "marketing",
     "then": [{"send": {"channel": "email", "content": "fault-email"}}]},
    {"id": "fault-shipped", "name": "fault-shipped", "priority": 100, "on": "fault.shipped", "category": "transactional",
     "then": [{"send": {"channel": "sms", "content": "fault-sms"}}]},
    {"id": "fault-restock", "name": "fault-restock", "priority": 100, "on": "fault.restock", "category": "marketing",
     "then": [{"send": {"channel": "push", "content": "fault-push"}}]},
    {"id": "fault-welcome", "name": "fault-welcome", "priority": 100, "on": "fault.signup", "category": "transactional",
     "then": [{"send": {"channel": "email", "content": "fault-welcome"}}]},
]  # fmt: skip
EVENT_NAMES = ("fault.cart", "fault.shipped", "fault.restock", "fault.signup")
ZONES = ("Europe/Paris", "America/New_York", "Europe/London", "Asia/Tokyo", None)


def publish(contents: list[dict], rules: list[dict], user: str = "fault-run") -> None:
    """Validate, store and publish contents and rules (as the admin API would)."""
    from herald.dal import versions
    from herald.domain.content import parse_content
    from herald.domain.rule import parse_rule
    from herald.rendering import check_content

    for doc in contents:
        check_content(parse_content(doc))
    for doc in rules:
        parse_rule(doc)
    for store, docs in ((versions.contents, contents), (versions.rules, rules)):
        for doc in docs:
            store.create(doc["id"], doc, user)
            store.set_live(doc["id"], 1, State.LIVE, user)


def seed_catalog() -> None:
    """Publish the scenario's contents and rules."""
    publish(CONTENTS, RULES)


def seed_customers(count: int) -> list[str]:
    from herald.dal import customers
    from herald.domain.customer import parse_customer

    ids = []
    for i in range(count):
        doc = {
            "customer_id": f"fc-{i:04d}",
            "email": f"fc-{i:04d}@example.com",
            "phone": f"+1415555{i:04d}",
            "push": [{"platform": "fcm", "token": f"fcm-token-{i:04d}"}],
            "consent": {"email": True, "sms": True, "push": True},
            "attributes": {"first_name": f"Customer {i}"},
        }
        if ZONES[i % len(ZONES)]:
            doc["timezone"] = ZONES[i % len(ZONES)]
        customers.upsert(parse_customer(doc))
        ids.append(doc["customer_id"])
    return ids


def envelopes(count: int, customer_ids: list[str], seed: int, replay_rate: float) -> list[dict]:
    """``count`` distinct events plus, at ``replay_rate``, exact redeliveries of earlier ones."""
    rng = random.Random(seed)
    out: list[dict] = []
    for i in range(count):
        if out and rng.random() < replay_rate:
            out.append(rng.choice(out))  # at-least-once upstream: the same envelope again
        name = rng.choice(EVENT_NAMES)
        out.append(
            {
                "version": "0",
                "id": f"eb-fault-{i:05d}",
                "detail-type": name,
                "source": "fault-run",
                "time": "2026-11-24T14:00:00Z",
                "detail": {"customer_id": rng.choice(customer_ids), "event_id": f"fe-{i:05d}",
                           "sku": f"sku-{rng.randrange(1000)}"},
            }
        )  # fmt: skip
    return out


# --------------------------------------------------------------------------- driving


def load_handler(stack, logical_id: str):
    """A function's handler from the template's CodeUri (one module per function, as Lambda)."""
    from herald_dev.local import template as tpl
    from herald_dev.local.runner import load_handler as load

    return load(stack.functions[logical_id], tpl.REPO_ROOT)


@dataclass
class FaultReport:
    events: int  # envelopes delivered (distinct events plus redeliveries)
    distinct_events: int
    rate: float
    exhausted_rate: float
    injected: dict
    decide_invocations: int = 0
    decide_dead_lettered: int = 0
    send_invocations: int = 0
    outgoing: int = 0  # messages decided queued or deferred
    sent: int = 0  # sent exactly once at the provider
    parked: int = 0  # not sent, on a DLQ with a reason
    refused: int = 0  # not sent, final failed/suppressed with a reason on the message
    lost: list = field(default_factory=list)
    duplicated: dict = field(default_factory=dict)
    dlq_without_reason: int = 0
    seconds: float = 0.0
    after_redrive: dict = field(default_factory=dict)

    def figures(self) -> dict:
        return {
            "faults_lost": len(self.lost),
            "faults_duplicated": len(self.duplicated),
            "faults_rate": self.rate,
            "faults_exhausted_rate": self.exhausted_rate,
            "faults_events": self.events,
            "faults_distinct_events": self.distinct_events,
            "faults_injected": sum(self.injected.values()),
        }


class Pipeline:
    """Lambda and SQS as AWS runs them, around the template's decide and send handlers."""

    def __init__(self, stack, injector: FaultInjector | None = None) -> None:
        from herald.settings import settings
        from herald_dev.local.context import LambdaContext

        self.stack = stack
        self.injector = injector
        self.decide = load_handler(stack, "DecideFunction")
        self.send = load_handler(stack, "SendFunction")
        self.context = LambdaContext("herald-local-fault", "arn:aws:lambda:us-east-1:0:function:f")
        self.config = settings()
        import boto3

        self.sqs = boto3.client("sqs", region_name=self.config.region)
        self.decide_invocations = 0
        self.send_invocations = 0
        self.decide_dead_lettered = 0
        self.send_responses: list = []  # what each send invocation returned

    @contextmanager
    def _faults(self) -> Iterator[None]:
        if self.injector is None:
            yield
        else:
            with self.injector.active():
                yield

    def deliver_event(self, envelope: dict) -> bool:
        """Invoke decide as Lambda's asynchronous invocation does; park the event if every
        attempt fails (Lambda's DLQ, with its ErrorMessage attribute). True if it succeeded."""
        error = ""
        for _attempt in range(ASYNC_ATTEMPTS):
            self.decide_invocations += 1
            try:
                with self._faults():
                    self.decide(envelope, self.context)
                return True
            except Exception as exc:  # noqa: BLE001 — Lambda retries whatever the function raised
                error = f"{type(exc).__name__}: {exc}"[:900]
        self.decide_dead_lettered += 1
        self.sqs.send_message(
            QueueUrl=self.config.decide_dlq_url,
            MessageBody=json.dumps(envelope),
            MessageAttributes={"ErrorMessage": {"DataType": "String", "StringValue": error}},
        )
        return False

    def pump_send(self, rounds: int | None = None) -> int:
        """Receive batches from the send queue and invoke send, as the event source mapping
        does: failed items become visible again (their receive count grows), the rest are
        deleted; moto moves a record past maxReceiveCount to the DLQ. Returns records handled."""
        from herald_dev.local.runner import failed_ids, sqs_event

        url, handled, done = self.config.send_queue_url, 0, 0
        while rounds is None or done < rounds:
            done += 1
            got = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                MessageAttributeNames=["All"], WaitTimeSeconds=0,
            ).get("Messages", [])  # fmt: skip
            if not got:
                if rounds is None and self._in_flight(url):
                    continue
                break
            handled += len(got)
            event = sqs_event(got, self.config.send_queue_arn, self.config.region)
            self.send_invocations += 1
            try:
                with self._faults():
                    response = self.send(event, self.context)
                self.send_responses.append(response)
                failed = failed_ids(response)
            except Exception:  # noqa: BLE001 — a crashed batch: every record comes back
                failed = {m["MessageId"] for m in got}
            for m in got:
                if m["MessageId"] in failed:
                    self.sqs.change_message_visibility(
                        QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                    )
                else:
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return handled

    def _in_flight(self, url: str) -> bool:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessagesNotVisible"]) > 0

    def fire_schedules(self) -> int:
        """Deliver every one-time schedule's input to its queue (the morning has come)."""
        import boto3

        from herald_dev.local.runner import fire_schedules

        scheduler = boto3.client("scheduler", region_name=self.config.region)
        fired, _ = fire_schedules(scheduler, self.sqs)
        return len(fired)


@contextmanager
def cheap_transaction_backups() -> Iterator[None]:
    """Speed, not semantics: moto backs up every table a TransactWriteItems touches with a
    deepcopy, O(table size) per call and so quadratic over a run. During a run the backup copies
    the item map and each item's top-level attributes instead, which rolls back everything
    Herald's transactions do (put items, SET top-level attributes)."""
    import copy
    import types

    from moto.dynamodb import models as ddb_models
    from moto.dynamodb.models.table import Table

    def backup(obj: Any, memo: Any = None) -> Any:
        if not isinstance(obj, Table):
            return copy.deepcopy(obj, memo)
        clone = copy.copy(obj)
        clone.items = type(obj.items)(dict)
        for key, value in obj.items.items():
            clone.items[key] = (
                {r: _item_backup(i) for r, i in value.items()} if obj.has_range_key
                else _item_backup(value)
            )  # fmt: skip
        return clone

    saved = ddb_models.copy
    ddb_models.copy = types.SimpleNamespace(deepcopy=backup, copy=copy.copy)
    try:
        yield
    finally:
        ddb_models.copy = saved


def _item_backup(item: Any) -> Any:
    import copy

    clone = copy.copy(item)
    clone.attrs = type(item.attrs)(item.attrs)  # dict.update: no per-key size checks
    return clone


@contextmanager
def frozen_clock(now: datetime) -> Iterator[None]:
    from herald.service import decide

    saved = decide.utcnow
    decide.utcnow = lambda: now
    try:
        yield
    finally:
        decide.utcnow = saved


def run(
    stack,
    *,
    events: int = 1000,
    customers: int = 150,
    rate: float = 0.15,
    exhausted_rate: float = 0.03,
    seed: int = 7,
    replay_rate: float = 0.05,
    redrive: bool = False,
    now: datetime = DEFAULT_NOW,
) -> FaultReport:
    """The whole run, inside ``mock_aws`` with ``stack`` created and its environment set."""
    started = time.perf_counter()
    seed_catalog()
    customer_ids = seed_customers(customers)
    batch = envelopes(events, customer_ids, seed, replay_rate)
    injector = FaultInjector(rate, exhausted_rate=exhausted_rate, seed=seed).install()
    try:
        pipeline = Pipeline(stack, injector)
        with frozen_clock(now), cheap_transaction_backups():
            for i, envelope in enumerate(batch):
                pipeline.deliver_event(envelope)
                if i % 25 == 24:
                    pipeline.pump_send(rounds=3)  # the send function keeps up meanwhile
            pipeline.pump_send()
            pipeline.fire_schedules()
            pipeline.pump_send()
    finally:
        injector.uninstall()
    report = FaultReport(
        events=len(batch),
        distinct_events=events,
        rate=rate,
        exhausted_rate=exhausted_rate,
        injected=injector.summary(),
        decide_invocations=pipeline.decide_invocations,
        decide_dead_lettered=pipeline.decide_dead_lettered,
        send_invocations=pipeline.send_invocations,
    )
    account(report)
    if redrive:
        report.after_redrive = redrive_and_recount(stack, pipeline, now)
    report.seconds = round(time.perf_counter() - started, 2)
    return report


# --------------------------------------------------------------------------- accounting


def provider_sends() -> Counter:
    """Herald message id -> times SES/SNS accepted it (read from moto's backends)."""
    from email import message_from_string

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    from herald.settings import settings

    region = settings().region
    sends: Counter = Counter()
    for m in ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages:
        raw = getattr(m, "raw_data", None)
        if raw:
            sends[message_from_string(raw)["X-Herald-Message-Id"]] += 1
    sns = sns_backends[DEFAULT_ACCOUNT_ID][region]
    for _phone, text in sns.sms_messages.values():
        if found := re.search(r"ref ([0-9a-f]{32})", text):
            sends[found.group(1)] += 1
    for endpoint in sns.platform_endpoints.values():
        for payload in endpoint.messages.values():
            gcm = json.loads(json.loads(payload)["GCM"])
            sends[gcm["fcmV1Message"]["message"]["data"]["herald_message_id"]] += 1
    return sends


def _scan_records() -> tuple[dict, dict]:
    """(message id -> decided outcome, message id -> (status, reason, event id)) from the table."""
    from herald.dal.tables import RecordItem, bind

    bind()
    decided, stored = {}, {}
    for item in RecordItem.scan():
        if item.kind == "trace":
            for action in item.doc.get("actions", []):
                if action.get("message_id"):
                    decided[action["message_id"]] = action.get("outcome")
        elif item.kind == "message":
            stored[item.pk.removeprefix("msg#")] = (
                item.status,
                item.doc.get("reason"),
                item.doc["event_id"],
            )
    return decided, stored


def _dead_letters() -> tuple[dict, dict, int]:
    """(message id -> reason on the send DLQ, event id -> reason on the decide DLQ, no-reason count)."""
    from herald.settings import settings
    from herald_dev import dlq

    config = settings()
    messages, events, no_reason = {}, {}, 0
    for url, into, key in (
        (config.send_dlq_url, messages, "message_id"),
        (config.decide_dlq_url, events, "event_id"),
    ):
        for parked in dlq.inspect(url, limit=10_000).records:
            doc = parked.doc if isinstance(parked.doc, dict) else {}
            ident = doc.get(key) or (doc.get("detail") or {}).get(key)
            if not parked.reason:
                no_reason += 1
            if ident:
                into[ident] = parked.reason
    return messages, events, no_reason


def account(report: FaultReport) -> None:
    """Every message decided queued/deferred: sent exactly once, or parked/refused with a reason."""
    decided, stored = _scan_records()
    sends = provider_sends()
    parked_messages, parked_events, no_reason = _dead_letters()
    report.dlq_without_reason = no_reason
    report.duplicated = {mid: n for mid, n in sends.items() if n > 1}
    outgoing = [mid for mid, outcome in decided.items() if outcome in ("queued", "deferred")]
    report.outgoing = len(outgoing)
    report.sent = report.parked = report.refused = 0
    report.lost = []
    for mid in outgoing:
        status, reason, event_id = stored.get(mid, (None, None, None))
        if sends[mid] == 1:
            report.sent += 1
        elif sends[mid] > 1:
            continue  # counted in duplicated
        elif parked_messages.get(mid) or parked_events.get(event_id):
            report.parked += 1
        elif status in ("failed", "suppressed") and reason:
            report.refused += 1
        else:
            report.lost.append(
                {"message_id": mid, "status": status, "reason": reason, "event_id": event_id}
            )


def redrive_and_recount(stack, pipeline: Pipeline, now: datetime) -> dict:
    """With the faults gone, re-drive both DLQs and count again: what's left is for a human."""
    from herald_dev import dlq

    config = pipeline.config
    pipeline.injector = None
    quiet = {"echo": lambda _line: None}
    with frozen_clock(now), cheap_transaction_backups():
        # The decide DLQ holds envelopes: deliver them again as the bus would.
        while True:
            got = pipeline.sqs.receive_message(
                QueueUrl=config.decide_dlq_url, MaxNumberOfMessages=10
            ).get("Messages", [])
            if not got:
                break
            for m in got:
                pipeline.deliver_event(json.loads(m["Body"]))
                pipeline.sqs.delete_message(
                    QueueUrl=config.decide_dlq_url, ReceiptHandle=m["ReceiptHandle"]
                )
        moved = dlq.redrive(config.send_dlq_url, config.send_queue_url, **quiet).moved
        pipeline.pump_send()
        pipeline.fire_schedules()
        pipeline.pump_send()
    again = FaultReport(0, 0, 0.0, 0.0, {})
    account(again)
    return {
        "redriven": moved,
        "sent": again.sent,
        "parked": again.parked,
        "lost": len(again.lost),
        "duplicated": len(again.duplicated),
    }
