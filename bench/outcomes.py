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
MIX = {"Delivery": 1.0, "Open": 0.25, "Click": 0.04}  # per email, plus 5% redelivered events


def _targets(operation: str, body: dict) -> list[tuple[str, str, int]]:
    """(table, key, write-unit multiplier) of each item a DynamoDB call writes: a transaction
    costs two write units per KB of each item, a plain write one."""
    if operation == "TransactWriteItems":
        found = []
        for entry in body.get("TransactItems", []):
            for kind, op in entry.items():
                if kind == "ConditionCheck":
                    continue
                key = op.get("Key") or {k: op["Item"][k] for k in ("pk", "sk", "customer_id", "name", "entity_key", "at", "kind") if k in op.get("Item", {})}  # fmt: skip
                found.append((op["TableName"], json.dumps(key, sort_keys=True), 2))
        return found
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        key = body.get("Key") or {k: v for k, v in (body.get("Item") or {}).items() if k in ("pk", "sk", "customer_id", "name", "entity_key", "at", "kind", "address")}  # fmt: skip
        return [(body.get("TableName", ""), json.dumps(key, sort_keys=True), 1)]
    return []


def _item_size(item: dict) -> int:
    """DynamoDB's item size: attribute names plus values (numbers and strings as their text)."""
    return sum(len(name) + len(json.dumps(value)) for name, value in item.items())


def _sizes(tables: set[str]) -> dict[tuple[str, str], int]:
    import boto3

    ddb = boto3.client("dynamodb", region_name="us-east-1")
    sizes = {}
    for table in tables:
        schema = ddb.describe_table(TableName=table)["Table"]["KeySchema"]
        names = [k["AttributeName"] for k in schema]
        for page in ddb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                key = json.dumps({n: item[n] for n in names}, sort_keys=True)
                sizes[(table, key)] = _item_size(item)
    return sizes


def _read_units(operation: str, body: dict) -> float:
    if operation == "GetItem":
        return 1.0 if body.get("ConsistentRead") else 0.5
    if operation == "Query":
        return 0.5  # a small query: one 4 KB page, eventually consistent
    return 0.0


def run() -> dict:
    import boto3
    import botocore.handlers

    from herald import runtime
    from herald.dal import counters, outcomes, records
    from herald.dal.customers import upsert
    from herald.domain.customer import parse_customer
    from herald.domain.event import from_envelope
    from herald.domain.outcome import ref_of, tags
    from herald.observability import logger
    from herald.service import decide, send
    from herald.service import outcomes as outcome_service
    from herald.settings import settings
    from herald_dev import rulesfiles
    from herald_dev.local import stack as local_stack
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
                return {"id": f"b-{i}", "detail-type": "product.viewed", "source": "bench",
                        "time": "2026-11-24T12:00:00Z",
                        "detail": {"customer_id": f"c-{i}", "event_id": f"b-{i}", "category": "outerwear"}}  # fmt: skip

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
            # stats read: 3 arms x 90 days x every shard
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
            sizes = _sizes({table for table, _, _ in writes})
            write_units = sum(
                m * max(1, math.ceil(sizes.get((table, key), 100) / 1024))
                for table, key, m in writes
            )
            by_phase = {}
            for phase, found in phase_calls.items():
                units = Counter()
                for op, body, _ in found:
                    if op.startswith("dynamodb:"):
                        for table, key, m in _targets(op.split(":")[1], body):
                            units[f"{op.split(':')[1]}:{table.split('-')[-1]}"] += m * max(
                                1, math.ceil(sizes.get((table, key), 100) / 1024)
                            )
                by_phase[phase] = {k: round(v / len(sent_ids), 2) for k, v in units.items()}
            calls.clear()
            t0 = time.perf_counter()
            read = outcomes.read_rule("bench-stats", 1, "2026-08-01", "2026-12-31")
            stats_ms = (time.perf_counter() - t0) * 1000
            stats_calls = len(calls)
        finally:
            botocore.handlers.BUILTIN_HANDLERS.remove(hook)
            logger.setLevel(logging.CRITICAL)
    feedback_calls = phase_calls["feedback"]
    by_op = Counter(op for op, _, _ in feedback_calls)
    # Hot item: one rule at 3,000 outcomes in one second, one day, one arm.
    per_item = Counter(
        counters._sk("v1#2026-11-24#a", counters.shard_of(f"{i:032x}", outcomes.SHARDS))
        for i in range(3000)
    )
    emails = len(sent_ids)
    cost = _cost(phase_calls, durations, emails, len(log.getvalue().encode()), write_units)
    return {
        "outcomes_per_s": round(len(events) / elapsed),
        "outcome_events": len(events),
        "aws_calls_per_outcome": round(len(feedback_calls) / len(events), 3),
        "aws_calls_by_outcome": {k: round(v / len(events), 3) for k, v in sorted(by_op.items())},
        "hot_item_max_writes_per_s": max(per_item.values()),
        "hot_item_shards": outcomes.SHARDS,
        "stats_read_calls": stats_calls,
        "stats_read_ms": round(stats_ms, 1),
        "stats_read_buckets": len(read),
        "write_units_per_email": by_phase,
        **cost,
    }


def _cost(phase_calls: dict, durations: dict, emails: int, log_bytes: int, writes: float) -> dict:
    """Per 1,000 emails: the measured calls, write units and durations scaled, times the list
    prices."""
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
    invocations = emails * 2 + sum(1 for op, _, _ in phase_calls["feedback"]
                                   if op.endswith("TransactWriteItems"))  # fmt: skip
    gb_s = sum(durations.values()) * MEMORY_GB
    breakdown = {
        "ses": 1000 * PRICES["ses_per_email"],
        "dynamodb_writes": writes * scale * PRICES["ddb_write_unit"],
        "dynamodb_reads": reads * scale * PRICES["ddb_read_unit"],
        "lambda_compute": gb_s * scale * PRICES["lambda_gb_s"],
        "lambda_requests": invocations * scale * PRICES["lambda_request"],
        "sqs": sqs * scale * PRICES["sqs_request"],
        "eventbridge": 1000 * PRICES["eventbridge_custom_event"],  # the customer event
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
        },
        "cost_monthly_usd": monthly,
        "cost_prices_date": PRICES_DATE,
    }


if __name__ == "__main__":
    with contextlib.redirect_stderr(io.StringIO()):
        print(json.dumps(run(), indent=2))
