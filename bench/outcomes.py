"""Outcome figures for ``make bench`` (issue 8), and the cost model behind the README's cost page.

- ``outcomes_per_s``: SES events parsed, joined to their message (its tags) and recorded
  idempotently (one TransactWriteItems each), in-process on moto;
- ``aws_calls_per_outcome`` (goal <= 2) and ``aws_calls_by_outcome``, counted with botocore
  hooks over a realistic mix (deliveries, opens, clicks, redeliveries);
- ``hot_item_max_writes_per_s``: one rule driven at 3,000 outcomes/s for a second, the writes
  each counter item takes (DynamoDB allows ~1,000 per item per second);
- ``stats_read_calls`` / ``stats_read_ms``: a rule with 3 arms x 90 days of counters, read;
- ``cost_per_1k_emails_usd`` (goal <= 0.110): 1,000 marketing emails from event to outcome —
  what the bench counts (calls by operation, write units from item sizes, handler time at the
  configured memory, log bytes, SQS and EventBridge requests) times AWS on-demand list prices.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import random
import time
import warnings
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# AWS on-demand list prices, us-east-1, arm64 Lambda — written 2026-12-02 (check the pricing pages).
PRICES_DATE = "2026-12-02"
PRICES = {
    "ses_per_email": 0.10 / 1000,
    "lambda_gb_s": 0.0000133334,  # arm64
    "lambda_request": 0.20 / 1e6,
    "ddb_write_unit": 0.625 / 1e6,  # on-demand write request unit
    "ddb_read_unit": 0.125 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "eventbridge_custom_event": 1.00 / 1e6,  # SES's own events on the default bus are free
    "logs_ingest_gb": 0.50,
}
MEMORY_GB = 0.5  # template.yaml Globals MemorySize 512
EMAILS = 40
STREAM_BATCH = 500  # template.yaml CountersFunction MessageChanges BatchSize
MIX = {"Delivery": 1.0, "Open": 0.25, "Click": 0.04}  # per email, plus 5% redelivered events


KEY_NAMES = ("pk", "sk", "customer_id", "name", "entity_key", "at", "kind", "address")


def _targets(operation: str, body: dict) -> list[tuple[str, str, int, bool]]:
    """(table, key, write-unit multiplier, creates) of each item a DynamoDB call writes: a
    transaction costs two write units per KB of each item, a plain write one; ``creates`` says
    a Put (what writes a keys-only index entry)."""
    if operation == "TransactWriteItems":
        found = []
        for entry in body.get("TransactItems", []):
            for kind, op in entry.items():
                if kind == "ConditionCheck":
                    continue
                key = op.get("Key") or {k: op["Item"][k] for k in KEY_NAMES if k in op.get("Item", {})}  # fmt: skip
                found.append((op["TableName"], json.dumps(key, sort_keys=True), 2, kind == "Put"))
        return found
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        key = body.get("Key") or {k: v for k, v in (body.get("Item") or {}).items() if k in KEY_NAMES}  # fmt: skip
        return [(body.get("TableName", ""), json.dumps(key, sort_keys=True), 1, operation == "PutItem")]  # fmt: skip
    return []


def _index_units(table: str, key: str, creates: bool, indexes: dict, sizes: dict) -> int:
    """Write units a write costs in the table's global secondary indexes (billed as plain
    writes): a keys-only index entry is written when its item is created; an ALL projection's
    on every write, at the item's size. Each index the item is in (sparse: it has the keys)."""
    units = 0
    for projection, members in indexes.get(table, []):
        if key not in members:
            continue
        if projection == "KEYS_ONLY":
            units += 1 if creates else 0
        else:
            units += max(1, math.ceil(sizes.get((table, key), 100) / 1024))
    return units


def _item_size(item: dict) -> int:
    """DynamoDB's item size: attribute names plus values (numbers and strings as their text)."""
    return sum(len(name) + len(json.dumps(value)) for name, value in item.items())


def _sizes(tables: set[str]) -> tuple[dict[tuple[str, str], int], dict[str, list], dict]:
    """Every item's size; per table its indexes (projection, keys of the items in it) and its
    key attributes."""
    import boto3

    ddb = boto3.client("dynamodb", region_name="us-east-1")
    sizes, indexes, key_names = {}, {}, {}
    for table in tables:
        described = ddb.describe_table(TableName=table)["Table"]
        names = [k["AttributeName"] for k in described["KeySchema"]]
        found = [
            (i["Projection"]["ProjectionType"], [k["AttributeName"] for k in i["KeySchema"]], set())
            for i in described.get("GlobalSecondaryIndexes", [])
        ]
        for page in ddb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                key = json.dumps({n: item[n] for n in names}, sort_keys=True)
                sizes[(table, key)] = _item_size(item)
                for _, index_keys, members in found:
                    if all(k in item for k in index_keys):
                        members.add(key)
        indexes[table] = [(projection, members) for projection, _, members in found]
        key_names[table] = names
    return sizes, indexes, key_names


