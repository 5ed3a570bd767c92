"""unsubscribe: ``GET /u/{token}`` shows the choice of channels, ``POST /u/{token}`` opts out
in one request (RFC 8058 one-click: body ``List-Unsubscribe=One-Click``). Public route: the
signed token is the only credential; a tampered or garbled one gets 403."""

from __future__ import annotations

from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from herald import unsubscribe
from herald.errors import HeraldError
from herald.event_sources import API, only
from herald.observability import logger
from herald.settings import settings

settings().require("customers_table", "suppression_table", "unsubscribe_key_param")
HTML = "text/html; charset=utf-8"
app = APIGatewayRestResolver()


def _page(status: int, body: str) -> Response:
    # No caching: a proxy must never serve one person's page (or a stale state) to another.
    return Response(status, HTML, body, headers={"Cache-Control": "no-store"})


@app.get("/u/<token>")
def confirm(token: str) -> Response:
    return _page(200, unsubscribe.confirmation_page(token))


@app.post("/u/<token>")
def one_click(token: str) -> Response:
    # Mail providers post List-Unsubscribe=One-Click; our page posts `channels` fields.
    # Any other body (multipart from some providers) still means "unsubscribe this link".
    form = parse_qs(app.current_event.decoded_body or "", keep_blank_values=False)
    result = unsubscribe.unsubscribe(token, form.get("channels") or None)
    logger.info("unsubscribed", customer_id=result.customer_id, channels=list(result.channels))
    return _page(200, unsubscribe.done_page(result))


@app.exception_handler(HeraldError)
def herald_error(exc: HeraldError) -> Response:
    logger.info("unsubscribe refused", code=exc.code, reason=exc.message)
    return _page(exc.status, unsubscribe.error_page(exc.message))


@logger.inject_lambda_context(clear_state=True)
@only(kinds=(API,))
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
