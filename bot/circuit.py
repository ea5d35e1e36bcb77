"""A circuit breaker: after repeated failures, stop calling an endpoint for a while.

closed     calls go through; `failures_to_open` failures in a row open it.
open       no calls for `open_seconds` (or as long as the endpoint's Retry-After asks, whichever is longer).
half-open  the wait is over: the next call is let through as a trial, and the others keep waiting until it
           reports (or, if it never does, until another `open_seconds` have passed). A success closes the
           circuit; a failure opens it again.
"""
from __future__ import annotations

import math
import threading
import time

MAX_RETRY_AFTER_S = 600.0     # a Retry-After longer than this is not believed


class CircuitBreaker:
    def __init__(self, failures_to_open: int = 3, open_seconds: float = 60.0, clock=time.monotonic):
        self.failures_to_open = failures_to_open
        self.open_seconds = open_seconds
        self.clock = clock
        self.failures = 0                     # in a row
        self.last_failure = ""                # its kind, e.g. "InternalServerError" (never a message: no secrets)
        self.open_until: float | None = None  # None = closed
        self.trial = False                    # half-open, and one call is trying the endpoint
        self.trips = 0                        # times it opened
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            return self._state(self.clock())

    def _state(self, now: float) -> str:
        if self.open_until is None:
            return "closed"
        return "half-open" if self.trial or now >= self.open_until else "open"

    def allow(self) -> bool:
        """Closed: yes. Open: no. Half-open: yes for one caller, the trial; no for the others meanwhile."""
        with self._lock:
            now = self.clock()
            if self.open_until is None:
                return True
            if now < self.open_until:
                return False
            self.trial, self.open_until = True, now + self.open_seconds   # a trial that never reports expires
            return True

    def record(self, ok: bool, *, reason: str = "", retry_after: float | None = None) -> None:
        """The outcome of a call that allow() let through. `retry_after`: seconds the endpoint asked us to wait."""
        with self._lock:
            if ok:
                self.failures, self.open_until, self.trial = 0, None, False
                return
            now = self.clock()
            self.failures += 1
            self.last_failure = reason or self.last_failure
            wait = self.open_seconds if self.failures >= self.failures_to_open or self.open_until is not None else 0.0
            if retry_after is not None and retry_after > 0:
                wait = max(wait, min(retry_after, MAX_RETRY_AFTER_S))
            if wait <= 0:
                return
            if self._state(now) != "open":
                self.trips += 1
            self.open_until = max(self.open_until or now, now + wait) if not self.trial else now + wait
            self.trial = False

    def describe(self) -> str:
        """One short line for /stats, e.g. "open for 42 s more after 3 failures (InternalServerError)"."""
        with self._lock:
            now = self.clock()
            state = self._state(now)
            failures = f"{self.failures} failure{'s' if self.failures != 1 else ''}"
            last = f" ({self.last_failure})" if self.last_failure else ""
            if state == "closed":
                return "closed" if not self.failures else f"closed, {failures} in a row{last}"
            if state == "open":
                return f"open for {math.ceil(self.open_until - now)} s more after {failures}{last}"
            if self.trial:
                return f"half-open: one question is trying the endpoint after {failures}{last}"
            return f"half-open: the next question tries the endpoint after {failures}{last}"
