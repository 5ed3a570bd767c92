"""``herald local serve``: template.yaml's API routes on 127.0.0.1, events and queues pumped.

Every Api event of every function in the template becomes a route, served as API Gateway
(REST, v1 proxy integration) would: the same event shape, path parameters (``{id}``,
``{proxy+}``), methods (``ANY`` included) and, locally, bearer tokens standing in for the
authorizers — ``Authorization: Bearer local:<user>:<group>[,<group>]``:

- ``Auth.Authorizer: NONE`` → open;
- ``AWS_IAM`` → ``requestContext.identity`` carries the user's ARN;
- a named authorizer or the API's default (Cognito) → ``requestContext.authorizer.claims``.

``GET /local/outbox`` lists what SES/SNS accepted; ``POST /local/engagement {message_id,
type: open|click|bounce|complaint}`` publishes what SES would when a recipient does that. A background thread pumps the event
sources (see :mod:`herald_dev.local.runner`) and fires due schedules.

Every method goes through one dispatch (TRACE, PROPFIND or any other token included), and
what the server answers itself is JSON, ``{"error": {"code", "message"}}``:

- no route for the path, whatever the method → 404 ``not_found``. (API Gateway REST says
  403 "Missing Authentication Token" there; 404 says what happened.)
- routes for the path, none for the method → 405 ``method_not_allowed``, with ``Allow``
  listing the declared methods. A route declared ``ANY`` takes every method: its function
  answers, as behind API Gateway.
- a body that can't be framed: ``Content-Length`` not a non-negative integer, or several that
  disagree, or fewer bytes than it announced within ``READ_TIMEOUT_S`` → 400 ``bad_request``;
  ``Transfer-Encoding`` (chunked) → 411 ``length_required``. The connection is closed after,
  since where the next request starts is unknown.
- a body over 1 MiB → 413 ``payload_too_large``; no bearer on a protected route → 401
  ``unauthorized``; the function raised → 502 ``internal_error``; not started → 503.

Requests are served concurrently (a thread each, a listen backlog for bursts); each function
runs one invocation at a time, different functions in parallel (see ``LocalStack.invoke``).
"""

from __future__ import annotations

import base64
import json
import re
import signal
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from herald_dev.local import outbox
from herald_dev.local.runner import LocalStack

MAX_BODY_BYTES = 1024 * 1024  # API Gateway's payload limit is 10 MiB; Herald's own is 1 MiB
MAX_DISCARD_BYTES = 16 * MAX_BODY_BYTES
# socketserver listens with a backlog of 5: a burst of clients (a load test, a fan-out) would
# see connections reset or SYNs dropped. The kernel caps it at net.core.somaxconn.
LISTEN_BACKLOG = 1024
# How long a connection may stay silent mid-request (or idle between requests) before it is
# dropped: a client announcing more body than it sends gets a 400, not a thread waiting forever.
READ_TIMEOUT_S = 10.0
BEARER = re.compile(r"^Bearer local:([A-Za-z0-9._@+-]{1,128}):([A-Za-z0-9._,-]{0,512})$")
METHOD_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 §9.1: a method is a token
DIGITS = re.compile(r"[0-9]+")
OUTBOX_PATH = "/local/outbox"
ENGAGEMENT_PATH = "/local/engagement"
OPEN, IAM, COGNITO = "NONE", "AWS_IAM", "COGNITO"


@dataclass(frozen=True)
class Route:
    """One Api event: ``Path`` and ``Method`` as the template spells them, and its auth."""

    function: str
    path: str
    method: str  # upper case; ANY matches every method
    auth: str  # NONE | AWS_IAM | COGNITO
    stage: str
    pattern: re.Pattern
    literal_segments: int
    greedy: bool

    def match(self, path: str) -> dict[str, str] | None:
        m = self.pattern.match(path)
        return None if m is None else m.groupdict()

    def sort_key(self) -> tuple:
        # API Gateway prefers literal segments over parameters, and greedy {proxy+} last.
        return (self.greedy, -self.literal_segments, -self.path.count("/"), self.method == "ANY")


def compile_path(path: str) -> tuple[re.Pattern, int, bool]:
    """A regex for an API Gateway resource path; the number of literal segments; greedy?"""
    parts, literals, greedy = [], 0, False
    for segment in path.strip("/").split("/"):
        if m := re.fullmatch(r"\{([A-Za-z0-9_]+)\+\}", segment):
            # API Gateway names the parameter without the "+": {proxy+} → pathParameters.proxy
            parts.append(f"(?P<{m.group(1)}>.+)")
            greedy = True
        elif m := re.fullmatch(r"\{([A-Za-z0-9_]+)\}", segment):
            parts.append(f"(?P<{m.group(1)}>[^/]+)")
        else:
            parts.append(re.escape(segment))
            literals += 1 if segment else 0
    return re.compile("^/" + "/".join(parts) + "/?$"), literals, greedy


