"""Stream a Commons mediainfo snapshot and write the Flickr worklist.

The snapshot (``commons-YYYYMMDD-mediainfo.json.gz``, also ``.bz2``, ``.xz`` or plain;
the compression is read from the magic bytes, and must agree with the name: see
:func:`check_format`) is a JSON array with one entity per line:
``[``, then ``{...},`` lines, the last entity without its comma, then ``]``. It is
hundreds of GB decompressed and about 90% of its entities have nothing to do with
Flickr, so the work is arranged around bytes:

- Decompression runs in a thread: ISA-L's and bz2's decompressors drop the GIL while
  they inflate a few MB per call, so it overlaps with the scanning.
- The scanner decodes no line unless its raw bytes contain a marker (:data:`MARKERS`):
  a line without one cannot hold Flickr evidence. All markers are found in one
  Hyperscan pass over each decompressed chunk (several GB/s, the GIL released;
  ``bytes.find`` per marker is the fallback); only candidate lines are cut out and
  decoded, and only as far as evidence needs (:func:`bot.core.evidence.evidence_from_line`).
- Every line is still counted and checked for shape (``{`` ... ``}`` or ``},``), so a
  truncated or garbled line is reported with its number even if it is never decoded:
  a tight loop finds each newline (``memchr``) and looks at three bytes. (A well-shaped
  non-candidate line with bad JSON inside goes unseen: it could not hold evidence.)
- Rows go to the store in big transactions (``STORE_BATCH``); into an empty worklist
  its indexes are built once at the end (:meth:`bot.store.Store.bulk_load`).
- On three or more CPUs, a worker process (``workers=1``) finds the evidence of the
  candidate lines and writes their rows itself, while this process decompresses and
  scans. On two, the scanner and the decompressing thread already keep both busy, and
  the worker's start and the shipping of lines cost more than it saves (measured:
  ``benchmarks/bench_extract.py --workers 1``).

A malformed line is counted, logged with its line number and an excerpt, and skipped,
whatever is wrong with it: bad JSON, not an entity, nested deeper than
:data:`bot.core.evidence.MAX_NESTING` (refused before decoding), or any failure of the
decoders (recursion, memory); a line over :data:`MAX_LINE_BYTES` is dropped while it
is read. An empty file, or one whose content is not what its name says, is refused
before anything is read (:class:`SnapshotError`).
A compressed stream that ends early is reported as truncated; everything read before
it is kept (the rows are committed) and the CLI exits non-zero. Memory stays flat: a
few chunks of ``CHUNK_SIZE`` in flight, store writes in batches.
"""

from __future__ import annotations

import bz2
import gc
import logging
import lzma
import multiprocessing
import multiprocessing.context
import os
import queue
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, Final, Literal, cast

import orjson
from isal import igzip, igzip_lib

from bot.core.errors import InputInvalid
from bot.core.evidence import (
    SOURCES,
    FileEvidence,
    MalformedEntity,
    check_nesting,
    decode_line,
    entity_mid,
    evidence_from_line,
    undecodable,
)
from bot.store import Store

log = logging.getLogger(__name__)

# A line can hold Flickr evidence only if it contains one of these: every Flickr host
# has "lickr" (flickr.com, staticflickr.com) or is flic.kr; P12120 and P3267 values
# are bare ids. "LICKR" catches upper-case hosts. Captions that say "Flickr" pass too
# (they are decoded and give no evidence): cheap, and nothing slips through.
MARKERS: Final = (b"lickr", b"flic.kr", b"P12120", b"P3267", b"LICKR")

