"""``make screenshots``: the console's main pages as PNGs in docs/ (the README shows them).

Starts ``herald local serve``, loads the example rules and customers, replays the demo events
(so the catalogue, timelines and audit have something in them), drafts a change and submits
it, then drives headless Chromium through each page. The performance page shows the stats API's
answer when it has one; until that API exists (a 404), a sample in its documented shape,
marked as such on the page.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from herald_dev import console_browser as cb
from herald_dev import rulesfiles

REPO = Path(__file__).resolve().parents[2]
MARIA = cb.bearer("maria", "marketers")
ALEX = cb.bearer("alex", "approvers")
SEEDER = cb.bearer("demo", "marketers,approvers")


def seed(base: str) -> None:
    """The example rules (published), customers and demo events; a submitted draft."""
    rulesfiles.push(REPO / "rules", base, SEEDER, echo=lambda _l: None, publish_token=ALEX)
    for doc in json.loads((REPO / "events" / "customers.json").read_text()):
        profile = {k: v for k, v in doc.items() if k != "customer_id"}
        cb.call(base, "PUT", f"/customers/{doc['customer_id']}", profile)
    for file in sorted((REPO / "events" / "demo").glob("*.json")):
        envelope = json.loads(file.read_text())
        detail = dict(envelope["detail"])
        event = {"type": envelope["detail-type"], "customer_id": detail.pop("customer_id")}
        if "event_id" in detail:
            event["event_id"] = detail.pop("event_id")
        cb.call(base, "POST", "/events", {**event, "data": detail})
    status, rule = cb.call(base, "GET", "/admin/rules/cart-abandoned-gold", auth=MARIA)
    doc = {k: rule[k] for k in ("name", "on", "priority", "then", "else", "category", "active")}
    doc["when"] = 'customer.attributes.tier in ["gold", "platinum"] and event.cart_total >= 80'
    saved = cb.call(
        base, "PUT", "/admin/rules/cart-abandoned-gold", {**doc, "expected_version": 1}, auth=MARIA
    )[1]
    cb.call(
        base,
        "POST",
        "/admin/rules/cart-abandoned-gold/submit",
        {"version": saved["version"]},
        auth=MARIA,
    )
    time.sleep(2)  # the pump decides and sends the replayed events


def sample_stats(rule_id: str) -> dict:
    """A stats answer in GET /admin/rules/{id}/stats's documented shape (for the screenshot
    while that API doesn't exist here)."""
    days = [f"2026-11-{d:02d}" for d in range(10, 24)]

    def counts(sent: int, converted: int) -> dict:
        return {
            "exposed": sent, "sent": sent, "delivered": int(sent * 0.98),
            "opened": int(sent * 0.41), "clicked": int(sent * 0.09), "converted": converted,
            "revenue": converted * 54.0, "bounced": int(sent * 0.02), "complained": 0,
            "unsubscribed": int(sent * 0.003), "failed": 0,
        }  # fmt: skip

    def rate(value: float, width: float) -> dict:
        return {"value": value, "low": max(0.0, value - width), "high": value + width}

    arms = []
    for arm, weight, sent, conv in (
        ("cart-free-shipping", 0.45, 4120, 181),
        ("cart-reminder", 0.45, 4087, 139),
        ("holdout", 0.1, 905, 27),
    ):
        arms.append(
            {
                "arm": arm,
                "weight": weight,
                "counts": counts(sent, conv),
                "rates": {
                    "delivery": rate(0.98, 0.004), "open": rate(0.41, 0.015),
                    "click": rate(0.09, 0.009), "conversion": rate(conv / sent, 0.006),
                    "unsubscribe": rate(0.003, 0.002), "complaint": rate(0.0, 0.001),
                },
            }
        )  # fmt: skip
    daily = []
    for i, day in enumerate(days):
        for arm in arms:
            sent = arm["counts"]["sent"] / len(days) * (0.8 + 0.03 * i)
            converted = arm["counts"]["converted"] / len(days) * (0.7 + 0.04 * i + 0.2 * (i % 3))
            daily.append(
                {"day": day, "arm": arm["arm"], "counts": counts(int(sent), int(converted))}
            )
    return {
        "rule_id": rule_id,
        "version": 1,
        "from": days[0],
        "to": days[-1],
        "sample": True,
        "arms": arms,
        "comparisons": [
            {
                "arm": "cart-free-shipping",
                "baseline": "holdout",
                "difference": rate(0.0141, 0.011),
                "lift": rate(0.47, 0.36),
                "p_value": 0.012,
                "verdict": "better",
                "summary": "4.4% convert against 3.0% without a message",
            },
            {
                "arm": "cart-reminder",
                "baseline": "holdout",
                "difference": rate(0.0042, 0.010),
                "lift": rate(0.14, 0.33),
                "p_value": 0.41,
                "verdict": "inconclusive",
                "summary": "not distinguishable from no message yet",
            },
        ],  # fmt: skip
        "srm": {"p_value": 0.62, "mismatch": False},
        "days": daily,
        "paused": None,
    }