def routes(local: LocalStack) -> list[Route]:
    """Every Api event of every function in the template, most specific first."""
    assert local.stack is not None
    resources = local.stack.template["Resources"]
    found = []
    for logical_id, spec in local.functions.items():
        for event in spec.events.values():
            if event.get("Type") != "Api":
                continue
            props = event.get("Properties") or {}
            api_id = _api_logical_id(props.get("RestApiId"))
            api = (resources.get(api_id) or {}).get("Properties") or {} if api_id else {}
            pattern, literals, greedy = compile_path(props["Path"])
            found.append(
                Route(
                    logical_id,
                    props["Path"],
                    str(props.get("Method", "ANY")).upper(),
                    _auth(props, api),
                    str(local.stack.resolver.resolve(api.get("StageName", "Prod"))),
                    pattern,
                    literals,
                    greedy,
                )
            )
    return sorted(found, key=Route.sort_key)


def _api_logical_id(ref: Any) -> str | None:
    if isinstance(ref, dict) and "Ref" in ref:
        return ref["Ref"]
    return None


def _auth(event_props: dict, api_props: dict) -> str:
    api_auth = api_props.get("Auth") or {}
    name = (event_props.get("Auth") or {}).get("Authorizer") or api_auth.get("DefaultAuthorizer")
    if not name or name == "NONE":
        return OPEN
    if name == "AWS_IAM":
        return IAM
    # Any named authorizer (Cognito user pool, or a Lambda authorizer) checks a bearer token.
    return COGNITO


def find_route(table: list[Route], method: str, path: str) -> tuple[Route, dict] | None:
    """The route serving ``method path``; a method-specific route beats ANY at equal paths."""
    for route in table:
        if route.method not in (method, "ANY"):
            continue
        params = route.match(path)
        if params is not None:
            return route, params
    return None


def allowed_methods(table: list[Route], path: str) -> list[str]:
    """The methods declared for ``path`` (for a 405's ``Allow``); empty when no route has it."""
    return sorted({route.method for route in table if route.match(path) is not None})


@dataclass(frozen=True)
class Caller:
    user: str
    groups: tuple[str, ...]


def parse_bearer(header: str | None) -> Caller | None:
    """``Bearer local:<user>:<group>[,<group>]`` → the caller; anything else → None."""
    m = BEARER.match((header or "").strip())
    if m is None:
        return None
    return Caller(m.group(1), tuple(g for g in m.group(2).split(",") if g))


def proxy_event(
    route: Route,
    method: str,
    raw_path: str,
    headers: list[tuple[str, str]],
    body: bytes,
    params: dict[str, str],
    caller: Caller | None,
    source_ip: str,
) -> dict:
    """An API Gateway REST (v1) proxy integration event."""
    url = urlsplit(raw_path)
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    query = parse_qsl(url.query, keep_blank_values=True)
    qs_multi: dict[str, list[str]] = {}
    for name, value in query:
        qs_multi.setdefault(name, []).append(value)
    text, is_b64 = _body(body)
    now = datetime.now(UTC)
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "local",
        "resourceId": "local",
        "stage": route.stage,
        "requestId": str(uuid.uuid4()),
        "extendedRequestId": str(uuid.uuid4()),
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "resourcePath": route.path,
        "httpMethod": method,
        "path": f"/{route.stage}{url.path}",
        "protocol": "HTTP/1.1",
        "domainName": single.get("Host", "127.0.0.1"),
        "identity": {"sourceIp": source_ip, "userAgent": single.get("User-Agent")},
    }
    if caller is not None and route.auth == IAM:
        context["identity"].update(
            userArn=f"arn:aws:iam::123456789012:user/{caller.user}",
            caller=caller.user,
            user=caller.user,
            accountId="123456789012",
            accessKey="LOCALACCESSKEY",
        )
    elif caller is not None and route.auth == COGNITO:
        context["authorizer"] = {
            "claims": {
                "cognito:username": caller.user,
                "sub": caller.user,
                # API Gateway passes claims as strings; groups comma-separated.
                "cognito:groups": ",".join(caller.groups),
            }
        }
    return {
        "resource": route.path,
        "path": url.path,
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": dict(query) or None,
        "multiValueQueryStringParameters": qs_multi or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": context,
        "body": text,
        "isBase64Encoded": is_b64,
    }


def _body(body: bytes) -> tuple[str | None, bool]:
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