CHUNK_SIZE: Final = 4 << 20  # decompressed bytes handed to the scanner at a time (at most)
INPUT_SIZE: Final = 1 << 20  # compressed bytes read from the file at a time
SWITCH_INTERVAL: Final = 0.0005  # seconds; CPython's default is 0.005
QUEUE_DEPTH: Final = 4  # chunks buffered between the threads (memory: depth × chunk)
EXCERPT_CHARS: Final = 80
LOGGED_MALFORMED: Final = 100  # malformed lines logged one by one; the rest are counted
KEPT_MALFORMED: Final = 20  # malformed lines listed in the summary
# Candidate lines sent to a worker process at a time: it writes their rows in one
# transaction, so a batch is big enough (thousands of rows) to make the commit cheap.
BATCH_BYTES: Final = 8 << 20
STORE_BATCH: Final = 10_000  # worklist rows per transaction (without a worker)
WORKER_MIN_BYTES: Final = 64 << 20  # smaller snapshots are not worth starting a worker
# Wikibase stores an entity of at most a few MB (maxSerializedEntitySize); even escaped
# in the dump that is far below this. A longer "line" (a run of garbage or NULs without
# a newline, say) is dropped as it is read, so memory stays bounded; its place in the
# line count is kept by a stand-in line that is reported as malformed.
MAX_LINE_BYTES: Final = 64 << 20

Format = Literal["gzip", "bz2", "xz", "plain"]  # what the scanner reads
Detected = Literal["gzip", "bz2", "xz", "zstd", "zip", "plain"]  # what sniff_format tells

_decode = decode_line  # module attributes so tests can count decodes
_evidence_of_line = evidence_from_line
_IsalError: type[Exception] = getattr(igzip_lib, "IsalError", OSError)  # corrupt gzip data


class SnapshotError(InputInvalid):
    """The snapshot cannot be read at all (missing, empty, unknown compression).

    Nothing has been read when it is raised; the CLI prints it as one line and exits
    with its kind's ``exit_code`` (1: the input is not a readable snapshot)."""


class EmptySnapshot(SnapshotError):
    """The file has no bytes at all (an interrupted download, a full disk)."""


class FormatMismatch(SnapshotError):
    """The file's name says one compression and its first bytes another."""


class UnsupportedFormat(SnapshotError):
    """The content is a compression or archive the extractor does not read, or not JSON."""


class TruncatedInput(InputInvalid, EOFError):
    """The compressed stream ended before its end-of-stream marker."""


class CorruptInput(InputInvalid, ValueError):
    """The compressed stream cannot be decompressed (bad data, trailing garbage)."""


_MAGIC: Final[tuple[tuple[bytes, Detected], ...]] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"PK\x03\x04", "zip"),
)
# What a name's last suffix promises. Other suffixes (".part", none) promise nothing.
_NAMED: Final[dict[str, Detected]] = {
    ".gz": "gzip",
    ".gzip": "gzip",
    ".bz2": "bz2",
    ".xz": "xz",
    ".zst": "zstd",
    ".zstd": "zstd",
    ".zip": "zip",
    ".json": "plain",
    ".jsonl": "plain",
    ".ndjson": "plain",
}
_SUFFIX_OF: Final[dict[Detected, str]] = {
    "gzip": ".json.gz",
    "bz2": ".json.bz2",
    "xz": ".json.xz",
    "zstd": ".json.zst",
    "zip": ".json.zip",
    "plain": ".json",
}
HEAD_BYTES: Final = 512  # read to tell the format


def sniff_format(head: bytes) -> Detected:
    """Compression by magic bytes, not by file name."""
    for magic, fmt in _MAGIC:
        if head.startswith(magic):
            return fmt
    return "plain"


def check_format(path: Path, head: bytes) -> Format:
    """The format to read ``path`` as, from its first bytes; raises :class:`SnapshotError`.

    The content decides, and the name must not contradict it: a ``.json.gz`` that is not
    gzip is refused, and so is a ``.json`` that is gzip. Such a file is a download gone
    wrong (an error page saved under the dump's name, a file decompressed in place): a
    clear refusal before the run costs less than hours spent reading the wrong thing.
    A name that promises no format (``.part``, no suffix) is read as its content says.
    """
    if not head:
        raise EmptySnapshot(f"{path}: the file is empty (0 bytes)")
    found = sniff_format(head)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    is_json = found != "plain" or not text or text[:1] in (b"[", b"{")
    if found == "zstd":
        raise UnsupportedFormat(
            f"{path}: zstd-compressed snapshots are not read; decompress it "
            "(zstd -d) or recompress it with gzip or bz2"
        )
    if found == "zip":
        raise UnsupportedFormat(f"{path}: a zip archive, not a snapshot; unzip it first")
    named = _NAMED.get(path.suffix.lower())
    if named is not None and named != found:
        promised = "plain JSON" if named == "plain" else named
        if not is_json:
            raise FormatMismatch(
                f"{path}: named {path.suffix} but neither {promised} nor JSON "
                f"({_describe(head)}): not a snapshot; fetch it again"
            )
        what = "plain JSON" if found == "plain" else f"{found}-compressed"
        raise FormatMismatch(
            f"{path}: named {path.suffix} but its content is {what} ({_describe(head)}), "
            f"not {promised}: rename it to {_renamed(path, found)} if that is what it is, "
            "or fetch it again"
        )
    if not is_json:
        raise UnsupportedFormat(
            f"{path}: not a JSON snapshot nor gzip, bz2 or xz ({_describe(head)})"
        )
    return found


