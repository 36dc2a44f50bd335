"""bot.extract.snapshot: streaming, the byte prefilter, malformed and truncated input, the extract
pipeline and its upserts."""

from __future__ import annotations

import bz2
import gzip
import importlib.util
import logging
import lzma
import re
import shutil
import sys
import tracemalloc
import zlib
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest

import bot.extract.pipeline as pipeline
import bot.extract.reading as reading
import bot.extract.scanning as scanning
from bot.core.evidence import evidence_from_line
from bot.extract.snapshot import (
    EmptySnapshot,
    ExtractSummary,
    FormatMismatch,
    SnapshotError,
    SnapshotScanner,
    UnsupportedFormat,
    extract,
    iter_candidate_entities,
    open_snapshot,
    snapshot_date,
    sniff_format,
)
from bot.store import FileStatus, Store
from tests.support import snapshot as h

ROOT = Path(__file__).resolve().parents[2]
REAL_SLICE = (  # ../shared beside the checkout, as CI places it
    Path(__file__).resolve().parents[3]
    / "shared"
    / "reference"
    / "commons"
    / "commons-20231207-mediainfo.slice.json.bz2"
)


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


synth = _load("synth_snapshot", ROOT / "benchmarks" / "synth_snapshot.py")


@pytest.fixture()
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The M-ids of every line the scanner decodes (the prefilter must skip the rest)."""
    seen: list[str] = []

    def counting(data: Any) -> Any:
        obj = orjson.loads(data)
        seen.append(str(obj.get("id")) if isinstance(obj, dict) else repr(obj))
        return obj

    def counting_lines(line: bytes) -> Any:
        counting(line)
        return evidence_from_line(line)

    monkeypatch.setattr(scanning, "_decode", counting)
    monkeypatch.setattr(pipeline, "_evidence_of_line", counting_lines)
    return seen


def mixed_lines() -> list[dict[str, Any] | str]:
    """Ordinary files, Flickr files of every source, a caption-only mention."""
    static = "https://live.staticflickr.com/65535/53201947316_8d2e41c0fa_b.jpg"
    return [
        h.plain_entity("M10"),
        h.flickr_entity("M11", "52810336619", "harbourlight"),
        h.plain_entity("M12"),
        h.entity("M13", {"P12120": [h.statement("M13", h.string("P12120", "51438862021"))]}),
        h.plain_entity("M14", caption="Seen at the Flickr meetup"),
        h.entity("M15", {"P7482": [h.source("M15", ("P2699", static), operator=None)]}),
        h.entity("M16", {"P170": [h.creator("M16", nsid="190318445@N07")]}),
        h.entity(
            "M17",
            {"P170": [h.creator("M17", profile="https://www.flickr.com/people/23457880@N08/")]},
        ),
        h.entity(
            "M18",
            {
                "P7482": [
                    h.source("M18", ("P973", "https://flic.kr/p/2qiJev5")),
                    h.source(
                        "M18", ("P973", "https://www.flickr.com/photos/harbourlight/53377120188/")
                    ),
                ]
            },
        ),
        h.plain_entity("M19"),
        h.entity("M20", None),
    ]


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"BZh91AY&SY", "bz2"),
        (b"\xfd7zXZ\x00\x00\x04", "xz"),
        (b"\x28\xb5\x2f\xfd\x24", "zstd"),
        (b"PK\x03\x04\x14\x00", "zip"),
        (b"[\n{", "plain"),
        (b"<!DOCTYPE html>", "plain"),
        (b"", "plain"),
    ],
)
def test_sniff_format_uses_magic_bytes(head: bytes, fmt: str) -> None:
    assert sniff_format(head) == fmt


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("gzip", "commons-20251101-mediainfo.json.gz"),
        ("bz2", "commons-20251101-mediainfo.json.bz2"),
        ("xz", "commons-20251101-mediainfo.json.xz"),
        ("plain", "commons-20251101-mediainfo.json"),
        ("gzip", "commons-20251101-mediainfo.json.gz.part"),  # a name that promises nothing
        ("bz2", "snapshot"),
    ],
)
def test_every_format_gives_the_same_result(tmp_path: Path, fmt: str, name: str) -> None:
    text = h.dump_text(mixed_lines())
    path = h.write_snapshot(tmp_path / name, [], fmt, text=text)
    found = [(n, ent["id"]) for n, ent in iter_candidate_entities(path)]
    assert found == [
        (3, "M11"),
        (5, "M13"),
        (6, "M14"),
        (7, "M15"),
        (8, "M16"),
        (9, "M17"),
        (10, "M18"),
    ]
    with open_snapshot(path) as fh:
        assert fh.read() == text


def test_open_snapshot_decompresses(tmp_path: Path) -> None:
    for fmt in ("gzip", "bz2", "xz", "plain"):
        path = h.write_snapshot(tmp_path / f"s.{fmt}", mixed_lines(), fmt)
        with open_snapshot(path) as fh:
            assert fh.read().startswith(b"[\n{")


# --------------------------------------------------------------------------- the prefilter


def test_non_flickr_lines_are_never_decoded(
    tmp_path: Path, decoded: list[str], store: Store
) -> None:
    path = h.write_snapshot(tmp_path / "s.json.gz", mixed_lines())
    summary = extract(path, store, progress=False)
    # Decoded: the Flickr files and the caption mention; never M10, M12, M19, M20.
    assert sorted(decoded) == ["M11", "M13", "M14", "M15", "M16", "M17", "M18"]
    assert summary.entities_scanned == 11
    assert summary.candidates_decoded == 7
    assert summary.files_with_evidence == 6  # M14 only says "Flickr" in a caption
    assert summary.by_source == {
        "P12120": 1,
        "P7482.P973": 2,
        "P7482.P2699": 1,
        "P170.P2699": 1,
        "P170.P3267": 1,
        "P687": 0,
    }
    assert summary.multi_photo == 1 and summary.user_only == 2 and summary.with_p12120 == 1
    assert summary.inserted == 6 and summary.updated == 0 and summary.malformed_lines == 0
    assert summary.ok and not summary.truncated
    row = store.get_file("M18")
    assert row is not None and row.photo_ids == ["54021875530", "53377120188"]
    assert store.get_file("M14") is None


def test_a_file_citing_only_a_bhl_page_enters_the_worklist(
    tmp_path: Path, decoded: list[str], store: Store
) -> None:
    """P687 is a marker: a BHL file without any Flickr evidence is decoded and listed,
    for BHL reverse matching (its page id in the evidence, no photo id)."""
    bhl = h.entity("M21", {"P687": [h.statement("M21", h.string("P687", "33665645"))]})
    path = h.write_snapshot(tmp_path / "s.json.gz", [*mixed_lines(), bhl])
    summary = extract(path, store, progress=False)
    assert "M21" in decoded and summary.by_source["P687"] == 1
    assert summary.files_with_evidence == 7
    row = store.get_file("M21")
    assert row is not None and row.photo_ids == [] and row.status == FileStatus.PENDING
    assert row.evidence == [{"source": "P687", "value": "33665645", "bhl_page": "33665645"}]


def test_hyperscan_and_bytes_find_agree(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    stats = synth.generate(path, 400, seed=5, malformed=4)
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    fast = scanning._starts_hyperscan(data, 0, end)
    slow = scanning._starts_python(data, 0, end)
    assert fast == slow
    assert len(slow) >= stats.flickr_files
    # A run of lines that starts inside the buffer, and binary garbage with a NUL byte.
    middle = data.index(b"\n", len(data) // 2) + 1
    assert scanning._starts_hyperscan(data, middle, end) == [s for s in slow if s >= middle]
    garbage = data[:end] + b"\x00garbage lickr P3267\n"
    assert scanning._starts_hyperscan(garbage, 0, len(garbage)) == [*slow, end]


@pytest.mark.parametrize("chunk", [61, 1000, 4096, 65536])
def test_chunk_boundaries_do_not_matter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    path = tmp_path / "s.json.gz"
    synth.generate(path, 300, seed=3, malformed=2)
    expected = [(n, e["id"]) for n, e in SnapshotScanner(path)]
    monkeypatch.setattr(reading, "CHUNK_SIZE", chunk)
    monkeypatch.setattr(reading, "INPUT_SIZE", max(chunk // 3, 1))
    for threaded in (True, False):
        scanner = SnapshotScanner(path, threaded=threaded)
        assert [(n, e["id"]) for n, e in scanner] == expected
        assert scanner.stats.entities == 302 and scanner.stats.malformed == 2


@pytest.mark.parametrize("chunk", [300, 4096, 1 << 20])
def test_odd_lines_after_the_first_chunk_are_checked_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Past the first chunk, lines go through the fast loop: \\r\\n endings, blank lines,
    garbage and cut lines between ordinary ones must still be told apart there."""
    plain = [h.dump_line(h.plain_entity(f"M{n}")) + ",\n" for n in range(100, 140)]
    lines = [
        "[\n",
        *plain[:20],
        "\n",  # line 22: blank, not counted
        h.dump_line(h.plain_entity("M500")) + ",\r\n",  # 23: \r\n, fine
        h.dump_line(h.flickr_entity("M501", "52810336619")) + ",\r\n",  # 24: a candidate
        "garbage without any marker,\n",  # 25: not an entity line
        h.dump_line(h.plain_entity("M502"))[:150] + ",\n",  # 26: cut
        *plain[20:],
        "]\n",
    ]
    text = "".join(lines).replace("},\n]", "}\n]").encode()
    path = h.write_snapshot(tmp_path / "s.json.gz", [], text=text)
    monkeypatch.setattr(reading, "CHUNK_SIZE", chunk)
    scanner = SnapshotScanner(path)
    found = [(n, e["id"]) for n, e in scanner]
    assert found == [(24, "M501")]
    assert [(m.line, m.reason.split(" ")[0]) for m in scanner.stats.malformed_examples] == [
        (25, "not"),
        (26, "truncated"),
    ]
    assert scanner.stats.entities == 44 and scanner.stats.malformed == 2
    assert scanner.stats.error is None


