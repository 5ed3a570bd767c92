"""Who is calling: the Cognito user (or local bearer) behind a request, and what they may do.

``marketers`` create and edit drafts, preview and simulate; ``approvers`` may do all of that
and also publish, roll back, pause, archive and change the contact policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from herald.errors import HeraldError

MARKETERS = "marketers"
APPROVERS = "approvers"
_SEPARATORS = re.compile(r"[\s,]+")


class Unauthorized(HeraldError):
    """The request carries no identity: 401."""

    code = "unauthorized"
    status = 401


class Forbidden(HeraldError):
    """The caller is known but may not do this: 403."""

    code = "forbidden"
    status = 403


@dataclass(frozen=True, slots=True)
class User:
    name: str
    groups: frozenset[str]

    def require_editor(self) -> User:
        """Drafts, previews, simulations and reads: marketers or approvers."""
        if not self.groups & {MARKETERS, APPROVERS}:
            raise Forbidden(f"{self.name} is in neither {MARKETERS} nor {APPROVERS}")
        return self

    def require_approver(self, action: str) -> User:
        if APPROVERS not in self.groups:
            raise Forbidden(f"{action} needs the {APPROVERS} group; {self.name} is not in it")
        return self


def parse_groups(value: Any) -> frozenset[str]:
    """``cognito:groups`` as API Gateway passes it: "a,b", "[a b]" or a JSON list."""
    if isinstance(value, list | tuple):
        return frozenset(str(v) for v in value if v)
    if isinstance(value, str):
        return frozenset(g for g in _SEPARATORS.split(value.strip("[]")) if g)
    return frozenset()


def from_claims(claims: Any) -> User:
    """The caller from the authorizer's claims; 401 when there are none."""
    if not isinstance(claims, dict):
        raise Unauthorized("sign in: the request carries no identity")
    name = claims.get("cognito:username") or claims.get("username") or claims.get("sub")
    if not isinstance(name, str) or not name:
        raise Unauthorized("sign in: the request carries no identity")
    return User(name, parse_groups(claims.get("cognito:groups")))
