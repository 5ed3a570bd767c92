"""Console figures: what the browser downloads, and how soon the first page is usable.

- ``console_js_css_kb``: JavaScript and CSS the console ships, uncompressed (goal <= 150 KB;
  tests/unit/test_console_assets.py holds the line).
- ``console_first_page_ms``: median over 3 fresh browser contexts (after one warm-up) of the
  time from navigation start to the sign-in page being usable — the console's own
  ``console-ready-sign-in`` mark (Navigation Timing's clock) — in headless Chromium against
  ``herald local serve`` on this machine (goal <= 1000 ms).
- ``console_rules_list_ms``: the same for a signed-in reload of the rules list (the whole boot:
  config, ``/admin/me``, the list and each rule's latest version).

Without Chromium (``apt-get install -y chromium``) the two times are null and the section says
why; the size is always measured.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from herald_dev import console_browser as cb

ROUNDS = 3


def _median_ready(
    browser, url: str, mark: str, token: str | None = None, warm_up: bool = True
) -> tuple[float, dict]:
    samples, last = [], {}
    for i in range(ROUNDS + warm_up):
        context = browser.new_context(viewport=cb.VIEWPORT)
        page = context.new_page()
        if token:  # signed in: the tab already holds the session, as after the sign-in page
            page.goto(url.split("#")[0])
            page.evaluate(
                "t => sessionStorage.setItem('herald.session', JSON.stringify({token: t}))",
                token,
            )
        page.goto(url)
        if token:
            page.reload()
        page.wait_for_selector(f"html[data-ready={mark}]")
        last = cb.first_page_timing(page)
        if i or not warm_up:  # a first load warms the browser process, not the console
            samples.append(last["ready_ms"])
        context.close()
    return statistics.median(samples), last


def run() -> dict:
    sizes = cb.shipped_bytes(cb.STATIC)
    result: dict = {
        "console_js_css_kb": round((sizes["js"] + sizes["css"]) / 1024, 1),
        "console_js_kb": round(sizes["js"] / 1024, 1),
        "console_css_kb": round(sizes["css"] / 1024, 1),
        "console_first_page_ms": None,
        "console_rules_list_ms": None,
    }
    if cb.chromium_path() is None or not cb.playwright_available():
        result["console_browser"] = "skipped: no Chromium (apt-get install -y chromium)"
        return result
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory() as tmp,
        cb.local_server(Path(tmp) / "serve.log") as base,
        sync_playwright() as playwright,
    ):
        browser = cb.launch(playwright)
        first, timing = _median_ready(browser, f"{base}/console/", "sign-in")
        listed, _ = _median_ready(
            browser, f"{base}/console/#/rules", "rules", "local:bench:marketers", warm_up=False
        )
        browser.close()
    result.update(
        console_first_page_ms=round(first),
        console_first_page_timing=timing,
        console_rules_list_ms=round(listed),
        console_browser=cb.chromium_path(),
    )
    return result