def _renamed(path: Path, fmt: Detected) -> str:
    """The name ``path`` should have for its content (``x.json.gz`` → ``x.json``)."""
    name = path.name
    if _NAMED.get(path.suffix.lower()) not in (None, "plain"):
        name = path.stem  # the compression suffix off
    if _NAMED.get(Path(name).suffix.lower()) != "plain":
        name += ".json"
    return name + _SUFFIX_OF[fmt].removeprefix(".json")


def _describe(head: bytes) -> str:
    """The first bytes of a file, for an error message."""
    if head[:16].isascii() and all(c >= 0x20 or c in b"\t\r\n" for c in head[:16]):
        return f"it starts with {head[:24].decode('ascii')!r}"
    return f"it starts with bytes {head[:8].hex(' ')}"


def open_snapshot(path: Path) -> BinaryIO:
    """The decompressed snapshot as a binary stream (for tools; the scanner has its own)."""
    path = Path(path)
    with open(path, "rb") as fh:
        fmt = check_format(path, fh.read(HEAD_BYTES))
    if fmt == "gzip":
        return cast(BinaryIO, igzip.open(path, "rb"))
    if fmt == "bz2":
        return cast(BinaryIO, bz2.open(path, "rb"))
    if fmt == "xz":
        return cast(BinaryIO, lzma.open(path, "rb"))
    return open(path, "rb")


# --------------------------------------------------------------------------- reading


@dataclass(slots=True)
class _Progress:
    """Read positions, updated by the decompressing thread."""

    compressed: int = 0
    decompressed: int = 0


def _inflate(raw: BinaryIO, fmt: Format, pos: _Progress) -> Iterator[bytes]:
    """Decompressed pieces of at most ``CHUNK_SIZE`` bytes.

    The streaming decompressors are driven by hand (``max_length`` bounds each call's
    output) rather than through a file object, for three reasons: each call inflates a
    few MB with the GIL released, so the scanner thread runs meanwhile and the two hand
    the GIL over a few hundred times per GB instead of thousands; on a truncated stream
    every byte decompressed before the cut is yielded (a file reader drops its last
    read); and multi-member gzip / multi-stream bz2 (what parallel compressors and the
    dump's own shard concatenation write) are read to the end. ISA-L checks each gzip
    member's CRC. Trailing NUL padding after the last member is ignored (gzip(1) does
    too); any other trailing bytes must be a valid member.
    """
    read = raw.read
    if fmt == "plain":
        while data := read(CHUNK_SIZE):
            pos.compressed += len(data)
            pos.decompressed += len(data)
            yield data
        return
    new: Callable[[], Any]
    if fmt == "gzip":
        new = partial(igzip_lib.IgzipDecompressor, igzip_lib.DECOMP_GZIP)
    elif fmt == "xz":
        new = partial(lzma.LZMADecompressor, lzma.FORMAT_XZ)
    else:
        new = bz2.BZ2Decompressor
    decompressor = new()
    started = False  # the current member has begun: its end marker must come
    data = b""
    while True:
        if decompressor.eof:  # the next member starts with what is left over
            data = decompressor.unused_data
            decompressor = new()
            started = False
        elif decompressor.needs_input or not started:
            data = read(INPUT_SIZE)
            pos.compressed += len(data)
        else:
            data = b""  # output is still pending from the input already given
        if not started:
            if not data:
                data = read(INPUT_SIZE)
                pos.compressed += len(data)
            while data and not data.strip(b"\0"):  # NUL padding after the last member
                data = read(INPUT_SIZE)
                pos.compressed += len(data)
            if not data:
                return
        elif not data and decompressor.needs_input:
            raise TruncatedInput("compressed stream ended before its end-of-stream marker")
        try:
            out = decompressor.decompress(data, CHUNK_SIZE)
        except (OSError, ValueError, EOFError, lzma.LZMAError, _IsalError) as exc:  # corrupt
            raise CorruptInput(str(exc) or type(exc).__name__) from exc
        started = True
        if out:
            pos.decompressed += len(out)
            yield out


