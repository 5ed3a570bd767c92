"""offers: real-time offers for placements (API Gateway REST, IAM auth, like ingest).

POST /decide → the placement's ranked offers for a customer, rendered, with their score factors;
POST /decide/{decision_id}/outcome → impression, click, accept or reject, counted once.
The decision's trace is written after the response (herald.aws.after_response).
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from herald.admin import api
from herald.aws import after_response
from herald.service import offers
from herald.settings import settings

settings().require("offers_table", "customers_table", "messages_table", "counters_table")
after_response.register_extension()  # during init: Lambda's internal extension

app = APIGatewayRestResolver()
api.register_errors(app)


@app.post("/decide")
def decide() -> dict:
    return offers.decide(api.json_body(app))


@app.post("/decide/<decision_id>/outcome")
def outcome(decision_id: str) -> dict:
    return offers.outcome(decision_id, api.json_body(app))


lambda_handler = after_response.releases(api.lambda_handler(app, requests_metric="OfferRequests"))
