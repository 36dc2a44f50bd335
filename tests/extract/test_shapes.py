"""The fast paths of the extractor give exactly what the plain ones give, on snapshots of
every shape the benchmark times (benchmarks/bench_extract.py SHAPES) and on the real slice:
the typed evidence walk against the full decode and dict walk, the one-match-per-line
Hyperscan search against ``bytes.find`` per marker, and the whole extract against the
generator's ground truth."""

from __future__ import annotations

import bz2
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest

import bot.extract.scanning as scanning
from bot.core.evidence import MalformedEntity, evidence_from_entity, evidence_from_line
from bot.extract.snapshot import extract
from bot.store import Store

ROOT = Path(__file__).resolve().parents[2]
REAL_SLICE = (  # ../shared beside the checkout, as CI places it
    ROOT.parent / "shared" / "reference" / "commons" / "commons-20231207-mediainfo.slice.json.bz2"
)


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = _load("bench_extract", ROOT / "benchmarks" / "bench_extract.py")
synth = sys.modules["synth_snapshot"]
# Entities per shape: enough for every kind of Flickr file and all malformed lines.
SIZES = {"small-12": 3000, "medium-1": 3000, "medium-12": 1500, "medium-30": 1000, "large-12": 500}


def outcome(fn: Any, arg: Any) -> Any:
    """The result, or the kind of error and its message: both ways must agree on either."""
    try:
        return fn(arg)
    except orjson.JSONDecodeError:
        return "invalid JSON"
    except MalformedEntity as exc:
        return f"malformed entity: {exc}"


def full(line: bytes) -> Any:
    """The reference: decode everything, walk the dicts."""
    return evidence_from_entity(orjson.loads(line))


def entity_lines(data: bytes) -> list[bytes]:
    return [
        line.rstrip(b"\r").rstrip(b",")
        for line in data.splitlines()
        if line.strip() not in (b"[", b"]", b"")
    ]


@pytest.fixture(scope="module", params=list(bench.SHAPES))
def shaped(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A small snapshot of one benchmark shape (plain JSON), and the generator's stats."""
    name = request.param
    path = tmp_path_factory.mktemp(name) / "commons-20251101-mediainfo.json"
    stats = synth.generate(
        path, SIZES[name], seed=3, malformed=bench.MALFORMED, shape=bench.SHAPES[name]
    )
    return name, path, stats


def test_every_line_gives_what_the_full_decode_gives(shaped: Any) -> None:
    name, path, stats = shaped
    found = 0
    for line in entity_lines(path.read_bytes()):
        expected = outcome(full, line)
        assert outcome(evidence_from_line, line) == expected, (name, line[:120])
        found += expected is not None and not isinstance(expected, str)
    assert found == stats.flickr_files > 0


def test_hyperscan_finds_the_lines_bytes_find_finds(shaped: Any) -> None:
    _, path, stats = shaped
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    fast = scanning._starts_hyperscan(data, 0, end)
    assert fast == scanning._starts_python(data, 0, end)
    assert len(fast) >= stats.flickr_files


def test_extract_finds_every_file_with_its_photo_ids(shaped: Any, tmp_path: Path) -> None:
    name, path, stats = shaped
    store = Store(tmp_path / "w.db")
    summary = extract(path, store, progress=False)
    assert summary.entities_scanned == stats.entities
    assert summary.files_with_evidence == stats.flickr_files
    assert summary.by_source == {k: stats.by_source.get(k, 0) for k in summary.by_source}
    assert (summary.multi_photo, summary.user_only, summary.with_p12120) == (
        stats.multi_photo,
        stats.user_only,
        stats.with_p12120,
    )
    assert summary.malformed_lines == stats.malformed == bench.MALFORMED
    assert [m["line"] for m in summary.malformed_examples] == stats.malformed_lines
    assert {r.mid: r.photo_ids for r in store.iter_worklist()} == stats.photo_ids, name


def test_extract_with_bytes_find_writes_the_same_rows(
    shaped: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, path, _ = shaped
    fast_store, slow_store = Store(tmp_path / "fast.db"), Store(tmp_path / "slow.db")
    fast = extract(path, fast_store, progress=False)
    monkeypatch.setattr(scanning, "_candidate_starts", scanning._starts_python)
    slow = extract(path, slow_store, progress=False)
    ignore = {"wall_seconds": 0, "mb_per_s": 0}
    assert fast.to_json() | ignore == slow.to_json() | ignore

    def rows(store: Store) -> list[Any]:
        return [
            (r.mid, r.pageid, r.title, r.photo_ids, r.owner_nsid, r.owner_alias, r.evidence)
            for r in store.iter_worklist()
        ]

    assert rows(fast_store) == rows(slow_store)


def test_hyperscan_lines_with_markers_anywhere() -> None:
    lines = [
        b"[",
        b'{"a":"lickr"},',  # the marker right before the end of the line
        b'{"b":"nothing"},',
        b'{"c":"flic.kr lickr LICKR P12120 P3267"},',  # every marker in one line
        b"",  # blank
        b'{"d":"x"}\r',  # CRLF, no marker
        b'{"e":"P3267"}\r',  # CRLF with one
        b"lickr",  # a damaged line that is only a marker
        b"]",
    ]
    data = b"\n".join(lines) + b"\n"
    offsets = [0]
    for line in lines[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    expected = [offsets[i] for i in (1, 3, 6, 7)]
    assert scanning._starts_hyperscan(data, 0, len(data)) == expected
    assert scanning._starts_python(data, 0, len(data)) == expected
    assert scanning._starts_hyperscan(data, offsets[4], len(data)) == expected[2:]


def test_real_slice_lines_give_what_the_full_decode_gives() -> None:
    if not REAL_SLICE.is_file():
        pytest.skip(f"{REAL_SLICE} not available")
    lines = entity_lines(bz2.decompress(REAL_SLICE.read_bytes()))
    assert len(lines) == 2
    for line in lines:
        assert outcome(evidence_from_line, line) == outcome(full, line)
        # The same entity, made a Flickr file: its statements gain the evidence forms.
        entity = orjson.loads(line)
        statements = entity.setdefault("statements", {})
        if not isinstance(statements, dict):
            statements = entity["statements"] = {}
        statements["P12120"] = [
            {
                "mainsnak": {
                    "snaktype": "value",
                    "property": "P12120",
                    "datavalue": {"value": "52810336619", "type": "string"},
                },
                "type": "statement",
                "rank": "normal",
            }
        ]
        flickr_line = orjson.dumps(entity)
        got = outcome(evidence_from_line, flickr_line)
        assert got == outcome(full, flickr_line)
        assert got.photo_ids == ("52810336619",)
