"""Offers' data: the decision's one read of customer and offer log, the outcome counters per
(placement, offer, arm), offer decision traces and outcome markers.

- A decision reads the customer profile and the customer's offer log in **one** BatchGetItem
  (customers table and messages table) and the placement's counters in **one** Query
  (:mod:`herald.dal.counters`: scope ``offers#<placement>``, bucket ``<offer id>#<arm>``).
  Those are its only AWS calls on the response path; the trace is written after the response.
- An outcome is one transaction: a marker (``offer-outcome#<decision>#<offer>#<outcome>``,
  put only if absent: a repeated report counts nothing), the sharded counter increment and,
  for impressions and accepts, the customer's offer log (pruned to the contact policy's window,
  under a revision check).
- Offer traces, outcome markers and offer logs live in the messages table without the
  ``customer_id``/``at`` pair, so they stay out of the customer timeline's index; traces and
  markers expire after ``TRACE_TTL_DAYS``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from herald.aws.clients import client
from herald.dal import counters
from herald.dal.counters import Increment
from herald.dal.customers import state_from_raw
from herald.domain.arbitration import Arm
from herald.domain.clock import iso
from herald.domain.customer import CustomerState
from herald.domain.offer import OfferContact, OfferOutcome
from herald.domain.propensity import Evidence
from herald.errors import Conflict
from herald.settings import settings

MAX_LOG = 500  # entries kept per customer, newest: the policy window bounds it first
FIGURES = {
    OfferOutcome.IMPRESSION: "impressions",
    OfferOutcome.CLICK: "clicks",
    OfferOutcome.ACCEPT: "accepts",
    OfferOutcome.REJECT: "rejects",
}
_BUCKETS_FIRST, _BUCKETS_LAST = "#", "z"  # every offer id ([a-z0-9-]) sorts in between
MAX_TRIES = 4


def scope(placement: str) -> str:
    return f"offers#{placement}"


def _log_key(customer_id: str) -> dict:
    return {"pk": {"S": f"offerlog#{customer_id}"}}


@dataclass(frozen=True, slots=True)
class Reads:
    """What a decision reads about its customer in one call."""

    customer: CustomerState | None
    log: tuple[OfferContact, ...]


def _contacts(raw: dict | None) -> tuple[OfferContact, ...]:
    if not raw or "log" not in raw:
        return ()
    return tuple(OfferContact.from_row(json.loads(row["S"])) for row in raw["log"]["L"])


def customer_and_log(customer_id: str) -> Reads:
    """The customer (None when unknown) and their offer log: one BatchGetItem."""
    config = settings()
    answer = client("dynamodb").batch_get_item(
        RequestItems={
            config.customers_table: {"Keys": [{"customer_id": {"S": customer_id}}]},
            config.messages_table: {"Keys": [_log_key(customer_id)]},
        }
    )
    found = answer.get("Responses", {})
    people = found.get(config.customers_table) or []
    logs = found.get(config.messages_table) or []
    # Unprocessed keys (throttling) read as "no history": the decision still answers.
    return Reads(
        state_from_raw(people[0]) if people else None, _contacts(logs[0] if logs else None)
    )


def evidence(placement: str) -> dict[str, dict[str, Evidence]]:
    """offer id → arm → the impressions and accepts counted in ``placement``: one Query."""
    totals = counters.read(scope(placement), _BUCKETS_FIRST, _BUCKETS_LAST)
    out: dict[str, dict[str, Evidence]] = {}
    for bucket, figures in totals.items():
        offer_id, _, arm = bucket.rpartition("#")
        out.setdefault(offer_id, {})[arm] = Evidence(
            int(figures.get("impressions", 0)), int(figures.get("accepts", 0))
        )
    return out


def offer_figures(offer_id: str, placement: str) -> dict[str, dict[str, int]]:
    """arm → figure → total for one offer in one placement (stats)."""
    totals = counters.read(scope(placement), f"{offer_id}#", f"{offer_id}#")
    return {
        bucket.rpartition("#")[2]: {k: int(v) for k, v in figures.items()}
        for bucket, figures in totals.items()
    }


def _expires_at() -> str:
    return str(int(time.time()) + settings().trace_ttl_days * 86_400)


def put_trace(decision_id: str, doc: dict) -> None:
    """Store an offer decision's trace (after the response: see herald.aws.after_response)."""
    client("dynamodb").put_item(
        TableName=settings().messages_table,
        Item={
            "pk": {"S": f"offer-decision#{decision_id}"},
            "kind": {"S": "offer_decision"},
            "doc": {"S": json.dumps(doc, separators=(",", ":"))},
            "expires_at": {"N": _expires_at()},
        },
    )


def get_trace(decision_id: str) -> dict | None:
    raw = client("dynamodb").get_item(
        TableName=settings().messages_table,
        Key={"pk": {"S": f"offer-decision#{decision_id}"}},
        ConsistentRead=True,
    )
    item = raw.get("Item")
    return json.loads(item["doc"]["S"]) if item else None


def _read_log(customer_id: str) -> tuple[tuple[OfferContact, ...], int]:
    raw = client("dynamodb").get_item(
        TableName=settings().messages_table, Key=_log_key(customer_id), ConsistentRead=True
    )
    item = raw.get("Item")
    return _contacts(item), int(item["rev"]["N"]) if item and "rev" in item else 0


def record_outcome(
    decision_id: str,
    customer_id: str,
    placement: str,
    arm: Arm,
    offer_id: str,
    outcome: str,
    now: datetime,
    keep: timedelta,
) -> bool:
    """Count ``outcome`` of ``offer_id`` in that decision once; False when it was counted
    already (the marker exists). ``keep``: how far back the customer's offer log must reach."""
    config = settings()
    ddb = client("dynamodb")
    marker = {
        "Put": {
            "TableName": config.messages_table,
            "Item": {
                "pk": {"S": f"offer-outcome#{decision_id}#{offer_id}#{outcome}"},
                "kind": {"S": "offer_outcome"},
                "expires_at": {"N": _expires_at()},
            },
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
    count = counters.transaction_add(
        Increment(scope(placement), f"{offer_id}#{arm}", {FIGURES[outcome]: 1})
    )
    for _ in range(MAX_TRIES):
        items = [marker, count]
        if outcome in (OfferOutcome.IMPRESSION, OfferOutcome.ACCEPT):
            log, rev = _read_log(customer_id)
            horizon = iso(now - keep)
            kept = [c for c in log if c.at >= horizon][-(MAX_LOG - 1) :]
            kept.append(OfferContact(offer_id, outcome, iso(now)))
            items.append(
                {
                    "Put": {
                        "TableName": config.messages_table,
                        "Item": {
                            **_log_key(customer_id),
                            "kind": {"S": "offer_log"},
                            "rev": {"N": str(rev + 1)},
                            "log": {"L": [{"S": json.dumps(c.to_row())} for c in kept]},
                        },
                        "ConditionExpression": "attribute_not_exists(pk) OR rev = :rev",
                        "ExpressionAttributeValues": {":rev": {"N": str(rev)}},
                    }
                }
            )
        try:
            ddb.transact_write_items(TransactItems=items)
            return True
        except ddb.exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons") or []
            codes = [r.get("Code") for r in reasons]
            if codes and codes[0] == "ConditionalCheckFailed":
                return False  # counted before: nothing to do
            if len(codes) > 2 and codes[2] == "ConditionalCheckFailed":
                continue  # the offer log moved meanwhile: read it again
            raise
    raise Conflict("the offer log kept changing: retry the outcome", field="offer_id")
