"""The admin API's routes, one powertools Router per concept, included by functions/admin.

Every route documents its answer (a model from :mod:`herald.admin.bodies`) and the errors it
shares with every other route, so ``GET /admin/openapi.json`` is a contract a machine can check
(``make test`` runs schemathesis against it).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel

from herald.admin.api import MAX_BODY_BYTES
from herald.admin.bodies import Error
from herald.domain.customer import MAX_CUSTOMER_ID
from herald.domain.document import ID_PATTERN

_ERROR = {"content": {"application/json": {"model": Error}}}

# The error answers every admin route documents, in the one shape they all share.
ERRORS: dict[int, dict] = {
    400: {"description": "the body is not UTF-8 text", **_ERROR},
    401: {"description": "no identity: sign in", **_ERROR},
    403: {"description": "the caller's groups don't allow this", **_ERROR},
    404: {"description": "no such rule, content, version or customer", **_ERROR},
    409: {"description": "stale expected_version, or not publishable yet", **_ERROR},
    413: {"description": f"body over {MAX_BODY_BYTES // 1024} KB", **_ERROR},
    415: {"description": "the body is not JSON", **_ERROR},
    422: {
        "description": "invalid input, or valid in form but not in meaning (a ZEN or Liquid "
        "mistake, an unknown content): field names the JSON path",
        **_ERROR,
    },
}


def answers(model: type[BaseModel], status: int = 200, description: str = "OK") -> dict:
    """The ``responses`` of a route: ``model`` on success, and :data:`ERRORS`."""
    return {
        status: {"description": description, "content": {"application/json": {"model": model}}},
        **ERRORS,
    }


EntityId = Annotated[str, Path(pattern=ID_PATTERN.pattern, description="[a-z0-9-]{1,64}")]
CustomerId = Annotated[str, Path(min_length=1, max_length=MAX_CUSTOMER_ID)]
