"""A token bucket per client address, in this API process's memory.

In memory on purpose: it costs no database write per request and needs no cleanup job; the
price is that each API process counts on its own (N processes allow N times the rate) and a
restart forgets the counts. Buckets idle long enough to be full again are dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    def __init__(self, capacity: int, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when ``client`` may go on (a token is taken), else the seconds until the next token."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(client, (float(self.capacity), now))
            tokens = min(float(self.capacity), tokens + (now - at) * self.per_second)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                self._forget_full(now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.per_second

    def _forget_full(self, now: float) -> None:
        if len(self._buckets) < 10_000:
            return
        refill_s = self.capacity / self.per_second
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill_s}

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
