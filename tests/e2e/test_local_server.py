"""``herald local serve`` over HTTP: a marketer's first minutes, as PRODUCT.md's API describes.

Starts the real command in a subprocess on free ports, then uses the API as a client would:
content and a rule created as drafts, published by an approver, a customer upserted, an event
posted, and the message found in ``/local/outbox``. Then the server under stress: bursts of
clients, broken framing, methods no route declares, and (on a toy template served in-process,
whose functions the test can hold) a slow function next to a quick one.
"""

from __future__ import annotations

import http.client
import json
import socket
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from types import ModuleType

import pytest

from herald_dev import rulesfiles
from herald_dev.local import process
from herald_dev.local import template as tpl
from herald_dev.local.runner import LocalStack
from herald_dev.local.server import LocalApi

pytestmark = pytest.mark.e2e

MARKETER = "Bearer local:mia:marketers"
APPROVER = "Bearer local:abe:approvers"
INGEST = "Bearer local:shop:"
START_TIMEOUT_S = 60
DELIVERY_TIMEOUT_S = 20


def _has_api_routes() -> bool:
    functions = tpl.load()["Resources"].values()
    return any(
        event.get("Type") == "Api"
        for res in functions
        if res.get("Type") == "AWS::Serverless::Function"
        for event in ((res.get("Properties") or {}).get("Events") or {}).values()
    )


_call = process.call
_free_port = process.free_port


