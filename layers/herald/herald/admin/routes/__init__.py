"""The admin API's routes, one powertools Router per concept, included by functions/admin."""

from __future__ import annotations

from herald.admin.api import MAX_BODY_BYTES
from herald.admin.bodies import Error

_ERROR = {"content": {"application/json": {"model": Error}}}

# The error answers every admin route documents (OpenAPI), in the one shape they all share.
ERRORS: dict[int, dict] = {
    401: {"description": "no identity: sign in", **_ERROR},
    403: {"description": "the caller's groups don't allow this", **_ERROR},
    404: {"description": "no such rule, content, version or customer", **_ERROR},
    409: {"description": "stale expected_version, or not publishable yet", **_ERROR},
    413: {"description": f"body over {MAX_BODY_BYTES // 1024} KB", **_ERROR},
    415: {"description": "the body is not JSON", **_ERROR},
    422: {"description": "invalid input; field names the JSON path", **_ERROR},
}
