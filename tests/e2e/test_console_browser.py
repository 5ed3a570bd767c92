"""The web console in a real browser: headless Chromium (Playwright) against ``herald local
serve``, the two flows the console exists for.

- a marketer signs in, writes content watching its live preview, writes a rule whose condition
  has a typo (the error is marked where it is, then fixed), simulates it for a customer and
  reads the trace — and never sees a publish button;
- an approver works the approvals queue: reviews the diff, publishes, an event comes in, the
  message shows in the customer's timeline, and the approver rolls back.

On every page: every control has a label, the console's own code breaks no Content-Security-
Policy directive, and the token is in neither the URL nor localStorage.

Chromium is the system one (``apt-get install chromium``): without it these tests are skipped,
loudly (tests/e2e/conftest.py prints it in the summary), except in CI, where they fail.
"""

from __future__ import annotations

import json
import os
import re
import time

import pytest

from herald_dev import console_browser as cb
from tests.e2e.test_local_server import server  # noqa: F401  — the running local stack

pytestmark = pytest.mark.e2e

MISSING = None
if not cb.playwright_available():
    MISSING = "Playwright is not installed (pip install -e '.[dev]')"
elif cb.chromium_path() is None:
    MISSING = "Chromium is not installed (apt-get install -y chromium)"
SKIP_REASON = f"BROWSER TESTS SKIPPED: {MISSING}"
MARIA = cb.bearer("maria", "marketers")


@pytest.fixture(scope="module")
def browser():
    if MISSING:
        if os.environ.get("CI"):
            pytest.fail(f"{MISSING}: CI must run the browser tests (.ci/run installs Chromium)")
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = cb.launch(playwright)
        yield chromium
        chromium.close()


class Watched:
    """A page whose CSP violations and failed scripts are collected, checked at each step."""

    def __init__(self, page):
        self.page = page
        self.violations: list[str] = []
        self.errors: list[str] = []
        page.on(
            "console",
            lambda m: "Content Security Policy" in m.text and self.violations.append(m.text),
        )
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def check(self, where: str) -> None:
        page = self.page
        assert page.evaluate(cb.UNLABELLED) == [], f"controls without a label on {where}"
        assert self.violations == [], f"CSP violations on {where}: {self.violations}"
        assert self.errors == [], f"script errors on {where}: {self.errors}"
        assert "local:" not in page.url
        assert page.evaluate("localStorage.length") == 0  # the token lives in the tab only


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=cb.VIEWPORT)
    watched = Watched(context.new_page())
    # Generous: a shared 2-core machine running the whole suite in parallel can stall a page
    # for seconds; a real hang still fails, and speed is measured by `make bench`, not here.
    watched.page.set_default_timeout(30_000)
    yield watched
    context.close()


def _customer(base, customer_id: str, tier: str = "gold") -> None:
    profile = {
        "email": f"{customer_id}@example.com",
        "locale": "en",
        "consent": {"email": True, "sms": True},
        "attributes": {"first_name": "Ann", "tier": tier},
    }
    assert cb.call(base, "PUT", f"/customers/{customer_id}", profile)[0] == 200


def _confirm(page, name: str) -> None:
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name=name).click()
    dialog.wait_for(state="detached")


