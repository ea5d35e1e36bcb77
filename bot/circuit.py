"""A circuit breaker: after repeated failures, stop calling an endpoint for a while."""
from __future__ import annotations

import threading
import time


class CircuitBreaker:
    def __init__(self, failures_to_open: int = 3, open_seconds: float = 60.0, clock=time.monotonic):
        self.failures_to_open = failures_to_open
        self.open_seconds = open_seconds
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self.trips = 0
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            if self.opened_at is None:
                return "closed"
            return "open" if self.clock() - self.opened_at < self.open_seconds else "half-open"

    def allow(self) -> bool:
        """Closed: yes. Open: no. Half-open (the wait is over): let one call try the endpoint again."""
        return self.state != "open"

    def record(self, ok: bool) -> None:
        with self._lock:
            if ok:
                self.failures, self.opened_at = 0, None
                return
            self.failures += 1
            if self.failures >= self.failures_to_open or self.opened_at is not None:
                self.opened_at = self.clock()
                self.trips += 1
