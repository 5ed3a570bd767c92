"""The published ruleset and contact policy, cached per container and refreshed cheaply.

Steady state costs nothing: within ``RULESET_REFRESH_SECONDS`` of the last check the cached
snapshot is used as is. After that, one GetItem reads the revision counter that every publish,
rollback, pause, archive and policy change bumps; only when it moved are the live rules and
content versions reloaded (two queries on the sparse ``live`` indexes).
"""

from __future__ import annotations

import time

from pynamodb.exceptions import DoesNotExist

from herald import expressions, policy
from herald.dal.tables import ContentItem, RuleItem, SettingItem, bind
from herald.dal.versions import RULESET
from herald.engine import Ruleset
from herald.errors import ValidationError
from herald.model import parse_rule
from herald.observability import logger
from herald.runtime import register_cache
from herald.settings import settings

POLICY = "policy"


class RulesetCache:
    def __init__(self) -> None:
        self.ruleset: Ruleset | None = None
        self.policy: policy.ContactPolicy = policy.DEFAULT
        self.checked_at = 0.0

    def clear(self) -> None:
        self.ruleset = None
        self.policy = policy.DEFAULT
        self.checked_at = 0.0

    def get(self, clock=time.monotonic) -> tuple[Ruleset, policy.ContactPolicy]:
        now = clock()
        if self.ruleset is not None and now - self.checked_at < settings().ruleset_refresh_seconds:
            return self.ruleset, self.policy
        bind()
        try:
            revision = str(int(SettingItem.get(RULESET).revision or 0))
        except DoesNotExist:
            revision = "0"
        if self.ruleset is None or revision != self.ruleset.revision:
            self.ruleset, self.policy = load(revision)
        self.checked_at = now
        return self.ruleset, self.policy


def load(revision: str) -> tuple[Ruleset, policy.ContactPolicy]:
    """Read every live rule and content version and the contact policy."""
    rules = []
    for item in RuleItem.live_index.query("1"):
        try:
            rule = parse_rule(item.doc, int(item.version))
            if rule.when:
                expressions.compile_condition(rule.when)
            rules.append(rule)
        except ValidationError as exc:  # validated on save; a bad item must not stop the rest
            logger.error("skipping invalid live rule", rule_id=item.id, error=exc.message)
    contents = {item.id: int(item.version) for item in ContentItem.live_index.query("1")}
    return Ruleset(rules, contents, revision), load_policy()


def load_policy() -> policy.ContactPolicy:
    bind()
    try:
        doc = SettingItem.get(POLICY).doc
    except DoesNotExist:
        return policy.DEFAULT
    try:
        return policy.parse_policy(doc)
    except ValidationError as exc:
        logger.error("stored contact policy is invalid; using the default", error=exc.message)
        return policy.DEFAULT


cache = register_cache(RulesetCache())
