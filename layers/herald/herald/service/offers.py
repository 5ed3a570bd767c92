"""Real-time offers: ``POST /decide`` (arbitration), ``POST /decide/{id}/outcome`` (learning),
``GET /admin/offers/{id}/stats`` (how the learnt ranking does against random control).

A decision makes two AWS calls on its response path — the customer with their offer log (one
BatchGetItem) and the placement's counters (one Query); the live offers are cached per container
(:mod:`herald.service.offer_catalogue`) and the trace is written after the response
(:mod:`herald.aws.after_response`).
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import datetime
from typing import Any

from herald import expressions
from herald.aws import after_response
from herald.dal import offers as offer_data
from herald.dal.versions import offers as offer_store
from herald.domain import arbitration, policy, statistics
from herald.domain.arbitration import Arm
from herald.domain.clock import iso, utcnow
from herald.domain.customer import unknown_customer
from herald.domain.document import ID_PATTERN, ValidationError, check_json_fields
from herald.domain.offer import PLACEMENT_PATTERN, OfferOutcome, parse_offer
from herald.domain.offer_decision import Considered, Filtered, OfferDecision
from herald.domain.propensity import Evidence
from herald.errors import HeraldError, NotFound
from herald.rendering.templates import compile_template
from herald.service import offer_catalogue
from herald.service.offer_catalogue import CompiledOffer

MAX_LIMIT = 10
DEFAULT_LIMIT = 3
MAX_CUSTOMER_ID = 128
TRACE_READ_TRIES = 3  # the trace is written just after the response: an outcome may race it
_rng = random.SystemRandom()
NO_EVIDENCE = Evidence()


def _request(body: Any) -> tuple[str, str, dict, int]:
    if not isinstance(body, dict):
        raise ValidationError("the request must be a JSON object", field="body")
    extra = sorted(set(body) - {"customer_id", "placement", "context", "limit"})
    if extra:
        raise ValidationError(f"unknown field {extra[0]}", field=extra[0])
    check_json_fields(body)
    customer_id = body.get("customer_id")
    if not isinstance(customer_id, str) or not 1 <= len(customer_id) <= MAX_CUSTOMER_ID:
        raise ValidationError(
            f"customer_id must be a 1-{MAX_CUSTOMER_ID} character string", field="customer_id"
        )
    placement = body.get("placement")
    if not isinstance(placement, str) or not PLACEMENT_PATTERN.match(placement):
        raise ValidationError("placement must match [a-z0-9-]{1,64}", field="placement")
    context = body.get("context") or {}
    if not isinstance(context, dict):
        raise ValidationError("context must be an object", field="context")
    limit = body.get("limit", DEFAULT_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be an integer 1-{MAX_LIMIT}", field="limit")
    return customer_id, placement, context, limit


def _number(found: Any, what: str) -> float:
    if isinstance(found, bool) or not isinstance(found, int | float):
        raise expressions.EvaluationError(f"{what} is not a number")
    return float(found)


def _factor(expression: Any, context: dict, what: str) -> float:
    if isinstance(expression, expressions.Condition):
        return _number(expression.evaluate(context), what)
    return float(expression)


def _render(compiled: CompiledOffer, placement: str, context: dict) -> dict:
    return {
        name: compile_template(source, False, f"content.{placement}.{name}")
        .render(**context)
        .strip()
        if "{" in source
        else source
        for name, source in compiled.offer.content[placement].items()
    }


def arbitrate(
    offers: list[CompiledOffer],
    *,
    customer_id: str,
    profile: dict,
    placement: str,
    request_context: dict,
    limit: int,
    log: tuple,
    evidence: dict[str, Evidence],
    rules: policy.OfferPolicy,
    now: datetime,
    rng: random.Random,
    decision_id: str,
) -> tuple[OfferDecision, list[dict]]:
    """The decision over ``offers`` (no I/O): the trace and the rendered offers shown."""
    arm = Arm.CONTROL if arbitration.in_random_control(customer_id, now) else Arm.LEARNT
    context = {"customer": profile, "event": request_context, "now": iso(now)}
    history: dict[str, list] = {}
    for entry in log:  # the offer log, per offer: most offers of a placement have none
        history.setdefault(entry.offer_id, []).append(entry)
    projections: dict[frozenset, dict] = {}
    scored: list[tuple[str, arbitration.Factors]] = []
    considered: dict[str, Considered] = {}
    by_id: dict[str, CompiledOffer] = {}
    for compiled in offers:
        offer = compiled.offer
        by_id[offer.id] = compiled
        if not offer.valid_at(now):
            considered[offer.id] = Considered(
                offer.id, offer.version, filtered=Filtered.NOT_VALID, reason="outside valid"
            )
            continue
        seen_before = history.get(offer.id)
        resting = (
            policy.offer_resting(rules, tuple(seen_before), offer.id, now) if seen_before else None
        )
        if resting:
            considered[offer.id] = Considered(
                offer.id, offer.version, filtered=Filtered.RESTING, reason=resting
            )
            continue
        projected = projections.get(compiled.paths)
        if projected is None:
            projected = projections[compiled.paths] = expressions.project(context, compiled.plan)
        try:
            if (
                compiled.eligibility is not None
                and compiled.eligibility.evaluate(projected) is not True
            ):
                considered[offer.id] = Considered(
                    offer.id,
                    offer.version,
                    filtered=Filtered.NOT_ELIGIBLE,
                    reason="eligibility false",
                )
                continue
            value = compiled.value
            if type(value) is not float:
                value = _factor(value, projected, "value")
            weight = compiled.context_weight
            if type(weight) is not float:
                weight = _factor(weight, projected, "context_weight")
        except HeraldError as exc:  # over budget, a type error on this customer's data
            considered[offer.id] = Considered(
                offer.id, offer.version, filtered=Filtered.FAILED, reason=exc.message
            )
            continue
        factors = arbitration.score(
            evidence.get(offer.id, NO_EVIDENCE).sample(rng),
            max(value, 0.0),
            max(weight, -1.0),
            offer.lever,
        )
        scored.append((offer.id, factors))
        considered[offer.id] = Considered(offer.id, offer.version, factors=factors)
    render_context = {
        "customer": profile,
        "event": request_context,
        "decision": {"id": decision_id, "placement": placement},
    }
    shown: list[dict] = []
    for offer_id, factors in arbitration.rank(scored, arm, rng, len(scored)):
        if len(shown) == limit:
            break
        compiled = by_id[offer_id]
        try:
            content = _render(
                compiled,
                placement,
                {**render_context, "offer": {"id": offer_id, "name": compiled.offer.name}},
            )
        except Exception as exc:  # noqa: BLE001 — a Liquid failure on this customer's data
            considered[offer_id] = Considered(
                offer_id, compiled.offer.version, factors, Filtered.FAILED, f"content: {exc}"
            )
            continue
        rank = len(shown) + 1
        considered[offer_id] = Considered(offer_id, compiled.offer.version, factors, rank=rank)
        shown.append(
            {
                "offer_id": offer_id,
                "version": compiled.offer.version,
                "name": compiled.offer.name,
                "category": str(compiled.offer.category),
                "rank": rank,
                "content": content,
                "factors": factors.to_dict(),
            }
        )
    decision = OfferDecision(
        decision_id,
        customer_id,
        placement,
        arm,
        iso(now),
        limit,
        tuple(considered[o.offer.id] for o in offers),
    )
    return decision, shown


def decide(body: Any, *, rng: random.Random | None = None, now: datetime | None = None) -> dict:
    """``POST /decide``: the placement's ranked offers for this customer, rendered."""
    customer_id, placement, request_context, limit = _request(body)
    now = now or utcnow()
    offers = offer_catalogue.offers_for(placement)
    reads = offer_data.customer_and_log(customer_id)  # AWS call 1
    by_arm = offer_data.evidence(placement) if offers else {}  # AWS call 2
    # Both arms are evidence of an offer's appeal (the control group only ranks differently).
    evidence = {
        offer_id: Evidence(
            sum(e.impressions for e in arms.values()), sum(e.accepts for e in arms.values())
        )
        for offer_id, arms in by_arm.items()
    }
    profile = reads.customer.context if reads.customer else unknown_customer(customer_id).to_doc()
    decision_id = uuid.uuid4().hex
    decision, shown = arbitrate(
        offers,
        customer_id=customer_id,
        profile=profile,
        placement=placement,
        request_context=request_context,
        limit=limit,
        log=reads.log,
        evidence=evidence,
        rules=offer_catalogue.offer_policy(),
        now=now,
        rng=rng or _rng,
        decision_id=decision_id,
    )
    trace = decision.to_doc()
    after_response.submit(lambda: offer_data.put_trace(decision_id, trace))
    return {
        "decision_id": decision_id,
        "customer_id": customer_id,
        "placement": placement,
        "arm": str(decision.arm),
        "offers": shown,
    }


