"""Calls per file, edits per changed file and peak memory of ``backfill run``.

One command: ``python benchmarks/bench_run.py [--files N] [--quick]``.

Generates a worklist of N files over Flickr owners with a heavy-tailed distribution (a
few institutional accounts with many files, many owners with one or two), serves them
from the local stand-in Commons and Flickr, and runs the real ``backfill run`` as a
subprocess (real pywikibot, real httpx). Reports, against the naive bot of the same run
(one ``wbgetentities`` and one ``flickr.photos.getInfo`` per file, the baseline):

- Commons read calls per file (target ≤ 0.02: the file-data reads, wbgetentities and
  page info/wikitext), and apart from them the run-page/talk-page checks (one per batch
  of 50, plus one before the run starts), Flickr calls per file,
- edits per changed file (exactly 1), and the peak RSS of the bot process.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.adapters.pywikibot_setup import ENV_BOTPASSWORD, ENV_BOTPASSWORD_NAME  # noqa: E402
from bot.core.evidence import FileEvidence  # noqa: E402
from bot.standins.commons import StandinData as CommonsData  # noqa: E402
from bot.standins.commons import run_commons_standin  # noqa: E402
from bot.standins.flickr import StandinData as FlickrData  # noqa: E402
from bot.standins.flickr import make_person, make_photo, run_flickr_standin  # noqa: E402
from bot.store import Store  # noqa: E402

BOT = "BenchBot"
KEY = "bench-key-0123456789abcdef"


def owner_sizes(n_files: int, rng: random.Random) -> list[int]:
    """Files per owner: three big accounts take ~45%, the rest 1–3 files each."""
    big = [int(n_files * share) for share in (0.25, 0.12, 0.08)]
    sizes = list(big)
    left = n_files - sum(big)
    while left > 0:
        k = min(left, rng.choice((1, 1, 1, 2, 2, 3)))
        sizes.append(k)
        left -= k
    return sizes


def build(n_files: int, tmp: Path) -> tuple[CommonsData, FlickrData, list[FileEvidence]]:
    rng = random.Random(20251122)
    commons = CommonsData(username=BOT, botpasswords={f"{BOT}@bench": "bench-password"})
    commons.pages[f"User:{BOT}/Run"] = "run: yes"
    flickr = FlickrData()
    worklist: list[FileEvidence] = []
    pageid = 10_000
    photo_id = 52_000_000_000
    for o, size in enumerate(owner_sizes(n_files, rng)):
        nsid = f"{30_000_000 + o}@N0{o % 9 + 1}"
        alias = f"owner{o}"
        # each owner has more public photos than files on Commons
        total = size * rng.choice((2, 5, 20)) + rng.randint(0, 50)
        flickr.add_owner(
            make_person(
                nsid,
                f"Owner {o}",
                realname=f"Owner Number {o}",
                path_alias=alias,
                photos_count=total,
            )
        )
        ids = []
        for _ in range(total):
            photo_id += rng.randint(1, 5000)
            ids.append(str(photo_id))
            flickr.add_photo(
                make_photo(
                    str(photo_id),
                    nsid,
                    username=f"Owner {o}",
                    realname=f"Owner Number {o}",
                    path_alias=alias,
                    posted=1_500_000_000 + rng.randint(0, 10**8),
                    taken="2016-05-04 10:00:00",
                    license="4",
                )
            )
        for pid in rng.sample(ids, size):
            pageid += 1
            mid = f"M{pageid}"
            url = f"https://www.flickr.com/photos/{alias}/{pid}/"
            commons.entities[mid] = {
                "title": f"File:Bench {pid}.jpg",
                "pageid": pageid,
                "lastrevid": 500_000 + pageid,
                "statements": {},
            }
            worklist.append(
                FileEvidence(
                    mid=mid,
                    pageid=pageid,
                    title=f"File:Bench {pid}.jpg",
                    snapshot_revid=500_000 + pageid,
                    photo_ids=(pid,),
                    owner_nsid=nsid,
                    owner_alias=alias,
                    evidence=({"source": "P7482.P973", "value": url},),
                    evidence_sources=("P7482.P973",),
                    has_p12120=False,
                )
            )
    return commons, flickr, worklist


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=600)
    parser.add_argument("--quick", action="store_true", help="100 files")
    args = parser.parse_args()
    n = 100 if args.quick else args.files
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        commons, flickr, worklist = build(n, tmp)
        db = tmp / "bench.db"
        with Store(db) as store:
            store.upsert_files(worklist)
        with run_commons_standin(commons) as wiki, run_flickr_standin(flickr, api_key=KEY) as fl:
            env = {
                **os.environ,
                ENV_BOTPASSWORD_NAME: f"{BOT}@bench",
                ENV_BOTPASSWORD: "bench-password",
                "PYTHONPATH": str(ROOT),
            }
            env.pop("PYWIKIBOT_DIR", None)
            cmd = [
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                "--db",
                str(db),
                "--json",
                "--no-progress",
                "--commons-api",
                wiki.api_url,
                "--flickr-api",
                fl.url,
                "--wikidata-api",
                wiki.wikidata_api_url,
                "--username",
                BOT,
                "--pywikibot-dir",
                str(tmp / "pwb"),
                "--put-throttle",
                "0.01",
            ]
            env["FLICKR_API_KEY"] = KEY
            env["BACKFILL_FLICKR_CALLS_PER_HOUR"] = "10000000"  # measure calls, not waits
            started = time.perf_counter()
            proc = subprocess.run(cmd, env=env, capture_output=True, check=False)
            elapsed = time.perf_counter() - started
            if proc.returncode != 0:
                print(proc.stderr.decode()[-3000:])
                return 1
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            summary = orjson.loads(proc.stdout)
            edits = Counter(w["mid"] for w in wiki.writes)
            reads = wiki.requests["wbgetentities"] + wiki.requests.get("query", 0)
    files = summary["files"]
    changed = len(edits)
    print(
        f"backfill run on {files} files over {len(set(w.owner_nsid for w in worklist))} "
        f"owners, {elapsed:.1f} s wall"
    )
    print(f"{'':34}{'ours':>10}{'naive':>10}{'ratio':>10}")
    ours_c = summary["commons_read_calls_per_file"]
    ours_f = summary["flickr_calls_per_file"]
    control = summary["commons_control_calls"]
    both = (summary["commons_read_calls"] + control) / max(files, 1)
    print(f"{'Commons read calls per file':34}{ours_c:>10.4f}{1.0:>10.2f}{ours_c:>10.3f}")
    print(f"{'  + run-page/talk-page checks':34}{control / max(files, 1):>10.4f}")
    print(f"{'  = all Commons reads per file':34}{both:>10.4f}{1.0:>10.2f}{both:>10.3f}")
    print(f"{'Flickr calls per file':34}{ours_f:>10.4f}{1.0:>10.2f}{ours_f:>10.3f}")
    print(f"{'edits per changed file':34}{sum(edits.values()) / max(changed, 1):>10.2f}")
    print(f"{'peak RSS of the bot process (MB)':34}{peak_mb:>10.1f}")
    print(
        f"(stand-in saw {reads} read requests incl. login/siteinfo; the bot's own "
        f"file-data reads: {summary['commons_read_calls']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
