"""Per-container state: AWS clients (created lazily, once) and caches the handlers share.

Clients are plain botocore clients with standard-mode retries (throttling and 5xx are retried
with backoff before an error reaches our code). ``reset()`` exists for tests and the local
runner, which start fresh stacks inside one process.
"""

from __future__ import annotations

from typing import Any

from herald.settings import settings

_clients: dict[str, Any] = {}
_caches: list = []  # objects with a .clear() method, registered by the modules that own them


def client(service: str):
    """A botocore client for ``service`` in the configured region (cached per container)."""
    found = _clients.get(service)
    if found is None:
        import botocore.session  # noqa: PLC0415 — pynamodb already imported botocore
        from botocore.config import Config  # noqa: PLC0415

        found = botocore.session.get_session().create_client(
            service,
            region_name=settings().region,
            config=Config(
                retries={"mode": "standard", "max_attempts": 5}, connect_timeout=3, read_timeout=10
            ),
        )
        _clients[service] = found
    return found


def register_cache(cache) -> Any:
    _caches.append(cache)
    return cache


def reset() -> None:
    """Forget clients and caches (new stack, new settings)."""
    _clients.clear()
    for cache in _caches:
        cache.clear()
    from herald.dal import tables  # noqa: PLC0415

    tables._bound[0] = None