@contextmanager
def serving(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """`herald local serve` in a subprocess on free ports: (API base URL, moto endpoint)."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with process.serve(log, timeout=START_TIMEOUT_S) as urls:
        yield urls


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    if not _has_api_routes():
        pytest.skip("template.yaml declares no Api routes yet")
    with serving(tmp_path_factory) as (base, _):
        yield base


CONTENT = {
    "id": "e2e-welcome",
    "channels": {
        "email": {
            "subject": "Welcome, {{ customer.attributes.first_name }}!",
            "text": "Hello {{ customer.attributes.first_name }}.\nUnsubscribe: {{ message.unsubscribe_url }}",
        }
    },
}
RULE = {
    "id": "e2e-welcome-on-signup",
    "name": "Welcome every new customer (e2e)",
    "on": "e2e.signed_up",
    "priority": 10,
    "when": 'event.plan == "pro"',
    "then": [{"send": {"channel": "email", "content": "e2e-welcome"}}],
    "category": "transactional",
}
CUSTOMER = {
    "email": "zoe@example.com",
    "timezone": "UTC",
    "consent": {"email": True},
    "attributes": {"first_name": "Zoe"},
}


def test_content_and_rule_published_then_an_event_sends_the_message(server):
    # Given content and a rule created by a marketer and published by an approver
    for kind, doc in (("contents", CONTENT), ("rules", RULE)):
        status, body = _call(server, "POST", f"/admin/{kind}", doc, MARKETER)
        assert status == 201, body
        status, body = _call(
            server, "POST", f"/admin/{kind}/{doc['id']}/publish", {"version": 1}, APPROVER
        )
        assert status == 200, body
    # And a customer
    status, body = _call(server, "PUT", "/customers/c-zoe", CUSTOMER, INGEST)
    assert status in (200, 201), body

    # When an event arrives over HTTP
    status, body = _call(
        server,
        "POST",
        "/events",
        {
            "type": "e2e.signed_up",
            "customer_id": "c-zoe",
            "event_id": "e2e-evt-1",
            "data": {"plan": "pro"},
        },
        INGEST,
    )
    assert status == 202, body

    # Then SES accepts the email within a bounded time
    message = _await_outbox(server, "zoe@example.com")
    assert message["channel"] == "email"
    assert message["subject_or_first_line"] == "Welcome, Zoe!"


def _await_outbox(base: str, recipient: str) -> dict:
    deadline = time.monotonic() + DELIVERY_TIMEOUT_S
    while time.monotonic() < deadline:
        status, messages = _call(base, "GET", "/local/outbox")
        assert status == 200
        for message in messages:
            if message["recipient"] == recipient:
                return message
        time.sleep(0.25)
    raise AssertionError(f"no message to {recipient} in /local/outbox after {DELIVERY_TIMEOUT_S}s")


def _await_counts(base: str, rule_id: str, figure: str) -> dict:
    deadline = time.monotonic() + DELIVERY_TIMEOUT_S
    while time.monotonic() < deadline:
        status, stats = _call(base, "GET", f"/admin/rules/{rule_id}/stats", auth=MARKETER)
        assert status == 200, stats
        counts = stats["arms"][0]["counts"]
        if counts[figure]:
            return counts
        time.sleep(0.25)
    raise AssertionError(f"{rule_id} never counted {figure} after {DELIVERY_TIMEOUT_S}s")


def test_ses_events_of_the_sent_email_reach_the_stats_and_a_click_counts(server):
    # Given the welcome email of the test above: SES's Delivery event went through the template
    counts = _await_counts(server, RULE["id"], "delivered")
    assert (counts["exposed"], counts["sent"], counts["delivered"]) == (1, 1, 1)
    status, timeline = _call(server, "GET", "/admin/customers/c-zoe/timeline", auth=MARKETER)
    (message,) = [i for i in timeline["items"] if i["kind"] == "message"]
    # When the recipient clicks (the local stand-in for SES's Click event)
    status, body = _call(
        server, "POST", "/local/engagement", {"message_id": message["message_id"], "type": "click"}
    )
    assert status == 202 and body["published"] == "Email Clicked"
    # Then the rule counts the click; an unknown message is a 404
    assert _await_counts(server, RULE["id"], "clicked")["clicked"] == 1
    missing = _call(server, "POST", "/local/engagement", {"message_id": "f" * 32, "type": "open"})
    assert missing[0] == 404


def test_admin_routes_need_a_bearer_and_health_does_not(server):
    status, body = _call(server, "GET", "/admin/rules")
    assert status == 401
    assert body["error"]["code"] == "unauthorized"
    assert _call(server, "GET", "/health") == (200, {"status": "ok"})


def test_rules_push_then_pull_round_trips_the_rules_directory(server, tmp_path):
    # Given the example rules pushed through the admin API (a second approver publishes)
    token = "local:ops:marketers,approvers"
    pushed = rulesfiles.push(
        tpl.REPO_ROOT / "rules",
        server,
        token,
        echo=lambda _: None,
        publish_token="local:ada:approvers",
    )
    assert pushed and all(what.endswith(("published", "already live")) for *_, what in pushed)

    # When they are pushed again and the live set is pulled into an empty directory
    again = rulesfiles.push(tpl.REPO_ROOT / "rules", server, token, echo=lambda _: None)
    rulesfiles.pull(server, token, tmp_path, echo=lambda _: None)

    # Then nothing changed the second time, and the pulled files equal the originals
    assert {what for *_, what in again} == {"unchanged, already live"}
    original_contents, original_rules = rulesfiles.validate_dir(tpl.REPO_ROOT / "rules")
    pulled_contents, pulled_rules = rulesfiles.validate_dir(tmp_path)
    pulled_ids = {c.id for c in pulled_contents} | {r.id for r in pulled_rules}
    for item in (*original_contents, *original_rules):
        assert item.id in pulled_ids
    by_id = {x.id: x.to_doc() for x in (*pulled_contents, *pulled_rules)}
    for item in (*original_contents, *original_rules):
        assert by_id[item.id] == item.to_doc()

    # And offers and taxonomies round-trip too
    ours = {(o.kind, o.id): o.doc for o in rulesfiles.validate_others(tpl.REPO_ROOT / "rules")}
    theirs = {(o.kind, o.id): o.doc for o in rulesfiles.validate_others(tmp_path)}
    assert ours and theirs == ours


def test_decide_outcome_and_feedback_are_served_with_iam_auth(server):
    # Given the example offers live (pushed and published) and Ann's profile
    rulesfiles.push(
        tpl.REPO_ROOT / "rules",
        server,
        "local:ops:marketers,approvers",
        echo=lambda _: None,
        publish_token="local:ada:approvers",
    )
    ann = {"email": "ann@example.com", "attributes": {"first_name": "Ann", "tier": "gold"}}
    assert _call(server, "PUT", "/customers/c-ann-e2e", ann, INGEST)[0] in (200, 201)
    # When the app's cart screen asks for offers
    request = {"customer_id": "c-ann-e2e", "placement": "app-cart", "context": {"cart_total": 80}}
    assert _call(server, "POST", "/decide", request, None)[0] == 401  # IAM: a caller is needed
    status, body = _call(server, "POST", "/decide", request, INGEST)
    # Then ranked, rendered offers come back, and an outcome is counted once
    assert status == 200, body
    assert "free-shipping-gold" in [o["offer_id"] for o in body["offers"]]
    shown = body["offers"][0]["offer_id"]
    outcome = {"offer_id": shown, "outcome": "impression"}
    path = f"/decide/{body['decision_id']}/outcome"
    for _ in range(20):  # the trace is written just after the response
        status, counted = _call(server, "POST", path, outcome, INGEST)
        if status != 404:
            break
        time.sleep(0.1)
    assert (status, counted["counted"]) == (200, True)
    assert _call(server, "POST", path, outcome, INGEST)[1]["counted"] is False
    # And feedback is accepted (moto's Comprehend, or the fallback when it has no answer)
    feedback = {"customer_id": "c-ann-e2e", "channel": "chat", "text": "The parcel never arrived."}
    status, answer = _call(server, "POST", "/feedback", feedback, INGEST)
    assert status == 200, answer
    assert "delivery" in answer["topics"]


# --------------------------------------------------------------------------- under stress


def test_a_burst_of_400_concurrent_requests_is_served_without_resets(server):
    # Given 400 clients connecting at once (more than socketserver's default backlog of 5)
    def health(_: int) -> int:
        return _call(server, "GET", "/health")[0]

    # When each asks for /health
    with ThreadPoolExecutor(max_workers=400) as pool:
        statuses = list(pool.map(health, range(400)))

    # Then every one is answered (a reset or a dropped SYN would raise in _call)
    assert statuses == [200] * 400


def _raw(base: str, request: bytes, *, half_close: bool = False) -> tuple[int, dict, dict]:
    """Send ``request`` as is; (status, headers, JSON body) of the answer. With ``half_close``
    the client stops sending (EOF), as one whose body ended early would."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, dict(response.getheaders()), json.loads(response.read())


@pytest.mark.parametrize(
    "content_length",
    [
        "abc",  # not a number
        "-5",  # negative
        "1e3",  # not an integer as HTTP spells one
        "2\r\nContent-Length: 3",  # two that disagree
    ],
)
def test_a_malformed_content_length_gets_400(server, content_length):
    # When a request's Content-Length can't frame its body
    status, headers, body = _raw(
        server,
        f"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: {content_length}\r\n\r\n{{}}".encode(),
    )
    # Then the server refuses it itself, in the API's error shape, and closes the connection
    assert status == 400
    assert body["error"]["code"] == "bad_request" and body["error"]["message"]
    assert headers["Connection"] == "close"


def test_a_body_shorter_than_its_content_length_gets_400(server):
    # When a client announces 100 bytes, sends 2 and stops sending
    status, _, body = _raw(
        server,
        b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}",
        half_close=True,
    )
    # Then it gets 400 at once (it used to be handed to the function as a 2-byte body)
    assert status == 400
    assert body["error"]["code"] == "bad_request"
    assert "2 of the 100 bytes" in body["error"]["message"]