def test_pure_python_search_gives_the_same_extract(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.json.gz"
    synth.generate(path, 500, seed=9)
    first = extract(path, store, progress=False)
    monkeypatch.setattr(scanning, "_candidate_starts", scanning._starts_python)
    second = extract(path, Store(tmp_path / "other.db"), progress=False)
    assert first.to_json() | {
        "wall_seconds": 0,
        "mb_per_s": 0,
        "inserted": 0,
    } == second.to_json() | {"wall_seconds": 0, "mb_per_s": 0, "inserted": 0}


# --------------------------------------------------------------------------- malformed input


def test_malformed_lines_are_counted_with_line_numbers(
    tmp_path: Path, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    lines: list[dict[str, Any] | str] = [
        h.flickr_entity("M1"),  # line 2
        '{"type":"mediainfo","id":"M2","labels":{"en":"Flickr \\/ broken}',  # 3 bad JSON
        h.dump_line(h.plain_entity("M3"))[:200],  # 4 truncated
        '["a list that mentions flickr"]',  # 5 not object
        '{"type":"mediainfo","labels":{"en":{"language":"en","value":"Flickr"}}}',  # 6 no id
        "garbage without any marker",  # 7 not entity
        h.flickr_entity("M8", "53012874455"),  # 8
    ]
    path = h.write_snapshot(tmp_path / "s.json.gz", lines)
    with caplog.at_level(logging.WARNING, logger="bot.extract.snapshot"):
        summary = extract(path, store, progress=False)
    assert summary.malformed_lines == 5
    assert [m["line"] for m in summary.malformed_examples] == [3, 4, 5, 6, 7]
    reasons = [m["reason"] for m in summary.malformed_examples]
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1].startswith("truncated")
    assert reasons[2].startswith("not a JSON object")
    assert reasons[3].startswith("missing or invalid id")
    assert reasons[4] == "not an entity line"
    assert summary.files_with_evidence == 2  # the run went on past them
    assert summary.entities_scanned == 7
    assert summary.ok  # malformed lines are reported, not fatal
    logged = [r.getMessage() for r in caplog.records]
    assert any("line 3: invalid JSON" in m and "Flickr" in m for m in logged)
    assert any("line 7: not an entity line: garbage without any marker" in m for m in logged)


def _hostile(mid: str, value: str) -> str:
    """An entity line with a Flickr caption (a candidate) whose ``x`` field is ``value``."""
    return (
        f'{{"type":"mediainfo","id":"{mid}","labels":{{"en":{{"language":"en",'
        f'"value":"Flickr"}}}},"x":{value},"statements":[]}}'
    )


DEEP = 100_000
NESTED = "nested deeper than 64 levels"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (_hostile("M5", "[" * DEEP + "]" * DEEP), NESTED),  # refused before decoding
        (_hostile("M5", "[" * DEEP), NESTED),  # and never closed
        (_hostile("M5", "[ " * DEEP + "]" * DEEP), NESTED),  # the decoders' limit
        (_hostile("M5", '[{"a":' * DEEP + "1" + "}]" * DEEP), NESTED),
        (_hostile("M5", '{"a":' * DEEP + "1" + "}" * DEEP), NESTED),
        (_hostile("M5", "[" * 65 + "]" * 65), NESTED),  # just over the bound
        ("[" * DEEP + "flickr", NESTED),  # no entity at all
    ],
)
@pytest.mark.parametrize("path_kind", ["inline", "batch", "scanner"])
def test_a_line_nested_too_deep_is_one_malformed_line(
    tmp_path: Path, store: Store, line: str, reason: str, path_kind: str
) -> None:
    lines: list[dict[str, Any] | str] = [
        h.flickr_entity("M2", "53012874401"),
        h.flickr_entity("M3", "53012874402"),
        h.plain_entity("M4"),
        line,  # line 5
        h.flickr_entity("M6", "53012874406"),
    ]
    path = h.write_snapshot(tmp_path / "s.json.gz", lines)
    if path_kind == "scanner":  # whole entities, decoded by orjson
        scanner = SnapshotScanner(path)
        assert [n for n, _ in scanner] == [2, 3, 6]
        malformed = scanner.stats.malformed_examples
        assert [(m.line, m.reason[: len(reason)]) for m in malformed] == [(5, reason)]
        return
    if path_kind == "batch":  # what a worker process runs
        done = pipeline._extract_batch([(5, line.encode())], "s.json.gz")
        assert [(n, error[: len(reason)]) for n, error, _ in done.errors] == [(5, reason)]
        assert done.files == 0
        return
    summary = extract(path, store, progress=False)
    assert summary.ok and summary.malformed_lines == 1
    assert [(m["line"], m["reason"][: len(reason)]) for m in summary.malformed_examples] == [
        (5, reason)
    ]
    assert len(summary.malformed_examples[0]["excerpt"]) <= 80
    assert sorted(f.mid for f in store.iter_worklist()) == ["M2", "M3", "M6"]