class Refused(Exception):
    """A request the server answers itself, before or instead of a function."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: tuple[tuple[str, str], ...] = (),
        close: bool = False,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers
        self.close = close  # the request's framing is unknown: drop the connection after


class LocalApi(ThreadingHTTPServer):
    """The HTTP server: routes from the template, handlers invoked through the LocalStack."""

    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, port: int, read_timeout: float = READ_TIMEOUT_S) -> None:
        self.read_timeout = read_timeout
        # Bound before the stack starts, so that port 0 (any free port) is known to the stack.
        try:
            super().__init__(("127.0.0.1", port), _Handler)
        except OSError as exc:
            raise OSError(
                f"port {port} on 127.0.0.1 is in use (choose another with --port)"
            ) from exc
        self.local: LocalStack | None = None
        self.table: list[Route] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def attach(self, local: LocalStack) -> None:
        """Serve ``local``'s routes (until then every request gets 503)."""
        self.table = routes(local)
        self.local = local


class _Handler(BaseHTTPRequestHandler):
    server: LocalApi
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm the body waits for the
    # client's delayed ACK of the headers, 40 ms on every keep-alive request.
    disable_nagle_algorithm = True

    def __getattr__(self, name: str) -> Any:
        # BaseHTTPRequestHandler calls do_<METHOD> and answers 501 (in HTML) when there is
        # none; every method, declared anywhere or not, goes through the one dispatch instead.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def setup(self) -> None:
        self.timeout = self.server.read_timeout  # StreamRequestHandler sets it on the socket
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        print(f"{time.strftime('%H:%M:%S')} {self.address_string()} {format % args}", flush=True)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # BaseHTTPRequestHandler's own refusals (a garbled request line, too many headers, …)
        # in the same JSON shape as every other error here.
        self.log_error("code %d, message %s", code, message)
        self.close_connection = True
        status = HTTPStatus(code)
        self._reply(code, error_body(status.name.lower(), message or status.phrase))

    def _serve(self) -> None:
        try:
            self._dispatch(self.command, self._read_body())
        except Refused as exc:
            self.close_connection = self.close_connection or exc.close
            headers = [("Content-Type", "application/json"), *exc.headers]
            self._reply(exc.status, error_body(exc.code, exc.message), headers)

    def _dispatch(self, method: str, body: bytes) -> None:
        local = self.server.local
        if local is None:
            raise Refused(503, "starting", "the local stack is starting")
        if not METHOD_TOKEN.fullmatch(method):
            raise Refused(400, "bad_request", "the request method is not an HTTP token", close=True)
        path = urlsplit(self.path).path
        if path == OUTBOX_PATH:
            if method != "GET":
                raise _not_allowed(method, path, ["GET"])
            return self._reply(200, json.dumps(outbox.messages(local.region)).encode())
        if path == ENGAGEMENT_PATH:
            if method != "POST":
                raise _not_allowed(method, path, ["POST"])
            return self._reply(202, json.dumps(_engage(local, body)).encode())
        found = find_route(self.server.table, method, path)
        if found is None:
            if allowed := allowed_methods(self.server.table, path):
                raise _not_allowed(method, path, allowed)
            raise Refused(404, "not_found", f"no route for {method} {path}")
        route, params = found
        caller = parse_bearer(self.headers.get("Authorization"))
        if route.auth != OPEN and caller is None:
            raise Refused(
                401, "unauthorized", "send Authorization: Bearer local:<user>:<group>[,<group>]"
            )
        event = proxy_event(
            route,
            method,
            self.path,
            list(self.headers.items()),
            body,
            params,
            caller,
            self.client_address[0],
        )
        try:
            response = local.invoke(route.function, event, trigger=f"Api:{method} {route.path}")
        except Exception:  # noqa: BLE001 — invoke() logged it; API Gateway answers 502
            raise Refused(
                502, "internal_error", f"{route.function} raised; see the server log"
            ) from None
        self._reply_proxy(response)

    def _read_body(self) -> bytes:
        """The request body as ``Content-Length`` frames it; :class:`Refused` if it can't be."""
        if self.headers.get("Transfer-Encoding"):
            raise Refused(
                411,
                "length_required",
                "send the body with a Content-Length (chunked transfer coding is not supported)",
                close=True,
            )
        values = {value.strip() for value in self.headers.get_all("Content-Length") or []}
        if not values:
            return b""
        if len(values) > 1:
            raise Refused(400, "bad_request", "conflicting Content-Length headers", close=True)
        (value,) = values
        if not DIGITS.fullmatch(value):
            raise Refused(
                400,
                "bad_request",
                f"Content-Length must be a non-negative integer, not {value[:32]!r}",
                close=True,
            )
        length = int(value)
        if length > MAX_BODY_BYTES:
            self._discard(length)
            raise Refused(
                413,
                "payload_too_large",
                f"request body exceeds {MAX_BODY_BYTES} bytes",
                close=True,
            )
        body = self._read(length)
        if len(body) < length:
            raise Refused(
                400,
                "bad_request",
                f"the body ended after {len(body)} of the {length} bytes Content-Length announced",
                close=True,
            )
        return body

    def _read(self, length: int) -> bytes:
        """Up to ``length`` bytes: fewer if the client stops sending (EOF or the read timeout)."""
        chunks, remaining = [], length
        while remaining > 0:
            try:
                chunk = self.rfile.read1(min(remaining, 64 * 1024))
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _discard(self, length: int) -> None:
        """Read an oversized body away (a client still sending would see a reset otherwise)."""
        if length <= MAX_DISCARD_BYTES:  # beyond that, not worth reading: the reply closes
            while length > 0 and (chunk := self._read(min(length, 64 * 1024))):
                length -= len(chunk)

    def _reply_proxy(self, response: Any) -> None:
        if not isinstance(response, dict) or "statusCode" not in response:
            return self._reply(502, error_body("internal_error", "malformed Lambda proxy response"))
        body = response.get("body") or ""
        raw = base64.b64decode(body) if response.get("isBase64Encoded") else str(body).encode()
        headers = [(k, str(v)) for k, v in (response.get("headers") or {}).items()]
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers += [(name, str(v)) for v in values]
        self._reply(int(response["statusCode"]), raw, headers)

    def _reply(
        self, status: int, body: bytes, headers: list[tuple[str, str]] | None = None
    ) -> None:
        headers = headers or [("Content-Type", "application/json")]
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:  # a status code http.HTTPStatus doesn't name
            phrase = ""
        self.send_response(status, phrase)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _engage(local: LocalStack, body: bytes) -> dict:
    """``POST /local/engagement {message_id, type}``: what a recipient would do (an SES Open,
    Click, Bounce or Complaint event of an email accepted here, on the default bus)."""
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        raise Refused(400, "bad_request", "the body is not JSON") from None
    message_id = doc.get("message_id") if isinstance(doc, dict) else None
    kind = doc.get("type") if isinstance(doc, dict) else None
    if not isinstance(message_id, str) or not isinstance(kind, str):
        raise Refused(
            422, "invalid_request", "send {message_id, type: open|click|bounce|complaint}"
        )
    try:
        return local.ses.engage(message_id, kind, local.put_ses_events)
    except ValueError as exc:
        raise Refused(422, "invalid_request", str(exc)) from None
    except LookupError as exc:
        raise Refused(404, "not_found", str(exc)) from None


