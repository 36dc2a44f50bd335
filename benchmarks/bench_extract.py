"""Benchmark ``backfill extract`` against ``gzip -dc`` and a naive reader, in one run.

    .venv/bin/python benchmarks/bench_extract.py [--entities N] [--quick]

1. Generates a synthetic snapshot of N entities (``synth_snapshot.py``: realistic
   shape, ~12% Flickr files, gzip level 6) and one of 2N entities; both are cached in
   ``benchmarks/out/`` and built from shared gzip members, so the 2N file costs only N
   more entities.
2. Times, on the N file: ``gzip -dc FILE > /dev/null``; the real CLI
   (``python -m bot.cli extract FILE --db <fresh> --json``) as a subprocess; and a naive
   reader (``gzip.open`` + ``json.loads`` of every line) on a prefix of the file,
   extrapolated to the whole file by decompressed bytes (it is >15× slower; timing it
   whole would dominate the run).
3. Runs extract on the 2N file: peak memory must stay flat.

Each timing is the best of ``--repeat`` runs (the machine is shared: the best run is
the least disturbed one), with CPU time (user+sys) and peak RSS from ``wait4``. The
extractor's counts are checked against what the generator says it wrote.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import synth_snapshot  # noqa: E402  (a sibling script, not a package)

TARGET_VS_GZIP = 2.0
TARGET_VS_NAIVE = 15.0
TARGET_RSS_MB = 200.0


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


def _part(args: tuple[str, int, int, int, bool, bool]) -> dict[str, Any]:
    path, n, seed, start, head, tail = args
    stats = synth_snapshot.generate(
        Path(path), n, seed=seed, start_pageid=start, head=head, tail=tail
    )
    return stats.to_json()


def _member(path: Path, text: bytes) -> None:
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    path.write_bytes(comp.compress(text) + comp.flush())


def _add(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key in (
        "entities",
        "flickr_files",
        "multi_photo",
        "user_only",
        "with_p12120",
        "caption_only",
        "malformed",
        "uncompressed_bytes",
    ):
        out[key] = a[key] + b[key]
    out["by_source"] = {
        k: a["by_source"].get(k, 0) + b["by_source"].get(k, 0)
        for k in set(a["by_source"]) | set(b["by_source"])
    }
    return out


def snapshots(
    workdir: Path, n: int, seed: int, regen: bool
) -> tuple[Path, dict[str, Any], Path, dict[str, Any]]:
    """The N and 2N snapshots (cached), with the generator's statistics of each."""
    workdir.mkdir(parents=True, exist_ok=True)
    stem = f"synth-{n}-s{seed}"
    single = workdir / f"commons-20251101-mediainfo.{stem}.json.gz"
    double = workdir / f"commons-20251201-mediainfo.{stem}x2.json.gz"
    meta = workdir / f"{stem}.stats.json"
    if not regen and single.exists() and double.exists() and meta.exists():
        cached = json.loads(meta.read_text())
        return single, cached["single"], double, cached["double"]
    part_a, part_b = workdir / f"{stem}-a.gz", workdir / f"{stem}-b.gz"
    print(
        f"generating {2 * n:,} synthetic entities in two processes (cached afterwards) ...",
        flush=True,
    )
    started = time.perf_counter()
    # Page ids of part B start far above A's: the 2N file has 2N distinct files.
    jobs = [
        (str(part_a), n, seed, 1000, True, False),
        (str(part_b), n, seed + 1, 1000 + 41 * n + 1000, False, True),
    ]
    with ProcessPoolExecutor(max_workers=2) as pool:
        stats_a, stats_b = pool.map(_part, jobs)
    sep, end = workdir / "sep.gz", workdir / "end.gz"
    _member(sep, b",\n")
    _member(end, b"\n]\n")
    for target, members in ((single, (part_a, end)), (double, (part_a, sep, part_b))):
        with target.open("wb") as out:
            for member in members:
                with member.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
    for tmp in (part_a, part_b, sep, end):
        tmp.unlink()
    s1 = stats_a | {"path": str(single), "uncompressed_bytes": stats_a["uncompressed_bytes"] + 3}
    s2 = _add(stats_a, stats_b) | {"path": str(double)}
    s2["uncompressed_bytes"] += 2
    meta.write_text(json.dumps({"single": s1, "double": s2}, indent=1))
    print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)
    return single, s1, double, s2