def test_a_marketer_writes_content_and_a_rule_simulates_it_and_cannot_publish(
    server,  # noqa: F811
    page,
    record_property,
):
    p = page.page
    _customer(server, "c-1")

    # Given the sign-in page, usable on its own (no token yet)
    p.goto(f"{server}/console/")
    p.wait_for_selector("html[data-ready=sign-in]")
    timing = cb.first_page_timing(p)
    record_property("console_first_page", timing)  # reported by tests/e2e/conftest.py
    assert timing["ready_ms"] is not None
    page.check("the sign-in page")
    # When Maria signs in as a marketer, with the keyboard alone
    p.get_by_label("User name").focus()
    p.keyboard.press("Control+A")
    p.keyboard.type("maria")
    p.keyboard.press("Tab")  # marketers (checked by default)
    assert p.evaluate("document.activeElement.closest('label').textContent") == "marketers"
    outline = p.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), "the focused control must show it"
    p.keyboard.press("Shift+Tab")
    p.keyboard.press("Enter")
    cb.wait_ready(p, "rules")
    assert p.get_by_text("maria · marketers").is_visible()

    # She writes content and watches the live preview render it for customer c-1
    p.get_by_role("link", name="Content", exact=True).click()
    cb.wait_ready(p, "contents")
    p.get_by_role("link", name="New content").click()
    p.get_by_label("ID", exact=True).fill("flash-sale")
    p.get_by_label("Name", exact=True).fill("Flash sale")
    p.get_by_label("Subject", exact=True).fill("{{ customer.attributes.first_name }}, 20% off")
    p.get_by_label("HTML", exact=True).fill(
        '<h1>Flash sale</h1><p style="color: rgb(200, 0, 0)">Hi {{ customer.attributes.first_name }}</p>'
    )
    p.get_by_label("Plain text", exact=True).fill(
        "Use FLASH20, {{ customer.attributes.first_name }}"
    )
    p.get_by_label("sms", exact=True).check()
    sms = p.locator('[data-path="channels.sms.text"]')
    sms.fill("Flash sale: 20% off with FLASH20")
    p.get_by_label("Customer", exact=True).fill("c-1")
    subject = p.locator("[data-preview=subject]")
    subject.filter(has_text="Ann, 20% off").wait_for()
    # the email's HTML in the sandboxed frame, its own inline style applied (through CSSOM)
    frame = p.frame_locator("iframe.preview-frame")
    greeting = frame.locator("p", has_text="Hi Ann")
    greeting.wait_for()
    assert greeting.evaluate("el => getComputedStyle(el).color") == "rgb(200, 0, 0)"
    assert p.locator("iframe.preview-frame").get_attribute("sandbox") == "allow-same-origin"
    # the SMS counter: GSM-7 until a character outside it, then UCS-2
    counter = p.locator(".counter").first
    assert counter.get_attribute("data-encoding") == "GSM-7"
    sms.fill("Flash sale: 20% off with FLASH20 😀")
    p.wait_for_selector('.counter[data-encoding="UCS-2"]')
    page.check("the content editor")
    p.get_by_role("button", name="Create draft").click()
    p.wait_for_url(re.compile(r"#/contents/flash-sale$"))
    cb.wait_ready(p, "contents")

    # She writes a rule; the condition has a typo: the error is marked at its line and column
    p.goto(f"{server}/console/#/rules/new")
    cb.wait_ready(p, "rules")
    p.get_by_label("ID", exact=True).fill("flash-sale-gold")
    p.get_by_label("Name", exact=True).fill("Flash sale for gold")
    p.get_by_label("Event", exact=True).fill("product.viewed")
    condition = p.get_by_label("Condition", exact=True)
    condition.fill('customer.attributes.tier == "gold')
    error = p.locator(".problems li.error", has_text="never closed")
    error.wait_for()
    assert "line 1, column 29" in error.text_content()
    assert condition.get_attribute("aria-invalid") == "true"
    caret_line = p.locator(".marker > div").nth(1).text_content()
    assert caret_line == " " * 28 + "^"  # the caret under column 29
    # And she fixes it
    condition.press("End")
    condition.type('"')
    p.get_by_text("✓ The condition is valid.").wait_for()
    assert p.locator(".problems li.error").count() == 0
    assert condition.get_attribute("aria-invalid") is None
    p.get_by_label("Content", exact=True).fill("flash-sale")
    page.check("the rule editor")
    p.get_by_role("button", name="Create draft").click()
    p.wait_for_url(re.compile(r"#/rules/flash-sale-gold$"))
    cb.wait_ready(p, "rules")

    # No publish, roll back or pause for a marketer: not on the rule, not on its versions
    actions = re.compile(r"^(Publish|Roll back|Pause|Resume)")
    assert p.get_by_role("button", name=actions).count() == 0
    p.get_by_role("link", name="Versions and diff").click()
    cb.wait_ready(p, "rules")
    assert p.get_by_role("button", name=actions).count() == 0
    assert p.get_by_role("button", name="Submit for approval").count() == 1

    # She simulates the draft for c-1 and reads the trace
    p.goto(f"{server}/console/#/rules/flash-sale-gold")
    cb.wait_ready(p, "rules")
    p.get_by_role("link", name="Simulate this draft").click()
    cb.wait_ready(p, "simulate")
    p.get_by_label("Customer id", exact=True).fill("c-1")
    p.get_by_label("Event fields (JSON)").fill('{"sku": "sku-1"}')
    assert p.get_by_label("Event name").input_value() == "product.viewed"
    p.get_by_role("button", name="Run simulation").click()
    rule = p.locator('.trace-rule[data-rule="flash-sale-gold"]')
    rule.wait_for()
    assert "matched" in rule.get_attribute("class").split()
    assert rule.locator(".trace-branch").text_content() == "→ then branch"
    action = rule.locator(".trace-actions li")
    assert action.get_attribute("data-kind") == "send"
    assert action.get_attribute("data-outcome") == "queued"
    assert "flash-sale@1" in action.text_content()
    assert p.get_by_text("nothing was written or sent").is_visible()
    page.check("the simulation")

    # And she submits the rule for approval
    p.goto(f"{server}/console/#/rules/flash-sale-gold")
    cb.wait_ready(p, "rules")
    p.get_by_role("button", name="Submit for approval").click()
    _confirm(p, "Submit")
    p.get_by_text("submitted by maria").wait_for()
    status, queue = cb.call(server, "GET", "/admin/approvals", auth=MARIA)
    assert [(i["id"], i["version"], i["submitted_by"]) for i in queue["items"]] == [
        ("flash-sale-gold", 1, "maria")
    ]