def _shot(page: Any, out: Path, name: str, full: bool = False) -> Path:
    path = out / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=full)
    print(f"  {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return path


def shoot(base: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with sync_playwright() as playwright:
        browser = cb.launch(playwright)
        context = browser.new_context(viewport=cb.VIEWPORT, device_scale_factor=1)
        page = context.new_page()
        page.set_default_timeout(15_000)

        page.goto(f"{base}/console/")
        page.wait_for_selector("html[data-ready=sign-in]")
        shots.append(_shot(page, out, "sign-in"))
        cb.sign_in(page, base, "maria", ("marketers",))
        page.wait_for_selector("svg.spark, .hint:has-text('stats API')", state="attached")
        shots.append(_shot(page, out, "rules"))

        page.goto(f"{base}/console/#/rules/cart-abandoned-gold")
        cb.wait_ready(page, "rules")
        condition = page.get_by_label("Condition", exact=True)
        condition.fill('customer.attributes.tier == "gold" and event.cart_totl >= 100 and')
        page.locator(".problems li.error").wait_for()
        shots.append(_shot(page, out, "rule-editor", full=True))

        page.goto(f"{base}/console/#/contents/cart-free-shipping?customer=c-ann")
        cb.wait_ready(page, "contents")
        page.locator("[data-preview=subject]").wait_for()
        page.wait_for_selector("iframe.preview-frame[data-styled='1']")
        shots.append(_shot(page, out, "content-editor", full=True))

        page.goto(f"{base}/console/#/simulate?rule=cart-abandoned-gold&customer=c-ann")
        cb.wait_ready(page, "simulate")
        page.get_by_label("Event fields (JSON)").fill(
            '{"cart_total": 180.5, "currency": "EUR", "item_count": 3}'
        )
        page.get_by_role("button", name="Run simulation").click()
        page.locator(".trace-rule").first.wait_for()
        shots.append(_shot(page, out, "simulate", full=True))

        page.goto(f"{base}/console/#/customers/c-ann")
        cb.wait_ready(page, "customers")
        shots.append(_shot(page, out, "customer", full=False))

        page.goto(f"{base}/console/#/audit")
        cb.wait_ready(page, "audit")
        shots.append(_shot(page, out, "audit"))

        cb.sign_in(page, base, "alex", ("approvers",))
        page.goto(f"{base}/console/#/approvals")
        cb.wait_ready(page, "approvals")
        shots.append(_shot(page, out, "approvals"))
        page.get_by_role("link", name="Review the diff").first.click()
        cb.wait_ready(page, "rules")
        shots.append(_shot(page, out, "versions", full=True))

        status, _ = cb.call(base, "GET", "/admin/rules/cart-abandoned-gold/stats", auth=ALEX)
        if status == 404:  # not built here yet: the documented shape, marked as a sample
            body = json.dumps(sample_stats("cart-abandoned-gold"))
            page.route(
                "**/admin/rules/*/stats*",
                lambda route: route.fulfill(status=200, content_type="application/json", body=body),
            )
        page.goto(f"{base}/console/#/rules/cart-abandoned-gold/stats")
        cb.wait_ready(page, "rules")
        if status == 404:
            page.evaluate(
                """() => document.querySelector('main h1').textContent += ' (sample figures)'"""
            )
        shots.append(_shot(page, out, "performance", full=True))

        page.goto(f"{base}/console/#/policy")
        cb.wait_ready(page, "policy")
        shots.append(_shot(page, out, "policy", full=True))
        browser.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="screenshots of the console's main pages")
    parser.add_argument("out", nargs="?", default=str(REPO / "docs"))
    args = parser.parse_args(argv)
    if cb.chromium_path() is None:
        print("error: Chromium is not installed (apt-get install -y chromium)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp, cb.local_server(Path(tmp) / "serve.log") as base:
        print(f"seeding the local stack at {base} …")
        seed(base)
        print("screenshots:")
        shoot(base, Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