_Segment = tuple[bytes, int, int]
"""Whole lines ``buf[start:end]``: ``end`` follows a newline; ``start`` is 0 or follows one."""


def _segments(pieces: Iterator[bytes]) -> Iterator[_Segment]:
    """Cut decompressed pieces into runs of whole lines.

    Lines are left in place; only a line split between two pieces is copied. A last line
    without a newline gets one. (The marker search is not done here, in the reading
    thread: each match is reported through a Python callback, which needs the GIL, and
    each retake would wait for the busy scanner thread's switch interval.)
    """
    carry: list[bytes] = []
    carried = 0  # bytes of the line in ``carry``
    for piece in pieces:
        first = piece.find(b"\n") + 1
        if not first:
            carry, carried = _carry(carry, carried, piece)
            continue
        start = 0
        if carry:
            carry, _ = _carry(carry, carried, piece[:first])
            head = b"".join(carry)
            carry, carried = [], 0
            yield head, 0, len(head)
            start = first
        end = piece.rfind(b"\n") + 1
        if end > start:
            yield piece, start, end
        if end < len(piece):
            carry.append(piece[end:])
            carried = len(piece) - end
    tail = b"".join(carry)
    if tail.strip():
        tail += b"\n"
        yield tail, 0, len(tail)


def _carry(carry: list[bytes], carried: int, data: bytes) -> tuple[list[bytes], int]:
    """``carry`` with ``data`` added, or, past :data:`MAX_LINE_BYTES`, a short stand-in
    for the whole line (what was carried is dropped)."""
    carried += len(data)
    if carried <= MAX_LINE_BYTES:
        carry.append(data)
        return carry, carried
    stand_in = _OVERLONG + f" {carried:,} bytes or more, the limit is {MAX_LINE_BYTES:,}>".encode()
    return [stand_in + (b"\n" if data.endswith(b"\n") else b"")], carried


_OVERLONG: Final = b"<line too long, dropped while read:"


def _not_an_entity(text: bytes) -> str:
    """Why a line that is no entity was skipped (the stand-in of one too long says so)."""
    if text.startswith(_OVERLONG):
        return f"line too long (over {MAX_LINE_BYTES:,} bytes), dropped while read"
    return "not an entity line"


class _ThreadedChunks:
    """Runs an iterator in a thread, handing its items over through a small queue.

    Exceptions raised by the iterator are re-raised in the consumer, after the items
    that came before them. ``close()`` stops the thread early.
    """

    _END: Final = object()

    def __init__(self, source: Iterator[Any]) -> None:
        self._source = source
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_DEPTH)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="snapshot-reader", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for chunk in self._source:
                if not self._put(chunk):
                    return
        except BaseException as exc:  # handed to the consumer
            self._put(exc)
        else:
            self._put(self._END)

    def __iter__(self) -> Iterator[Any]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join(timeout=5)


# --------------------------------------------------------------------------- scanning


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


def _starts_python(buf: bytes, start: int, end: int) -> set[int]:
    """Offsets of the lines in ``buf[start:end]`` that contain a marker (``bytes.find``).

    ``start`` is 0 or follows a newline, so ``rfind`` never looks into a line before it.
    """
    find = buf.find
    rfind = buf.rfind
    starts: set[int] = set()
    for marker in MARKERS:
        hit = find(marker, start, end)
        while hit >= 0:
            starts.add(rfind(b"\n", 0, hit) + 1)
            hit = find(marker, find(b"\n", hit, end) + 1, end)
    return starts


