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

The parts: :mod:`bot.extract.reading` (open, format, decompress, lines),
:mod:`bot.extract.scanning` (markers, the line loop), :mod:`bot.extract.pipeline`
(evidence in this process or in workers), :mod:`bot.extract.summary`; this module runs
them (:func:`extract`) and is where callers import from. A tunable (``CHUNK_SIZE``,
``MAX_LINE_BYTES``, ...) lives in the module that reads it, and is patched there.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Final

from bot.extract.pipeline import (
    _extract_batch,
    _init_worker,
    _inline_pipeline,
    _mp_context,
    _pooled_extract,
    _Tally,
    _warm_up,
    default_workers,
    usable_cpus,
)
from bot.extract.reading import (
    CorruptInput,
    Detected,
    EmptySnapshot,
    Format,
    FormatMismatch,
    SnapshotError,
    TruncatedInput,
    UnsupportedFormat,
    check_format,
    open_snapshot,
    sniff_format,
)
from bot.extract.scanning import (
    MARKERS,
    MalformedLine,
    ScanStats,
    SnapshotScanner,
    iter_candidate_entities,
)
from bot.extract.summary import ExtractSummary, _ProgressReporter, snapshot_date
from bot.store import Store

__all__ = [
    "MARKERS",
    "STORE_BATCH",
    "CorruptInput",
    "Detected",
    "EmptySnapshot",
    "ExtractSummary",
    "Format",
    "FormatMismatch",
    "MalformedLine",
    "ScanStats",
    "SnapshotError",
    "SnapshotScanner",
    "TruncatedInput",
    "UnsupportedFormat",
    "_extract_batch",
    "_init_worker",
    "check_format",
    "default_workers",
    "extract",
    "iter_candidate_entities",
    "open_snapshot",
    "snapshot_date",
    "sniff_format",
    "usable_cpus",
]

# One logger for the whole extract, under the name the CLI turns up for --progress.
log = logging.getLogger("bot.extract.snapshot")

STORE_BATCH: Final = 10_000  # worklist rows per transaction (without a worker)


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
    tally = _Tally()

    if store.path == ":memory:":
        workers = 0  # a worker process cannot reach this store
    summary.workers = workers
    # The pool starts before any thread of ours (a clean start), and is warmed up while
    # the first chunks are read.
    pool = (
        ProcessPoolExecutor(
            workers, mp_context=_mp_context(), initializer=_init_worker, initargs=(store.location,)
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

        def report(stats: ScanStats) -> None:
            reporter.evidence = tally.files  # the inline pipeline counts them
            reporter(stats)

        scanner = SnapshotScanner(
            path, threaded=threaded, on_chunk=reporter if pool is not None else report
        )
        try:
            if pool is None:
                summary.inserted, summary.updated = store.upsert_files(
                    _inline_pipeline(scanner, tally),
                    snapshot_name=path.name,
                    batch_size=STORE_BATCH,
                )
                tally.add_to(summary)
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
