"""Driving the web console in headless Chromium (Playwright): the browser tests, ``make
screenshots`` and the bench share these.

Playwright can't download its own browsers here: it drives the system Chromium (Debian's
``chromium`` package), found at ``$HERALD_CHROMIUM``, ``/usr/bin/chromium`` or on the PATH.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from herald_dev.local import process

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
INGEST = "Bearer local:shop:"

# Every form control and button must have an accessible name: a <label>, aria-label(ledby),
# or (buttons, links) its text.
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button, a[href]')]
  .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
  .filter((el) => {
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby') || el.getAttribute('title');
    const text = ['BUTTON', 'A'].includes(el.tagName) && el.textContent.trim();
    return !(named || text);
  })
  .map((el) => el.outerHTML.slice(0, 120))"""


def chromium_path() -> str | None:
    """The system Chromium, or None when it isn't installed."""
    for candidate in (os.environ.get("HERALD_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def playwright_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS)


free_port, local_server = process.free_port, process.serving  # the stack the browser uses


def call(
    base: str, method: str, path: str, body: Any = None, auth: str = INGEST
) -> tuple[int, Any]:
    """One HTTP call to the local API (by default as a source system: the ingest routes)."""
    return process.call(base, method, path, body, auth)


def bearer(user: str, groups: str) -> str:
    return f"Bearer local:{user}:{groups}"


def sign_in(page: Any, base: str, user: str, groups: tuple[str, ...]) -> None:
    """The local sign-in page: a user name and groups; waits for the rules list."""
    page.goto(f"{base}/console/")
    page.evaluate("sessionStorage.clear()")  # whoever was signed in, in this tab, is not
    page.reload()
    page.wait_for_selector("html[data-ready=sign-in]")
    page.get_by_label("User name").fill(user)
    for group in ("marketers", "approvers"):
        box = page.get_by_label(group, exact=True)
        box.set_checked(group in groups)
    page.get_by_role("button", name="Sign in").click()
    wait_ready(page, "rules")


def wait_ready(page: Any, name: str) -> None:
    """Until the page ``name`` has drawn for the current route (main.js marks it when done)."""
    page.wait_for_function(
        """(name) => {
            const root = document.documentElement;
            return !!root && root.dataset.ready === name && root.dataset.route === location.hash;
        }""",
        arg=name,
    )


def first_page_timing(page: Any) -> dict:
    """Navigation Timing of the page just loaded, and when the console was usable (its
    ``console-ready-*`` mark), in ms since the navigation started."""
    return page.evaluate(
        """() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const ready = performance.getEntriesByType('mark').find((m) => m.name.startsWith('console-ready-'));
          return {
            ready_ms: ready ? Math.round(ready.startTime) : null,
            dom_content_loaded_ms: Math.round(nav.domContentLoadedEventEnd),
            load_ms: Math.round(nav.loadEventEnd),
            transferred_bytes: performance.getEntriesByType('resource').reduce((n, r) => n + (r.transferSize || 0), nav.transferSize || 0),
          };
        }"""
    )


def shipped_bytes(static: Path) -> dict[str, int]:
    """JS and CSS shipped to the browser, uncompressed (the 150 KB budget)."""
    sizes = {"js": 0, "css": 0}
    for path in static.rglob("*"):
        if path.suffix in (".js", ".css"):
            sizes[path.suffix[1:]] += path.stat().st_size
    return sizes


STATIC = Path(__file__).resolve().parents[2] / "functions" / "console" / "static"
