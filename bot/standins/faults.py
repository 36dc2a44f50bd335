"""The stand-ins' one fault model: the kinds each stand-in can be told to produce, a fault
as ``backfill sandbox --inject ENDPOINT:KIND[:COUNT[:ACTION]]`` names it, and the queue of
faults waiting for the requests they hit.

A fault has a kind, a count (the next COUNT matching requests fail; Flickr also takes
None: every one) and, optionally, the one API action (Commons) or method (Flickr) it is
narrowed to. Each stand-in decides which requests a kind can hit and how its failure
looks on the wire (its own HTTP shapes); the counting, the order (the first fault
injected that matches a request is the one it gets) and the names live here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

COMMONS_FAULTS = (
    "maxlag",
    "ratelimited",
    "http503",
    "badtoken",
    "concurrent_edit",
    "lost_response",
)
"""What :meth:`bot.standins.commons.CommonsStandin.inject` takes."""


class FlickrFault(StrEnum):
    """Failures the Flickr stand-in can be told to produce."""

    HTTP_500 = "http_500"
    HTTP_503 = "http_503"
    HTTP_429 = "http_429"  # with Retry-After
    CODE_201 = "code_201"  # "Sorry, the Flickr API service is not currently available."
    CODE_105 = "code_105"  # "Service currently unavailable"
    INVALID_JSON = "invalid_json"
    SLOW = "slow"  # answer normally after ``delay`` seconds


FAULT_KINDS: dict[str, tuple[str, ...]] = {
    "commons": COMMONS_FAULTS,
    "flickr": tuple(f.value for f in FlickrFault),
}
"""The kinds each stand-in takes, by the ENDPOINT an ``--inject`` spec names."""


@dataclass
class FaultRule:
    """One injected fault: its kind, how many requests it still hits, what it is narrowed to."""

    kind: str
    remaining: int | None  # None: every matching request
    target: str | None  # Commons: the API action; Flickr: the method; None: any

    @property
    def pending(self) -> bool:
        return self.remaining is None or self.remaining > 0


R = TypeVar("R", bound=FaultRule)


class FaultQueue(Generic[R]):
    """The faults still to come, in the order injected (thread-safe)."""

    def __init__(self) -> None:
        self._rules: list[R] = []
        self._lock = threading.Lock()

    def add(self, rule: R) -> None:
        with self._lock:
            self._rules.append(rule)

    def take(self, matches: Callable[[R], bool]) -> R | None:
        """The first pending fault that ``matches`` this request, counted as used; None if none."""
        with self._lock:
            for rule in self._rules:
                if rule.pending and matches(rule):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return rule
        return None

    def pending(self) -> list[R]:
        """The faults that will still hit a request."""
        with self._lock:
            return [rule for rule in self._rules if rule.pending]

    def remaining(self) -> int:
        """How many failures are still to come (a fault without a count counts once)."""
        with self._lock:
            return sum(1 if r.remaining is None else r.remaining for r in self._rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """One fault to inject into a stand-in (``ENDPOINT:KIND[:COUNT[:ACTION]]``)."""

    endpoint: str  # "commons" | "flickr"
    kind: str
    count: int
    target: str | None  # Commons: the API action; Flickr: the method

    def __str__(self) -> str:
        where = f" on {self.target}" if self.target else ""
        return f"{self.endpoint}: {self.kind} × {self.count}{where}"


def _squash(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def parse_fault(spec: str) -> FaultSpec:
    """``commons:http503:2:wbeditentity`` → FaultSpec; ValueError with the choices if wrong."""
    parts = spec.strip().split(":")
    if len(parts) < 2 or len(parts) > 4:
        raise ValueError(f"{spec!r}: expected ENDPOINT:KIND[:COUNT[:ACTION]]")
    endpoint = parts[0].strip().lower()
    if endpoint not in FAULT_KINDS:
        raise ValueError(f"{spec!r}: the endpoint is 'commons' or 'flickr', not {parts[0]!r}")
    kinds = FAULT_KINDS[endpoint]
    kind = {_squash(k): k for k in kinds}.get(_squash(parts[1]))
    if kind is None:
        raise ValueError(f"{spec!r}: unknown {endpoint} fault; one of {', '.join(kinds)}")
    try:
        count = int(parts[2]) if len(parts) > 2 and parts[2] else 1
    except ValueError:
        raise ValueError(f"{spec!r}: COUNT must be a whole number") from None
    if count < 1:
        raise ValueError(f"{spec!r}: COUNT must be at least 1")
    target = parts[3].strip() if len(parts) > 3 and parts[3].strip() else None
    return FaultSpec(endpoint, kind, count, target)
