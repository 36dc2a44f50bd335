"""Hostile snapshot lines, generated: real-shaped entity lines mutated at random (seeded,
so a failure replays) between unmutated ones. Whatever the mutation, no exception may
escape the extractor, every unmutated line's evidence must still be found, and memory
must stay bounded by the longest line and the chunks in flight, not the input."""

from __future__ import annotations

import contextlib
import copy
import gzip
import random
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import bot.extract.pipeline as pipeline
import bot.extract.reading as reading
from bot.core.evidence import FileEvidence, MalformedEntity, decode_line, evidence_from_line
from bot.extract.snapshot import SnapshotScanner, extract
from bot.store import Store
from tests.support import snapshot as h

GOOD = 60  # unmutated entity lines
HOSTILE = 240  # mutated ones, between them
HUGE = 2 << 20  # a huge string: 2 MB (the dump's biggest entities are a few MB)
HUGE_LINES = 20  # so the input (~45 MB) is well above the memory bound
CHUNK = 1 << 20  # decompressed chunks of 1 MB (4 MB in production) keep the bound tight
# The tracemalloc peak: what is in flight between the threads (the queue's items and
# each thread's own, and the run of lines the marker search holds; an item is a chunk, or
# a line longer than one), plus a few copies of the longest line (the line cut out, its
# decoded strings).
PEAK_BOUND = (reading.QUEUE_DEPTH + 4) * max(CHUNK, HUGE) + 4 * HUGE


def good_entity(rng: random.Random, i: int) -> dict[str, Any]:
    """A real-shaped entity with Flickr evidence, in one of the forms the dump has."""
    mid = f"M{1000 + i}"
    photo = str(50_000_000_000 + rng.randrange(10**9))
    kind = i % 5
    if kind == 0:
        return h.flickr_entity(mid, photo, rng.choice(["harbourlight", "kew", "nasa"]))
    if kind == 1:
        return h.entity(mid, {"P12120": [h.statement(mid, h.string("P12120", photo))]})
    if kind == 2:
        url = f"https://live.staticflickr.com/65535/{photo}_8d2e41c0fa_b.jpg"
        return h.entity(
            mid, {**h.ordinary_statements(mid), "P7482": [h.source(mid, ("P2699", url))]}
        )
    if kind == 3:
        return h.entity(mid, {"P170": [h.creator(mid, name="Example", nsid="12345678@N04")]})
    return h.entity(
        mid,
        {"P7482": [h.source(mid, ("P973", f"https://flic.kr/p/{_base58(rng)}"))]},
        caption="Photo from Flickr: \u00e9t\u00e9 [harbour]",
    )


def _base58(rng: random.Random) -> str:
    """A flic.kr short id (Flickr's base-58 alphabet: no 0, O, I or l)."""
    alphabet = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(5, 9)))