@pytest.mark.parametrize(
    "value",
    [
        '"' + "[" * 200 + '"',  # brackets in a string are text, not nesting
        '"\\\\' + "[" * 200 + '"',
        '"\\"' + "[" * 200 + '"',
        "[" * 60 + "]" * 60,  # deep, but within the bound
        "[" * 40 + '"' + "[" * 100 + '"' + "]" * 40,
    ],
)
def test_deep_looking_lines_within_the_bound_keep_their_evidence(
    tmp_path: Path, store: Store, value: str
) -> None:
    entity = h.flickr_entity("M2", "53012874401")
    entity["x"] = orjson.loads(value)
    path = h.write_snapshot(tmp_path / "s.json.gz", [entity, h.flickr_entity("M3")])
    summary = extract(path, store, progress=False)
    assert summary.malformed_lines == 0 and summary.files_with_evidence == 2


@pytest.mark.parametrize(
    "failure",
    [RecursionError("maximum recursion depth exceeded"), MemoryError(), TypeError("odd")],
)
def test_any_failure_on_a_line_is_a_malformed_line(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    """Whatever a decoder or the evidence code raises for one line, the run goes on."""

    def failing_on_m3(line: bytes) -> Any:
        if b'"M3"' in line:
            raise failure
        return evidence_from_line(line)

    monkeypatch.setattr(pipeline, "_evidence_of_line", failing_on_m3)
    lines = [h.flickr_entity(f"M{i}", str(53012874400 + i)) for i in range(2, 5)]
    path = h.write_snapshot(tmp_path / "s.json.gz", lines)
    summary = extract(path, store, progress=False)
    assert summary.ok and summary.malformed_lines == 1 and summary.files_with_evidence == 2
    [bad] = summary.malformed_examples
    assert bad["line"] == 3
    assert {
        RecursionError: NESTED,
        MemoryError: "too big to decode",
        TypeError: "could not be decoded (TypeError: odd)",
    }[type(failure)] in bad["reason"]
    done = pipeline._extract_batch([(3, h.dump_line(lines[1]).encode())], "s.json.gz")
    assert done.files == 0 and [(n, why) for n, why, _ in done.errors] == [(3, bad["reason"])]


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path, store: Store) -> None:
    full = tmp_path / "full.json.gz"
    synth.generate(full, 3000, seed=11)
    data = full.read_bytes()
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    summary = extract(cut, store, progress=False)
    assert summary.truncated and not summary.ok
    assert summary.error is not None and "truncated" in summary.error
    assert summary.files_with_evidence > 0
    assert store.count_files() == summary.inserted == summary.files_with_evidence
    complete = extract(full, Store(tmp_path / "b.db"), progress=False)
    assert complete.ok
    assert 0.5 < summary.entities_scanned / complete.entities_scanned < 0.8
    # The line cut off by the end of the stream is one malformed line at most.
    assert summary.malformed_lines <= 1