def _request(base: str, method: str, path: str, auth: str | None = None) -> tuple[int, dict, dict]:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path, headers={"Authorization": auth} if auth else {})
        response = connection.getresponse()
        raw = response.read()
        return response.status, dict(response.getheaders()), json.loads(raw) if raw else {}
    finally:
        connection.close()


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "DELETE", "HEAD", "FOO"])
def test_a_method_no_route_declares_for_the_path_gets_405_with_allow(server, method):
    status, headers, body = _request(server, method, "/health")
    assert status == 405
    assert headers["Allow"] == "GET"
    if method != "HEAD":  # a HEAD answer has no body
        assert body["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("method", ["GET", "TRACE", "PROPFIND"])
def test_a_path_no_route_declares_gets_404_whatever_the_method(server, method):
    status, _, body = _request(server, method, "/no/such/route")
    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_an_any_route_hands_every_method_to_its_function(server):
    # /admin/{proxy+} is declared ANY: the admin function answers PROPFIND itself — 405 with the
    # methods its own routes take (before, the server said 501); without a bearer the route's
    # auth still applies.
    status, headers, body = _request(server, "PROPFIND", "/admin/rules", MARKETER)
    assert status == 405 and headers.get("Allow") == "GET, POST"
    assert body["error"]["code"] == "method_not_allowed"
    assert _request(server, "PROPFIND", "/admin/rules")[0] == 401


# --------------------------------------------------------------------------- a toy, held

TOY_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: toy}
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: !Ref Stage}
  WorkQueue:
    Type: AWS::SQS::Queue
  QuickFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fns/quick/
      Handler: app.lambda_handler
      Events:
        Health:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /health, Method: get}
        Echo:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/echo/{proxy+}", Method: ANY}
  SlowFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fns/slow/
      Handler: app.lambda_handler
      Events:
        Slow:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /slow, Method: get}
        Work:
          Type: SQS
          Properties: {Queue: !GetAtt WorkQueue.Arn, BatchSize: 1}
