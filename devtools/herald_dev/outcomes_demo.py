"""The demo's last act: an experiment with outcomes, then every rule's stats.

A cohort of shoppers browses outerwear: the winter-sale rule draws each into a subject line
(A or B) or the 20% holdout. Their emails go through SES (moto), whose Send and Delivery events
the local stack publishes as SES would; some recipients click (``POST /local/engagement`` does
the same by hand), and some shoppers order within the week — holdout included — which converts
their exposure. The figures are read back through the stats use case, as the API answers.
"""

from __future__ import annotations

import json
import random
import tempfile
from datetime import UTC, datetime
from pathlib import Path

COHORT = 60
RULE = "winter-sale-experiment"


def _shoppers() -> list[dict]:
    return [
        {
            "customer_id": f"c-shopper-{i:02d}",
            "email": f"shopper{i:02d}@example.com",
            "timezone": "Europe/Paris",
            "consent": {"email": True},
            "attributes": {"first_name": f"Shopper{i:02d}", "tier": "silver"},
        }
        for i in range(COHORT)
    ]


def _event(name: str, customer_id: str, event_id: str, **fields) -> dict:
    return {
        "source": "com.northwind.shop",
        "detail-type": name,
        "detail": {"customer_id": customer_id, "event_id": event_id, **fields},
    }


def run(local) -> str:
    """Run the experiment on ``local``; every rule's stats as text (the demo ends with it)."""
    from herald.admin import stats as use_case
    from herald.admin.users import User
    from herald.dal import customers, records
    from herald.dal.versions import rules as rule_store
    from herald.domain.customer import parse_customer
    from herald_dev.stats import table

    rng = random.Random(8)  # the same story on every run
    print(f"\n▸ an experiment: {COHORT} shoppers browse outerwear ({RULE}: A/B + 20% holdout)")
    for profile in _shoppers():
        customers.upsert(parse_customer(profile))
    local.put_events(
        _event("product.viewed", p["customer_id"], f"evt-view-{i:02d}", category="outerwear",
               product_name="Wool coat")
        for i, p in enumerate(_shoppers())
    )  # fmt: skip
    local.drain(timeout=120)
    arms: dict[str, list[str]] = {}
    for i, profile in enumerate(_shoppers()):
        trace = records.get_trace(profile["customer_id"], f"evt-view-{i:02d}")
        message_id = trace.actions[0].message_id if trace and trace.actions else None
        message = records.get_message(message_id) if message_id else None
        if message is not None:
            arms.setdefault(message.arm or "?", []).append(message.message_id)
    print("  arms drawn: " + ", ".join(f"{a} {len(m)}" for a, m in sorted(arms.items())))
    clicks = 0
    for arm, messages in arms.items():
        for message_id in messages:
            # Recipients of B click more often: the story the figures should tell.
            if arm != "holdout" and rng.random() < (0.5 if arm.endswith("-b") else 0.25):
                local.ses.engage(message_id, "click", local.put_ses_events)
                clicks += 1
    orders = []
    for arm, messages in arms.items():
        chance = {"holdout": 0.15, "winter-sale-a": 0.3}.get(arm, 0.45)
        for message_id in messages:
            if rng.random() < chance:
                message = records.get_message(message_id)
                orders.append(
                    _event("order.placed", message.customer_id, f"evt-order-{len(orders):02d}",
                           amount=round(rng.uniform(40, 220), 2), currency="EUR")
                )  # fmt: skip
    local.put_events(orders)
    local.drain(timeout=120)
    print(f"  {clicks} clicks (SES Click events), {len(orders)} orders within the week (goal)")
    out = ["\n▸ stats per rule (GET /admin/rules/{id}/stats; herald stats RULE)"]
    reader = User("demo", frozenset({"marketers"}))
    today = datetime.now(UTC).date().isoformat()
    answer = {}
    for head in sorted(rule_store.heads(), key=lambda h: h.id):
        report = use_case.rule_stats(reader, head.id, None, None, today)
        if head.id == RULE:
            answer = report
        out.append(table(report))
    saved = Path(tempfile.gettempdir()) / "herald-demo-stats.json"
    saved.write_text(json.dumps(answer, indent=2) + "\n")
    out.append(f"  ({RULE}'s full answer, as the API gives it: {saved})")
    return "\n".join(out)