def _trace(decision_id: str) -> dict:
    if not ID_PATTERN.match(decision_id):
        raise NotFound(f"decision {decision_id} does not exist", field="decision_id")
    for attempt in range(TRACE_READ_TRIES):
        found = offer_data.get_trace(decision_id)
        if found is not None:
            return found
        time.sleep(0.05 * (attempt + 1))
    raise NotFound(f"decision {decision_id} does not exist (or has expired)", field="decision_id")


def outcome(decision_id: str, body: Any, now: datetime | None = None) -> dict:
    """``POST /decide/{id}/outcome {offer_id, outcome}``: counted once per decision, offer and
    outcome (a repeated report answers ``counted: false``)."""
    if not isinstance(body, dict) or set(body) - {"offer_id", "outcome"}:
        raise ValidationError("the body must be {offer_id, outcome}", field="body")
    kind = body.get("outcome")
    if kind not in OfferOutcome.ALL:
        raise ValidationError(
            "outcome must be impression, click, accept or reject", field="outcome"
        )
    offer_id = body.get("offer_id")
    if not isinstance(offer_id, str) or not ID_PATTERN.match(offer_id):
        raise ValidationError("offer_id must match [a-z0-9-]{1,64}", field="offer_id")
    trace = _trace(decision_id)
    if offer_id not in trace["shown"]:
        raise ValidationError(
            f"offer {offer_id} was not shown in decision {decision_id}", field="offer_id"
        )
    rules = offer_catalogue.offer_policy()
    counted = offer_data.record_outcome(
        decision_id,
        trace["customer_id"],
        trace["placement"],
        Arm(trace["arm"]),
        offer_id,
        kind,
        now or utcnow(),
        policy.offer_log_window(rules),
    )
    return {"decision_id": decision_id, "offer_id": offer_id, "outcome": kind, "counted": counted}


