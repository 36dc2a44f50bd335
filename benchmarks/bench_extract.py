"""Benchmark ``backfill extract`` against ``gzip -dc`` on snapshots of several shapes.

    .venv/bin/python benchmarks/bench_extract.py [--quick] [--mb N] [--only SHAPE ...]

For each shape in :data:`SHAPES` (small entities; medium ones with 1%, 12% and 30% Flickr
files; large entities with long multilingual captions and many statements; they differ
in where the Flickr evidence sits in the line and in its mix of kinds, see
``synth_snapshot.Shape``), a synthetic snapshot of about ``--mb`` MB (decompressed, with
7 malformed lines) is generated and cached in ``benchmarks/out/``. Then, in turn and
``--repeat`` times (the best run counts: the machine is shared, the best run is the
least disturbed one):

- ``gzip -dc FILE > /dev/null``, the baseline;
- ``python -m isal.igzip -dc``: decompression alone with the library extract uses;
- the real CLI, ``python -m bot.cli extract FILE --db <fresh> --json`` as a subprocess,
  with its peak RSS from ``wait4``.

The extractor's result is checked against the generator's ground truth: every Flickr
file found, with the right photo ids (read back from the store), nothing else, the
counts of the summary and the malformed lines. Targets: extract ≤ 0.5× the wall time of
``gzip -dc``, peak RSS < 200 MB, on every shape.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))  # this checkout's bot, whatever the venv has installed

import synth_snapshot  # noqa: E402  (a sibling script, not a package)
from synth_snapshot import Shape  # noqa: E402

from bot.extract.snapshot import usable_cpus  # noqa: E402

TARGET_RATIO = 0.5  # extract wall / gzip -dc wall
TARGET_RSS_MB = 200.0
MALFORMED = 7
GENERATOR_VERSION = 2  # bump when the generator's output changes (cache key)

# Real-dump structure in every shape; what differs is listed in each Shape.
SHAPES: dict[str, Shape] = {
    "small-12": Shape(
        name="small-12",
        minimal=True,
        caption_langs=(0, 2),
        caption_words=(2, 6),
        depicts=(1, 2),
        evidence_first=0.5,
    ),
    "medium-1": Shape(
        name="medium-1",
        flickr_share=0.01,
        caption_langs=(0, 3),
        depicts=(1, 3),
        other_source_share=0.15,
        wikitext_share=0.01,
    ),
    "medium-12": Shape(
        name="medium-12",
        caption_langs=(0, 3),
        depicts=(1, 3),
        other_source_share=0.1,
        wikitext_share=0.02,
        novalue_operator_share=0.05,
    ),
    "medium-30": Shape(
        name="medium-30",
        flickr_share=0.30,
        caption_langs=(0, 3),
        depicts=(1, 3),
        evidence_first=0.5,
        novalue_operator_share=0.1,
        case_weights=(
            ("photo_page", 0.25),
            ("with_p12120", 0.25),
            ("static", 0.15),
            ("short", 0.05),
            ("gne", 0.05),
            ("user_only", 0.05),
            ("nsid_only", 0.05),
            ("multi", 0.05),
            ("p12120_only", 0.10),
        ),
    ),
    "large-12": Shape(
        name="large-12",
        caption_langs=(8, 14),
        caption_words=(20, 60),
        depicts=(3, 12),
        extra_statements=12,
        wikitext_share=0.05,
    ),
}


@dataclass
class Measured:
    """One subprocess run."""

    wall: float
    cpu: float
    rss_mb: float
    returncode: int
    stdout: str = ""


def measure(cmd: list[str], *, stdout_to_null: bool = False) -> Measured:
    """Run ``cmd``; wall time, CPU time and peak RSS of that very process (``wait4``)."""
    with tempfile.TemporaryFile() as errfile:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.DEVNULL if stdout_to_null else subprocess.PIPE,
            stderr=errfile,
        )
        out = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.stdout:
            proc.stdout.close()
        if proc.returncode != 0:
            errfile.seek(0)
            sys.stderr.write(errfile.read().decode(errors="replace")[-2000:])
    return Measured(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,
        returncode=proc.returncode,
        stdout=out.decode(errors="replace"),
    )


def best(runs: list[Measured]) -> Measured:
    return min(runs, key=lambda m: m.wall)


# --------------------------------------------------------------------------- data


def _generate(args: tuple[str, str, int, int]) -> dict[str, Any]:
    name, path, n, seed = args
    stats = synth_snapshot.generate(
        Path(path), n, seed=seed, malformed=MALFORMED, shape=SHAPES[name]
    )
    return stats.to_json()


def _entities_for(shape: Shape, mb: float, seed: int, workdir: Path) -> int:
    """How many entities make about ``mb`` MB of this shape (from a small sample)."""
    sample = workdir / f"sample-{shape.name}.json"
    stats = synth_snapshot.generate(sample, 400, seed=seed, shape=shape)
    sample.unlink()
    return max(1000, int(mb * 1e6 / (stats.uncompressed_bytes / stats.entities)))


def snapshots(
    names: list[str], mb: float, seed: int, workdir: Path, regen: bool
) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Each shape's snapshot and ground truth, generated (two at a time) or cached."""
    workdir.mkdir(parents=True, exist_ok=True)
    out: dict[str, tuple[Path, dict[str, Any]]] = {}
    todo: list[tuple[str, str, int, int]] = []
    for name in names:
        stem = f"commons-20251101-mediainfo.{name}-{mb:g}mb-s{seed}-v{GENERATOR_VERSION}"
        path, meta = workdir / f"{stem}.json.gz", workdir / f"{stem}.truth.json"
        if not regen and path.exists() and meta.exists():
            out[name] = (path, json.loads(meta.read_text()))
        else:
            todo.append((name, str(path), _entities_for(SHAPES[name], mb, seed, workdir), seed))
    if todo:
        print(f"generating {len(todo)} snapshot(s) (cached afterwards) ...", flush=True)
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=2) as pool:
            for job, stats in zip(todo, pool.map(_generate, todo), strict=True):
                name, path = job[0], Path(job[1])
                Path(str(path).replace(".json.gz", ".truth.json")).write_text(json.dumps(stats))
                out[name] = (path, stats)
        print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)
    return out