# --------------------------------------------------------------------------- mutations


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a decoded entity, at every level."""
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _replace(entity: dict[str, Any], path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node = entity
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return entity


def _deep(rng: random.Random) -> str:
    depth = rng.choice([65, 200, 1100, 100_000])
    form = rng.choice(["[", "[ ", '[{"a":', '{"a":'])
    close = {"[": "]", "[ ": "]", '[{"a":': "}]", '{"a":': "}"}[form]
    inner = "1" if form.endswith(":") else ""
    closed = rng.random() < 0.8
    return form * depth + inner + (close * depth if closed else "")


WRONG = [None, 0, -1, 1.5, True, "", "flickr", "M1", [], {}, [None], {"": None}, 2**70, [[[]]]]


def mutate(rng: random.Random, entity: dict[str, Any]) -> bytes:
    """One hostile line made from ``entity`` (a different M-id from every good one)."""
    line = h.dump_line(entity).encode()
    kind = rng.choice(["deep", "wrong_type", "wrong_type", "utf8", "nul", "cut", "flip"])
    if kind == "deep":
        place = rng.choice(list(_paths(entity))[1:])
        text = h.dump_line(_replace(entity, place, "@DEEP@")).encode()
        return text.replace(b'"@DEEP@"', _deep(rng).encode())
    if kind == "wrong_type":
        for _ in range(rng.randint(1, 3)):
            place = rng.choice(list(_paths(entity)))
            entity = _replace(entity, place, copy.deepcopy(rng.choice(WRONG)))
        return h.dump_line(entity).encode() + (b"" if rng.random() < 0.8 else b" flickr")
    at = rng.randrange(1, len(line))
    if kind == "utf8":
        return line[:at] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90"]) + line[at:]
    if kind == "nul":
        return line[:at] + b"\0" * rng.randint(1, 64) + line[at:]
    if kind == "cut":
        return line[:at]
    flipped = bytearray(line)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(flipped))
        flipped[i] = rng.choice([c for c in range(256) if c != 0x0A])
    return bytes(flipped)


def huge(rng: random.Random, entity: dict[str, Any]) -> bytes:
    """A line with a string of :data:`HUGE` bytes somewhere (a caption, a URL, a key)."""
    filler = "flickr " * (HUGE // 7)
    place = rng.choice(["caption", "url", "key"])
    if place == "caption":
        entity["labels"] = {"en": {"language": "en", "value": filler}}
    elif place == "url":
        entity["statements"] = {"P7482": [h.source(entity["id"], ("P973", "https://" + filler))]}
    else:
        entity[filler] = 1
    return h.dump_line(entity).encode()


@pytest.fixture(scope="module", params=[1, 2])
def hostile_snapshot(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, FileEvidence], list[bytes]]:
    """A gzip snapshot: good lines and hostile ones shuffled; the good lines' evidence."""
    rng = random.Random(request.param)
    good = [h.dump_line(good_entity(rng, i)).encode() for i in range(GOOD)]
    expected = {}
    for line in good:
        found = evidence_from_line(line)
        assert found is not None
        expected[found.mid] = found
    bad: list[bytes] = []
    for i in range(HOSTILE):
        entity = good_entity(rng, i)
        entity["id"] = f"M{900_000 + i}"  # never one of the good M-ids
        make: Callable[[random.Random, dict[str, Any]], bytes] = huge if i < HUGE_LINES else mutate
        bad.append(make(rng, entity))
    lines = good + bad
    rng.shuffle(lines)
    path = tmp_path_factory.mktemp(f"fuzz{request.param}") / "commons-20251101-mediainfo.json.gz"
    path.write_bytes(gzip.compress(b"[\n" + b",\n".join(lines) + b"\n]\n", compresslevel=1))
    return path, expected, bad


def _rows(store: Store) -> dict[str, tuple[Any, ...]]:
    return {
        row.mid: (tuple(row.photo_ids), row.owner_nsid, row.owner_alias, row.evidence)
        for row in store.iter_worklist()
        if row.mid is not None
    }


def test_no_exception_escapes_and_every_good_line_is_found(
    tmp_path: Path,
    hostile_snapshot: tuple[Path, dict[str, FileEvidence], list[bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, expected, _ = hostile_snapshot
    monkeypatch.setattr(reading, "CHUNK_SIZE", CHUNK)
    with Store(tmp_path / "bot.db") as store:
        tracemalloc.start()
        try:
            summary = extract(path, store, progress=False)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        rows = _rows(store)
    assert summary.ok, summary.error
    assert summary.entities_scanned >= GOOD + HOSTILE  # a flipped byte may split a line
    assert summary.decompressed_bytes > 1.5 * PEAK_BOUND  # so the bound says something
    assert peak < PEAK_BOUND, f"peak {peak / 1e6:.1f} MB"
    for mid, found in expected.items():
        assert rows[mid] == (
            found.photo_ids,
            found.owner_nsid,
            found.owner_alias,
            [dict(item) for item in found.evidence],
        )
    assert summary.malformed_lines > HOSTILE // 4  # the fuzz did produce hostile lines


def test_every_decode_path_survives_every_hostile_line(
    hostile_snapshot: tuple[Path, dict[str, FileEvidence], list[bytes]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, expected, bad = hostile_snapshot
    for line in bad:  # the decode functions raise only their two documented errors
        for decode in (evidence_from_line, decode_line):
            with contextlib.suppress(orjson.JSONDecodeError, MalformedEntity):
                decode(line)
    # a worker's batch, writing what it finds to a store of its own
    monkeypatch.setattr(pipeline, "_worker_store", Store(tmp_path / "worker.db"))
    done = pipeline._extract_batch(list(enumerate(bad)), "fuzz.json.gz")
    assert len(done.errors) + done.files <= len(bad)
    scanner = SnapshotScanner(path)  # whole entities, decoded with orjson
    found = {entity["id"] for _, entity in scanner}
    assert set(expected) <= found and scanner.stats.error is None