def _rates(figures: dict[str, int]) -> dict:
    impressions, accepts = figures.get("impressions", 0), figures.get("accepts", 0)
    rate = statistics.wilson(accepts, impressions)
    return {
        "impressions": impressions,
        "clicks": figures.get("clicks", 0),
        "accepts": accepts,
        "rejects": figures.get("rejects", 0),
        "accept_rate": rate.to_dict() if rate else None,
    }


def _comparison(learnt: dict[str, int], control: dict[str, int]) -> dict:
    a1, n1 = learnt.get("accepts", 0), learnt.get("impressions", 0)
    a0, n0 = control.get("accepts", 0), control.get("impressions", 0)
    lift = statistics.lift(a1, n1, a0, n0)
    difference = statistics.newcombe(a1, n1, a0, n0)
    return {
        "learnt": _rates(learnt),
        "random_control": _rates(control),
        "difference": difference.to_dict() if difference else None,
        "lift": lift.to_dict() if lift else None,
    }


def stats(offer_id: str) -> dict:
    """``GET /admin/offers/{id}/stats``: per placement and overall."""
    head = offer_store.head(offer_id)
    offer = parse_offer(offer_store.version(offer_id, head.latest_version).doc)
    total: dict[str, dict[str, int]] = {str(Arm.LEARNT): {}, str(Arm.CONTROL): {}}
    placements = []
    for placement in offer.placements:
        arms = offer_data.offer_figures(offer_id, placement)
        both: dict[str, int] = {}
        for arm, figures in arms.items():
            for name, value in figures.items():
                both[name] = both.get(name, 0) + value
                into = total.setdefault(arm, {})
                into[name] = into.get(name, 0) + value
        posterior = Evidence(both.get("impressions", 0), both.get("accepts", 0))
        placements.append(
            {
                "placement": placement,
                **_rates(both),
                "propensity": round(posterior.mean, 6),
                **_comparison(arms.get(str(Arm.LEARNT), {}), arms.get(str(Arm.CONTROL), {})),
            }
        )
    overall: dict[str, int] = {}
    for figures in total.values():
        for name, value in figures.items():
            overall[name] = overall.get(name, 0) + value
    return {
        "offer_id": offer_id,
        "published_version": head.published_version,
        **_rates(overall),
        **_comparison(total[str(Arm.LEARNT)], total[str(Arm.CONTROL)]),
        "placements": placements,
    }
