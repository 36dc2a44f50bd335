"""What an extract reports: the summary of a run, and its progress while it runs."""

from __future__ import annotations

import logging
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from bot.core.evidence import SOURCES
from bot.extract.scanning import ScanStats

# One logger for the whole extract, under the name the CLI turns up for --progress.
log = logging.getLogger("bot.extract.snapshot")


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
