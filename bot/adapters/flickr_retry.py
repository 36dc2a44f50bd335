"""When a Flickr call is tried again, and for how long: the client's retry policy.

Transient failures (HTTP 429/5xx, codes 105/201, timeouts, broken JSON) are retried with
exponential backoff and jitter, honouring ``Retry-After``; a host that accepts no
connection gets only a few tries, so an unreachable Flickr stops the run within a known
bound. The client raises ``_Transient`` for an attempt worth retrying; tenacity does the rest.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC
from typing import Final

import httpx
from tenacity import RetryCallState
from tenacity.wait import wait_base


class _Transient(Exception):
    """Internal: one attempt failed in a way worth retrying; ``unreachable``: no connection."""

    def __init__(
        self, reason: str, retry_after: float | None = None, *, unreachable: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.unreachable = unreachable


DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=5.0)
"""Seconds per request; a host that takes 5 s to accept a connection is not there."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to insist on transient failures; tests use zero waits.

    A host that refuses or never accepts the connection gets ``connect_attempts`` tries
    only: Flickr answering 5xx is worth minutes of patience, an unreachable Flickr (no
    network, a wrong ``--flickr-api``) is not, and it stops the run within
    :func:`unreachable_bound` seconds.
    """

    attempts: int = 5
    initial_wait: float = 2.0
    max_wait: float = 120.0
    jitter: float = 2.0
    max_retry_after: float = 600.0  # never sleep longer than this on a Retry-After
    connect_attempts: int = 3


def unreachable_bound(policy: RetryPolicy, connect_timeout: float) -> float:
    """The longest one call can take before it reports Flickr unreachable (seconds)."""
    tries = max(1, min(policy.attempts, policy.connect_attempts))
    waits = sum(
        min(policy.max_wait, policy.initial_wait * 2.0**n + policy.jitter) for n in range(tries - 1)
    )
    return tries * connect_timeout + waits


def _connect_timeout(timeout: float | httpx.Timeout) -> float:
    if isinstance(timeout, httpx.Timeout):
        return timeout.connect if timeout.connect is not None else math.inf
    return float(timeout)


class _WaitRetryAfterOrBackoff(wait_base):
    """Sleep what ``Retry-After`` asks for, else exponential backoff with full jitter added."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        policy = self._policy
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return max(0.0, min(exc.retry_after, policy.max_retry_after))
        exponent = min(retry_state.attempt_number - 1, 62)
        backoff = policy.initial_wait * 2.0**exponent
        return max(0.0, min(policy.max_wait, backoff + random.uniform(0, policy.jitter)))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _connect_reason(exc: httpx.TransportError) -> str:
    """A few words for a failed connection (httpx's text can name a whole errno chain)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connection timed out"
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "name resolution" in text.lower():
        return "the host name does not resolve"
    return f"no connection ({type(exc).__name__})"
