"""ingest: customer events onto the bus (POST /events → 202) and profile upserts
(PUT /customers/{id}) for HTTP sources (API Gateway REST, IAM auth); GET /health (open)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from herald.admin import api
from herald.service import ingest
from herald.settings import settings

settings().require("event_bus_name", "customers_table", "suppression_table", "catalogue_table")

# No enable_validation here: both bodies are checked field by field by the domain parsers
# (herald.service.ingest), and leaving pydantic out keeps this hot path's cold start near decide's.
app = APIGatewayRestResolver()
api.register_errors(app)


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.post("/events")
def post_event() -> Response:
    event_id = ingest.publish_event(api.json_body(app))
    return Response(202, content_types.APPLICATION_JSON, {"event_id": event_id})


@app.put("/customers/<customer_id>")
def put_customer(customer_id: str) -> dict:
    return ingest.upsert_customer(customer_id, api.json_body(app))


lambda_handler = api.lambda_handler(app, requests_metric="IngestRequests")
