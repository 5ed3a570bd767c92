"""admin: the marketers' API — versioned rules and contents, publish and rollback, contact
policy, preview, simulation, the event catalogue, audit and customer timelines (API Gateway
REST, Cognito). ``/admin/swagger`` serves Swagger UI; ``/admin/openapi.json`` the document."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from herald.admin import api
from herald.admin.routes import (
    approvals,
    audiences,
    contents,
    events,
    history,
    offers,
    policy,
    rules,
    simulation,
    stats,
    validation,
)
from herald.settings import settings

# Fail the cold start, not the first request, when the deployment is misconfigured.
settings().require(
    "rules_table",
    "contents_table",
    "customers_table",
    "messages_table",
    "settings_table",
    "audit_table",
    "catalogue_table",
    "counters_table",
)

TITLE = "Herald admin API"
DESCRIPTION = (
    "Treatment rules and content (versioned: drafts, publish, rollback), the contact policy, "
    "preview, simulation, the event catalogue, the audit trail, customer timelines and "
    "performance (per rule and arm; deliverability per channel). Every "
    "route needs a bearer token: a Cognito ID token when deployed (groups `marketers` and "
    "`approvers`), `local:<user>:<group>[,<group>]` under `herald local serve`. Errors are "
    '`{"error": {"code", "message", "field"?}}`; saves and previews may answer with '
    "`warnings` (saved, but probably not what was meant)."
)

app = APIGatewayRestResolver(enable_validation=True)
api.register_errors(app)
app.use([api.json_object_body])
app.configure_openapi(
    title=TITLE,
    version="1",
    description=DESCRIPTION,
    security_schemes={
        "bearer": HTTPBearer(description="Cognito ID token, or local:<user>:<groups> locally")
    },
    security=[{"bearer": []}],
)
app.include_router(rules.router, prefix="/admin/rules")
app.include_router(contents.router, prefix="/admin/contents")
app.include_router(policy.router, prefix="/admin")
app.include_router(simulation.router, prefix="/admin")
app.include_router(events.router, prefix="/admin")
app.include_router(history.router, prefix="/admin")
app.include_router(stats.router, prefix="/admin")
app.include_router(approvals.router, prefix="/admin")
app.include_router(validation.router, prefix="/admin")
app.include_router(offers.offers, prefix="/admin/offers")
app.include_router(offers.taxonomies, prefix="/admin/taxonomies")
app.include_router(offers.feedback, prefix="/admin")
app.include_router(audiences.profiles, prefix="/admin/profiles")
app.include_router(audiences.segments, prefix="/admin/segments")
app.include_router(audiences.broadcasts_router, prefix="/admin/broadcasts")
app.enable_swagger(path="/admin/swagger", title=TITLE, description=DESCRIPTION)


@cache
def _openapi() -> str:
    return app.get_openapi_json_schema()


@app.get("/admin/openapi.json", summary="this OpenAPI document", include_in_schema=False)
def openapi() -> Response[str]:
    return Response(200, content_types.APPLICATION_JSON, _openapi())


lambda_handler = api.lambda_handler(app, requests_metric="AdminRequests")
