"""Finding the candidate lines of a snapshot: the marker search and the line loop.

No line is decoded unless its raw bytes hold a marker (:data:`MARKERS`), found in one
Hyperscan pass per chunk (``bytes.find`` per marker is the fallback); every line is still
counted and checked for shape by :class:`SnapshotScanner`'s tight loop.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

from bot.core.evidence import (
    MalformedEntity,
    check_nesting,
    decode_line,
    entity_mid,
    undecodable,
)
from bot.extract.reading import (
    HEAD_BYTES,
    CorruptInput,
    Format,
    SnapshotError,
    TruncatedInput,
    _inflate,
    _not_an_entity,
    _Progress,
    _Segment,
    _segments,
    _ThreadedChunks,
    check_format,
)

# One logger for the whole extract, under the name the CLI turns up for --progress.
log = logging.getLogger("bot.extract.snapshot")

# A line can hold Flickr evidence only if it contains one of these: every Flickr host
# has "lickr" (flickr.com, staticflickr.com) or is flic.kr, in any case (the URL parser
# reads hosts case-insensitively: "www.FLickr.com"); P12120 and P3267 values are bare
# ids, matched as written. Captions that say "Flickr" pass too (they are decoded and
# give no evidence): cheap, and nothing slips through. (A host the parser only reads as
# Flickr's once decoded, "fl%69ckr.com" or full-width letters, which the dump writes as
# "\\uff46...", has no marker: a pattern for those cost ~0.14 s per 400 MB of small
# entities, for a form no upload tool writes.) "P687" (BHL page id) lets in files that
# name no Flickr photo but a BHL page (BHL reverse matching).
CASELESS_MARKERS: Final = (b"lickr", b"flic.kr")
MARKERS: Final = (*CASELESS_MARKERS, b"P12120", b"P3267", b"P687")

SWITCH_INTERVAL: Final = 0.0005  # seconds; CPython's default is 0.005
EXCERPT_CHARS: Final = 80
LOGGED_MALFORMED: Final = 100  # malformed lines logged one by one; the rest are counted
KEPT_MALFORMED: Final = 20  # malformed lines listed in the summary

_decode = decode_line  # module attributes so tests can count decodes


@dataclass(slots=True)
class MalformedLine:
    """A line that could not be used, for the log and the summary."""

    line: int
    reason: str
    excerpt: str


@dataclass(slots=True)
class ScanStats:
    """What the scanner saw; updated as it goes."""

    entities: int = 0  # entity lines (every line but "[", "]" and blank ones)
    candidates: int = 0  # lines that had a marker and were decoded
    malformed: int = 0
    malformed_examples: list[MalformedLine] = field(default_factory=list)
    lines: int = 0
    compressed_bytes: int = 0
    decompressed_bytes: int = 0
    truncated: bool = False
    error: str | None = None


def _excerpt(line: bytes) -> str:
    if len(line) > 8 * EXCERPT_CHARS:  # a huge line is not decoded whole for 80 characters
        line = line[: 4 * EXCERPT_CHARS] + b" ... " + line[-4 * EXCERPT_CHARS :]
    text = line.decode("utf-8", "replace")
    if len(text) <= EXCERPT_CHARS:
        return text
    return f"{text[: EXCERPT_CHARS - 24]} … {text[-20:]}"


def _starts_python(buf: bytes, start: int, end: int) -> list[int]:
    """Offsets of the lines in ``buf[start:end]`` that contain a marker (``bytes.find``),
    in order.

    ``start`` is 0 or follows a newline, so ``rfind`` never looks into a line before it.
    """
    rfind = buf.rfind
    nl = buf.find
    starts: set[int] = set()
    lowered = buf.lower()  # the same offsets (ASCII only); the fallback can pay a copy
    for marker in MARKERS:
        find = lowered.find if marker in CASELESS_MARKERS else buf.find
        hit = find(marker, start, end)
        while hit >= 0:
            starts.add(rfind(b"\n", 0, hit) + 1)
            hit = find(marker, nl(b"\n", hit, end) + 1, end)
    return sorted(starts)


def _compile_markers() -> Any:
    """A Hyperscan database that matches, once per line, from the first marker of
    :data:`MARKERS` in a line to its newline: one pass over a chunk (several GB/s, the
    GIL released) reports each candidate line once, at its end (Hyperscan reports a
    pattern at most once per end offset), so no Python runs per marker. None to search
    with ``bytes.find`` (Hyperscan not installed, or ``BACKFILL_SCAN_PURE_PYTHON`` set)."""
    if os.environ.get("BACKFILL_SCAN_PURE_PYTHON"):
        return None
    try:
        import hyperscan
    except ImportError:  # pragma: no cover (a declared dependency)
        return None
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)

    def alternatives(markers: tuple[bytes, ...]) -> bytes:
        return b"|".join(re.escape(m.decode()).encode() for m in markers)

    caseless = alternatives(CASELESS_MARKERS)
    exact = alternatives(tuple(m for m in MARKERS if m not in CASELESS_MARKERS))
    expression = b"(?:(?i:" + caseless + b")|" + exact + b")[^\n]*\n"
    database.compile(expressions=[expression], ids=[0], flags=[0])
    return database


_markers_db = _compile_markers()


def _starts_hyperscan(buf: bytes, start: int, end: int) -> list[int]:
    """As :func:`_starts_python`, in one Hyperscan pass over ``buf[start:end]`` (whose
    lines all end with a newline)."""
    ends: list[int] = []
    add = ends.append
    _markers_db.scan(
        memoryview(buf)[start:end], match_event_handler=lambda _i, _f, to, _fl, _c: add(to)
    )
    rfind = buf.rfind
    starts: list[int] = []
    last = -1
    for rel in ends:  # in order of their end offset, one per line
        if rel != last:
            starts.append(rfind(b"\n", 0, start + rel - 1) + 1)  # start follows a newline
            last = rel
    return starts


_candidate_starts = _starts_hyperscan if _markers_db is not None else _starts_python


class SnapshotScanner:
    """One pass over a snapshot: ``iter(scanner)`` gives ``(line number, entity)`` for the
    candidate entities, ``scanner.iter_candidates()`` the candidate lines undecoded.

    ``stats`` is filled in while iterating. ``on_chunk`` is called after every chunk
    (progress display). ``threaded=False`` decompresses in the calling thread.
    """

    def __init__(
        self,
        path: Path,
        *,
        threaded: bool = True,
        on_chunk: Callable[[ScanStats], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.threaded = threaded
        self.on_chunk = on_chunk
        self.stats = ScanStats()
        self.total_compressed = 0
        self.format: Format = "plain"
        self._line_no = 0
        self._first: bytes | None = None  # first and last non-blank lines ("[" / "]")
        self._last: bytes | None = None

    def record_malformed(self, line_no: int, reason: str, line: bytes) -> None:
        """Count, keep (the first few) and log (the first many) one unusable line."""
        stats = self.stats
        stats.malformed += 1
        record = MalformedLine(line_no, reason, _excerpt(line))
        if len(stats.malformed_examples) < KEPT_MALFORMED:
            stats.malformed_examples.append(record)
        if stats.malformed <= LOGGED_MALFORMED:
            log.warning("%s: line %d: %s: %s", self.path.name, line_no, reason, record.excerpt)
        if stats.malformed == LOGGED_MALFORMED:
            log.warning("%s: further malformed lines are counted but not logged", self.path.name)

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(line number, entity)`` for each candidate line that decodes to an entity."""
        for line_no, line in self.iter_candidates():
            try:
                check_nesting(line)
                entity = _decode(line)
                entity_mid(entity)
            except orjson.JSONDecodeError as exc:
                self.record_malformed(line_no, f"invalid JSON ({exc})", line)
            except MalformedEntity as exc:
                self.record_malformed(line_no, str(exc), line)
            except Exception as exc:  # RecursionError, MemoryError: the line, not the run
                self.record_malformed(line_no, str(undecodable(exc)), line)
            else:
                yield line_no, entity

    def iter_candidates(self) -> Iterator[tuple[int, bytes]]:
        """``(line number, line)`` for each line with a marker, not decoded (without the
        comma after it). Every other line is counted and checked for shape here."""
        try:
            raw = open(self.path, "rb")  # noqa: SIM115 (closed in finally)
        except OSError as exc:
            raise SnapshotError(f"cannot open {self.path}: {exc.strerror or exc}") from exc
        pos = _Progress()
        segments: Iterable[_Segment]
        threaded: _ThreadedChunks | None = None
        switch_interval = sys.getswitchinterval()
        try:
            self.format = check_format(self.path, raw.read(HEAD_BYTES))
            raw.seek(0)
            self.total_compressed = self.path.stat().st_size
            source = _segments(_inflate(raw, self.format, pos))
            if self.threaded:
                # The reader needs the GIL for a moment after each few MB it inflates;
                # a busy scanner thread would make it wait the whole switch interval.
                sys.setswitchinterval(min(switch_interval, SWITCH_INTERVAL))
                threaded = _ThreadedChunks(source)
                segments = threaded
            else:
                segments = source
            stats = self.stats
            it = iter(segments)
            while True:
                try:
                    segment = next(it)
                except StopIteration:
                    break
                except (TruncatedInput, CorruptInput, OSError) as exc:
                    what = "truncated" if isinstance(exc, TruncatedInput) else "unreadable"
                    stats.truncated = True
                    stats.error = (
                        f"input {what}: {exc} (after {pos.decompressed:,} decompressed "
                        f"bytes, at line {self._line_no + 1})"
                    )
                    break
                buf, start, end = segment
                stats.compressed_bytes = pos.compressed
                stats.decompressed_bytes += end - start
                yield from self._scan(buf, start, end, _candidate_starts(buf, start, end))
                if self.on_chunk is not None:
                    self.on_chunk(stats)
            stats.compressed_bytes = pos.compressed
            if stats.error is None and self._first is None:
                stats.error = (
                    f"no data: the snapshot decompresses to nothing ({pos.compressed:,} bytes read)"
                )
            if stats.error is None and self._first == b"[" and self._last != b"]":
                stats.truncated = True
                stats.error = (
                    f"the snapshot does not end with ']' (last line {self._line_no}):"
                    " it looks truncated"
                )
            if self.on_chunk is not None:
                self.on_chunk(stats)
        finally:
            if threaded is not None:
                threaded.close()
                sys.setswitchinterval(switch_interval)
            raw.close()

    def _scan(
        self, buf: bytes, start: int, end: int, starts: list[int]
    ) -> Iterator[tuple[int, bytes]]:
        """Every line in ``buf[start:end]`` (``end`` follows a newline, and so does ``start``
        unless it is 0); ``starts`` are the offsets of its candidate lines, in order.

        The hot loop of the extractor: for the lines between two candidates it only finds
        the next newline (``memchr``) and looks at three bytes; anything that is not an
        ordinary ``{...}`` / ``{...},`` line goes to :meth:`_odd_line`. Until the first
        non-blank line is seen (the ``[``), lines go through :meth:`_scan_first`.
        """
        if self._first is None:
            yield from self._scan_first(buf, start, end, starts)
            return
        find = buf.find
        stats = self.stats
        line_no = self._line_no
        entities = 0
        last = self._last
        pos = start
        for cand in (*starts, end):
            while pos < cand:
                nl = find(b"\n", pos, end)
                line_no += 1
                k = nl - 1
                if buf[k] == 0x2C:  # the comma after an entity
                    k -= 1
                if buf[pos] == 0x7B and buf[k] == 0x7D:  # "{" ... "}"
                    entities += 1
                    last = b"{"
                else:
                    kind = self._odd_line(line_no, buf[pos:nl])
                    if kind is not None:
                        last = kind
                        entities += kind == b"{"
                pos = nl + 1
            if cand >= end:
                break
            nl = find(b"\n", pos, end)
            line_no += 1
            stop = nl
            if stop > pos and buf[stop - 1] == 0x0D:  # \r\n
                stop -= 1
            if stop > pos and buf[stop - 1] == 0x2C:
                stop -= 1
            entities += 1
            stats.candidates += 1
            self._line_no = line_no
            last = b"{"
            yield line_no, buf[pos:stop]
            pos = nl + 1
        self._last = last
        self._line_no = line_no
        stats.lines = line_no
        stats.entities += entities

    def _odd_line(self, line_no: int, line: bytes) -> bytes | None:
        """Check a line that is not a plain entity line (CRLF endings, ``[``, ``]``, blank,
        damaged); returns what it is (``b"{"`` for an entity or a damaged line, which
        counts as one; ``b"["`` / ``b"]"``) or None for a blank line."""
        if line[:1] == b"{":
            k = len(line) - 1
            if line[k] == 0x0D:
                k -= 1
            if line[k] == 0x2C:
                k -= 1
            if line[k] != 0x7D:  # "}"
                self.record_malformed(line_no, "truncated or garbled line (no closing '}')", line)
            return b"{"
        text = line.strip()
        if text.endswith(b","):
            text = text[:-1].rstrip()
        if text in (b"[", b"]"):
            return text
        if text:
            self.record_malformed(line_no, _not_an_entity(text), line)
            return b"{"
        return None

    def _scan_first(
        self, buf: bytes, start: int, end: int, offsets: list[int]
    ) -> Iterator[tuple[int, bytes]]:
        """:meth:`_scan` for the lines up to the first non-blank one, which it records."""
        starts = set(offsets)
        find = buf.find
        stats = self.stats
        line_no = self._line_no
        pos = start
        entities = 0
        last = self._last
        first_pending = self._first is None
        while pos < end:
            nl = find(b"\n", pos, end)
            line_no += 1
            if pos in starts:
                stop = nl
                if stop > pos and buf[stop - 1] == 0x0D:  # \r\n
                    stop -= 1
                if stop > pos and buf[stop - 1] == 0x2C:  # the comma after an entity
                    stop -= 1
                entities += 1
                stats.candidates += 1
                self._line_no = line_no
                last = b"{"
                yield line_no, buf[pos:stop]
            elif buf[pos] == 0x7B:  # "{": the common case, kept short
                entities += 1
                k = nl - 1
                if buf[k] == 0x0D:
                    k -= 1
                if buf[k] == 0x2C:
                    k -= 1
                if buf[k] != 0x7D:  # "}"
                    self.record_malformed(
                        line_no, "truncated or garbled line (no closing '}')", buf[pos:nl]
                    )
                last = b"{"
            else:
                text = buf[pos:nl].strip()
                if text.endswith(b","):
                    text = text[:-1].rstrip()
                if text in (b"[", b"]"):
                    last = text
                elif text:
                    entities += 1
                    self.record_malformed(line_no, _not_an_entity(text), buf[pos:nl])
                    last = b"{"
            if first_pending and last is not None:
                self._first = last
                first_pending = False
            pos = nl + 1
        self._last = last
        self._line_no = line_no
        stats.lines = line_no
        stats.entities += entities


def iter_candidate_entities(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, entity)`` for every entity whose line has a Flickr marker."""
    return iter(SnapshotScanner(path))