# --------------------------------------------------------------------------- the naive reader


def naive_reader(path: Path, max_entities: int) -> dict[str, Any]:
    """What a first attempt does: decompress with the stdlib, ``json.loads`` every line."""
    from bot.evidence import evidence_from_entity  # noqa: F401  (import cost, like a real run)

    entities = 0
    consumed = 0
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            consumed += len(line)
            text = line.rstrip().rstrip(",")
            if text in ("[", "]", ""):
                continue
            json.loads(text)
            entities += 1
            if entities >= max_entities:
                break
    return {"entities": entities, "decompressed_bytes": consumed}


# --------------------------------------------------------------------------- main


def check_counts(summary: dict[str, Any], stats: dict[str, Any]) -> list[str]:
    """Differences between the extractor's summary and the generator's statistics."""
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
        if summary[mine] != stats[theirs]:
            problems.append(f"{mine}: extract says {summary[mine]}, generator {stats[theirs]}")
    for source, n in stats["by_source"].items():
        if summary["by_source"].get(source) != n:
            problems.append(
                f"by_source[{source}]: extract {summary['by_source'].get(source)}, generator {n}"
            )
    return problems


def run_extract(path: Path, tmp: Path, extra: list[str]) -> Measured:
    db = tmp / f"bench-{time.monotonic_ns()}.db"
    result = measure(
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
    db.unlink(missing_ok=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--entities",
        type=int,
        default=300_000,
        help="entities in the base snapshot (default 300000, ~1.4 GB)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="30000 entities, one run of each: a smoke test of the benchmark",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="runs of each timing, the best counts (default 3; 1 with --quick)",
    )
    parser.add_argument(
        "--naive-entities",
        type=int,
        default=None,
        help="entities the naive reader reads before extrapolating (default: N/5)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=HERE / "out")
    parser.add_argument("--regen", action="store_true", help="regenerate the snapshots")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--workers", type=int, default=None, help="passed to extract (default: its own)"
    )
    parser.add_argument("--naive-reader", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.naive_reader:  # the child process of the naive measurement
        print(json.dumps(naive_reader(args.naive_reader, args.naive_entities or 10**12)))
        return 0

    extra = [] if args.workers is None else ["--workers", str(args.workers)]
    n = 30_000 if args.quick else args.entities
    repeat = args.repeat or (1 if args.quick else 3)
    naive_n = args.naive_entities or max(n // 5, 1000)
    single, stats1, double, stats2 = snapshots(args.workdir, n, args.seed, args.regen)
    size1 = stats1["uncompressed_bytes"]
    mb1 = size1 / 1e6
    print(
        f"snapshot: {single.name}: {stats1['entities']:,} entities, {mb1:,.0f} MB "
        f"decompressed, {single.stat().st_size / 1e6:,.0f} MB gzip; "
        f"{stats1['flickr_files']:,} Flickr files",
        flush=True,
    )

    results: dict[str, Any] = {"entities": n, "decompressed_mb": round(mb1, 1)}
    gz_runs: list[Measured] = []
    ex_runs: list[Measured] = []
    solo_runs: list[Measured] = []  # --workers 0, when the default uses a worker process
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmpdir:
        tmp = Path(tmpdir)
        for i in range(repeat):
            print(f"run {i + 1}/{repeat}: gzip -dc, extract", flush=True)
            gz_runs.append(measure(["gzip", "-dc", str(single)], stdout_to_null=True))
            ex_runs.append(run_extract(single, tmp, extra))
            if not extra:
                solo_runs.append(run_extract(single, tmp, ["--workers", "0"]))
        gz, ex = best(gz_runs), best(ex_runs)
        if ex.returncode != 0:
            print(f"extract failed with exit status {ex.returncode}", file=sys.stderr)
            return 1
        summary = json.loads(ex.stdout)
        problems = check_counts(summary, stats1)

        print(f"naive reader on the first {naive_n:,} entities ...", flush=True)
        nv = measure(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--naive-reader",
                str(single),
                "--naive-entities",
                str(naive_n),
            ]
        )
        naive_info = json.loads(nv.stdout)
        scale = size1 / naive_info["decompressed_bytes"]
        naive_wall, naive_cpu = nv.wall * scale, nv.cpu * scale

        print("extract on the doubled snapshot ...", flush=True)
        ex2 = best([run_extract(double, tmp, extra) for _ in range(max(1, repeat - 1))])
        summary2 = json.loads(ex2.stdout) if ex2.returncode == 0 else {}
        problems += (
            [f"2N: {p}" for p in check_counts(summary2, stats2)]
            if summary2
            else ["extract failed on the doubled snapshot"]
        )

    rows = [
        ("gzip -dc > /dev/null", gz.wall, gz.cpu, gz.rss_mb, mb1 / gz.wall),
        (
            f"backfill extract ({summary['workers']} worker proc.)",
            ex.wall,
            ex.cpu,
            ex.rss_mb,
            mb1 / ex.wall,
        ),
        (
            f"naive json.loads (extrapolated x{scale:.1f})",
            naive_wall,
            naive_cpu,
            nv.rss_mb,
            mb1 / naive_wall,
        ),
        ("backfill extract, 2N snapshot", ex2.wall, ex2.cpu, ex2.rss_mb, 2 * mb1 / ex2.wall),
    ]
    if solo_runs and summary["workers"]:
        solo = best(solo_runs)
        rows.insert(
            2, ("backfill extract --workers 0", solo.wall, solo.cpu, solo.rss_mb, mb1 / solo.wall)
        )
        results["extract_workers_0"] = asdict(solo) | {"stdout": ""}
    print()
    print(f"{'':44} {'wall s':>8} {'cpu s':>8} {'peak RSS MB':>12} {'MB/s':>8}")
    for name, wall, cpu, rss, rate in rows:
        print(f"{name:44} {wall:8.2f} {cpu:8.2f} {rss:12.1f} {rate:8.0f}")
    vs_gzip = gz.wall / ex.wall
    vs_naive = naive_wall / ex.wall
    print()
    print(
        f"extract vs gzip -dc:   {vs_gzip:5.2f}x faster (wall; target >= {TARGET_VS_GZIP}x) "
        f"{'PASS' if vs_gzip >= TARGET_VS_GZIP else 'MISS'}; "
        f"cpu ratio {gz.cpu / ex.cpu:.2f}x"
    )
    print(
        f"extract vs naive:      {vs_naive:5.1f}x faster (wall; target >= {TARGET_VS_NAIVE}x) "
        f"{'PASS' if vs_naive >= TARGET_VS_NAIVE else 'MISS'}"
    )
    print(
        f"peak RSS:              {ex.rss_mb:.0f} MB (N), {ex2.rss_mb:.0f} MB (2N); target "
        f"< {TARGET_RSS_MB:.0f} MB "
        f"{'PASS' if max(ex.rss_mb, ex2.rss_mb) < TARGET_RSS_MB else 'MISS'}"
    )
    print(
        f"extract throughput:    {summary['mb_per_s']} MB/s (its own summary), "
        f"{summary['candidates_decoded']:,} of {summary['entities_scanned']:,} lines decoded"
    )
    print(
        f"all runs (wall s):     gzip {[round(m.wall, 2) for m in gz_runs]}, "
        f"extract {[round(m.wall, 2) for m in ex_runs]}"
        + (f", --workers 0 {[round(m.wall, 2) for m in solo_runs]}" if solo_runs else "")
    )
    if problems:
        print("COUNT MISMATCH:\n  " + "\n  ".join(problems))
    else:
        print("counts: extract agrees with the generator on both snapshots")
    results.update(
        {
            "gzip": asdict(gz) | {"stdout": ""},
            "extract": asdict(ex) | {"stdout": ""},
            "extract_2n": asdict(ex2) | {"stdout": ""},
            "naive": {
                "wall_extrapolated": naive_wall,
                "cpu_extrapolated": naive_cpu,
                "measured": asdict(nv) | {"stdout": ""},
                "scale": scale,
            },
            "vs_gzip": vs_gzip,
            "vs_naive": vs_naive,
            "count_problems": problems,
            "summary": summary,
        }
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