# --------------------------------------------------------------------------- checks


def check(summary: dict[str, Any], truth: dict[str, Any], db: Path) -> tuple[list[str], bool]:
    """Differences between what extract found and what the generator wrote, and whether
    the store holds exactly the generator's Flickr files with their photo ids."""
    problems = []
    pairs = [
        ("entities_scanned", "entities"),
        ("files_with_evidence", "flickr_files"),
        ("multi_photo", "multi_photo"),
        ("user_only", "user_only"),
        ("with_p12120", "with_p12120"),
        ("malformed_lines", "malformed"),
    ]
    for mine, theirs in pairs:
        if summary[mine] != truth[theirs]:
            problems.append(f"{mine}: extract says {summary[mine]}, generator {truth[theirs]}")
    for source, n in truth["by_source"].items():
        if summary["by_source"].get(source) != n:
            problems.append(f"by_source[{source}]: extract {summary['by_source'].get(source)}, {n}")
    lines = sorted(m["line"] for m in summary["malformed_examples"])
    if lines != sorted(truth["malformed_lines"])[: len(lines)]:
        problems.append(f"malformed lines {lines}, generator {truth['malformed_lines']}")
    with sqlite3.connect(db) as conn:
        found = {
            mid: json.loads(ids) for mid, ids in conn.execute("SELECT mid, photo_ids FROM files")
        }
    expected = truth["photo_ids"]
    missing = expected.keys() - found.keys()
    extra = found.keys() - expected.keys()
    wrong = [mid for mid in expected.keys() & found.keys() if found[mid] != expected[mid]]
    for what, mids in (("missing", missing), ("not Flickr", extra), ("wrong photo ids", wrong)):
        if mids:
            problems.append(f"{len(mids)} files {what}, e.g. {sorted(mids)[:3]}")
    return problems, not (missing or extra or wrong)


# --------------------------------------------------------------------------- main


@dataclass
class ShapeResult:
    name: str
    entities: int
    decompressed_mb: float
    compressed_mb: float
    flickr_files: int
    kb_per_entity: float
    gzip: Measured
    isal: Measured
    rapidgzip: Measured | None
    extract: Measured
    gzip_runs: list[float]
    extract_runs: list[float]
    found: int
    photo_ids_ok: bool
    problems: list[str]

    @property
    def ratio(self) -> float:
        return self.extract.wall / self.gzip.wall


def run_shape(
    name: str, path: Path, truth: dict[str, Any], repeat: int, extra: list[str]
) -> ShapeResult:
    gz_runs, isal_runs, ex_runs, rapid_runs = [], [], [], []
    rapid = shutil.which("rapidgzip") or shutil.which(
        "rapidgzip", path=str(Path(sys.executable).parent)
    )
    summary: dict[str, Any] = {}
    problems: list[str] = []
    ids_ok = False
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmpdir:
        for i in range(repeat):
            print(f"  {name} run {i + 1}/{repeat}: gzip -dc, isal -dc, extract", flush=True)
            gz_runs.append(measure(["gzip", "-dc", str(path)], stdout_to_null=True))
            isal_runs.append(
                measure([sys.executable, "-m", "isal.igzip", "-dc", str(path)], stdout_to_null=True)
            )
            if rapid:  # parallel decompression alone, on every usable CPU
                rapid_runs.append(
                    measure(
                        [rapid, "-d", "-c", "-P", str(usable_cpus()), str(path)],
                        stdout_to_null=True,
                    )
                )
            db = Path(tmpdir) / f"run{i}.db"
            run = measure(
                [
                    sys.executable,
                    "-m",
                    "bot.cli",
                    "extract",
                    str(path),
                    "--db",
                    str(db),
                    "--json",
                    "--no-progress",
                    *extra,
                ]
            )
            ex_runs.append(run)
            if run.returncode not in (0,):
                problems.append(f"extract exited with {run.returncode}")
                continue
            summary = json.loads(run.stdout)
            if i == 0:  # the same input gives the same result: check it once
                found, ids_ok = check(summary, truth, db)
                problems += found
    return ShapeResult(
        name=name,
        entities=truth["entities"],
        decompressed_mb=truth["uncompressed_bytes"] / 1e6,
        compressed_mb=truth["compressed_bytes"] / 1e6,
        flickr_files=truth["flickr_files"],
        kb_per_entity=truth["uncompressed_bytes"] / truth["entities"] / 1e3,
        gzip=best(gz_runs),
        isal=best(isal_runs),
        rapidgzip=best(rapid_runs) if rapid_runs else None,
        extract=best(ex_runs),
        gzip_runs=[round(m.wall, 2) for m in gz_runs],
        extract_runs=[round(m.wall, 2) for m in ex_runs],
        found=summary.get("files_with_evidence", 0),
        photo_ids_ok=ids_ok,
        problems=problems,
    )


