"""The local stack, running: a moto server, template.yaml's resources, its functions in-process.

``LocalStack`` is what ``herald local demo`` and ``herald local serve`` share. It wires the
functions exactly as template.yaml does, with moto doing the AWS side for real:

- EventBridgeRule events: the rule is created on the template's bus with the template's
  pattern (moto matches it) and an SQS *tap* queue as its target; the pump hands each tapped
  envelope to the function, as Lambda's asynchronous invocation would.
- SNS events: a tap queue subscribed to the topic; each notification becomes an SNS record.
- SQS events: the queue is polled with the event's BatchSize; records the handler reports in
  ``batchItemFailures`` (or all, if it raises) become visible again, so moto's redrive policy
  moves them to the dead-letter queue after ``maxReceiveCount`` receives.
- DynamoDB events: the table's stream (moto records every write) is read from TRIM_HORIZON in
  batches of BatchSize (at most one GetRecords' worth, no batching window waited for), each
  handed to the function as Lambda's stream event. A batch whose invocation raised is retried
  whole, identical, at the next pump; after MaximumRetryAttempts retries (-1: forever, as the
  template says) it is dropped and described to the OnFailure destination, as Lambda does.
- EventBridge Scheduler one-time schedules (``at(...)``) are fired by
  :meth:`LocalStack.fire_due_schedules` when their time has passed.

Api events are served by :mod:`herald_dev.local.server`; Schedule events are not run locally.
Each function runs one invocation at a time, as one Lambda container would; different functions
run concurrently (they share this process's layer modules, unlike on Lambda).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import socket
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3

from herald_dev.local import ses_events, streams
from herald_dev.local import stack as local_stack
from herald_dev.local import template as tpl
from herald_dev.local.context import LambdaContext

log = logging.getLogger("herald_dev.local")

TAP_PREFIX = "herald-local-tap"
# Lambda retries a failed asynchronous invocation twice before it gives up on the event.
ASYNC_RETRIES = 2
SQS_MAX_BATCH = 10  # ReceiveMessage returns at most 10 messages per call
STREAM_MAX_BATCH = streams.GET_RECORDS_MAX  # locally, a stream batch is one GetRecords at most
LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_SECURITY_TOKEN": "local",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
}


@dataclass(frozen=True)
class Invocation:
    """One handler call: which function, why, and whether it raised."""

    function: str
    trigger: str
    ok: bool
    error: str | None = None
    result: Any = None


@dataclass(frozen=True)
class EventSource:
    """What the pump reads for one function event: a queue (a tap queue or the template's)
    or, for a DynamoDB event, a table's stream (``stream_arn``; no queue)."""

    function: str
    event_name: str
    kind: str  # EventBridgeRule | SNS | SQS | DynamoDB
    queue_url: str
    queue_arn: str
    batch_size: int = 1
    report_failures: bool = False
    # EventBridgeRule: where events the function failed go; DynamoDB: the OnFailure destination
    dead_letter_url: str | None = None
    stream_arn: str | None = None  # DynamoDB
    max_retries: int = -1  # DynamoDB: MaximumRetryAttempts (-1: until the batch succeeds)


class LocalStack:
    """template.yaml on a moto server in this process, its functions invoked in-process.

    Sets process-wide environment variables (AWS endpoint, fake credentials, the functions'
    environment) while running; :meth:`stop` restores them.
    """

    def __init__(
        self,
        *,
        aws_port: int = 4566,
        api_port: int = 3000,
        region: str = "us-east-1",
        parameters: dict | None = None,
        template_path: Path = tpl.TEMPLATE_PATH,
        log_level: str = "WARNING",
    ) -> None:
        self.aws_port = aws_port
        self.api_port = api_port
        self.region = region
        self.parameters = parameters or {}
        self.template_path = Path(template_path)
        self.log_level = log_level
        self.endpoint = ""
        self.stack: local_stack.Stack | None = None
        self.sources: list[EventSource] = []
        self.invocations: list[Invocation] = []
        self._server: Any = None
        self._saved_env: dict[str, str | None] = {}
        # One lock per function: Lambda runs one invocation at a time per container, and a
        # function's module state (its resolver, the event it is handling) assumes it. Other
        # functions run concurrently, as their own containers would: a slow admin call or the
        # pump draining a queue must not hold up /health.
        self._invoke_locks: dict[str, threading.RLock] = {}
        self._invoke_locks_guard = threading.Lock()
        self._session: boto3.session.Session | None = None
        self._skipped_schedules: set[str] = set()
        # DynamoDB sources: (function, event) -> its stream's reader, and the failed attempts
        # of the batch it is retrying.
        self._readers: dict[tuple[str, str], streams.StreamReader] = {}
        self._stream_attempts: dict[tuple[str, str], int] = {}
        # What SES would publish for the mail sent here (moto's SES publishes nothing).
        self.ses = ses_events.SesEvents(region)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LocalStack:
        """Start moto, create the template's resources, wire the functions' event sources."""
        try:
            self._start()
        except BaseException:
            self.stop()  # no moto thread or environment left behind by a half-started stack
            raise
        return self

    def _start(self) -> None:
        from moto.server import ThreadedMotoServer  # a dev dependency: only when a stack starts

        _check_port_free(self.aws_port)
        # moto's server logs every request through werkzeug at INFO: too chatty for a demo.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.aws_port, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.aws_port = port
        self.endpoint = f"http://{host}:{port}"
        self._set_env(
            {
                **LOCAL_ENV,
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
            }
        )
        self._saved_env.setdefault("AWS_PROFILE", os.environ.pop("AWS_PROFILE", None))
        self._session = boto3.session.Session(region_name=self.region)
        self.ses.install()  # before the functions create their SES clients
        self.stack = local_stack.create(
            region=self.region, parameters=self.parameters, template=tpl.load(self.template_path)
        )
        env = self.stack.environment()
        env["UNSUBSCRIBE_BASE_URL"] = f"http://127.0.0.1:{self.api_port}/u"
        env["POWERTOOLS_LOG_LEVEL"] = self.log_level
        self._set_env(env)
        self._refresh_settings()
        self.sources = self._wire_sources()

    def stop(self) -> None:
        """Stop moto and restore the environment as it was before :meth:`start`."""
        self.ses.uninstall()
        if self._server is not None:
            self._server.stop()
            self._server = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        self._refresh_settings()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    @staticmethod
    def _refresh_settings() -> None:
        from herald import runtime
        from herald.settings import settings

        settings.cache_clear()
        runtime.reset()

    def client(self, service: str) -> Any:
        """A boto3 client against the local moto server."""
        if self._session is None:
            raise RuntimeError("LocalStack is not started")
        return self._session.client(service, endpoint_url=self.endpoint)

    # ------------------------------------------------------------------ wiring
    @property
    def functions(self) -> dict[str, tpl.FunctionSpec]:
        if self.stack is None:
            raise RuntimeError("LocalStack is not started")
        return self.stack.functions

    def _resolve(self, node: Any) -> Any:
        assert self.stack is not None
        return self.stack.resolver.resolve(node)

    def _queue_url(self, arn: str) -> str:
        name = arn.rsplit(":", 1)[-1]
        return self.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]

    def _tap_queue(self, function: str, event_name: str) -> tuple[str, str]:
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=f"{TAP_PREFIX}-{function}-{event_name}"[:80])["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return url, arn

    def _wire_sources(self) -> list[EventSource]:
        sources = []
        for logical_id, spec in self.functions.items():
            for event_name, event in spec.events.items():
                props = self._resolve(event.get("Properties") or {})
                wire = {
                    "EventBridgeRule": self._wire_eventbridge,
                    "CloudWatchEvent": self._wire_eventbridge,
                    "SNS": self._wire_sns,
                    "SQS": self._wire_sqs,
                    "DynamoDB": self._wire_dynamodb,
                }.get(event.get("Type"))
                if wire is not None:
                    sources.append(wire(logical_id, event_name, props))
        return sources

    def _wire_eventbridge(self, function: str, event_name: str, props: dict) -> EventSource:
        url, arn = self._tap_queue(function, event_name)
        bus = props.get("EventBusName", "default")
        rule = f"herald-local-{function}-{event_name}"[:64]
        events = self.client("events")
        events.put_rule(
            Name=rule, EventBusName=bus, EventPattern=json.dumps(props["Pattern"]), State="ENABLED"
        )
        events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "tap", "Arn": arn}])
        dlq_arn = (props.get("DeadLetterConfig") or {}).get("Arn")
        return EventSource(
            function,
            event_name,
            "EventBridgeRule",
            url,
            arn,
            dead_letter_url=self._queue_url(dlq_arn) if dlq_arn else None,
        )

    def _wire_sns(self, function: str, event_name: str, props: dict) -> EventSource:
        url, arn = self._tap_queue(function, event_name)
        attributes = {}
        if props.get("FilterPolicy"):
            attributes["FilterPolicy"] = json.dumps(props["FilterPolicy"])
        self.client("sns").subscribe(
            TopicArn=props["Topic"], Protocol="sqs", Endpoint=arn, Attributes=attributes
        )
        return EventSource(function, event_name, "SNS", url, arn)

    def _wire_sqs(self, function: str, event_name: str, props: dict) -> EventSource:
        arn = props["Queue"]
        return EventSource(
            function,
            event_name,
            "SQS",
            self._queue_url(arn),
            arn,
            batch_size=min(int(props.get("BatchSize", 10)), SQS_MAX_BATCH),
            report_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
        )

    def _wire_dynamodb(self, function: str, event_name: str, props: dict) -> EventSource:
        if props.get("FilterCriteria"):
            raise NotImplementedError(f"{function}.{event_name}: FilterCriteria isn't run locally")
        # The stream starts empty with the stack: TRIM_HORIZON and LATEST read the same records.
        arn = props["Stream"]
        on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
            "Destination"
        )
        self._readers[(function, event_name)] = streams.StreamReader(
            arn, streams.client(self._session, self.endpoint)
        )
        return EventSource(
            function,
            event_name,
            "DynamoDB",
            "",
            "",
            batch_size=min(int(props.get("BatchSize", 100)), STREAM_MAX_BATCH),
            dead_letter_url=self._queue_url(on_failure) if on_failure else None,
            stream_arn=arn,
            max_retries=int(props.get("MaximumRetryAttempts", -1)),
        )

    # ------------------------------------------------------------------ invoking
    def handler(self, logical_id: str) -> Callable[[dict, Any], Any]:
        """The function's handler, its module imported once (a cold start) from CodeUri."""
        return load_handler(self.functions[logical_id], self.template_path.parent)

    def warm(self) -> dict[str, str]:
        """Import every function's handler now (its cold start); function -> error of those that failed."""
        failed = {}
        for logical_id in self.functions:
            try:
                self.handler(logical_id)
            except Exception as exc:  # a broken function must not stop the others from serving
                log.exception("%s failed to load", logical_id)
                failed[logical_id] = f"{type(exc).__name__}: {exc}"
        return failed

    def context(self, logical_id: str) -> LambdaContext:
        name = f"herald-local-{logical_id}"
        arn = f"arn:aws:lambda:{self.region}:{tpl.ACCOUNT_ID}:function:{name}"
        return LambdaContext(function_name=name, invoked_function_arn=arn)

    def invoke(self, logical_id: str, event: dict, trigger: str = "direct") -> Any:
        """Call the function's handler with ``event``; record the outcome; re-raise errors."""
        with self._invoke_lock(logical_id):
            try:
                result = self.handler(logical_id)(event, self.context(logical_id))
            except Exception as exc:
                self.invocations.append(
                    Invocation(logical_id, trigger, False, f"{type(exc).__name__}: {exc}")
                )
                log.error("%s raised on %s", logical_id, trigger, exc_info=True)
                raise
        self.invocations.append(Invocation(logical_id, trigger, True, result=result))
        return result

    def _invoke_lock(self, logical_id: str) -> threading.RLock:
        with self._invoke_locks_guard:
            return self._invoke_locks.setdefault(logical_id, threading.RLock())

    def failures(self) -> list[Invocation]:
        return [i for i in self.invocations if not i.ok]

    # ------------------------------------------------------------------ publishing
    def default_bus(self) -> str:
        """The template's event bus (its only AWS::Events::EventBus, else "default")."""
        assert self.stack is not None
        buses = [
            self.stack.physical[lid]
            for lid, res in self.stack.template["Resources"].items()
            if res.get("Type") == "AWS::Events::EventBus"
        ]
        return buses[0] if len(buses) == 1 else "default"

    def put_events(self, entries: Iterable[dict]) -> list[str]:
        """PutEvents on the template's bus; envelopes are accepted as well as entries."""
        batch = [self._entry(e) for e in entries]
        ids = []
        for start in range(0, len(batch), 10):  # PutEvents takes at most 10 entries
            response = self.client("events").put_events(Entries=batch[start : start + 10])
            for entry in response["Entries"]:
                if "EventId" not in entry:
                    raise RuntimeError(f"PutEvents refused an entry: {entry.get('ErrorMessage')}")
                ids.append(entry["EventId"])
        return ids

    def _entry(self, item: dict) -> dict:
        if "DetailType" in item:
            return {"EventBusName": self.default_bus(), **item}
        # An EventBridge envelope (what a rule target receives), e.g. events/*.json.
        detail = item.get("detail", {})
        entry = {
            "EventBusName": self.default_bus(),
            "Source": item["source"],
            "DetailType": item["detail-type"],
            "Detail": detail if isinstance(detail, str) else json.dumps(detail),
        }
        if item.get("resources"):
            entry["Resources"] = item["resources"]
        return entry

    # ------------------------------------------------------------------ pumping
    def put_ses_events(self, envelopes: list[dict]) -> None:
        """SES events on the default bus, as SES publishes them (the template routes them)."""
        self.put_events(ses_events.entries(envelopes))

    def pump_once(self) -> int:
        """Read each event source once and invoke its function; the number of records handled."""
        handled = self.ses.emit_pending(self.put_ses_events)
        for source in self.sources:
            handled += self._pump_source(source)
        return handled

    def _pump_source(self, source: EventSource) -> int:
        if source.kind == "DynamoDB":
            return self._pump_stream(source)
        sqs = self.client("sqs")
        response = sqs.receive_message(
            QueueUrl=source.queue_url,
            MaxNumberOfMessages=source.batch_size if source.kind == "SQS" else SQS_MAX_BATCH,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        if source.kind == "SQS":
            self._deliver_batch(source, messages)
        else:
            for message in messages:
                self._deliver_async(source, message)
        return len(messages)

    def _deliver_async(self, source: EventSource, message: dict) -> None:
        """One tapped event, invoked as Lambda's asynchronous invocation does (with retries)."""
        body = json.loads(message["Body"])
        event = body if source.kind == "EventBridgeRule" else sns_event(body, source.queue_arn)
        for _attempt in range(1 + ASYNC_RETRIES):
            try:
                self.invoke(source.function, event, trigger=f"{source.kind}:{source.event_name}")
                break
            except Exception:  # noqa: BLE001 — logged by invoke(); Lambda retries any error
                continue
        else:
            if source.dead_letter_url:
                self.client("sqs").send_message(
                    QueueUrl=source.dead_letter_url, MessageBody=message["Body"]
                )
        self.client("sqs").delete_message(
            QueueUrl=source.queue_url, ReceiptHandle=message["ReceiptHandle"]
        )

    def _deliver_batch(self, source: EventSource, messages: list[dict]) -> None:
        """An SQS batch, with partial batch responses when the event asks for them."""
        sqs = self.client("sqs")
        event = sqs_event(messages, source.queue_arn, self.region)
        try:
            result = self.invoke(source.function, event, trigger=f"SQS:{source.event_name}")
        except Exception:  # noqa: BLE001 — logged by invoke(); the whole batch is retried
            failed = {m["MessageId"] for m in messages}
        else:
            failed = failed_ids(result) if source.report_failures else set()
        for message in messages:
            if message["MessageId"] in failed:
                # Visible again at once: the next receive counts towards maxReceiveCount.
                sqs.change_message_visibility(
                    QueueUrl=source.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=0,
                )
            else:
                sqs.delete_message(
                    QueueUrl=source.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def _pump_stream(self, source: EventSource) -> int:
        """One batch of a table's stream; the number of records delivered (0 if it failed)."""
        key = (source.function, source.event_name)
        reader = self._readers[key]
        # One batch in flight per shard, as Lambda: read, invoke and hand back under the
        # function's lock, so a retried batch is never overtaken by a newer one.
        with self._invoke_lock(source.function):
            batch = reader.read(source.batch_size)
            if not batch:
                return 0
            try:
                self.invoke(
                    source.function, {"Records": batch}, trigger=f"DynamoDB:{source.event_name}"
                )
            except Exception:  # noqa: BLE001 — logged by invoke(); the whole batch is retried
                attempts = self._stream_attempts[key] = self._stream_attempts.get(key, 0) + 1
                if source.max_retries < 0 or attempts <= source.max_retries:
                    reader.retry(batch)
                    return 0
                self._stream_attempts.pop(key)
                self._stream_gave_up(source, reader.shard_of(batch), batch, attempts)
                return len(batch)
            self._stream_attempts.pop(key, None)
            return len(batch)

    def _stream_gave_up(
        self, source: EventSource, shard: str | None, batch: list[dict], attempts: int
    ) -> None:
        """Lambda's OnFailure record for a stream batch: where it was, not what it held."""
        log.error(
            "%s gave up on %d stream records after %d attempts",
            source.function,
            len(batch),
            attempts,
        )
        if not source.dead_letter_url:
            return
        self.client("sqs").send_message(
            QueueUrl=source.dead_letter_url,
            MessageBody=json.dumps(
                stream_failure(source, self.context(source.function), shard, batch, attempts)
            ),
        )

    def pending(self) -> int:
        """Messages waiting (visible or in flight) on every queue the pump reads, and stream
        records not delivered yet (or being retried)."""
        sqs = self.client("sqs")
        total = 0
        for source in self.sources:
            if source.kind == "DynamoDB":
                total += self._readers[(source.function, source.event_name)].pending()
                continue
            attrs = sqs.get_queue_attributes(
                QueueUrl=source.queue_url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            total += int(attrs["ApproximateNumberOfMessages"]) + int(
                attrs["ApproximateNumberOfMessagesNotVisible"]
            )
        return total

    def drain(self, timeout: float = 30.0) -> int:
        """Pump until every source queue is empty; the number of records handled.

        Raises TimeoutError if work is still queued after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        handled = 0
        while True:
            round_handled = self.pump_once()
            handled += round_handled
            if round_handled == 0 and self.pending() == 0:
                return handled
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"queues not drained after {timeout:.0f}s ({self.pending()} pending)"
                )
            if round_handled == 0:
                time.sleep(0.05)  # in-flight messages only: wait for them to come back

    def run_pump(
        self, stop: threading.Event, interval: float = 0.05, schedule_interval: float = 1.0
    ) -> None:
        """Pump and fire due schedules until ``stop`` is set (the server's background thread)."""
        next_schedules = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() >= next_schedules:  # a few calls per schedule: not every 50 ms
                    self.fire_due_schedules()
                    next_schedules = time.monotonic() + schedule_interval
                busy = self.pump_once()
            except Exception:
                log.exception("local pump failed; retrying")
                busy = 0
            if not busy:
                stop.wait(interval)

    # ------------------------------------------------------------------ schedules
    def fire_due_schedules(self, now: datetime | None = None) -> list[str]:
        """Deliver one-time schedules (``at(...)``) that are due to their SQS target, then delete them.

        Returns the names of the schedules fired.
        """
        fired, skipped = fire_schedules(
            self.client("scheduler"), self.client("sqs"), now or datetime.now(UTC)
        )
        for name, arn in skipped:
            if name not in self._skipped_schedules:
                log.warning("schedule %s targets %s, which runs only on AWS", name, arn)
                self._skipped_schedules.add(name)
        return fired

    def schedules(self) -> list[dict]:
        """Every schedule still waiting: name, group, expression."""
        scheduler = self.client("scheduler")
        out = []
        for summary in _paginate(scheduler.list_schedules, "Schedules"):
            schedule = scheduler.get_schedule(
                Name=summary["Name"], GroupName=summary.get("GroupName", "default")
            )
            out.append(
                {
                    "name": schedule["Name"],
                    "group": schedule.get("GroupName"),
                    "expression": schedule["ScheduleExpression"],
                }
            )
        return out

    # ------------------------------------------------------------------ dead letters
    def dead_letter_queues(self) -> dict[str, str]:
        """Logical id -> URL of every queue the template uses as a dead-letter queue."""
        assert self.stack is not None
        arns = set()
        for res in self.stack.template["Resources"].values():
            props = (
                self._resolve(res.get("Properties") or {})
                if res.get("Type") == "AWS::SQS::Queue"
                else {}
            )
            if arn := (props.get("RedrivePolicy") or {}).get("deadLetterTargetArn"):
                arns.add(arn)
        for spec in self.functions.values():
            for event in spec.events.values():
                props = event.get("Properties") or {}
                if "DeadLetterConfig" in props:
                    arns.add(self._resolve(props["DeadLetterConfig"]).get("Arn"))
                if on_failure := (props.get("DestinationConfig") or {}).get("OnFailure"):
                    arns.add(self._resolve(on_failure).get("Destination"))
        by_arn = {v: lid for (lid, attr), v in self.stack.resolver.attrs.items() if attr == "Arn"}
        return {by_arn.get(arn, arn): self._queue_url(arn) for arn in arns if arn}

    def dead_letters(self) -> dict[str, int]:
        """Logical id -> messages waiting in that dead-letter queue (only non-empty ones)."""
        sqs = self.client("sqs")
        counts = {}
        for logical_id, url in self.dead_letter_queues().items():
            attrs = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )
            count = int(attrs["Attributes"]["ApproximateNumberOfMessages"])
            if count:
                counts[logical_id] = count
        return counts


def load_handler(spec: tpl.FunctionSpec, template_dir: Path) -> Callable[[dict, Any], Any]:
    """A function's handler from its CodeUri, the module imported once per process (as one
    Lambda container would) under a name of its own, so functions never share an ``app``."""
    module_path, _, attr = spec.handler.rpartition(".")
    code_dir = (template_dir / spec.code_uri).resolve()
    # One name per code directory: two templates' "app" modules must never be confused.
    name = f"herald_local_fn_{code_dir.name}_{zlib.crc32(str(code_dir).encode()):08x}"
    module = sys.modules.get(name)
    if module is None:
        file = code_dir / (module_path.replace(".", "/") + ".py")
        loader_spec = importlib.util.spec_from_file_location(name, file)
        if loader_spec is None or loader_spec.loader is None:
            raise FileNotFoundError(f"{spec.logical_id}: no handler module at {file}")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[name] = module  # dataclasses and pickling look modules up by name
        try:
            loader_spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]  # a failed cold start is retried next time, as on Lambda
            raise
    return getattr(module, attr)


def fire_schedules(
    scheduler: Any, sqs: Any, now: datetime | None = None
) -> tuple[list[str], list[tuple[str, str]]]:
    """Deliver every one-time schedule due by ``now`` (None: all of them) to its SQS target and
    delete it. Returns (names fired, (name, target ARN) of due schedules with other targets)."""
    fired, skipped = [], []
    # List everything first: deleting while paging would skip schedules.
    for summary in list(_paginate(scheduler.list_schedules, "Schedules")):
        name, group = summary["Name"], summary.get("GroupName", "default")
        schedule = scheduler.get_schedule(Name=name, GroupName=group)
        due = schedule_due_at(
            schedule["ScheduleExpression"], schedule.get("ScheduleExpressionTimezone")
        )
        if due is None or (now is not None and due > now) or schedule.get("State") == "DISABLED":
            continue
        target = schedule["Target"]
        if ":sqs:" not in target["Arn"]:
            skipped.append((name, target["Arn"]))
            continue
        url = sqs.get_queue_url(QueueName=target["Arn"].rsplit(":", 1)[-1])["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=target.get("Input", "{}"))
        scheduler.delete_schedule(Name=name, GroupName=group)
        fired.append(name)
    return fired, skipped


def _check_port_free(port: int) -> None:
    """Fail early and clearly: moto's server thread would die silently on a busy port."""
    if port == 0:
        return
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise OSError(
                f"port {port} on 127.0.0.1 is in use (choose another with --aws-port)"
            ) from exc


# ---------------------------------------------------------------------- event shapes
def sqs_event(messages: list[dict], queue_arn: str, region: str) -> dict:
    """The Lambda event for a batch of SQS messages (as returned by ReceiveMessage)."""
    records = []
    for m in messages:
        records.append(
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": dict(m.get("Attributes", {})),
                "messageAttributes": {
                    name: _lambda_message_attribute(value)
                    for name, value in (m.get("MessageAttributes") or {}).items()
                },
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


def _lambda_message_attribute(value: dict) -> dict:
    # Lambda spells SQS message attributes in camelCase, ReceiveMessage in PascalCase.
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": value.get("BinaryValue"),
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": value.get("BinaryListValues", []),
        "dataType": value.get("DataType", "String"),
    }


def sns_event(notification: dict, subscription_arn: str) -> dict:
    """The Lambda event for one SNS notification (as an SQS subscription receives it)."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": notification.get("Type", "Notification"),
                    "MessageId": notification.get("MessageId", str(uuid.uuid4())),
                    "TopicArn": notification.get("TopicArn", ""),
                    "Subject": notification.get("Subject"),
                    "Message": notification.get("Message", ""),
                    "Timestamp": notification.get("Timestamp", ""),
                    "SignatureVersion": notification.get("SignatureVersion", "1"),
                    "Signature": notification.get("Signature", ""),
                    "SigningCertUrl": notification.get("SigningCertURL", ""),
                    "UnsubscribeUrl": notification.get("UnsubscribeURL", ""),
                    "MessageAttributes": notification.get("MessageAttributes", {}),
                },
            }
        ]
    }


def stream_failure(
    source: EventSource, context: LambdaContext, shard: str | None, batch: list[dict], attempts: int
) -> dict:
    """What Lambda sends a stream event's OnFailure destination for a batch it gave up on."""
    first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]

    def arrival(change: dict) -> str:
        at = change.get("ApproximateCreationDateTime") or 0
        return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": context.invoked_function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "DDBStreamBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"],
            "approximateArrivalOfFirstRecord": arrival(first),
            "approximateArrivalOfLastRecord": arrival(last),
            "batchSize": len(batch),
            "streamArn": source.stream_arn,
        },
    }


def failed_ids(result: Any) -> set[str]:
    """Message ids a partial batch response reports as failed."""
    if not isinstance(result, dict):
        return set()
    return {
        f["itemIdentifier"] for f in result.get("batchItemFailures") or [] if isinstance(f, dict)
    }


def schedule_due_at(expression: str, timezone: str | None) -> datetime | None:
    """When a one-time schedule ``at(yyyy-mm-ddThh:mm:ss)`` fires; None for rate/cron ones."""
    if not expression.startswith("at(") or not expression.endswith(")"):
        return None
    local = datetime.fromisoformat(expression[3:-1])
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(timezone or "UTC"))
    return local.astimezone(UTC)


def _paginate(call: Callable[..., dict], key: str, **kwargs: Any) -> Iterable[dict]:
    token = None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return
