"""How fast ``parse_flickr_url`` is next to ``hyperlink.parse`` alone, on a realistic mix.

Both loops run in this process over the same list of distinct URLs (from
``url_mix``), best of N rounds, errors caught. The parser does strictly more work than
``hyperlink.parse`` (it classifies), so the ratio shows what the fast path buys; the
general path (the module's own WHATWG splitter and classifier) alone is timed too.
``parse_flickr_url`` has no cache, so repeated URLs would not flatter it; the mix is
distinct apart from the few identical junk strings ("own work", empty fields) that the
snapshot also repeats.

With ``--baseline-rev REV`` the parser as it was at git revision REV is loaded beside
today's and timed in the same rounds, so the before/after ratio comes from one run on
one machine; both are also scored on the hand-written list of Commons Flickr links
(tests/fixtures/urls/commons_flickr_links.tsv): the share each reads as expected.

    .venv/bin/python benchmarks/bench_url_parser.py            # 200,000 URLs, best of 3
    .venv/bin/python benchmarks/bench_url_parser.py --quick    # 5,000 URLs, a smoke run
    .venv/bin/python benchmarks/bench_url_parser.py --baseline-rev e69e88a
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import hyperlink

sys.path.insert(0, str(Path(__file__).resolve().parent))  # url_mix, when run from elsewhere

from url_mix import generate_labelled_mix

from bot.core.flickr_urls import FlickrUrlError, _parse_fast, _parse_slow, parse_flickr_url

ROOT = Path(__file__).resolve().parents[1]
LINKS_FILE = ROOT / "tests" / "fixtures" / "urls" / "commons_flickr_links.tsv"


def _loop_parser(urls: list[str]) -> None:
    parse = parse_flickr_url
    for url in urls:
        try:  # noqa: SIM105 - contextlib.suppress would add its own cost to the timing
            parse(url)
        except FlickrUrlError:
            pass


def _loop_slow(urls: list[str]) -> None:
    parse = _parse_slow
    for url in urls:
        try:  # noqa: SIM105 - contextlib.suppress would add its own cost to the timing
            parse(url)
        except FlickrUrlError:
            pass


def _loop_hyperlink(urls: list[str]) -> None:
    parse = hyperlink.parse
    for url in urls:
        try:  # noqa: SIM105 - contextlib.suppress would add its own cost to the timing
            parse(url)
        except ValueError:  # URLParseError, UnicodeDecodeError on bad escapes
            pass


def load_baseline(rev: str) -> ModuleType:
    """bot/core/flickr_urls.py as it was at git revision ``rev``, as a module of its own."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:bot/core/flickr_urls.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "flickr_urls_baseline.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("flickr_urls_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclass/NamedTuple machinery looks it up
    spec.loader.exec_module(module)
    return module


def parser_loop(module: ModuleType) -> Callable[[list[str]], None]:
    """The timing loop for ``module.parse_flickr_url``, errors caught."""
    parse, error = module.parse_flickr_url, module.FlickrUrlError

    def loop(urls: list[str]) -> None:
        for url in urls:
            try:  # noqa: SIM105 - contextlib.suppress would add its own cost to the timing
                parse(url)
            except error:
                pass

    return loop


def read_links() -> list[tuple[str, str]]:
    """(expected, url) rows of the links file (see its header for the notation)."""
    rows = []
    for line in LINKS_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            expected, url = line.split("\t", 1)
            rows.append((expected, url))
    return rows


def answer(module: ModuleType, url: str) -> str:
    """What ``module`` makes of ``url``, in the links file's notation."""
    try:
        r = module.parse_flickr_url(url)
    except module.NotAFlickrUrl:
        return "not_flickr"
    except module.UnrecognisedFlickrUrl:
        return "unrecognised"
    kind = "photo" if r.type == "single_photo" else r.type
    value = {
        "photo": r.photo_id,
        "user": r.user,
        "album": r.album_id,
        "gallery": r.gallery_id,
        "group": r.group,
        "tag": r.tag,
    }.get(kind)
    return kind if value is None else f"{kind}:{value}"


def recognition(module: ModuleType, rows: list[tuple[str, str]]) -> tuple[int, int]:
    """How many links ``module`` reads as expected, and how many give a photo id
    where a not_flickr answer is expected (a look-alike taken for Flickr)."""
    right = sum(answer(module, url) == expected for expected, url in rows)
    fooled = sum(
        expected == "not_flickr" and answer(module, url).startswith("photo:")
        for expected, url in rows
    )
    return right, fooled


def best_of(
    loops: dict[str, Callable[[list[str]], None]], urls: list[str], rounds: int
) -> dict[str, float]:
    """Best wall time of each loop over ``rounds``; rounds interleave the loops so that
    a busy machine slows them alike rather than whichever happened to run then."""
    best = dict.fromkeys(loops, float("inf"))
    for _ in range(rounds):
        for name, loop in loops.items():
            gc.collect()
            start = time.perf_counter()
            loop(urls)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("-n", type=int, default=200_000, help="number of URLs (default 200000)")
    ap.add_argument("--rounds", type=int, default=3, help="best of this many rounds (default 3)")
    ap.add_argument("--seed", type=int, default=20240601, help="seed of the URL mix")
    ap.add_argument("--quick", action="store_true", help="5,000 URLs: a smoke run")
    ap.add_argument(
        "--baseline-rev",
        metavar="REV",
        help="also time and score bot/core/flickr_urls.py as it was at this git revision",
    )
    args = ap.parse_args(argv)
    baseline_module = load_baseline(args.baseline_rev) if args.baseline_rev else None
    n = 5_000 if args.quick else args.n

    labelled = generate_labelled_mix(n, args.seed)
    urls = [url for _, url in labelled]
    distinct = len(set(urls))
    fast_hits = sum(_parse_fast(url.strip()) is not None for url in urls)
    print(f"Python {sys.version.split()[0]}, hyperlink.parse vs bot.core.flickr_urls")
    print(
        f"{n:,} URLs ({distinct:,} distinct, {distinct / n:.1%}); fast path answers "
        f"{fast_hits:,} ({fast_hits / n:.1%}); best of {args.rounds} rounds"
    )

    _loop_parser(urls[:1000])  # warm up regex caches and imports
    _loop_hyperlink(urls[:1000])
    loops = {
        "hyperlink.parse(url)": _loop_hyperlink,
        "parse_flickr_url(url)": _loop_parser,
        "  general path only": _loop_slow,
    }
    if baseline_module is not None:
        loops[f"  at {args.baseline_rev}"] = parser_loop(baseline_module)
        loops[f"  at {args.baseline_rev}"](urls[:1000])
    results = list(best_of(loops, urls, args.rounds).items())
    baseline = results[0][1]
    print()
    print(f"{'function':24} {'URLs/s':>12} {'µs/URL':>8} {'× hyperlink':>12}")
    print("-" * 59)
    for name, seconds in results:
        print(
            f"{name:24} {n / seconds:>12,.0f} {seconds / n * 1e6:>8.2f} {baseline / seconds:>11.2f}×"
        )

    by_category: dict[str, list[str]] = defaultdict(list)
    for category, url in labelled:
        by_category[category].append(url)
    print()
    print(f"{'category':12} {'share':>6} {'parser µs':>10} {'hyperlink µs':>13} {'ratio':>7}")
    print("-" * 52)
    for category, group in by_category.items():
        times = best_of({"ours": _loop_parser, "theirs": _loop_hyperlink}, group, args.rounds)
        ours, theirs = (times[k] / len(group) * 1e6 for k in ("ours", "theirs"))
        print(
            f"{category:12} {len(group) / n:>6.1%} {ours:>10.2f} {theirs:>13.2f} "
            f"{theirs / ours:>6.1f}×"
        )
    ratio = baseline / results[1][1]
    print()
    print(f"parse_flickr_url is {ratio:.1f}× hyperlink.parse (target ≥ 1.0×)")
    ok = ratio >= 1.0
    if baseline_module is not None:
        before = dict(results)[f"  at {args.baseline_rev}"]
        speedup = before / results[1][1]
        print(
            f"parse_flickr_url is {speedup:.2f}× the parser at {args.baseline_rev} "
            "(same run, same URLs; target ≥ 1.0×)"
        )
        ok = ok and speedup >= 1.0
        rows = read_links()
        print()
        print(f"Commons Flickr links ({len(rows)}, {LINKS_FILE.name}): read as expected")
        for name, module in (
            (args.baseline_rev, baseline_module),
            ("now", sys.modules[parse_flickr_url.__module__]),
        ):
            right, fooled = recognition(module, rows)
            print(
                f"  {name:>12}: {right}/{len(rows)} = {right / len(rows):.0%}"
                f"; look-alikes given a photo id: {fooled}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
