"""admin: the marketers' API — versioned rules and contents, publish and rollback, contact
policy, preview, simulation, audit and customer timelines (API Gateway REST, Cognito)."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from herald.admin import api
from herald.admin.routes import contents, history, policy, rules, simulation
from herald.settings import settings

# Fail the cold start, not the first request, when the deployment is misconfigured.
settings().require(
    "rules_table",
    "contents_table",
    "customers_table",
    "messages_table",
    "settings_table",
    "audit_table",
)

app = APIGatewayRestResolver(enable_validation=True)
api.register_errors(app)
app.use([api.json_object_body])
app.include_router(rules.router, prefix="/admin/rules")
app.include_router(contents.router, prefix="/admin/contents")
app.include_router(policy.router, prefix="/admin")
app.include_router(simulation.router, prefix="/admin")
app.include_router(history.router, prefix="/admin")


@cache
def _openapi() -> str:
    return app.get_openapi_json_schema(
        title="Herald admin API",
        version="1",
        description="Rules, contents, contact policy, preview, simulation, audit (see PRODUCT.md).",
    )


@app.get("/admin/openapi.json", summary="this OpenAPI document", include_in_schema=False)
def openapi() -> Response[str]:
    api.caller(app)
    return Response(200, content_types.APPLICATION_JSON, _openapi())


lambda_handler = api.lambda_handler(app, requests_metric="AdminRequests")
