"""The demo's offers act: the app-cart placement asks for offers for two customers, a cohort of
shoppers sees offers and accepts some, and the same two customers ask again.

Everything goes through the offers function as API Gateway would call it (``POST /decide`` and
``POST /decide/{id}/outcome``, the routes of template.yaml). Propensities are learnt from the
outcomes: before, every offer has the same wide posterior (Thompson draws explore); after,
the offer shoppers accept most has the highest propensity and leads the ranking.
"""

from __future__ import annotations

import json
import random

PLACEMENT = "app-cart"
WATCHED = ("c-ann", "c-bob")
CART = {"cart_total": 64.5, "items": 3}  # what the app-cart placement reports
COHORT = 80
# How often the simulated shoppers accept each offer once it is shown.
ACCEPT_RATES = {"winter-coat-sale": 0.35, "loyalty-upgrade": 0.03, "free-shipping-gold": 0.05}


class _Api:
    """POST to the offers function through the template's routes (as the local server does)."""

    def __init__(self, local) -> None:
        from herald_dev.local import server

        self.local = local
        self.server = server
        self.table = server.routes(local)
        self.caller = server.parse_bearer("Bearer local:placements:")

    def post(self, path: str, body: dict) -> dict:
        found = self.server.find_route(self.table, "POST", path)
        assert found is not None, path
        route, params = found
        raw = json.dumps(body).encode()
        event = self.server.proxy_event(
            route,
            "POST",
            path,
            [("Content-Type", "application/json")],
            raw,
            params,
            self.caller,
            "127.0.0.1",
        )
        answer = self.local.invoke(route.function, event, trigger=f"POST {route.path}")
        # powertools keeps metrics it may not flush (POWERTOOLS_METRICS_DISABLED locally) and
        # prints them anyway once one name holds 100 values: the demo's hundreds of calls would
        from herald.observability import metrics

        metrics.clear_metrics()
        doc = json.loads(answer["body"])
        if answer["statusCode"] != 200:
            raise RuntimeError(f"POST {path}: {answer['statusCode']} {doc}")
        return doc


def _shoppers() -> list[dict]:
    return [
        {
            "customer_id": f"c-cart-{i:02d}",
            "consent": {"email": False},
            "attributes": {"tier": "gold" if i % 2 else "silver", "lifetime_value": 300 + 10 * i},
        }
        for i in range(COHORT)
    ]


def _ranking(api: _Api, customer_id: str) -> list[dict]:
    return api.post(
        "/decide",
        {"customer_id": customer_id, "placement": PLACEMENT, "context": CART, "limit": 3},
    )["offers"]


def _line(offers: list[dict]) -> str:
    parts = []
    for o in offers:
        f = o["factors"]
        parts.append(
            f"{o['rank']}. {o['offer_id']} {f['score']:.2f} "
            f"(p {f['propensity']:.2f} × {f['value']:g} × {1 + f['context_weight']:g} × "
            f"{1 + f['lever']:g})"
        )
    return "  ".join(parts) or "(no eligible offer)"


ASKS = 20  # decisions per watched customer, before and after: Thompson draws vary


def _firsts(api: _Api, customer_id: str) -> tuple[dict[str, int], list[dict]]:
    """How often each offer ranked first over ``ASKS`` decisions, and the last ranking."""
    firsts: dict[str, int] = {}
    offers: list[dict] = []
    for _ in range(ASKS):
        offers = _ranking(api, customer_id)
        if offers:
            firsts[offers[0]["offer_id"]] = firsts.get(offers[0]["offer_id"], 0) + 1
    return dict(sorted(firsts.items(), key=lambda kv: (-kv[1], kv[0]))), offers


def _firsts_line(firsts: dict[str, int]) -> str:
    return ", ".join(f"{offer} {n}" for offer, n in firsts.items()) or "(no eligible offer)"


def run(local) -> None:
    """Print each watched customer's ranking before and after the cohort's outcomes."""
    from herald.aws import after_response
    from herald.dal import customers
    from herald.domain.customer import parse_customer

    api = _Api(local)
    rng = random.Random(11)  # the same shoppers' choices on every run
    print(f"\n▸ real-time offers: {PLACEMENT} for {', '.join(WATCHED)}, before and after outcomes")
    print(f"  (first place over {ASKS} asks each; then one ranking with its factors)")
    before = {}
    for customer_id in WATCHED:
        firsts, offers = _firsts(api, customer_id)
        before[customer_id] = firsts
        print(f"  before  {customer_id:7} first: {_firsts_line(firsts)}")
        print(f"                  {_line(offers)}")
    for profile in _shoppers():
        customers.upsert(parse_customer(profile))
    shown = accepted = 0
    for profile in _shoppers():
        decision = api.post(
            "/decide",
            {
                "customer_id": profile["customer_id"],
                "placement": PLACEMENT,
                "context": CART,
                "limit": 2,
            },
        )
        after_response.drain()  # the trace is written after the response
        for offer in decision["offers"]:
            path = f"/decide/{decision['decision_id']}/outcome"
            api.post(path, {"offer_id": offer["offer_id"], "outcome": "impression"})
            shown += 1
            if rng.random() < ACCEPT_RATES.get(offer["offer_id"], 0.05):
                api.post(path, {"offer_id": offer["offer_id"], "outcome": "accept"})
                accepted += 1
    rates = ", ".join(f"{k} {v:.0%}" for k, v in ACCEPT_RATES.items())
    print(f"  {COHORT} shoppers saw {shown} offers and accepted {accepted} ({rates})")
    for customer_id in WATCHED:
        firsts, offers = _firsts(api, customer_id)
        print(f"  after   {customer_id:7} first: {_firsts_line(firsts)}")
        print(f"                  {_line(offers)}")
        old, new = _firsts_line(before[customer_id]), _firsts_line(firsts)
        print(f"  ranking {customer_id:7} first places {old}  →  {new}")
    after_response.drain()
