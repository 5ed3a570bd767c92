"""The HTTP edge shared by the admin and ingest functions (powertools REST resolver).

One place maps errors to responses: a :class:`~herald.errors.HeraldError` becomes its status
with ``{"error": {"code", "message", "field"?}}``; request validation errors (422), unknown
routes (404), other methods on a known route (405) and bodies that aren't JSON (415) get the
same shape. Before anything parses a body, :func:`check_body` refuses what would break a
parser: over ``MAX_BODY_BYTES`` (413), base64 that isn't UTF-8 (400), not JSON, NaN/Infinity,
numbers of thousands of digits, nesting deeper than 32 levels, invalid Unicode (422).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.middleware_factory import lambda_handler_decorator

from herald.admin import users
from herald.domain.document import ValidationError, check_json, check_json_fields
from herald.errors import HeraldError
from herald.event_sources import API, only
from herald.observability import logger, metrics

MAX_BODY_BYTES = 256 * 1024
MAX_NUMBER_DIGITS = 40  # JSON numbers a marketer writes; Python refuses > 4,300 with a ValueError


class PayloadTooLarge(HeraldError):
    code = "payload_too_large"
    status = 413


class BadRequest(HeraldError):
    """A request no route can read (a body that isn't UTF-8 text, a bad header)."""

    code = "bad_request"
    status = 400


class UnsupportedMediaType(HeraldError):
    code = "unsupported_media_type"
    status = 415


def error_body(code: str, message: str, field: str | None = None) -> dict:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def _json(status: int, body: dict, headers: dict | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers=headers,
    )


_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "dict", "list", "none"})


def _is_tag(part: str) -> bool:
    """pydantic names the member of a union in an error's location (``Profile``, ``str``,
    ``function-after[…]``); the API's own fields are lower-case words."""
    return part[:1].isupper() or "[" in part or part in _TYPE_TAGS


def json_path(loc: tuple | list) -> str:
    """``("then", 0, "send", "send", "content")`` → ``then[0].send.content``: list indexes in
    brackets, union tags (a model's name, or the key a tagged union selects) dropped."""
    out = ""
    previous = None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != previous and not _is_tag(str(part)):
            out += f".{part}" if out else str(part)
        previous = part
    return out


def _shown(value: Any) -> str:
    if isinstance(value, str | int | float | bool) and len(repr(value)) <= 60:
        return f" (got {value!r})"
    return ""


def _validation_error(exc: RequestValidationError) -> tuple[str, str | None]:
    problems = exc.errors()
    first = problems[0] if problems else {}
    loc = list(first.get("loc", ()))
    where = loc[0] if loc and loc[0] in ("body", "query", "path") else None
    path = json_path(loc[1:] if where else loc)
    kind = first.get("type", "invalid")
    # pydantic's messages name no Python internals ("Input should be a valid integer").
    detail = first.get("msg") or kind
    if kind == "json_invalid":
        message = "the body is not valid JSON"
    elif kind == "missing":
        message = f"{path or where} is required"
    elif kind == "extra_forbidden":
        message = f"unknown field {path}"
    else:
        message = f"{path or where or 'request'}: {detail}{_shown(first.get('input'))}"
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more)"
    return message, path or where


def _allowed_methods(app: APIGatewayRestResolver, path: str) -> list[str]:
    routes = app._static_routes + app._dynamic_routes  # the resolver's own route table
    return sorted({r.method for r in routes if r.rule.match(path)})


def register_errors(app: APIGatewayRestResolver) -> None:
    """Install the error mapping on ``app``."""

    @app.exception_handler(HeraldError)
    def herald_error(exc: HeraldError) -> Response:
        if exc.status >= 500:
            logger.warning("request failed", code=exc.code, reason=exc.message)
        return _json(exc.status, {"error": exc.to_dict()})

    @app.exception_handler(RequestValidationError)
    def invalid_request(exc: RequestValidationError) -> Response:
        message, field = _validation_error(exc)
        return _json(422, error_body("invalid_request", message, field))

    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported(exc: RequestUnsupportedContentType) -> Response:
        return _json(415, error_body("unsupported_media_type", "send application/json"))

    @app.exception_handler(NotFoundError)
    def no_route(exc: NotFoundError) -> Response:
        event = app.current_event
        allowed = _allowed_methods(app, event.path)
        if allowed:
            return _json(
                405,
                error_body(
                    "method_not_allowed",
                    f"{event.http_method} is not allowed here; use {', '.join(allowed)}",
                ),
                headers={"Allow": ", ".join(allowed)},
            )
        return _json(404, error_body("not_found", f"no route {event.http_method} {event.path}"))


def json_object_body(app: APIGatewayRestResolver, next_middleware: Any) -> Response:
    """Middleware: a JSON body must be an object.

    The event handler's validation takes the first element of a list for a non-list body
    parameter (a form-data convenience); for JSON documents that would silently accept
    ``[doc, other]`` as ``doc``.
    """
    route = app.context.get("_route")
    checked = route is not None and route.dependant.body_params and app.current_event.body
    if checked and not isinstance(app.current_event.json_body, dict):
        raise ValidationError("the body must be a JSON object", field="body")
    return next_middleware(app)