def _compile_markers() -> Any:
    """A Hyperscan database of :data:`MARKERS` (one pass over a chunk finds every one of
    them, at several GB/s, with the GIL released), or None to search with ``bytes.find``
    (Hyperscan not installed, or ``BACKFILL_SCAN_PURE_PYTHON`` set)."""
    if os.environ.get("BACKFILL_SCAN_PURE_PYTHON"):
        return None
    try:
        import hyperscan
    except ImportError:  # pragma: no cover (a declared dependency)
        return None
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[re.escape(m.decode()).encode() for m in MARKERS],
        ids=list(range(len(MARKERS))),
        flags=[0] * len(MARKERS),
    )
    return database


_markers_db = _compile_markers()


def _starts_hyperscan(buf: bytes, start: int, end: int) -> set[int]:
    """As :func:`_starts_python`, in one Hyperscan pass over ``buf[start:end]``."""
    ends: list[int] = []
    add = ends.append
    _markers_db.scan(
        memoryview(buf)[start:end], match_event_handler=lambda _i, _f, to, _fl, _c: add(to)
    )
    rfind = buf.rfind
    find = buf.find
    starts: set[int] = set()
    line_end = -1  # hits come in order of their end offset: skip the rest of a line
    for rel in ends:
        hit = start + rel
        if hit <= line_end:
            continue
        starts.add(rfind(b"\n", 0, hit) + 1)  # start follows a newline
        line_end = find(b"\n", hit, end)
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
        self, buf: bytes, start: int, end: int, starts: set[int]
    ) -> Iterator[tuple[int, bytes]]:
        """Every line in ``buf[start:end]`` (``end`` follows a newline, and so does ``start``
        unless it is 0); ``starts`` are the offsets of its candidate lines.

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
        for cand in (*sorted(starts), end):
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
        self, buf: bytes, start: int, end: int, starts: set[int]
    ) -> Iterator[tuple[int, bytes]]:
        """:meth:`_scan` for the lines up to the first non-blank one, which it records."""
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


# --------------------------------------------------------------------------- extract


@dataclass
class ExtractSummary:
    """The figures of one ``extract`` run (printed, and kept as JSON)."""

    snapshot: str | None = None
    snapshot_date: str | None = None
    format: str | None = None
    entities_scanned: int = 0
    candidates_decoded: int = 0
    files_with_evidence: int = 0
    by_source: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    multi_photo: int = 0
    user_only: int = 0
    with_p12120: int = 0
    malformed_lines: int = 0
    malformed_examples: list[dict[str, Any]] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    titles_added: int = 0
    compressed_bytes: int = 0
    decompressed_bytes: int = 0
    wall_seconds: float = 0.0
    mb_per_s: float = 0.0
    workers: int = 0
    truncated: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}

    def format_text(self) -> str:
        """A readable block for the terminal."""
        rows: list[tuple[str, str]] = []
        if self.snapshot:
            rows.append(("snapshot", f"{self.snapshot} ({self.format})"))
            rows += [
                ("entities scanned", f"{self.entities_scanned:,}"),
                ("candidate lines decoded", f"{self.candidates_decoded:,}"),
                ("files with Flickr evidence", f"{self.files_with_evidence:,}"),
            ]
            rows += [(f"  with {src}", f"{n:,}") for src, n in self.by_source.items()]
            rows += [
                ("  several photo ids", f"{self.multi_photo:,}"),
                ("  user only (no photo id)", f"{self.user_only:,}"),
                ("  P12120 already present", f"{self.with_p12120:,}"),
                ("malformed lines", f"{self.malformed_lines:,}"),
                ("rows inserted / updated", f"{self.inserted:,} / {self.updated:,}"),
            ]
        if self.titles_added or not self.snapshot:
            rows.append(("files added by title", f"{self.titles_added:,}"))
        if self.snapshot:
            rows += [
                (
                    "decompressed input",
                    f"{self.decompressed_bytes / 1e6:,.1f} MB "
                    f"({self.compressed_bytes / 1e6:,.1f} MB compressed)",
                ),
                (
                    "throughput",
                    f"{self.mb_per_s:,.1f} MB/s (decompressed; "
                    f"{self.workers} worker process{'es' if self.workers != 1 else ''})",
                ),
            ]
        rows.append(("wall time", f"{self.wall_seconds:,.1f} s"))
        width = max(len(k) for k, _ in rows)
        lines = ["extract summary"] + [f"  {k.ljust(width)}  {v}" for k, v in rows]
        for m in self.malformed_examples[:5]:
            lines.append(f"  ! line {m['line']}: {m['reason']}")
        if self.error:
            lines.append(f"  ERROR: {self.error}")
        return "\n".join(lines)


_DATE_RE: Final = re.compile(r"(?<![0-9])(20[0-9]{6})(?![0-9])")


def snapshot_date(path: Path) -> str | None:
    """``2025-11-01`` from ``commons-20251101-mediainfo.json.gz``."""
    m = _DATE_RE.search(path.name)
    return f"{m[1][:4]}-{m[1][4:6]}-{m[1][6:]}" if m else None


class _ProgressReporter:
    """A tqdm bar on a terminal; otherwise a plain log line every ``interval`` seconds."""

    def __init__(self, mode: bool | None, total: int, name: str, interval: float) -> None:
        self.bar: Any = None
        self.enabled = mode is not False
        self.interval = interval
        self.name = name
        self.total = total
        self.started = time.monotonic()
        self.next_log = self.started + interval
        self.done = 0
        self.evidence = 0
        if mode is None:
            mode = sys.stderr.isatty()
        if self.enabled and mode:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total or None,
                unit="B",
                unit_scale=True,
                desc="extract",
                file=sys.stderr,
                dynamic_ncols=True,
                mininterval=0.5,
            )

    def __call__(self, stats: ScanStats) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(stats.compressed_bytes - self.done)
            self.done = stats.compressed_bytes
            self.bar.set_postfix_str(
                f"{stats.entities:,} entities, {self.evidence:,} Flickr", refresh=False
            )
            return
        now = time.monotonic()
        if now < self.next_log:
            return
        self.next_log = now + self.interval
        elapsed = now - self.started
        share = f" ({stats.compressed_bytes / self.total:.1%})" if self.total else ""
        log.info(
            "%s: %s MB of %s MB read%s, %s MB decompressed (%.0f MB/s), %s entities, "
            "%s with Flickr evidence, %s malformed",
            self.name,
            f"{stats.compressed_bytes / 1e6:,.0f}",
            f"{self.total / 1e6:,.0f}",
            share,
            f"{stats.decompressed_bytes / 1e6:,.0f}",
            stats.decompressed_bytes / 1e6 / max(elapsed, 1e-9),
            f"{stats.entities:,}",
            f"{self.evidence:,}",
            f"{stats.malformed:,}",
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@dataclass(slots=True)
class _BatchDone:
    """What a worker process did with one batch of candidate lines: the lines that
    could not be used, the summary counts of the rows it found, what it wrote."""

    errors: list[tuple[int, str, bytes]] = field(default_factory=list)
    files: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    multi_photo: int = 0
    user_only: int = 0
    with_p12120: int = 0
    inserted: int = 0
    updated: int = 0


_worker_store: Store | None = None  # in a worker process: its own connection to the store


def _init_worker(db_path: str) -> None:
    """Start a worker process: no cycle collector (see ``extract``), and a connection of
    its own to the store (``migrate=False``: the indexes stay as ``bulk_load`` left them)."""
    global _worker_store
    gc.disable()
    _worker_store = Store(db_path, migrate=False)


def _extract_batch(batch: list[tuple[int, bytes]], snapshot_name: str) -> _BatchDone:
    """In a worker process: the evidence of candidate lines, written to the store in one
    transaction. The heavy half of an extract, on a core of its own: only the small
    :class:`_BatchDone` goes back, not the rows."""
    done = _BatchDone()
    rows: list[FileEvidence] = []
    by_source = done.by_source
    for line_no, line in batch:
        try:
            found = _evidence_of_line(line)
        except orjson.JSONDecodeError as exc:
            done.errors.append((line_no, f"invalid JSON ({exc})", line))
        except MalformedEntity as exc:
            done.errors.append((line_no, str(exc), line))
        except Exception as exc:  # whatever else a hostile line sets off: skip it
            done.errors.append((line_no, str(undecodable(exc)), line))
        else:
            if found is not None:
                rows.append(found)
                for source in found.evidence_sources:
                    by_source[source] = by_source.get(source, 0) + 1
                done.multi_photo += found.multi_photo
                done.user_only += found.user_only
                done.with_p12120 += found.has_p12120
    done.files = len(rows)
    if rows:
        assert _worker_store is not None, "_init_worker was not run"
        done.inserted, done.updated = _worker_store.upsert_batch(rows, snapshot_name)
    return done


def _warm_up() -> None:
    """Run first in a worker so its start-up (imports) overlaps the first chunks."""


def usable_cpus() -> int:
    """CPUs this process may use: its affinity, capped by a cgroup CPU quota (containers,
    Toolforge pods), whichever is smaller."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    return max(1, min(cpus, int(quota))) if quota is not None else cpus


