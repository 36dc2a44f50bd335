"""Candidate lines to worklist rows: in this process, or in worker processes.

A worker process (:func:`_init_worker`, :func:`_extract_batch`; pickled by this module's
path) finds the evidence of a batch of candidate lines and writes their rows itself,
while this process decompresses and scans.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.context
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import orjson

from bot.core.evidence import (
    SRC_P12120,
    FileEvidence,
    MalformedEntity,
    evidence_from_line,
    undecodable,
)
from bot.store import Store
from bot.store.location import StoreLocation

if TYPE_CHECKING:
    from bot.extract.scanning import SnapshotScanner
    from bot.extract.summary import ExtractSummary, _ProgressReporter

# Candidate lines sent to a worker process at a time: it writes their rows in one
# transaction, so a batch is big enough (thousands of rows) to make the commit cheap.
BATCH_BYTES: Final = 8 << 20
WORKER_MIN_BYTES: Final = 64 << 20  # smaller snapshots are not worth starting a worker

_evidence_of_line = evidence_from_line  # a module attribute so tests can count decodes


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


def _init_worker(db_path: str | StoreLocation) -> None:
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


@dataclass(slots=True)
class _Tally:
    """The summary counts of the rows :func:`_inline_pipeline` found, kept as cheaply as
    they can be per row: one count per distinct tuple of evidence sources (a handful),
    spread over the sources once at the end (:meth:`add_to`)."""

    files: int = 0
    multi_photo: int = 0
    user_only: int = 0
    by_sources: dict[tuple[str, ...], int] = field(default_factory=dict)

    def add_to(self, summary: ExtractSummary) -> None:
        summary.files_with_evidence += self.files
        summary.multi_photo += self.multi_photo
        summary.user_only += self.user_only
        by_source = summary.by_source
        for sources, n in self.by_sources.items():
            for source in sources:
                by_source[source] = by_source.get(source, 0) + n
            # has_p12120 is "P12120 among the evidence sources" (FileEvidence)
            summary.with_p12120 += n if SRC_P12120 in sources else 0


def _inline_pipeline(scanner: SnapshotScanner, tally: _Tally) -> Iterator[FileEvidence]:
    """Candidate lines → evidence rows, in this process: the per-line work of
    :func:`_extract_batch`, without the batching (it runs once per candidate line, so
    layers cost), counted into ``tally``."""
    evidence_of = _evidence_of_line
    by_sources = tally.by_sources
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
                tally.files += 1
                sources = found.evidence_sources
                by_sources[sources] = by_sources.get(sources, 0) + 1
                photos = len(found.photo_ids)
                if photos > 1:
                    tally.multi_photo += 1
                elif not photos and (found.owner_nsid or found.owner_alias):
                    tally.user_only += 1  # FileEvidence.user_only
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


def _mp_context() -> multiprocessing.context.BaseContext:
    """``spawn``: a fresh interpreter, safe whatever threads or connections the caller has
    (``fork`` would copy the SQLite connection and any lock held by another thread)."""
    return multiprocessing.get_context("spawn")