def json_body(resolver: Any) -> dict:
    """The request's JSON object body, for routes not validated by the event handler (its
    syntax was checked by :func:`check_body` before routing)."""
    event = resolver.current_event
    if not event.body:
        raise ValidationError("a JSON object body is required", field="body")
    body = event.json_body
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", field="body")
    return body


def caller(resolver: Any) -> users.User:
    """The signed-in user of the current request (Cognito claims); 401 without one."""
    context = resolver.current_event.raw_event.get("requestContext") or {}
    authorizer = context.get("authorizer") if isinstance(context, dict) else None
    claims = authorizer.get("claims") if isinstance(authorizer, dict) else None
    return users.from_claims(claims)


# --------------------------------------------------------------------------- before routing

_JSON_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/plain")


def _content_type(event: dict) -> str | None:
    for key in ("headers", "multiValueHeaders"):
        headers = event.get(key)
        if not isinstance(headers, dict):
            continue
        for name, value in headers.items():
            if isinstance(name, str) and name.lower() == "content-type":
                first = value[0] if isinstance(value, list) and value else value
                return first.split(";", 1)[0].strip().lower() if isinstance(first, str) else None
    return None


def _set_json_content_type(event: dict) -> None:
    """curl's ``-d`` says form-urlencoded: read it as the JSON it is, not as form fields."""
    for key in ("headers", "multiValueHeaders"):
        headers = event.get(key)
        if not isinstance(headers, dict):
            continue
        for name in list(headers):
            if isinstance(name, str) and name.lower() == "content-type":
                multi = isinstance(headers[name], list)
                headers[name] = ["application/json"] if multi else "application/json"


class InvalidRequest(ValidationError):
    """A body no route can read: the same code as a body the OpenAPI document refuses."""

    code = "invalid_request"


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise InvalidRequest(
            f"a number in the body has more than {MAX_NUMBER_DIGITS} digits", field="body"
        )
    return int(text)


def _number(text: str) -> int | float:
    """JSON has one number type: 3.0 is the integer 3 (JSON Schema agrees), so it reads as one."""
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _no_constant(name: str) -> None:
    raise InvalidRequest(f"{name} is not JSON (numbers must be finite)", field="body")


def parse_json_text(text: str) -> Any:
    """Strict JSON: no NaN/Infinity, bounded integers, bounded nesting, valid Unicode."""
    try:
        doc = json.loads(
            text, parse_int=_bounded_int, parse_float=_number, parse_constant=_no_constant
        )
    except RecursionError as exc:
        raise InvalidRequest("the body is nested too deeply", field="body") from exc
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            field="body",
        ) from exc
    if isinstance(doc, dict):
        check_json_fields(doc)  # errors name the path inside the body: data.items[0]
    else:
        check_json(doc, "body")
    return doc


def _checked_body(event: dict) -> str | None:
    body = event.get("body")
    if not isinstance(body, str) or not body:
        return None
    encoded = bool(event.get("isBase64Encoded"))
    limit = MAX_BODY_BYTES * 4 // 3 + 4 if encoded else MAX_BODY_BYTES
    if len(body) > limit or (not encoded and len(body.encode("utf-8", "surrogatepass")) > limit):
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES // 1024} KB", field="body")
    if not encoded:
        return body
    try:
        text = base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("the body is not UTF-8 text", field="body") from exc
    event["body"], event["isBase64Encoded"] = text, False  # decoded once, here
    return text


@lambda_handler_decorator
def check_body(handler, event: dict, context: Any) -> dict:
    """Refuse, before routing, a body no route could read (see the module docstring)."""
    try:
        text = _checked_body(event)
        if text is not None:
            kind = _content_type(event)
            if kind is not None and kind not in _JSON_TYPES and not kind.endswith("+json"):
                raise UnsupportedMediaType(f"send application/json, not {kind}", field="body")
            doc = parse_json_text(text)
            # What routes read is what was checked: integral numbers as integers, ASCII escapes
            event["body"] = json.dumps(doc)
            _set_json_content_type(event)
    except HeraldError as exc:
        return {
            "statusCode": exc.status,
            "headers": {"Content-Type": content_types.APPLICATION_JSON},
            "body": json.dumps({"error": exc.to_dict()}),
            "isBase64Encoded": False,
        }
    return handler(event, context)


def lambda_handler(app: APIGatewayRestResolver, requests_metric: str):
    """The Lambda handler of an API function: observability, event type, body checks, ``app``."""

    @metrics.log_metrics
    @logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
    )
    @only(kinds=(API,))
    @check_body
    def handler(event: dict, context: Any) -> dict:
        metrics.add_metric(name=requests_metric, unit=MetricUnit.Count, value=1)
        return app.resolve(event, context)

    return handler