def _cgroup_cpu_quota() -> float | None:
    """The cgroup v2 ``cpu.max`` or v1 ``cfs_quota_us / cfs_period_us``; None if unlimited."""
    try:
        text = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if text and text[0] != "max":
            return int(text[0]) / int(text[1])
        return None
    except (OSError, ValueError, IndexError):
        pass
    try:
        quota = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
        period = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def default_workers(compressed_size: int) -> int:
    """One worker process when a third CPU is usable (the decompressing thread and the
    scanner take two) and the snapshot is big enough to repay starting a fresh
    interpreter; none otherwise."""
    return 1 if usable_cpus() >= 3 and compressed_size >= WORKER_MIN_BYTES else 0


def _inline_pipeline(
    scanner: SnapshotScanner, tally: Callable[[FileEvidence], None]
) -> Iterator[FileEvidence]:
    """Candidate lines → evidence rows, in this process: the per-line work of
    :func:`_extract_batch`, without the batching (it runs once per candidate line, so
    layers cost)."""
    evidence_of = _evidence_of_line
    for line_no, line in scanner.iter_candidates():
        try:
            found = evidence_of(line)
        except orjson.JSONDecodeError as exc:
            scanner.record_malformed(line_no, f"invalid JSON ({exc})", line)
        except MalformedEntity as exc:
            scanner.record_malformed(line_no, str(exc), line)
        except Exception as exc:  # whatever else a hostile line sets off: skip it
            scanner.record_malformed(line_no, str(undecodable(exc)), line)
        else:
            if found is not None:
                tally(found)
                yield found