def _setup_submissions(base) -> None:
    """Maria's content and her rule's second version, submitted; Alex's own content, too."""
    content = {
        "id": "spring-email",
        "name": "Spring",
        "channels": {
            "email": {"subject": "Spring", "text": "Hi {{ customer.attributes.first_name }}"}
        },
    }
    rule = {
        "id": "spring-gold",
        "name": "Spring for gold",
        "on": "spring.started",
        "when": 'customer.attributes.tier == "gold"',
        "then": [{"send": {"channel": "email", "content": "spring-email"}}],
    }
    for path, body in (("/admin/contents", content), ("/admin/rules", rule)):
        assert cb.call(base, "POST", path, body, auth=MARIA)[0] == 201
    wider = {
        **rule,
        "when": 'customer.attributes.tier in ["gold", "platinum"]',
        "expected_version": 1,
    }
    assert cb.call(base, "PUT", "/admin/rules/spring-gold", wider, auth=MARIA)[0] == 200
    for path, version in (("/admin/contents/spring-email", 1), ("/admin/rules/spring-gold", 2)):
        assert cb.call(base, "POST", f"{path}/submit", {"version": version}, auth=MARIA)[0] == 200
    alex = cb.bearer("alex", "approvers")
    mine = {"id": "alex-note", "channels": {"sms": {"text": "A note"}}}
    assert cb.call(base, "POST", "/admin/contents", mine, auth=alex)[0] == 201
    assert (
        cb.call(base, "POST", "/admin/contents/alex-note/submit", {"version": 1}, auth=alex)[0]
        == 200
    )


def test_an_approver_reviews_publishes_sees_the_message_and_rolls_back(server, page):  # noqa: F811
    p = page.page
    _setup_submissions(server)
    _customer(server, "c-2", tier="platinum")
    cb.sign_in(p, server, "alex", ("approvers",))

    # The approvals queue: Maria's two submissions, and Alex's own, which he may not publish
    p.get_by_role("link", name="Approvals").click()
    cb.wait_ready(p, "approvals")
    own = p.locator('tr[data-approval="content:alex-note"]')
    assert "two-person rule: alex wrote version 1" in own.text_content()
    assert own.get_by_role("button", name="Publish").count() == 0
    page.check("the approvals queue")
    # He publishes the content straight from the queue, with a confirmation
    # (keyboard only: the confirmation starts on Cancel; Tab, then Enter publishes)
    content_row = p.locator('tr[data-approval="content:spring-email"]')
    content_row.get_by_role("button", name="Publish").focus()
    p.keyboard.press("Enter")
    dialog = p.get_by_role("dialog")
    dialog.wait_for()
    assert p.evaluate("document.activeElement.textContent") == "Cancel"
    p.keyboard.press("Tab")
    p.keyboard.press("Enter")
    content_row.wait_for(state="detached")

    # He reviews the rule's diff: version 1 against the submitted version 2
    p.locator('tr[data-approval="rule:spring-gold"]').get_by_role(
        "link", name="Review the diff"
    ).click()
    cb.wait_ready(p, "rules")
    changed = p.locator("table.diff tr.changed")
    assert changed.count() == 1
    assert "platinum" in changed.locator("td.new").text_content()
    assert "platinum" not in changed.locator("td.old").text_content()
    page.check("the versions page")
    # And publishes version 2
    p.locator('tr[data-version="2"]').get_by_role("button", name="Publish").click()
    _confirm(p, "Publish")
    p.locator('tr[data-version="2"] .badge.live').wait_for()

    # An event comes in (the shop posts it): a platinum customer now matches
    event = {"type": "spring.started", "customer_id": "c-2", "data": {}}
    assert cb.call(server, "POST", "/events", event)[0] == 202
    # and the message shows in c-2's timeline, sent, with the decision that made it
    p.goto(f"{server}/console/#/customers/c-2")
    cb.wait_ready(p, "customers")
    deadline = time.monotonic() + 20
    while not p.locator('li.message[data-status="sent"]').count() and time.monotonic() < deadline:
        time.sleep(0.5)
        p.reload()
        cb.wait_ready(p, "customers")
    message = p.locator('li.message[data-status="sent"]')
    assert message.count() == 1, p.locator("main").text_content()
    assert "spring-email@1" in message.text_content() and "spring-gold v2" in message.text_content()
    assert p.locator('.trace-rule[data-rule="spring-gold"].matched').count() == 1
    # beside what Herald derives of c-2: activity (the event just decided) and segments
    profile = p.locator("section[data-profile]")
    assert "first seen never" not in profile.text_content(), profile.text_content()
    assert profile.locator("p[data-segments]").count() == 1
    page.check("the customer timeline")

    # He rolls the rule back to version 1, with a confirmation
    p.goto(f"{server}/console/#/rules/spring-gold/versions")
    cb.wait_ready(p, "rules")
    rollback = p.locator('tr[data-version="1"]').get_by_role("button", name="Roll back to 1")
    rollback.click()
    p.keyboard.press("Escape")  # changed his mind: nothing happens
    p.get_by_role("dialog").wait_for(state="detached")
    assert (
        cb.call(server, "GET", "/admin/rules/spring-gold", auth=MARIA)[1]["published_version"] == 2
    )
    rollback.click()
    _confirm(p, "Roll back")
    p.locator('tr[data-version="1"] .badge.live').wait_for()
    assert p.locator('tr[data-version="2"] .badge.superseded').count() == 1
    status, rule = cb.call(server, "GET", "/admin/rules/spring-gold", auth=MARIA)
    assert rule["published_version"] == 1 and rule["state"] == "superseded"
    page.check("the versions page after the rollback")


