"""Opening a snapshot and reading it as runs of whole lines.

The format comes from the magic bytes and must agree with the name (:func:`check_format`);
the streaming decompressors are driven by hand (:func:`_inflate`), in a thread of their
own (:class:`_ThreadedChunks`), and their pieces are cut into whole lines
(:func:`_segments`), a line over :data:`MAX_LINE_BYTES` dropped as it is read.
"""

from __future__ import annotations

import bz2
import lzma
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, Final, Literal, cast

from isal import igzip, igzip_lib

from bot.core.errors import InputInvalid

CHUNK_SIZE: Final = 4 << 20  # decompressed bytes handed to the scanner at a time (at most)
INPUT_SIZE: Final = 1 << 20  # compressed bytes read from the file at a time
QUEUE_DEPTH: Final = 4  # chunks buffered between the threads (memory: depth × chunk)
# Wikibase stores an entity of at most a few MB (maxSerializedEntitySize); even escaped
# in the dump that is far below this. A longer "line" (a run of garbage or NULs without
# a newline, say) is dropped as it is read, so memory stays bounded; its place in the
# line count is kept by a stand-in line that is reported as malformed.
MAX_LINE_BYTES: Final = 64 << 20

Format = Literal["gzip", "bz2", "xz", "plain"]  # what the scanner reads
Detected = Literal["gzip", "bz2", "xz", "zstd", "zip", "plain"]  # what sniff_format tells

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