def _pooled_extract(
    scanner: SnapshotScanner,
    pool: ProcessPoolExecutor,
    workers: int,
    snapshot_name: str,
    summary: ExtractSummary,
    reporter: _ProgressReporter | None,
) -> None:
    """Candidate lines → worker processes, which find the evidence and write the rows
    (:func:`_extract_batch`); this process only scans. Batches go out in order and a
    few are in flight at once (bounded memory); their results are taken in order, so
    malformed lines are reported in line order."""
    pending: deque[Any] = deque()
    in_flight = 2 * workers
    by_source = summary.by_source

    def finish(job: Any) -> None:
        done: _BatchDone = job.result()
        for line_no, reason, line in done.errors:
            scanner.record_malformed(line_no, reason, line)
        summary.files_with_evidence += done.files
        for source, n in done.by_source.items():
            by_source[source] = by_source.get(source, 0) + n
        summary.multi_photo += done.multi_photo
        summary.user_only += done.user_only
        summary.with_p12120 += done.with_p12120
        summary.inserted += done.inserted
        summary.updated += done.updated
        if reporter is not None:
            reporter.evidence += done.files

    batch: list[tuple[int, bytes]] = []
    size = 0
    try:
        for candidate in scanner.iter_candidates():
            batch.append(candidate)
            size += len(candidate[1])
            if size < BATCH_BYTES:
                continue
            pending.append(pool.submit(_extract_batch, batch, snapshot_name))
            batch, size = [], 0
            while len(pending) > in_flight:
                finish(pending.popleft())
        if batch:
            pending.append(pool.submit(_extract_batch, batch, snapshot_name))
        while pending:
            finish(pending.popleft())
    finally:
        for job in pending:  # an error: let the batches already sent finish writing
            job.cancel()
        for job in pending:
            if not job.cancelled():
                job.exception()


