"""The stand-ins' one fault model and server base: the names ``--inject`` takes are the ones
each stand-in accepts, faults are used in the order injected and run out, and a served
stand-in stops listening when its block ends."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import pytest

from bot.standins.commons import CommonsStandin, run_commons_standin
from bot.standins.faults import FAULT_KINDS, FaultQueue, FaultRule, parse_fault
from bot.standins.flickr import FlickrStandin, StandinData


@pytest.mark.parametrize("kind", FAULT_KINDS["commons"])
def test_every_commons_kind_inject_names_is_one_the_commons_standin_takes(kind: str) -> None:
    spec = parse_fault(f"commons:{kind}:2")
    standin = CommonsStandin()
    standin.inject(spec.kind, spec.count, action=spec.target)
    assert standin.pending_faults() == 2


@pytest.mark.parametrize("kind", FAULT_KINDS["flickr"])
def test_every_flickr_kind_inject_names_is_one_the_flickr_standin_takes(kind: str) -> None:
    spec = parse_fault(f"flickr:{kind}:2")
    standin = FlickrStandin(StandinData())
    standin.inject(spec.kind, spec.count, method=spec.target)
    assert standin.state()["pending_faults"][0]["remaining"] == 2


@dataclass
class Rule(FaultRule):
    pass


def everything(rule: Rule) -> bool:
    return True


@pytest.mark.parametrize(
    ("injected", "requests", "served"),
    [
        ([("a", 1, None)], ["x", "x"], ["a", None]),
        ([("a", 2, None)], ["x", "x", "x"], ["a", "a", None]),
        ([("a", 1, None), ("b", 1, None)], ["x", "x", "x"], ["a", "b", None]),
        ([("a", 1, "y"), ("b", 1, None)], ["x", "y", "y"], ["b", "a", None]),
        ([("a", None, None)], ["x", "x", "x"], ["a", "a", "a"]),
        ([("a", 0, None)], ["x"], [None]),
    ],
)
def test_faults_are_used_in_the_order_injected_until_they_run_out(
    injected: list[tuple[str, int | None, str | None]],
    requests: list[str],
    served: list[str | None],
) -> None:
    queue: FaultQueue[Rule] = FaultQueue()
    for kind, count, target in injected:
        queue.add(Rule(kind, count, target))
    got = []
    for action in requests:
        rule = queue.take(lambda r, action=action: r.target in (None, action))
        got.append(rule.kind if rule else None)
    assert got == served


def test_pending_and_remaining_count_what_is_still_to_come() -> None:
    queue: FaultQueue[Rule] = FaultQueue()
    queue.add(Rule("a", 2, None))
    queue.add(Rule("b", 1, None))
    queue.take(everything)
    assert [(r.kind, r.remaining) for r in queue.pending()] == [("a", 1), ("b", 1)]
    assert queue.remaining() == 2
    queue.clear()
    assert queue.pending() == [] and queue.remaining() == 0


def test_a_served_standin_stops_listening_when_its_block_ends() -> None:
    with run_commons_standin() as wiki:
        port = wiki.port
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
