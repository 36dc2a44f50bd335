"""Run every benchmark under ``benchmarks/`` one after the other (``make bench``).

    .venv/bin/python benchmarks/run_all.py [--quick] [--only NAME ...]

Each benchmark prints its own figures and ratios against a baseline measured in the same
run; this script only runs them in turn, so the machine is not shared between two of
them, and lists at the end the exit status of each (non-zero: it failed, or for some a
target was missed).
``--quick`` runs each on a small input: a smoke test that the benchmarks still work, not
figures for the README (those come from full runs, listed in its *Performance* table).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name → (script, arguments for a full run, arguments for a quick run)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "url_parser": ("bench_url_parser.py", [], ["--quick"]),
    "extract": ("bench_extract.py", [], ["--quick"]),
    "flickr_calls": ("bench_flickr_calls.py", [], ["--quick"]),
    "plan": ("bench_plan.py", [], ["--quick"]),
    "run": ("bench_run.py", ["--files", "1000"], ["--quick"]),
    "review": ("bench_review.py", [], ["--conflicts", "20000", "--requests", "40"]),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small inputs: a smoke run")
    parser.add_argument(
        "--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these benchmarks"
    )
    args = parser.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    outcomes: dict[str, tuple[int, float]] = {}
    for name in names:
        script, full, quick = BENCHMARKS[name]
        cmd = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
        started = time.perf_counter()
        status = subprocess.call(cmd, cwd=HERE.parent)
        outcomes[name] = (status, time.perf_counter() - started)
    print("\n=== summary")
    for name, (status, seconds) in outcomes.items():
        verdict = "ok" if status == 0 else f"exit status {status}"
        print(f"  {name:14} {seconds:7.1f} s  {verdict}")
    return 0 if all(status == 0 for status, _ in outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
