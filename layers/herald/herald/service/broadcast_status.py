"""The send function's check of a broadcast's status, cached a few seconds per container: a
paused broadcast's queued messages wait (resume queues them again), a cancelled one's are
suppressed."""

from __future__ import annotations

import time

from herald.dal import broadcasts
from herald.runtime import register_cache

FRESH_SECONDS = 5.0


class StatusCache:
    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.found: dict[str, tuple[float, str | None]] = {}

    def get(self, broadcast_id: str, clock=time.monotonic) -> str | None:
        now = clock()
        hit = self.found.get(broadcast_id)
        if hit is None or now - hit[0] > FRESH_SECONDS:
            hit = (now, broadcasts.status_of(broadcast_id))
            self.found[broadcast_id] = hit
        return hit[1]


cache = register_cache(StatusCache())