def report(results: list[ShapeResult], *, quick: bool = False) -> bool:
    print()
    head = (
        f"{'shape':10} {'MB':>6} {'KB/ent':>6} {'Flickr':>7} {'gzip -dc':>9} {'isal -dc':>9} "
        f"{'extract':>8} {'ratio':>6} {'RSS MB':>7} {'found/expected':>15} {'ids':>4}  verdict"
    )
    print(head)
    ok = True
    for r in results:
        good = r.ratio <= TARGET_RATIO and r.extract.rss_mb < TARGET_RSS_MB and not r.problems
        ok &= good
        print(
            f"{r.name:10} {r.decompressed_mb:6.0f} {r.kb_per_entity:6.1f} "
            f"{r.flickr_files / r.entities:7.1%} {r.gzip.wall:8.2f}s {r.isal.wall:8.2f}s "
            f"{r.extract.wall:7.2f}s {r.ratio:6.2f} {r.extract.rss_mb:7.0f} "
            f"{f'{r.found:,}/{r.flickr_files:,}':>15} {'ok' if r.photo_ids_ok else 'BAD':>4}  "
            f"{'PASS' if good else 'MISS'}"
        )
    print()
    print(
        f"targets: extract <= {TARGET_RATIO}x gzip -dc wall, peak RSS < {TARGET_RSS_MB:.0f} MB, "
        "every file with its photo ids"
    )
    for r in results:
        rapid = (
            f"; rapidgzip -P {usable_cpus()} -dc {r.rapidgzip.wall:.2f} s" if r.rapidgzip else ""
        )
        print(
            f"  {r.name:10} all runs (wall s): gzip {r.gzip_runs}, extract {r.extract_runs}{rapid}; "
            f"extract cpu {r.extract.cpu:.2f} s, {r.decompressed_mb / r.extract.wall:,.0f} MB/s"
        )
        for problem in r.problems:
            print(f"    PROBLEM: {problem}")
    for r in results:
        if r.name == "medium-12" and not quick:  # start-up dominates --quick
            rate = r.decompressed_mb / r.extract.wall
            print(
                f"projection for the full dump (~400 GB decompressed, medium-12 shape): "
                f"{400e3 / rate / 60:,.0f} min at {rate:,.0f} MB/s "
                f"(gzip -dc: {400e3 / (r.decompressed_mb / r.gzip.wall) / 60:,.0f} min)"
            )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--mb", type=float, default=400.0, help="decompressed MB per snapshot (default 400)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="40 MB snapshots, one run of each: a smoke test"
    )
    parser.add_argument(
        "--repeat", type=int, default=None, help="runs of each timing (default 3; 1 with --quick)"
    )
    parser.add_argument("--only", nargs="+", choices=list(SHAPES), help="only these shapes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=HERE / "out")
    parser.add_argument("--regen", action="store_true", help="regenerate the snapshots")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--workers", type=int, default=None, help="passed to extract (default: its own)"
    )
    args = parser.parse_args(argv)

    mb = 40.0 if args.quick else args.mb
    repeat = args.repeat or (1 if args.quick else 3)
    names = args.only or list(SHAPES)
    extra = [] if args.workers is None else ["--workers", str(args.workers)]
    data = snapshots(names, mb, args.seed, args.workdir, args.regen)
    print(f"usable CPUs: {usable_cpus()}; best of {repeat} per timing", flush=True)
    results = [run_shape(name, *data[name], repeat, extra) for name in names]
    ok = report(results, quick=args.quick)
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    asdict(r) | {"ratio": r.ratio, "extract": asdict(r.extract) | {"stdout": ""}}
                    for r in results
                ],
                indent=1,
            )
        )
    if any(r.problems for r in results):
        return 1  # a wrong result, whatever the timings
    # --quick is a smoke test: start-up dominates 40 MB, its ratios say nothing.
    return 0 if ok or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