def _not_allowed(method: str, path: str, allowed: list[str]) -> Refused:
    return Refused(
        405,
        "method_not_allowed",
        f"{path} takes {', '.join(allowed)}, not {method}",
        headers=(("Allow", ", ".join(allowed)),),
    )


def banner(local: LocalStack, api: LocalApi) -> str:
    """What the server prints at start: where the API and AWS are, and every route."""
    base = f"http://127.0.0.1:{api.port}"
    lines = [
        f"Herald local stack — AWS (moto) at {local.endpoint}, API at {base}",
        "routes (from template.yaml):",
    ]
    for route in sorted(api.table, key=lambda r: (r.path, r.method)):
        lines.append(f"  {route.method:7} {base}{route.path:40} {route.auth:8} → {route.function}")
    lines.append(
        f"  GET     {base}{OUTBOX_PATH:40} {'NONE':8} → what SES/SNS accepted (local only)"
    )
    lines.append(
        f"  POST    {base}{ENGAGEMENT_PATH:40} {'NONE':8} → a recipient opens, clicks, bounces, "
        "complains (local only)"
    )
    taps = ", ".join(f"{s.function} ← {s.kind}:{s.event_name}" for s in local.sources)
    lines.append(f"event sources pumped every 50 ms: {taps or 'none'}")
    lines.append("auth: Authorization: Bearer local:<user>:<group>[,<group>]   · Ctrl-C stops")
    return "\n".join(lines)


def serve(port: int = 3000, aws_port: int = 4566, log_level: str = "INFO") -> None:
    """Run the local stack and its API until interrupted (Ctrl-C or SIGTERM)."""
    # SIGTERM (e.g. from a test harness or a process manager) shuts down as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    api = LocalApi(port)
    local = LocalStack(aws_port=aws_port, api_port=api.port, log_level=log_level)
    stop = threading.Event()
    pump = threading.Thread(target=local.run_pump, args=(stop,), name="herald-pump", daemon=True)
    try:
        local.start()
        failed = local.warm()  # cold starts now, not on the first request
        api.attach(local)
        pump.start()
        print(banner(local, api), flush=True)
        for function, error in failed.items():
            print(f"✗ {function} failed to load: {error}", flush=True)
        api.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    finally:
        stop.set()
        api.server_close()
        if pump.is_alive():
            pump.join(timeout=5)
        local.stop()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