def test_corrupt_gzip_is_reported(tmp_path: Path, store: Store) -> None:
    path = h.write_snapshot(
        tmp_path / "s.json.gz", [h.flickr_entity(f"M{i}") for i in range(1, 300)]
    )
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 64):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    summary = extract(path, store, progress=False)
    assert not summary.ok and summary.error


@pytest.mark.parametrize(("fmt", "name"), [("bz2", "s.json.bz2"), ("xz", "s.json.xz")])
def test_corrupt_bz2_and_xz_are_reported(tmp_path: Path, store: Store, fmt: str, name: str) -> None:
    lines = [h.flickr_entity(f"M{i}", str(53012874400 + i)) for i in range(1, 300)]
    path = h.write_snapshot(tmp_path / name, lines, fmt)
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 64):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    summary = extract(path, store, progress=False)
    assert not summary.ok and summary.error is not None and "input unreadable" in summary.error


def test_plain_snapshot_without_closing_bracket_is_truncated(tmp_path: Path, store: Store) -> None:
    text = h.dump_text([h.flickr_entity("M1"), h.flickr_entity("M2")])
    path = h.write_snapshot(tmp_path / "s.json", [], "plain", text=text[: text.rfind(b"\n]")])
    summary = extract(path, store, progress=False)
    assert summary.truncated and "does not end with ']'" in (summary.error or "")
    assert summary.files_with_evidence == 2