def _key(table: str, key: str, key_names: dict) -> str:
    """A written item's key as the scan names it: the table's key attributes only (a Put's
    candidates include other attributes of the item)."""
    names = key_names.get(table)
    if not names:
        return key
    found = json.loads(key)
    return json.dumps({n: found[n] for n in names if n in found}, sort_keys=True)


def _read_units(operation: str, body: dict) -> float:
    if operation == "GetItem":
        return 1.0 if body.get("ConsistentRead") else 0.5
    if operation == "Query":
        return 0.5  # a small query: one 4 KB page, eventually consistent
    return 0.0


# The emails costed: a plain marketing rule (the welcome email on sign-up), and the winter-sale
# experiment, whose 20% holdout draws exposures that are recorded (a message, a trace, the
# customer's exposure) and send nothing: their writes are spread over the emails the arms send.
CASES = {
    "plain": ("customer.signed_up", {}),
    "experiment": ("product.viewed", {"category": "outerwear"}),
}


def run() -> dict:
    found = _run("plain")
    experiment = _run("experiment", full=False)
    found["cost_per_1k_emails_experiment_usd"] = experiment["cost_per_1k_emails_usd"]
    found["cost_breakdown_experiment_per_1k_usd"] = experiment["cost_breakdown_per_1k_usd"]
    found["write_units_per_email_experiment"] = experiment["write_units_per_email"]
    return found