"""

QUICK_APP = """
import json

def lambda_handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"method": event["httpMethod"]})}
"""

# Held until the test releases it: the test decides when the slow call ends, not a clock.
SLOW_APP = """
import threading

entered = threading.Event()
release = threading.Event()

def lambda_handler(event, context):
    entered.set()
    release.wait(60)  # a guard only: never leave a test run hanging
    return {"statusCode": 200, "body": "{}"}
"""


class Toy:
    def __init__(self, base: str, local: LocalStack) -> None:
        self.base, self.local = base, local

    def module(self, function: str) -> ModuleType:
        return sys.modules[self.local.handler(function).__module__]


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Iterator[Toy]:
    root = tmp_path_factory.mktemp("toyserve")
    for path, text in {
        "template.yaml": TOY_TEMPLATE,
        "fns/quick/app.py": QUICK_APP,
        "fns/slow/app.py": SLOW_APP,
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(textwrap.dedent(text), encoding="utf-8")
    api = LocalApi(0, read_timeout=1.0)
    local = LocalStack(aws_port=0, api_port=api.port, template_path=root / "template.yaml")
    local.start()
    api.attach(local)
    stop = threading.Event()
    threads = [
        threading.Thread(target=api.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True),
        threading.Thread(target=local.run_pump, args=(stop,), daemon=True),
    ]
    for thread in threads:
        thread.start()
    toy = Toy(f"http://127.0.0.1:{api.port}", local)
    try:
        yield toy
    finally:
        toy.module("SlowFunction").release.set()
        stop.set()
        api.shutdown()
        api.server_close()
        threads[1].join(timeout=10)
        urllib.request.urlopen(
            urllib.request.Request(f"{local.endpoint}/moto-api/reset", method="POST")
        )
        local.stop()


@pytest.fixture
def slow(toy) -> Iterator[ModuleType]:
    """The slow function's module, its events cleared; released whatever the test does."""
    module = toy.module("SlowFunction")
    module.entered.clear()
    module.release.clear()
    yield module
    module.release.set()


def test_a_slow_api_call_does_not_hold_up_health(toy, slow):
    with ThreadPoolExecutor(max_workers=2) as pool:
        # Given a call to the slow function, in flight
        slow_call = pool.submit(_call, toy.base, "GET", "/slow")
        assert slow.entered.wait(30)

        # When /health (another function) is asked meanwhile
        health = pool.submit(_call, toy.base, "GET", "/health")

        # Then it answers while the slow call is still held
        assert health.result(timeout=30) == (200, {"method": "GET"})
        assert not slow_call.done()
        slow.release.set()
        assert slow_call.result(timeout=30) == (200, {})


def test_the_pump_in_a_slow_function_does_not_hold_up_health(toy, slow):
    # Given the pump inside the slow function, handling a queue record
    sqs = toy.local.client("sqs")
    (source,) = [s for s in toy.local.sources if s.function == "SlowFunction"]
    sqs.send_message(QueueUrl=source.queue_url, MessageBody="{}")
    assert slow.entered.wait(30)

    # When /health is asked meanwhile, Then it answers while the record is still held
    assert _call(toy.base, "GET", "/health") == (200, {"method": "GET"})
    assert not slow.release.is_set()
    slow.release.set()


def test_a_body_the_client_never_finishes_gets_400_after_the_read_timeout(toy):
    # When a client announces 100 bytes, sends 2 and keeps the connection open
    status, headers, body = _raw(
        toy.base, b"POST /echo/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}"
    )
    # Then the server stops waiting (read timeout) and refuses it, rather than hang a thread
    assert status == 400
    assert body["error"]["code"] == "bad_request"
    assert headers["Connection"] == "close"


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "PATCH", "FOO"])
def test_any_route_passes_undeclared_methods_to_the_function(toy, method):
    status, _, body = _request(toy.base, method, "/echo/x")
    assert (status, body) == (200, {"method": method})