def test_multi_member_gzip_and_multi_stream_bz2_are_read_to_the_end(tmp_path: Path) -> None:
    first = h.dump_text([h.flickr_entity("M1")])
    second = h.dump_text([h.flickr_entity("M2", "53012874455")])
    text = first[: first.rfind(b"\n]")] + b",\n" + second[2:]
    gz = tmp_path / "m.json.gz"
    gz.write_bytes(gzip.compress(text[:100], mtime=0) + gzip.compress(text[100:], mtime=0))
    bz = tmp_path / "m.json.bz2"
    bz.write_bytes(bz2.compress(text[:100]) + bz2.compress(text[100:]))
    xz = tmp_path / "m.json.xz"
    xz.write_bytes(lzma.compress(text[:100]) + lzma.compress(text[100:]))
    for path in (gz, bz, xz):
        scanner = SnapshotScanner(path)
        assert [e["id"] for _, e in scanner] == ["M1", "M2"]
        assert scanner.stats.error is None


def test_nul_padding_after_the_last_gzip_member_is_ignored(tmp_path: Path) -> None:
    text = h.dump_text([h.flickr_entity("M1"), h.flickr_entity("M2", "53012874455")])
    path = tmp_path / "padded.json.gz"
    path.write_bytes(gzip.compress(text, mtime=0) + b"\0" * 5000)
    scanner = SnapshotScanner(path)
    assert [e["id"] for _, e in scanner] == ["M1", "M2"]
    assert scanner.stats.error is None


@pytest.mark.parametrize(
    ("tail", "what"),
    [(b"trailing garbage", "unreadable"), (b"\x1f\x8b\x08", "truncated")],
)
def test_bytes_after_the_last_member_must_be_a_member(
    tmp_path: Path, store: Store, tail: bytes, what: str
) -> None:
    text = h.dump_text([h.flickr_entity("M1")])
    path = tmp_path / "tail.json.gz"
    path.write_bytes(gzip.compress(text, mtime=0) + tail)
    summary = extract(path, store, progress=False)
    assert not summary.ok and summary.error is not None and f"input {what}" in summary.error
    assert summary.files_with_evidence == 1  # what came before is kept


def test_a_wrong_gzip_checksum_is_reported(tmp_path: Path, store: Store) -> None:
    data = bytearray(gzip.compress(h.dump_text([h.flickr_entity("M1")]), mtime=0))
    data[-8] ^= 0xFF  # the CRC32 in the member's trailer
    path = tmp_path / "crc.json.gz"
    path.write_bytes(bytes(data))
    summary = extract(path, store, progress=False)
    assert not summary.ok and summary.error is not None and "checksum" in summary.error.lower()