def test_the_rules_list_and_the_performance_page_read_the_stats_contract(server, page):  # noqa: F811
    from herald_dev.console_shots import sample_stats

    p = page.page
    rule = {
        "id": "stats-rule",
        "name": "Stats rule",
        "on": "stats.event",
        "then": [{"alert": {"topic": "ops", "message": "hi"}}],
    }
    assert cb.call(server, "POST", "/admin/rules", rule, auth=MARIA)[0] == 201
    cb.sign_in(p, server, "maria", ("marketers",))
    # A rule that has sent nothing yet: the stats API answers with no arms, and the page says so
    p.goto(f"{server}/console/#/rules/stats-rule/stats")
    cb.wait_ready(p, "rules")
    assert "No figures yet for version 1" in p.locator("[data-stats=empty]").text_content()
    # A rule that doesn't exist: the API's 404, in words
    p.goto(f"{server}/console/#/rules/no-such-rule/stats")
    cb.wait_ready(p, "rules")
    assert "does not exist" in p.locator("[data-stats=unavailable]").text_content()
    # With an answer in the documented shape (GET /admin/rules/{id}/stats), the figures show
    body = sample_stats("stats-rule")
    p.route(
        "**/admin/rules/*/stats*",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(body)
        ),
    )
    p.reload()
    cb.wait_ready(p, "rules")
    assert p.locator("tr[data-arm]").count() == 3
    holdout = p.locator('tr[data-arm="holdout"]').text_content()
    assert "2.98% (2.38%–3.58%)" in holdout  # the conversion rate and its interval
    assert p.locator(".badge.better").text_content() == "better"
    bars = p.locator("svg.chart").first
    assert bars.locator("rect.bar").count() == 3 and bars.locator("line.whisker").count() == 9
    assert p.locator("svg.chart polyline").count() == 3  # one line per arm, day by day
    page.check("the performance page")
    # and the rules list draws the recent sends and conversions
    p.goto(f"{server}/console/#/rules")
    cb.wait_ready(p, "rules")
    spark = p.locator('tr[data-rule="stats-rule"] svg.spark')
    spark.wait_for()
    sent = sum(d["counts"]["sent"] for d in body["days"])
    converted = sum(d["counts"]["converted"] for d in body["days"])
    assert spark.get_attribute("aria-label") == f"{sent} sends, {converted} conversions"


