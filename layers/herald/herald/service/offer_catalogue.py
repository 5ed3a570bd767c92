"""The live offers, compiled once and indexed by placement; reloaded every
``OFFERS_REFRESH_SECONDS`` by a warm offers function (no AWS call on a decision otherwise).

Compiling checks an offer for meaning too: eligibility must be a valid, bounded ZEN condition,
value and context weight numbers or bounded ZEN number expressions, every placement's content
valid Liquid. The admin API saves only offers that compile (``check``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from herald import expressions
from herald.domain.document import PositionedError, ValidationError
from herald.domain.offer import Offer, parse_offer
from herald.domain.policy import OfferPolicy
from herald.expressions import Condition
from herald.rendering.templates import compile_template
from herald.runtime import register_cache
from herald.settings import settings


@dataclass(frozen=True, slots=True)
class CompiledOffer:
    offer: Offer
    eligibility: Condition | None
    value: Condition | float
    context_weight: Condition | float
    plan: dict  # the context paths its expressions read (projection plan)
    paths: frozenset = frozenset()  # the same paths: offers reading the same share a projection


def _expression(text: str, field: str, *, number: bool) -> Condition:
    if number:
        return expressions.compile_value(text, field)
    try:
        return expressions.compile_condition(text)
    except PositionedError as exc:  # compile_condition names the field "when"
        raise PositionedError(
            f"{field}: {exc.message}", field=field, line=exc.line, column=exc.column
        ) from exc


def compile_offer(offer: Offer) -> CompiledOffer:
    """Compile an offer's expressions and templates; raise naming the field."""
    eligibility = (
        _expression(offer.eligibility, "eligibility", number=False) if offer.eligibility else None
    )
    value = (
        _expression(offer.value, "value", number=True)
        if isinstance(offer.value, str)
        else offer.value
    )
    weight = (
        _expression(offer.context_weight, "context_weight", number=True)
        if isinstance(offer.context_weight, str)
        else offer.context_weight
    )
    for placement, block in offer.content.items():
        for name, source in block.items():
            compile_template(source, False, f"content.{placement}.{name}")
    paths: set = set()
    for found in (eligibility, value, weight):
        if isinstance(found, Condition):
            paths |= found.paths
    key = frozenset(paths)
    return CompiledOffer(offer, eligibility, value, weight, expressions.plan(key), key)


def check(doc: dict) -> CompiledOffer:
    """Shape and meaning of an offer document (the admin API's save check)."""
    return compile_offer(parse_offer(doc))


class _Catalogue(dict):
    """placement → compiled live offers; ``loaded_at`` the monotonic time of the last load;
    ``rules`` the contact policy's offers block, reloaded with them."""

    loaded_at: float = -1e9
    rules: OfferPolicy | None = None

    def clear(self) -> None:
        super().clear()
        self.loaded_at = -1e9
        self.rules = None


_catalogue = register_cache(_Catalogue())


def by_placement(offers: list[CompiledOffer]) -> dict[str, list[CompiledOffer]]:
    index: dict[str, list[CompiledOffer]] = {}
    for compiled in sorted(offers, key=lambda c: c.offer.id):
        for placement in compiled.offer.placements:
            index.setdefault(placement, []).append(compiled)
    return index


def install(offers: list[CompiledOffer], rules: OfferPolicy | None = None) -> None:
    """Replace the cached catalogue (a reload, or a bench/test with offers of its own)."""
    _catalogue.clear()
    _catalogue.update(by_placement(offers))
    _catalogue.rules = rules
    _catalogue.loaded_at = time.monotonic()


def _load() -> None:
    from herald.dal import contact_policy  # noqa: PLC0415 — I/O only here
    from herald.dal.versions import offers as offer_store  # noqa: PLC0415

    compiled = []
    for version in offer_store.live():
        try:
            compiled.append(compile_offer(parse_offer(version.doc, version.version)))
        except ValidationError:
            continue  # checked on save; an offer that no longer compiles is left out
    install(compiled, contact_policy.current().offers)


def _fresh() -> None:
    if time.monotonic() - _catalogue.loaded_at > settings().offers_refresh_seconds:
        _load()


def offers_for(placement: str) -> list[CompiledOffer]:
    """The live offers of ``placement`` (reloading the catalogue when it is stale)."""
    _fresh()
    return _catalogue.get(placement, [])


def offer_policy() -> OfferPolicy:
    """The contact policy's offers block, as loaded with the catalogue."""
    _fresh()
    return _catalogue.rules or OfferPolicy()