@pytest.mark.parametrize("fmt", ["gzip", "bz2", "xz"])
def test_a_cut_stream_yields_every_byte_decompressed_before_the_cut(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = h.dump_text([h.flickr_entity(f"M{i}", str(50000000000 + i)) for i in range(1, 400)])
    packed = {"gzip": partial(gzip.compress, mtime=0), "bz2": bz2.compress, "xz": lzma.compress}[
        fmt
    ](text)
    cut = packed[: len(packed) * 3 // 4]
    reference = {
        "gzip": zlib.decompressobj(31).decompress,
        "bz2": bz2.BZ2Decompressor().decompress,
        "xz": lzma.LZMADecompressor().decompress,
    }[fmt](cut)
    monkeypatch.setattr(reading, "CHUNK_SIZE", 1000)
    monkeypatch.setattr(reading, "INPUT_SIZE", 777)
    path = tmp_path / "cut.json"
    path.write_bytes(cut)
    pos = reading._Progress()
    pieces: list[bytes] = []
    with path.open("rb") as raw, pytest.raises(reading.TruncatedInput):
        for piece in reading._inflate(raw, fmt, pos):  # type: ignore[arg-type]
            assert len(piece) <= 1000
            pieces.append(piece)
    got = b"".join(pieces)
    # ISA-L and zlib may stop at different points inside the last deflate block.
    assert reference.startswith(got) or got.startswith(reference)
    assert len(got) >= len(reference) - 64 * 1024
    assert pos.decompressed == len(got) and pos.compressed == len(cut)


GOOD_TEXT = h.dump_text([h.flickr_entity("M1")])


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        ("empty.json.gz", b"", EmptySnapshot, "the file is empty (0 bytes)"),
        ("empty.json", b"", EmptySnapshot, "the file is empty"),
        ("s.json.gz", GOOD_TEXT, FormatMismatch, "named .gz but its content is plain JSON"),
        ("s.json.gz", bz2.compress(GOOD_TEXT), FormatMismatch, "rename it to s.json.bz2"),
        ("s.json.bz2", gzip.compress(GOOD_TEXT), FormatMismatch, "is gzip-compressed"),
        ("s.json", gzip.compress(GOOD_TEXT), FormatMismatch, "not plain JSON: rename it to"),
        ("s.json.gz", b"<!DOCTYPE html><title>503</title>", FormatMismatch, "not a snapshot"),
        ("s.json.xz", bz2.compress(GOOD_TEXT), FormatMismatch, "rename it to s.json.bz2 if"),
        ("s.json.gz", GOOD_TEXT, FormatMismatch, "rename it to s.json if that is what it is"),
        ("s.json", gzip.compress(GOOD_TEXT), FormatMismatch, "rename it to s.json.gz if"),
        ("s.jsonl", gzip.compress(GOOD_TEXT), FormatMismatch, "rename it to s.jsonl.gz if"),
        ("s.json.zst", b"\x28\xb5\x2f\xfd" + b"\0" * 20, UnsupportedFormat, "zstd -d"),
        ("s.zip", b"PK\x03\x04" + b"\0" * 20, UnsupportedFormat, "unzip it first"),
        ("s.json.gz", b"PK\x03\x04" + b"\0" * 20, UnsupportedFormat, "a zip archive"),
        ("s.part", b"<html>Service unavailable", UnsupportedFormat, "not a JSON snapshot"),
        ("s.part", b"\0" * 4096, UnsupportedFormat, "bytes 00 00 00"),
    ],
)
def test_inputs_refused_before_reading(
    tmp_path: Path, store: Store, name: str, content: bytes, error: type, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error, match=re.escape(message)) as raised:
        extract(path, store, progress=False)
    assert isinstance(raised.value, SnapshotError) and raised.value.exit_code == 1
    assert str(path) in str(raised.value)
    with pytest.raises(error):
        open_snapshot(path)
    assert store.count_files() == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("nothing.json.gz", gzip.compress(b"", mtime=0)),
        ("nothing.json.bz2", bz2.compress(b"")),
        ("blank.json", b"\n\n  \n"),
    ],
)
def test_a_snapshot_that_decompresses_to_nothing_is_an_error(
    tmp_path: Path, store: Store, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    summary = extract(path, store, progress=False)
    assert not summary.ok and summary.error is not None and "no data" in summary.error


def test_a_missing_file(tmp_path: Path, store: Store) -> None:
    with pytest.raises(SnapshotError, match="no such snapshot file"):
        extract(tmp_path / "missing.json.gz", store, progress=False)


def test_a_line_longer_than_a_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = h.flickr_entity("M1", caption="x" * 50_000)
    path = h.write_snapshot(
        tmp_path / "s.json.gz", [h.plain_entity("M0"), big, h.flickr_entity("M2")]
    )
    monkeypatch.setattr(reading, "CHUNK_SIZE", 4096)
    assert [(n, e["id"]) for n, e in SnapshotScanner(path)] == [(3, "M1"), (4, "M2")]


@pytest.mark.parametrize(
    ("long_line", "last"),
    [
        (b"\0" * 300_000, False),  # a hole of NULs in a damaged file: no newline at all
        (b'{"type":"mediainfo","id":"M3","labels":"flickr' + b"x" * 300_000 + b'"},', False),
        (b"garbage " * 40_000, True),  # the last line, without a newline
    ],
)
@pytest.mark.parametrize("threaded", [True, False])
def test_a_line_longer_than_the_limit_is_dropped_as_it_is_read(
    tmp_path: Path,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    long_line: bytes,
    last: bool,
    threaded: bool,
) -> None:
    monkeypatch.setattr(reading, "CHUNK_SIZE", 4096)
    monkeypatch.setattr(reading, "MAX_LINE_BYTES", 50_000)
    good = [h.dump_line(h.flickr_entity(f"M{i}", str(53012874400 + i))).encode() for i in (1, 2)]
    text = (
        b"[\n"
        + good[0]
        + b",\n"
        + (good[1] + b",\n" + long_line if last else long_line + b"\n" + good[1] + b"\n]\n")
    )
    path = tmp_path / "s.json"
    path.write_bytes(text)
    scanner = SnapshotScanner(path, threaded=threaded)
    tracemalloc.start()
    try:
        found = [entity["id"] for _, entity in scanner]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found == ["M1", "M2"]
    [bad] = scanner.stats.malformed_examples
    assert bad.line == (4 if last else 3)
    assert bad.reason == "line too long (over 50,000 bytes), dropped while read"
    assert "bytes or more, the limit is 50,000>" in bad.excerpt
    assert peak < 10 * 4096 + 4 * 50_000 < len(long_line)  # never the whole line


# --------------------------------------------------------------------------- real and synthetic data


def test_real_slice_has_no_flickr_evidence(
    tmp_path: Path, store: Store, decoded: list[str]
) -> None:
    if not REAL_SLICE.is_file():
        pytest.skip(f"{REAL_SLICE} not available")
    summary = extract(REAL_SLICE, store, progress=False)
    assert summary.format == "bz2"
    assert summary.entities_scanned == 2
    assert summary.candidates_decoded == 0 and decoded == []
    assert summary.files_with_evidence == 0 and summary.inserted == 0
    assert summary.malformed_lines == 0 and summary.ok
    assert summary.snapshot_date == "2023-12-07"


@pytest.mark.parametrize("fmt", [".json.gz", ".json.bz2", ".json"])
def test_generated_snapshot_counts_match_the_generator(
    tmp_path: Path, store: Store, fmt: str
) -> None:
    path = tmp_path / f"commons-20251101-mediainfo{fmt}"
    stats = synth.generate(path, 1500, seed=7, malformed=6)
    summary = extract(path, store, progress=False)
    assert summary.entities_scanned == stats.entities
    assert summary.files_with_evidence == stats.flickr_files
    assert summary.by_source == {k: stats.by_source.get(k, 0) for k in summary.by_source}
    assert summary.multi_photo == stats.multi_photo
    assert summary.user_only == stats.user_only
    assert summary.with_p12120 == stats.with_p12120
    assert summary.malformed_lines == stats.malformed
    assert [m["line"] for m in summary.malformed_examples] == stats.malformed_lines
    assert summary.candidates_decoded >= stats.flickr_files + stats.caption_only
    assert summary.decompressed_bytes == stats.uncompressed_bytes
    assert store.count_files() == stats.flickr_files


# --------------------------------------------------------------------------- upserts and titles


def test_newer_snapshot_upserts_and_keeps_processing_state(tmp_path: Path, store: Store) -> None:
    old = h.write_snapshot(
        tmp_path / "commons-20251101-mediainfo.json.gz",
        [
            h.flickr_entity("M1", "52810336619", revid=100),
            h.flickr_entity("M2", "53012874455", revid=200),
            h.plain_entity("M3"),
        ],
    )
    first = extract(old, store, progress=False)
    assert (first.inserted, first.updated) == (2, 0)
    row = store.get_file("M1")
    assert row is not None
    store.record_outcome(
        row.id, FileStatus.EDITED, run_id=None, checked_revid=100, edited_revid=101
    )

    # A month later: M1 now has P12120 (our edit), M2 a second photo, M3 became a Flickr
    # file, M4 is new.
    m1 = h.flickr_entity("M1", "52810336619", revid=101)
    m1["statements"]["P12120"] = [h.statement("M1", h.string("P12120", "52810336619"))]
    m2 = h.flickr_entity("M2", "53012874455", revid=201)
    m2["statements"]["P7482"].append(
        h.source("M2", ("P973", "https://www.flickr.com/photos/harbourlight/53012874456/"))
    )
    new = h.write_snapshot(
        tmp_path / "commons-20251201-mediainfo.json.gz",
        [m1, m2, h.flickr_entity("M3", "51438862021"), h.flickr_entity("M4", "54021875530")],
    )
    second = extract(new, store, progress=False)
    assert (second.inserted, second.updated) == (2, 2)
    assert store.count_files() == 4
    row = store.get_file("M1")
    assert row is not None
    assert row.status == FileStatus.EDITED and row.edited_revid == 101  # kept
    assert row.has_p12120 and row.evidence_sources == ["P12120", "P7482.P973"]
    row2 = store.get_file("M2")
    assert row2 is not None and row2.photo_ids == ["53012874455", "53012874456"]
    assert row2.status == FileStatus.PENDING
    snap = store.conn.execute(
        "SELECT snapshot_name, snapshot_revid FROM files WHERE mid='M1'"
    ).fetchone()
    assert snap == ("commons-20251201-mediainfo.json.gz", 101)


def test_titles_without_a_snapshot(store: Store) -> None:
    summary = extract(
        None,
        store,
        titles=[
            "File:Harbour at dusk (52810336619).jpg",
            "Lighthouse_on_the_breakwater.jpg",
            "  ",
            "",
        ],
    )
    assert summary.titles_added == 2 and summary.snapshot is None and summary.ok
    rows = list(store.iter_worklist())
    assert [r.title for r in rows] == [
        "File:Harbour at dusk (52810336619).jpg",
        "File:Lighthouse on the breakwater.jpg",
    ]
    assert all(r.origin == "titles" and r.mid is None for r in rows)
    assert "files added by title" in summary.format_text()


def test_titles_are_merged_with_the_snapshot_row(tmp_path: Path, store: Store) -> None:
    title = "File:Harbour at dusk (52810336619).jpg"
    path = h.write_snapshot(tmp_path / "s.json.gz", [h.flickr_entity("M1", title=title)])
    summary = extract(path, store, titles=[title], progress=False)
    assert summary.titles_added == 1 and summary.updated == 1 and summary.inserted == 0
    rows = list(store.iter_worklist())
    assert len(rows) == 1 and rows[0].mid == "M1" and rows[0].photo_ids == ["52810336619"]


# --------------------------------------------------------------------------- summary, progress


def test_summary_json_and_text(tmp_path: Path, store: Store) -> None:
    path = h.write_snapshot(tmp_path / "commons-20251101-mediainfo.json.gz", mixed_lines())
    summary = extract(path, store, progress=False)
    data = summary.to_json()
    for key in (
        "entities_scanned",
        "candidates_decoded",
        "files_with_evidence",
        "by_source",
        "multi_photo",
        "user_only",
        "with_p12120",
        "malformed_lines",
        "inserted",
        "updated",
        "mb_per_s",
        "wall_seconds",
        "decompressed_bytes",
        "ok",
    ):
        assert key in data
    assert data["snapshot_date"] == "2025-11-01" and data["format"] == "gzip"
    orjson.dumps(data)  # serialisable
    text = summary.format_text()
    assert "entities scanned" in text and "11" in text and "MB/s" in text
    assert isinstance(ExtractSummary().format_text(), str)


def test_snapshot_date() -> None:
    assert snapshot_date(Path("commons-20251101-mediainfo.json.gz")) == "2025-11-01"
    assert snapshot_date(Path("dump.json")) is None


def test_progress_bar_on_request(
    tmp_path: Path, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    path = h.write_snapshot(tmp_path / "s.json.gz", mixed_lines())
    extract(path, store, progress=True)
    assert "extract" in capsys.readouterr().err


def test_progress_log_lines_when_not_on_a_terminal(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "s.json.gz"
    synth.generate(path, 200, seed=2)
    monkeypatch.setattr(reading, "CHUNK_SIZE", 50_000)
    with caplog.at_level(logging.INFO, logger="bot.extract.snapshot"):
        extract(path, store, progress=None, progress_interval=0.0)
    lines = [r.getMessage() for r in caplog.records if "entities" in r.getMessage()]
    assert len(lines) > 3
    assert "MB read" in lines[0] and "with Flickr evidence" in lines[0]


def test_bundled_sample_snapshot(tmp_path: Path, store: Store) -> None:
    sample = ROOT / "bot" / "standins" / "sample" / "commons-20251101-mediainfo.json.gz"
    make = _load("make_sample", ROOT / "bot" / "standins" / "sample" / "make_sample.py")
    copy = shutil.copy(sample, tmp_path / sample.name)
    assert make.build()[0] == gzip.decompress(Path(copy).read_bytes())  # reproducible
    summary = extract(Path(copy), store, progress=False)
    assert summary.entities_scanned == 40
    assert summary.malformed_lines == 1
    assert summary.files_with_evidence == len(make.FLICKR_CASES)
    for case in make.FLICKR_CASES:
        row = store.get_file(case["mid"])
        assert row is not None, case["mid"]
        assert row.photo_ids == case["photo_ids"]
        assert row.title == case["title"]
        nsid, alias = case["owner"]
        assert row.owner_nsid in (nsid, None) and row.owner_alias in (alias, None)
    for case in make.NOT_EVIDENCE:
        assert store.get_file(case["mid"]) is None


# --------------------------------------------------------------------------- worker processes


def test_a_worker_process_gives_the_same_result(tmp_path: Path) -> None:
    path = tmp_path / "commons-20251101-mediainfo.json.gz"
    synth.generate(path, 1200, seed=13, malformed=6)
    alone = extract(path, Store(tmp_path / "a.db"), progress=False, workers=0)
    pooled = extract(path, Store(tmp_path / "b.db"), progress=False, workers=1)
    assert pooled.workers == 1 and alone.workers == 0
    ignore = {"wall_seconds": 0, "mb_per_s": 0, "workers": 0}
    assert pooled.to_json() | ignore == alone.to_json() | ignore
    assert [m["line"] for m in pooled.malformed_examples] == sorted(
        m["line"] for m in pooled.malformed_examples
    )
    a, b = Store(tmp_path / "a.db"), Store(tmp_path / "b.db")
    assert [(r.mid, r.photo_ids, r.evidence) for r in a.iter_worklist()] == [
        (r.mid, r.photo_ids, r.evidence) for r in b.iter_worklist()
    ]


def test_default_workers_follow_usable_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    big = pipeline.WORKER_MIN_BYTES
    monkeypatch.setattr(pipeline, "usable_cpus", lambda: 4)
    assert pipeline.default_workers(big) == 1
    assert pipeline.default_workers(big - 1) == 0  # not worth a start-up
    for cpus in (1, 2):  # the reading thread and the scanner keep two busy already
        monkeypatch.setattr(pipeline, "usable_cpus", lambda cpus=cpus: cpus)
        assert pipeline.default_workers(big) == 0


def test_usable_cpus_respects_a_cgroup_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "_cgroup_cpu_quota", lambda: 1.5)
    assert pipeline.usable_cpus() == 1
    monkeypatch.setattr(pipeline, "_cgroup_cpu_quota", lambda: None)
    assert pipeline.usable_cpus() >= 1
