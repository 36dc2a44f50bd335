"""A thread-safe token bucket that keeps the bot inside Flickr's API budget.

Flickr allows an API key about 3,600 queries an hour. Every request the client sends,
retries included, first takes a token from one shared bucket, so a run (however many
threads it uses) cannot go over the budget and get the key throttled or revoked.

The bucket reserves a token even when none is left (the count goes negative) and the
caller sleeps outside the lock until its reservation is due. Concurrent callers thus
queue up at exactly the configured rate instead of all waking at once and racing.
The clock and sleep are injectable so tests run on a fake clock without waiting.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

DEFAULT_CALLS_PER_HOUR = 3600
DEFAULT_BURST = 10


class TokenBucket:
    """``calls_per_hour`` tokens an hour, at most ``burst`` saved up; None means unlimited."""

    def __init__(
        self,
        calls_per_hour: float | None = DEFAULT_CALLS_PER_HOUR,
        *,
        burst: int = DEFAULT_BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if calls_per_hour is not None and calls_per_hour <= 0:
            raise ValueError("calls_per_hour must be positive (or None for unlimited)")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.calls_per_hour = calls_per_hour
        self.burst = burst
        self._rate = math.inf if calls_per_hour is None else calls_per_hour / 3600.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._last = clock()
        self.acquired = 0
        self.waited_seconds = 0.0

    @classmethod
    def unlimited(cls) -> TokenBucket:
        """A bucket that never waits (the local stand-in server, benchmarks)."""
        return cls(None)

    def __repr__(self) -> str:
        rate = "unlimited" if self.calls_per_hour is None else f"{self.calls_per_hour:g}/h"
        return f"TokenBucket({rate}, burst={self.burst})"

    def reserve(self, tokens: int = 1) -> float:
        """Take ``tokens`` now and return how many seconds the caller must wait first."""
        if tokens < 1:
            raise ValueError("tokens must be at least 1")
        with self._lock:
            self.acquired += tokens
            if math.isinf(self._rate):
                return 0.0
            now = self._clock()
            elapsed = max(0.0, now - self._last)
            self._last = now
            self._tokens = min(float(self.burst), self._tokens + elapsed * self._rate)
            self._tokens -= tokens
            wait = -self._tokens / self._rate if self._tokens < 0 else 0.0
            self.waited_seconds += wait
            return wait

    def acquire(self, tokens: int = 1) -> float:
        """Block until ``tokens`` may be spent; returns the seconds slept."""
        wait = self.reserve(tokens)
        if wait > 0:
            self._sleep(wait)
        return wait
