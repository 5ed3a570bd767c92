"""The HTTP edge shared by the admin and ingest functions (powertools REST resolver).

One place maps errors to responses: a :class:`~herald.errors.HeraldError` becomes its status
with ``{"error": {"code", "message", "field"?}}``; request validation errors (422), unknown
routes (404) and unsupported content types (415) get the same shape. A body over
``MAX_BODY_BYTES`` is refused with 413 before anything parses it.
"""

from __future__ import annotations

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
from herald.errors import HeraldError, PayloadTooLarge, ValidationError
from herald.observability import logger, metrics

MAX_BODY_BYTES = 256 * 1024


def error_body(code: str, message: str, field: str | None = None) -> dict:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def _json(status: int, body: dict) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def _validation_error(exc: RequestValidationError) -> tuple[str, str | None]:
    problems = exc.errors()
    first = problems[0] if problems else {}
    loc = [str(p) for p in first.get("loc", ())]
    field = ".".join(loc[1:]) if len(loc) > 1 and loc[0] in ("body", "query", "path") else None
    where = ".".join(loc) or "request"
    kind = first.get("type", "invalid")
    # pydantic's messages name no Python internals ("Input should be a valid integer").
    detail = first.get("msg") or kind
    message = "the body is not valid JSON" if kind == "json_invalid" else f"{where}: {detail}"
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more)"
    return message, field or (loc[0] if loc else None)


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

    @app.exception_handler(RecursionError)
    def too_deep(exc: RecursionError) -> Response:
        # json.loads raises RecursionError (not a JSONDecodeError) on a body nested ~1,000 deep.
        return _json(422, error_body("invalid_request", "the body is nested too deeply", "body"))

    @app.exception_handler(NotFoundError)
    def no_route(exc: NotFoundError) -> Response:
        event = app.current_event
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
    """The request's JSON object body, for routes not validated by the event handler."""
    event = resolver.current_event
    if not event.body:
        raise ValidationError("a JSON object body is required", field="body")
    try:
        body = event.json_body
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise ValidationError("the body is not valid JSON", field="body") from exc
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", field="body")
    return body


def caller(resolver: Any) -> users.User:
    """The signed-in user of the current request (Cognito claims); 401 without one."""
    context = resolver.current_event.raw_event.get("requestContext") or {}
    authorizer = context.get("authorizer") if isinstance(context, dict) else None
    claims = authorizer.get("claims") if isinstance(authorizer, dict) else None
    return users.from_claims(claims)


def _oversized(event: Any) -> bool:
    body = event.get("body") if isinstance(event, dict) else None
    if not isinstance(body, str):
        return False
    # base64 grows a body by 4/3; characters are at least one byte each.
    limit = MAX_BODY_BYTES * 4 // 3 if event.get("isBase64Encoded") else MAX_BODY_BYTES
    return len(body) > limit or len(body.encode()) > limit


@lambda_handler_decorator
def limit_body(handler, event: dict, context: Any) -> dict:
    """413 for a body over ``MAX_BODY_BYTES``, before it is parsed or validated."""
    if _oversized(event):
        exc = PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES // 1024} KB", field="body")
        return {
            "statusCode": exc.status,
            "headers": {"Content-Type": content_types.APPLICATION_JSON},
            "body": json.dumps({"error": exc.to_dict()}),
            "isBase64Encoded": False,
        }
    return handler(event, context)


_FORM = "application/x-www-form-urlencoded"


@lambda_handler_decorator
def json_requests(handler, event: dict, context: Any) -> dict:
    """The API speaks JSON only: a body sent as a form (``curl -d``'s default Content-Type) is
    read as the JSON it is, instead of as form fields that fail validation confusingly."""
    for key in ("headers", "multiValueHeaders"):
        headers = event.get(key) if isinstance(event, dict) else None
        if not isinstance(headers, dict):
            continue
        for name, value in list(headers.items()):
            if name.lower() != "content-type":
                continue
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, str) and v.lower().startswith(_FORM) for v in values):
                headers[name] = (
                    ["application/json"] if isinstance(value, list) else "application/json"
                )
    return handler(event, context)


def lambda_handler(app: APIGatewayRestResolver, requests_metric: str):
    """The Lambda handler of an API function: observability, body limits, then ``app``."""

    @metrics.log_metrics
    @logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
    )
    @limit_body
    @json_requests
    def handler(event: dict, context: Any) -> dict:
        metrics.add_metric(name=requests_metric, unit=MetricUnit.Count, value=1)
        return app.resolve(event, context)

    return handler
