"""Per-container state the handlers share: caches registered by the modules that own them.

``reset()`` exists for tests and the local runner, which start fresh stacks inside one process
(new settings, new table names): every registered cache is cleared, AWS clients included.
"""

from __future__ import annotations

from typing import Any

_caches: list = []  # objects with a .clear() method


def register_cache(cache: Any) -> Any:
    _caches.append(cache)
    return cache


def reset() -> None:
    """Forget clients and caches (new stack, new settings)."""
    for cache in _caches:
        cache.clear()
    from herald.dal import tables  # noqa: PLC0415

    tables._bound[0] = None