def _jwt(claims: dict) -> str:
    import base64

    def part(doc: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.signature"


def test_deployed_sign_in_is_the_code_flow_with_pkce_and_the_code_leaves_the_address_bar(
    server,  # noqa: F811
    page,
):
    import base64
    import hashlib
    from urllib.parse import parse_qs, urlsplit

    # Given the console as deployed: config.json names the hosted UI, and the page's policy
    # lets it call the token endpoint (as the function answers when the parameter says cognito)
    p = page.page
    domain = "herald-test.auth.us-east-1.amazoncognito.com"
    config = {
        "auth": "cognito",
        "domain": domain,
        "client_id": "console-client",
        "redirect_uri": f"{server}/console/callback",
        "logout_uri": f"{server}/console/",
    }

    def deployed_page(route):
        response = route.fetch()
        policy = response.headers["content-security-policy"].replace(
            "connect-src 'self'", f"connect-src 'self' https://{domain}"
        )
        route.fulfill(
            response=response, headers={**response.headers, "content-security-policy": policy}
        )

    asked: dict = {}
    p.route(re.compile(r".*/console/(callback\?.*)?$"), deployed_page)
    p.route("**/console/config.json", lambda r: r.fulfill(json=config))
    p.route(
        f"https://{domain}/oauth2/authorize*",
        lambda r: (
            asked.update(url=r.request.url),
            r.fulfill(body="the hosted UI", content_type="text/html"),
        ),
    )
    # When the user signs in, the browser goes to the hosted UI with a code challenge
    p.goto(f"{server}/console/")
    p.wait_for_selector("html[data-ready=sign-in]")
    p.get_by_role("button", name="Sign in").click()
    p.wait_for_url(f"https://{domain}/**")
    query = {k: v[0] for k, v in parse_qs(urlsplit(asked["url"]).query).items()}
    assert query["response_type"] == "code" and query["client_id"] == "console-client"
    assert query["redirect_uri"] == config["redirect_uri"]
    assert query["code_challenge_method"] == "S256" and len(query["state"]) >= 16
    # And when the hosted UI sends them back with a code, the page exchanges it with the verifier
    token = _jwt({"cognito:username": "maria", "exp": int(time.time()) + 3600})
    exchanged: list[dict] = []
    bearers: list[str] = []

    def token_endpoint(route):
        exchanged.append({k: v[0] for k, v in parse_qs(route.request.post_data).items()})
        route.fulfill(json={"id_token": token, "access_token": "a", "token_type": "Bearer"})

    def me(route):
        bearers.append(route.request.headers.get("authorization"))
        route.fulfill(
            json={
                "user": "maria",
                "groups": ["marketers"],
                "may": {"edit": True, "publish": False, "edit_policy": False},
                "two_person_rule": True,
            }
        )

    p.route(f"https://{domain}/oauth2/token", token_endpoint)
    p.route("**/admin/me", me)
    p.route("**/admin/rules", lambda r: r.fulfill(json={"items": []}))
    p.goto(f"{server}/console/callback?code=the-code&state={query['state']}")
    cb.wait_ready(p, "rules")
    (sent,) = exchanged
    assert sent["grant_type"] == "authorization_code" and sent["code"] == "the-code"
    assert sent["redirect_uri"] == config["redirect_uri"]
    digest = hashlib.sha256(sent["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).decode().rstrip("=") == query["code_challenge"]
    # Then the API is called with the ID token, the code is gone from the address bar, and the
    # token is kept in the tab only
    assert bearers == [f"Bearer {token}"]
    assert "code=" not in p.url and urlsplit(p.url).path == "/console/"
    assert p.evaluate("JSON.parse(sessionStorage.getItem('herald.session')).token") == token
    page.check("the console after the hosted UI")


def test_the_page_helpers_count_sms_parts_and_diff_lines(server, page):  # noqa: F811
    p = page.page
    p.goto(f"{server}/console/")
    p.wait_for_selector("html[data-ready=sign-in]")
    counted = p.evaluate(
        """async () => {
          const { smsLength } = await import('./js/sms.js');
          const n = (t) => { const x = smsLength(t); return [x.encoding, x.units, x.segments]; };
          return [n('a'.repeat(160)), n('a'.repeat(161)), n('€'.repeat(80)), n('€'.repeat(81)),
                  n('é'.repeat(70) + 'ł'), n('😀'.repeat(35)), n('😀'.repeat(36)), n('')];
        }"""
    )
    assert counted == [
        ["GSM-7", 160, 1],
        ["GSM-7", 161, 2],  # 153 per part once split
        ["GSM-7", 160, 1],  # the euro sign takes two (the extension table)
        ["GSM-7", 162, 2],
        ["UCS-2", 71, 2],  # one character outside GSM-7 makes all of it UCS-2: 70, then 67
        ["UCS-2", 70, 1],  # an emoji is two UTF-16 units
        ["UCS-2", 72, 2],
        ["GSM-7", 0, 0],
    ]
    rows = p.evaluate(
        """async () => {
          const { sideBySide } = await import('./js/diff.js');
          return sideBySide('a\\nb\\nc\\nd', 'a\\nB\\nc\\nd\\ne').map((r) => r.kind);
        }"""
    )
    assert rows == ["same", "changed", "same", "same", "added"]
