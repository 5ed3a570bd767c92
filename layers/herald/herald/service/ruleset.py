"""The published ruleset and contact policy, cached per container and refreshed cheaply.

Steady state costs nothing: within ``RULESET_REFRESH_SECONDS`` of the last check the cached
snapshot is used as is. After that, one GetItem reads the revision counter that every publish,
rollback, pause, archive and policy change bumps; only when it moved are the live rules and
content versions reloaded (two queries on the sparse ``live`` indexes).
"""

from __future__ import annotations

import time

from herald import expressions
from herald.dal import contact_policy, versions
from herald.domain import policy
from herald.domain.document import ValidationError
from herald.domain.rule import Rule, parse_rule
from herald.engine import Ruleset
from herald.observability import logger
from herald.runtime import register_cache
from herald.settings import settings


class RulesetCache:
    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.ruleset: Ruleset | None = None
        self.policy: policy.ContactPolicy | None = None
        self.checked_at = 0.0

    def get(self, clock=time.monotonic) -> tuple[Ruleset, policy.ContactPolicy]:
        now = clock()
        fresh = now - self.checked_at < settings().ruleset_refresh_seconds
        if self.ruleset is not None and self.policy is not None and fresh:
            return self.ruleset, self.policy
        revision = str(versions.ruleset_revision())
        if self.ruleset is None or revision != self.ruleset.revision:
            self.ruleset, self.policy = load(revision)
        self.checked_at = now
        assert self.policy is not None  # load() read it with the ruleset
        return self.ruleset, self.policy


def live_rules() -> list[Rule]:
    """Every live rule version, parsed and its condition compiled; an invalid one is skipped."""
    rules = []
    for stored in versions.rules.live():
        try:
            rule = parse_rule(stored.doc, stored.version)
            if rule.when:
                expressions.compile_condition(rule.when)
            rules.append(rule)
        except ValidationError as exc:  # validated on save; a bad item must not stop the rest
            logger.error("skipping invalid live rule", rule_id=stored.id, error=exc.message)
    return rules


def live_content_versions() -> dict[str, int]:
    return {stored.id: stored.version for stored in versions.contents.live()}


def load(revision: str) -> tuple[Ruleset, policy.ContactPolicy]:
    """Read every live rule and content version and the contact policy."""
    return Ruleset(live_rules(), live_content_versions(), revision), contact_policy.current()


cache = register_cache(RulesetCache())