def _run(case: str, full: bool = True) -> dict:
    import boto3
    import botocore.handlers

    from herald import runtime
    from herald.dal import counting as counting_dal
    from herald.dal import outcomes, records
    from herald.dal.customers import upsert
    from herald.domain.customer import parse_customer
    from herald.domain.event import from_envelope
    from herald.domain.outcome import ref_of, tags
    from herald.observability import logger
    from herald.service import counting, decide, send
    from herald.service import outcomes as outcome_service
    from herald.settings import settings
    from herald_dev import rulesfiles
    from herald_dev.local import stack as local_stack
    from herald_dev.local import streams
    from herald_dev.local.ses_events import SentEmail, record

    logger.setLevel(logging.CRITICAL)
    calls: list[tuple[str, dict, str]] = []

    def count(model, params, **kwargs) -> None:
        body = params.get("body")
        try:
            doc = json.loads(body) if body else {}
        except (TypeError, ValueError):
            doc = {}
        calls.append((f"{model.service_model.service_name}:{model.name}", doc, ""))

    hook = ("before-call.*.*", count)
    phase_calls: dict[str, list] = {}
    durations: dict[str, float] = {}
    log = io.StringIO()
    with local_stack.in_process(log_level="ERROR"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rulesfiles.load_into_tables(ROOT / "rules", echo=lambda _line: None)
        for i in range(EMAILS):
            upsert(parse_customer({"customer_id": f"c-{i}", "email": f"c{i}@example.com",
                                   "consent": {"email": True}, "attributes": {"first_name": "A"}}))  # fmt: skip
        botocore.handlers.BUILTIN_HANDLERS.append(hook)
        try:
            runtime.reset()
            logger.setLevel(logging.INFO)  # the functions' configured level: count their log bytes
            handler = logging.StreamHandler(log)
            logger.addHandler(handler)
            for h in list(logger.handlers):
                if h is not handler:
                    logger.removeHandler(h)
            now = datetime.now(UTC)

            def envelope(i: int) -> dict:
                name, detail = CASES[case]
                return {"id": f"b-{i}", "detail-type": name, "source": "bench",
                        "time": "2026-11-24T12:00:00Z",
                        "detail": {"customer_id": f"c-{i}", "event_id": f"b-{i}", **detail}}  # fmt: skip

            decide.handle(from_envelope(envelope(0)), now)  # warm
            calls.clear()
            t0 = time.perf_counter()
            sent_ids = []
            for i in range(1, EMAILS):
                result = decide.handle(from_envelope(envelope(i)), now)
                sent_ids += result.queued
            durations["decide"] = time.perf_counter() - t0
            phase_calls["decide"], calls[:] = list(calls), []
            t0 = time.perf_counter()
            for message_id in sent_ids:
                send.handle(message_id)
            durations["send"] = time.perf_counter() - t0
            phase_calls["send"], calls[:] = list(calls), []
            rng = random.Random(4)
            events = []
            for message_id in sent_ids:
                message = records.get_message(message_id)
                found = {t["Name"]: [t["Value"]] for t in tags(ref_of(message))}
                mail = SentEmail(
                    "ses", "hello@example.com", ["x@example.com"], found, "herald-dev", "t"
                )
                for kind, share in MIX.items():
                    if rng.random() < share:
                        events.append(record(mail, kind, "us-east-1"))
            events += rng.sample(events, len(events) // 20)  # redelivered: counted once
            calls.clear()
            t0 = time.perf_counter()
            for event in events:
                outcome_service.handle_ses(event)
            elapsed = time.perf_counter() - t0
            durations["feedback"] = elapsed
            phase_calls["feedback"], calls[:] = list(calls), []
            # The stream trigger: every change above, in batches of the template's size.
            # Only the function's own calls and time: the poller's (Lambda's) reads are free.
            batches, own_calls = [], []

            def count_batch(event: dict) -> None:
                before = len(calls)
                t0 = time.perf_counter()
                batches.append(counting.on_stream(event))
                durations["count"] = durations.get("count", 0.0) + time.perf_counter() - t0
                own_calls.extend(calls[before:])

            stream_records = streams.drain(
                count_batch, settings().messages_table, batch_size=STREAM_BATCH
            )
            phase_calls["count"], calls[:] = own_calls, []
            # stats read: 3 arms x 90 days x every shard
            if full:
                ddb = boto3.client("dynamodb", region_name="us-east-1")
                table = settings().counters_table
                batch = []
                for d in range(90):
                    day = f"2026-{(d // 28) % 12 + 8:02d}-{d % 28 + 1:02d}"
                    for armname in ("holdout", "variant-a", "variant-b"):
                        for shard in range(outcomes.SHARDS):
                            batch.append({"PutRequest": {"Item": {
                                "pk": {"S": "rule#bench-stats"}, "sk": {"S": f"v1#{day}#{armname}#{shard:02d}"},
                                "exposed": {"N": "40"}, "sent": {"N": "36"}, "delivered": {"N": "35"},
                                "clicked": {"N": "3"}, "converted": {"N": "2"}, "revenue": {"N": "123.5"}}}})  # fmt: skip
                for start in range(0, len(batch), 25):
                    ddb.batch_write_item(RequestItems={table: batch[start : start + 25]})
            writes = [t for phase in phase_calls.values() for op, body, _ in phase
                      if op.startswith("dynamodb:") for t in _targets(op.split(":")[1], body)]  # fmt: skip
            sizes, indexes, key_names = _sizes({table for table, _, _, _ in writes})

            def units_of(table: str, key: str, m: int, creates: bool) -> tuple[int, int]:
                key = _key(table, key, key_names)
                own = m * max(1, math.ceil(sizes.get((table, key), 100) / 1024))
                return own, _index_units(table, key, creates, indexes, sizes)

            write_units = sum(sum(units_of(*w)) for w in writes)
            by_phase = {}
            for phase, found in phase_calls.items():
                units = Counter()
                for op, body, _ in found:
                    if op.startswith("dynamodb:"):
                        for table, key, m, creates in _targets(op.split(":")[1], body):
                            own, index = units_of(table, key, m, creates)
                            name = f"{op.split(':')[1]}:{table.split('-')[-1]}"
                            units[name] += own
                            if index:
                                units[f"{name}:index"] += index
                by_phase[phase] = {k: round(v / len(sent_ids), 2) for k, v in units.items()}
            calls.clear()
            t0 = time.perf_counter()
            read = outcomes.read_rule("bench-stats", 1, "2026-08-01", "2026-12-31") if full else {}
            stats_ms = (time.perf_counter() - t0) * 1000
            stats_calls = len(calls)
        finally:
            botocore.handlers.BUILTIN_HANDLERS.remove(hook)
            logger.setLevel(logging.CRITICAL)
    feedback_calls = phase_calls["feedback"]
    by_op = Counter(op for op, _, _ in feedback_calls)
    hot = _hot_item(counting_dal, outcomes)
    emails = len(sent_ids)
    volume = {"events": EMAILS - 1, "ses_events": len(events), "stream_batches": len(batches)}
    cost = _cost(phase_calls, durations, emails, len(log.getvalue().encode()), write_units, volume)
    count_calls = len(phase_calls["count"])
    return {
        "outcomes_per_s": round(len(events) / elapsed),
        "outcome_events": len(events),
        # the feedback function's calls, plus the counting function's (all its calls, though
        # they count exposures and sends too) spread over the outcomes
        "aws_calls_per_outcome": round((len(feedback_calls) + count_calls) / len(events), 3),
        "aws_calls_by_outcome": {k: round(v / len(events), 3) for k, v in sorted(by_op.items())},
        "counting_calls_per_batch": round(count_calls / max(1, len(batches)), 1),
        "stream_records_per_email": round(stream_records / len(sent_ids), 2),
        **hot,
        "hot_item_shards": outcomes.SHARDS,
        "stats_read_calls": stats_calls,
        "stats_read_ms": round(stats_ms, 1),
        "stats_read_buckets": len(read),
        "write_units_per_email": by_phase,
        **cost,
    }


def _hot_item(counting_dal, outcomes) -> dict:
    """One rule at 3,000 outcomes in one second (one day, one arm), through the counting
    function's batching: the writes the most-written counter item takes. Lambda fills a batch
    to the template's size when records come faster than its window; the unbatched figure (one
    record per invocation, the worst case) is the shards' spread alone."""
    from dataclasses import replace

    from herald.domain.outcome import MessageRef

    records = [
        counting_dal.Counted(f"ev-{i:05d}", i, outcomes.change_increments(
            MessageRef(f"{i:032x}", "hot", 1, "a", "2026-11-24T12", "email", "marketing"),
            ["delivered"]))
        for i in range(3000)
    ]  # fmt: skip

    def writes(batch: int) -> int:
        per_item = Counter()
        for start in range(0, len(records), batch):
            chunk = records[start : start + batch]  # one bucket: a batch is one chunk
            shard = chunk[0].event_id  # what herald.dal.counting keys a chunk's writes by
            per_item.update(
                {replace(i, shard_key=shard).key() for r in chunk for i in r.increments}
            )
        return max(per_item.values())

    return {
        "hot_item_max_writes_per_s": writes(STREAM_BATCH),
        "hot_item_max_writes_per_s_unbatched": writes(1),
    }


def _cost(
    phase_calls: dict,
    durations: dict,
    emails: int,
    log_bytes: int,
    writes: float,
    volume: dict,
) -> dict:
    """Per 1,000 emails: the measured calls, write units and durations scaled, times the list
    prices. Per email, not per event: decisions that send nothing (a holdout) are in it."""
    scale = 1000 / emails
    reads = sqs = 0.0
    for found in phase_calls.values():
        for op, body, _ in found:
            service, _, name = op.partition(":")
            if service == "dynamodb":
                reads += _read_units(name, body)
            elif service == "sqs":
                sqs += 1
    sqs += emails * 0.2  # the send queue's receive + delete, batched by 10 by the event source
    # decide per event, send per message (no batching assumed), feedback per SES event (one
    # EventBridge target invocation each), counting per stream batch
    invocations = volume["events"] + emails + volume["ses_events"] + volume["stream_batches"]
    gb_s = sum(durations.values()) * MEMORY_GB
    breakdown = {
        "ses": 1000 * PRICES["ses_per_email"],
        "dynamodb_writes": writes * scale * PRICES["ddb_write_unit"],
        "dynamodb_reads": reads * scale * PRICES["ddb_read_unit"],
        "lambda_compute": gb_s * scale * PRICES["lambda_gb_s"],
        "lambda_requests": invocations * scale * PRICES["lambda_request"],
        "sqs": sqs * scale * PRICES["sqs_request"],
        # the customer events (SES's own, on the default bus, are free)
        "eventbridge": volume["events"] * scale * PRICES["eventbridge_custom_event"],
        "logs": log_bytes * scale / 1e9 * PRICES["logs_ingest_gb"],
    }
    total = sum(breakdown.values())
    monthly = {f"{n:,}": round(total * n / 1000, 2) for n in (100_000, 1_000_000, 10_000_000)}
    return {
        "cost_per_1k_emails_usd": round(total, 4),
        "cost_breakdown_per_1k_usd": {k: round(v, 5) for k, v in breakdown.items()},
        "cost_inputs_per_1k": {
            "dynamodb_write_units": round(writes * scale),
            "dynamodb_read_units": round(reads * scale),
            "lambda_gb_s": round(gb_s * scale, 2),
            "log_kb": round(log_bytes * scale / 1024, 1),
            "events": round(volume["events"] * scale),
            "lambda_invocations": round(invocations * scale),
        },
        "cost_monthly_usd": monthly,
        "cost_prices_date": PRICES_DATE,
    }


if __name__ == "__main__":
    with contextlib.redirect_stderr(io.StringIO()):
        print(json.dumps(run(), indent=2))