def extract(
    snapshot_path: Path | None,
    store: Store,
    *,
    titles: Iterable[str] = (),
    progress: bool | None = None,
    progress_interval: float = 30.0,
    threaded: bool = True,
    workers: int | None = 0,
) -> ExtractSummary:
    """Scan a snapshot into the worklist (upserting) and add files by title.

    ``progress``: True for a tqdm bar, False for none, None for a bar on a terminal and
    periodic log lines otherwise. ``workers``: processes that decode candidate lines and
    find their evidence, the biggest share of the CPU (0: all in this process; None:
    :func:`default_workers`, as the CLI does). Workers are started with ``spawn``, so a
    script that calls this with workers needs the ``if __name__ == "__main__":`` guard.
    Never raises for bad lines or a truncated stream: see ``summary.error``. Raises
    :class:`SnapshotError` if the file cannot be opened.
    """
    started = time.monotonic()
    summary = ExtractSummary()
    summary.titles_added = store.add_titles(titles)
    if snapshot_path is None:
        summary.wall_seconds = round(time.monotonic() - started, 3)
        return summary
    path = Path(snapshot_path)
    if not path.is_file():
        raise SnapshotError(f"no such snapshot file: {path}")
    size = path.stat().st_size
    summary.snapshot = path.name
    summary.snapshot_date = snapshot_date(path)
    if workers is None:
        workers = default_workers(size)
    summary.workers = workers
    by_source = summary.by_source
    reporter: _ProgressReporter | None = None

    def tally(found: FileEvidence) -> None:
        summary.files_with_evidence += 1
        for source in found.evidence_sources:
            by_source[source] = by_source.get(source, 0) + 1
        summary.multi_photo += found.multi_photo
        summary.user_only += found.user_only
        summary.with_p12120 += found.has_p12120
        if reporter is not None:
            reporter.evidence += 1

    if store.path == ":memory:":
        workers = 0  # a worker process cannot reach this store
    summary.workers = workers
    # The pool starts before any thread of ours (a clean start), and is warmed up while
    # the first chunks are read.
    pool = (
        ProcessPoolExecutor(
            workers, mp_context=_mp_context(), initializer=_init_worker, initargs=(store.path,)
        )
        if workers
        else None
    )
    # Decoded entities are trees, freed by reference counting; the cycle collector would
    # only walk the thousands of young dicts of each one (10-20% of the decoding time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        if pool is not None:
            pool.submit(_warm_up)
        reporter = _ProgressReporter(progress, size, path.name, progress_interval)
        scanner = SnapshotScanner(path, threaded=threaded, on_chunk=reporter)
        try:
            if pool is None:
                summary.inserted, summary.updated = store.upsert_files(
                    _inline_pipeline(scanner, tally),
                    snapshot_name=path.name,
                    batch_size=STORE_BATCH,
                )
            else:
                with store.bulk_load():
                    _pooled_extract(scanner, pool, workers, path.name, summary, reporter)
        finally:
            reporter.close()
    finally:
        if collecting:
            gc.enable()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    stats = scanner.stats
    summary.format = scanner.format
    summary.entities_scanned = stats.entities
    summary.candidates_decoded = stats.candidates
    summary.malformed_lines = stats.malformed
    summary.malformed_examples = sorted(
        (asdict(m) for m in stats.malformed_examples), key=lambda m: m["line"]
    )
    summary.compressed_bytes = stats.compressed_bytes
    summary.decompressed_bytes = stats.decompressed_bytes
    summary.truncated = stats.truncated
    summary.error = stats.error
    summary.wall_seconds = round(time.monotonic() - started, 3)
    summary.mb_per_s = round(stats.decompressed_bytes / 1e6 / max(summary.wall_seconds, 1e-9), 1)
    if summary.error:
        log.error("%s: %s", path.name, summary.error)
    return summary


def _mp_context() -> multiprocessing.context.BaseContext:
    """``spawn``: a fresh interpreter, safe whatever threads or connections the caller has
    (``fork`` would copy the SQLite connection and any lock held by another thread)."""
    return multiprocessing.get_context("spawn")
