"""Any decisions, any runs: the bot settles. Hypothesis plays a maintainer who answers
whatever is open (one at a time or in bulk) between runs of the real bot against the
stand-ins; after the last answer, two runs reach a fixed point (planning every file
again writes nothing and changes no conflict), and no file ever holds the same statement
twice or two Flickr photo ids."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.adapters import pywikibot_setup
from bot.core.reconcile import statement_identity
from bot.run.job import RunSummary
from bot.store import DECISIONS, QueueFilter
from tests.support.world import Running, World, p571

PANORAMA = ("53377120054", "53377120188")
DECIDABLE = ("open", "skip")


def build_world(tmp: Path) -> tuple[World, list[str]]:
    """Four files, each raising another kind of conflict."""
    world = World(tmp)
    mids = [
        # cites two photos: multiple_photo_ids, one candidate each
        world.add_file_citing(110, *PANORAMA),
        # Flickr's May 1965 against a year: replaced in place when accepted
        world.add_file(
            111,
            "52810336111",
            taken="1965-05-01 00:00:00",
            granularity=4,
            statements={"P571": [p571("M111", "+1965-00-00T00:00:00Z", 9)]},
        ),
        # another date
        world.add_file(
            112, "52810336112", statements={"P571": [p571("M112", "+1999-01-01T00:00:00Z", 9)]}
        ),
        # two other dates: accepting adds Flickr's next to them (no statement id)
        world.add_file(
            113,
            "52810336113",
            statements={
                "P571": [
                    p571("M113", "+1999-01-01T00:00:00Z", 9),
                    {
                        **p571("M113", "+2001-01-01T00:00:00Z", 9),
                        "id": "M113$571B0000-AAAA-4AAA-8AAA-000000000571",
                    },
                ]
            },
        ),
    ]
    return world, mids


_setup_pywikibot = pywikibot_setup.setup_pywikibot
# The store syncs every transaction to disk; in memory-backed /dev/shm (where there is
# one) the many runs of the examples spend their time running the bot instead.
SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None


def fast_requests(*args: Any, **kwargs: Any) -> Any:
    """pywikibot as ``backfill run`` sets it up, with 10 ms between requests instead of
    its 0.1 s (the stand-in has no rate limit; the runs here are many)."""
    return _setup_pywikibot(*args, **{**kwargs, "min_throttle": 0.01})


def check_files(running: Running, mids: list[str]) -> None:
    """No statement twice, never two Flickr photo ids."""
    for mid in mids:
        statements = (running.wiki.entity(mid) or {}).get("statements") or {}
        seen = Counter(statement_identity(s) for group in statements.values() for s in group)
        assert [i for i, n in seen.items() if n > 1] == [], f"{mid} holds a statement twice"
        photo_ids = {s["mainsnak"]["datavalue"]["value"] for s in statements.get("P12120", [])}
        assert len(photo_ids) <= 1, f"{mid} holds photo ids {photo_ids}"


def questions_already_answered(running: Running) -> list[int]:
    """Conflicts waiting for a person although the file holds the proposed statement,
    identical: nothing is left to decide there."""
    found = []
    with running.store() as store:
        for c in store.list_conflicts(QueueFilter(status=None)):
            if c["status"] not in DECIDABLE or not c["proposed"]:
                continue
            statements = (running.wiki.entity(c["mid"]) or {}).get("statements") or {}
            mine = statement_identity(c["proposed"])
            if any(statement_identity(s) == mine for s in statements.get(c["property"], [])):
                found.append(int(c["id"]))
    return found


def queue(running: Running) -> dict[int, str]:
    with running.store() as store:
        return {c["id"]: c["status"] for c in store.list_conflicts(QueueFilter(status=None))}


def run(running: Running, mids: list[str], **options: Any) -> RunSummary:
    summary = running.run(**options)
    assert summary.stop_reason == "done"
    check_files(running, mids)
    return summary


def answer(running: Running, step: tuple[Any, ...]) -> None:
    """One maintainer action on whatever is open now."""
    kind = step[0]
    with running.store() as store:
        if kind == "bulk":
            store.bulk_decide(QueueFilter(), step[1], actor="Maintainer", pause=0)
            return
        _, pick, decision = step
        decidable = [c for c, s in queue(running).items() if s in DECIDABLE]
        if decidable:
            store.decide(decidable[pick % len(decidable)], decision, actor="Maintainer")


STORY = [("decide", 0, "accept_flickr"), ("decide", 0, "skip")]
decision = st.sampled_from([str(d) for d in DECISIONS])
step = st.one_of(
    st.tuples(st.just("decide"), st.integers(0, 7), decision),
    st.tuples(st.just("bulk"), decision),
    st.tuples(st.sampled_from(["run", "recheck"])),
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=4))
# the sandbox story: accept one photo, skip the other (conflicts 1 and 2 are its candidates)
@example(steps=STORY)
# ... then a run, and "use Flickr's value" on whatever is open first
@example(steps=[*STORY, ("run",), ("decide", 0, "accept_flickr")])
# bulk "use Flickr's value" on the whole queue, then a run, then once more
@example(steps=[("bulk", "accept_flickr"), ("run",), ("bulk", "accept_flickr")])
def test_any_decisions_settle_within_two_runs(steps: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp, pytest.MonkeyPatch.context() as patch:
        patch.setattr(pywikibot_setup, "setup_pywikibot", fast_requests)
        world, mids = build_world(Path(tmp))
        with world.start(put_throttle=0.01) as running:
            first = run(running, mids)
            assert first.conflicts["multiple_photo_ids"] == 2
            for action in steps:
                if action[0] in ("run", "recheck"):
                    run(running, mids, recheck=action[0] == "recheck")
                else:
                    answer(running, action)
            run(running, mids)
            writes = len(running.wiki.writes)
            second = run(running, mids)
            settled = queue(running)
            assert second.edits == 0 and len(running.wiki.writes) == writes
            # a fixed point: every file planned again from scratch changes nothing
            replanned = run(running, mids, recheck=True)
            assert replanned.edits == 0 and len(running.wiki.writes) == writes
            assert queue(running) == settled
            assert "applying" not in settled.values()
            assert questions_already_answered(running) == []
