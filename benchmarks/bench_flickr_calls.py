"""Flickr calls per file: cost-based fetching against always-getInfo, on a realistic owner mix.

Commons files copied from Flickr are spread over owners with a heavy tail: a few
institutional accounts (Biodiversity Heritage Library, British Library, Library of
Congress...) own hundreds of thousands of Flickr photos and thousands of the Commons files,
while most owners have one to three files among a few hundred to a few thousand photos.

This benchmark generates such a population from a fixed seed (~20,000 files; ``--quick``
~2,000), serves it from the local stand-in Flickr server (``bot.standins.flickr``, lazily
synthesised photos) and runs the real ``FlickrClient`` over real HTTP:

1. baseline: one ``flickr.photos.getInfo`` per file;
2. each owner's whole set of files in one ``fetch_photos`` call (the best case for the
   cost model; how the first version of this benchmark measured);
3. the job's way: the worklist in owner order (``Store.select_files``' ORDER BY), cut
   into 50-file batches, one ``fetch_photos`` per owner per batch, and a people.getInfo
   (cached) for the owner of a gone photo, as ``Job.plan_file`` asks; a fresh client
   (so a fresh listing cache) per run, as every ``backfill run`` has;
4. the same with ``expected_later`` (the owner's files in later batches), which the
   job could pass.

Each runs twice: a first run with a cold owner cache, then a later run with the owner
cache of the first (owners remembered). The Biodiversity Heritage Library has its real
NSID and BHL's pair of tags (``bhl:page=<id>`` and a ``dc:identifier`` page URL), so its
photos come from its list like anybody's; a few (``BHL_DOUBTFUL_SHARE``, an invented
share) carry a page tag the list cannot vouch for and cost one getInfo more.

Last, BHL reverse matching: files that cite only a BHL page id (``BHL_ONLY_FILES``,
pages of BHL's listed photos) are matched through the job's own ``refresh_bhl_list`` (BHL's
list into a store, then by page), first with an empty store, then as a later run (only
photos uploaded since); against one ``flickr.photos.search`` per file, the alternative.

It prints calls per file for each, their ratio to the baseline and to the floor, calls
by method and by owner segment, checks that every way returns the same answers (the BHL
page id included: the list must give the P687 getInfo's raw tags give), and
cross-checks the real call count of way 2 against the cost model for several
owner-lookup thresholds.

The floor is what a client knowing every owner's photo count and every photo's fate
would need: per owner, the cheaper of one call per page of 500 of its list and one
getInfo per live file; plus one getInfo per gone file (only getInfo says why) and per
file whose owner the bot does not know.

    .venv/bin/python benchmarks/bench_flickr_calls.py [--quick] [--seed N] [--workers N]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, overload

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.flickr import (
    DEFAULT_LOOKUP_THRESHOLD,
    MAX_PER_PAGE,
    FetchError,
    FlickrClient,
    MemoryOwnerCache,
    Strategy,
    choose_strategy,
    listing_pages,
)
from bot.adapters.ratelimit import TokenBucket
from bot.core.bhl import MatchKind, match_kind
from bot.core.claims import bhl_page_id
from bot.core.flickr_photo import FlickrPhoto, FlickrPhotoGone
from bot.core.ids import BHL_NSID
from bot.run.bhl import refresh_bhl_list
from bot.standins.flickr import (
    StandinData,
    make_person,
    normalise_machine_tag,
    run_flickr_standin,
)
from bot.store import Store

BATCH_SIZE = 50  # RunOptions.batch_size, config batch_size
ID_BASE = 30_000_000_000
ID_STRIDE = 1_000_000  # photo id = ID_BASE + owner index * ID_STRIDE + sequence number
GONE_SHARE = 0.06  # files whose Flickr photo was deleted or made private
UNKNOWN_OWNER_SHARE = 0.03  # files whose owner the bot could not establish
DELETED_OWNER_SHARE = 0.01  # tail owners whose account is gone
BHL_DOUBTFUL_EVERY = 100  # 1 BHL photo in 100 has a page tag the list cannot vouch for
BHL_ONLY_FILES = 5_000  # files citing only a BHL page id (--quick: a tenth)


@dataclass
class Owner:
    """One synthetic Flickr account and the Commons files that come from it."""

    index: int
    nsid: str
    alias: str
    segment: str
    photos: int
    deleted: bool = False
    wanted: list[int] = field(default_factory=list)  # sequence numbers of Commons files

    @property
    def username(self) -> str:
        return self.alias.replace("_", " ").title()

    def photo_id(self, seq: int) -> str:
        return str(ID_BASE + self.index * ID_STRIDE + seq)


@dataclass
class Population:
    owners: list[Owner]
    files: list[tuple[str | None, str, str]]  # (nsid given to fetch_photos, photo id, segment)

    @property
    def groups(self) -> dict[tuple[str | None, str], list[str]]:
        grouped: dict[tuple[str | None, str], list[str]] = {}
        for nsid, photo_id, segment in self.files:
            grouped.setdefault((nsid, segment), []).append(photo_id)
        return grouped


def generate(seed: int, scale: float) -> Population:
    """The owner mix; ``scale`` shrinks both file counts and big photo counts (--quick)."""
    rng = random.Random(seed)
    owners: list[Owner] = []

    def add(segment: str, alias: str, photos: int, n_files: int, deleted: bool = False) -> None:
        index = len(owners)
        nsid = BHL_NSID if alias == "biodivlibrary" else f"{40_000_000 + index}@N0{index % 10}"
        owner = Owner(index, nsid, alias, segment, max(1, photos), deleted)
        n_files = max(1, min(n_files, owner.photos))
        gone = sum(rng.random() < GONE_SHARE for _ in range(n_files))
        live = n_files - gone
        owner.wanted = rng.sample(range(owner.photos), live) + [
            owner.photos + k
            for k in range(gone)  # ids past the listing: deleted/private
        ]
        owners.append(owner)

    institutions = [
        ("biodivlibrary", 60_000, 5_000),
        ("britishlibrary", 90_000, 2_500),
        ("library_of_congress", 30_000, 1_200),
        ("nasacommons", 15_000, 600),
        ("statelibraryofnsw", 8_000, 400),
    ]
    for alias, photos, n_files in institutions:
        add("institution", alias, int(photos * scale), int(n_files * scale))
    for k in range(int(40 * scale) or 1):
        photos = int(math.exp(rng.uniform(math.log(1_000), math.log(20_000))))
        add("mid-size", f"archive{k}", photos, min(200, int(20 * rng.paretovariate(1.2))))
    for k in range(int(300 * scale) or 1):
        photos = int(math.exp(rng.uniform(math.log(500), math.log(10_000))))
        add("prolific", f"photographer{k}", photos, min(30, 4 + int(rng.paretovariate(1.5)) * 2))
    target = int(20_000 * scale)
    total = sum(len(o.wanted) for o in owners)
    k = 0
    while total < target:
        photos = int(math.exp(rng.uniform(math.log(200), math.log(5_000))))
        n_files = rng.choices([1, 2, 3], weights=[70, 20, 10])[0]
        add("tail", f"user{k}", photos, n_files, deleted=rng.random() < DELETED_OWNER_SHARE)
        total += len(owners[-1].wanted)
        k += 1

    files: list[tuple[str | None, str, str]] = []
    for owner in owners:
        for seq in owner.wanted:
            nsid = None if rng.random() < UNKNOWN_OWNER_SHARE else owner.nsid
            files.append((nsid, owner.photo_id(seq), owner.segment))
    rng.shuffle(files)
    return Population(owners, files)


def lean_photo(owner: Owner, seq: int) -> dict[str, Any]:
    """A getInfo ``photo`` object with only what the client reads (the stand-in makes
    hundreds of thousands of these a run, so ``make_photo``'s extras would dominate)."""
    institution = owner.segment == "institution"
    photo: dict[str, Any] = {
        "id": owner.photo_id(seq),
        "secret": "0badc0de",
        "server": "65535",
        "farm": 66,
        "license": "9" if institution else "4",
        "media": "photo",
        "owner": {
            "nsid": owner.nsid,
            "username": owner.username,
            "realname": "",
            "path_alias": owner.alias,
        },
        "title": {"_content": f"Image {seq}"},
        "visibility": {"ispublic": 1, "isfriend": 0, "isfamily": 0},
        "dates": {
            "posted": str(1_200_000_000 + seq * 600),
            "taken": "1890-01-01 00:00:00" if institution else "2015-05-05 10:00:00",
            "takengranularity": 6 if institution else 0,
            "takenunknown": "0",
        },
    }
    if owner.alias == "biodivlibrary":
        photo["tags"] = {
            "tag": [
                {"raw": raw, "_content": normalise_machine_tag(raw), "machine_tag": 1}
                for raw in bhl_tags(seq)
            ]
        }
    if seq % 4 == 0:
        photo["location"] = {
            "latitude": f"{48 + seq % 100 / 100:.6f}",
            "longitude": "2.0",
            "accuracy": "16",
            "context": "0",
        }
        photo["geoperms"] = {"ispublic": 1}
    return photo


def bhl_tags(seq: int) -> list[str]:
    """BHL's tags: ``bhl:page`` and its ``dc:identifier`` page URL; one photo in
    ``BHL_DOUBTFUL_EVERY`` has a doubtful page tag instead, in turn: punctuation that
    normalises into digits, a value that is not a page number, no page URL beside it."""
    page = seq + 1000
    url = f"dc:identifier=https://biodiversitylibrary.org/page/{page}"
    if seq % BHL_DOUBTFUL_EVERY != BHL_DOUBTFUL_EVERY - 1:
        return [f"bhl:page={page}", url]
    kind = seq // BHL_DOUBTFUL_EVERY % 3
    if kind == 0:
        return [f"bhl:page={page}(2)", url]  # listed as <page>2, the URL says <page>
    if kind == 1:
        return [f"bhl:page={page}a", url]
    return [f"bhl:page={page}"]


def bhl_doubtful(owner: Owner, seq: int) -> bool:
    """Whether a listed photo of ``owner`` costs a getInfo for its raw tags."""
    return (
        owner.nsid == BHL_NSID
        and seq < owner.photos
        and seq % BHL_DOUBTFUL_EVERY == BHL_DOUBTFUL_EVERY - 1
    )


class SynthPhotos(Mapping[str, dict[str, Any]]):
    """getInfo photo objects made on demand from the id (no 650,000 dicts in memory)."""

    def __init__(self, owners: Sequence[Owner]) -> None:
        self._owners = owners

    def __getitem__(self, photo_id: str) -> dict[str, Any]:
        if not photo_id.isdigit():
            raise KeyError(photo_id)
        index, seq = divmod(int(photo_id) - ID_BASE, ID_STRIDE)
        if not 0 <= index < len(self._owners):
            raise KeyError(photo_id)
        owner = self._owners[index]
        if seq >= owner.photos or owner.deleted:
            raise KeyError(photo_id)
        return lean_photo(owner, seq)

    def __iter__(self) -> Iterator[str]:
        for owner in self._owners:
            for seq in range(owner.photos):
                yield owner.photo_id(seq)

    def __len__(self) -> int:
        return sum(o.photos for o in self._owners)


class SynthListing(Sequence[str]):
    """An owner's public photo ids, newest first, without materialising them."""

    def __init__(self, owner: Owner) -> None:
        self._owner = owner

    def __len__(self) -> int:
        return 0 if self._owner.deleted else self._owner.photos

    @overload
    def __getitem__(self, item: int) -> str: ...

    @overload
    def __getitem__(self, item: slice) -> list[str]: ...

    def __getitem__(self, item: int | slice) -> str | list[str]:
        if isinstance(item, slice):
            return [self[i] for i in range(*item.indices(len(self)))]
        if not -len(self) <= item < len(self):
            raise IndexError(item)
        return self._owner.photo_id(len(self) - 1 - (item % len(self)))


def standin_data(population: Population) -> StandinData:
    data = StandinData(photos=SynthPhotos(population.owners))  # type: ignore[arg-type]
    for owner in population.owners:
        if owner.deleted:
            data.deleted_owners.add(owner.nsid)
            continue
        data.owners[owner.nsid] = make_person(
            owner.nsid,
            owner.username,
            path_alias=owner.alias,
            photos_count=owner.photos,
        )
        data.listings[owner.nsid] = SynthListing(owner)
    return data


def _serve(population: Population, conn: Connection) -> None:
    """Child process: serve the population until the parent says stop."""
    with run_flickr_standin(standin_data(population)) as standin:
        conn.send((standin.url, standin.api_key))
        while (message := conn.recv()) != "stop":
            if message == "counts":
                conn.send(dict(standin.counts))


@contextmanager
def standin_process(
    population: Population,
) -> Iterator[tuple[str, str, Callable[[], Counter[str]]]]:
    """The stand-in in a forked process, so it does not share the client's GIL (the
    benchmark would otherwise time Python's GIL, not Flickr calls)."""
    parent, child = multiprocessing.get_context("fork").Pipe()
    process = multiprocessing.get_context("fork").Process(
        target=_serve, args=(population, child), daemon=True
    )
    process.start()
    url, api_key = parent.recv()

    def counts() -> Counter[str]:
        parent.send("counts")
        return Counter(parent.recv())

    try:
        yield url, api_key, counts
    finally:
        parent.send("stop")
        process.join(timeout=10)


# --------------------------------------------------------------------------- the cost model


def modelled_calls(population: Population, threshold: int, owner_cached: bool) -> int:
    """Calls ``fetch_photos`` should make, computed from what the generator knows."""
    by_nsid = {o.nsid: o for o in population.owners}
    total = 0
    for (nsid, _segment), ids in population.groups.items():
        n = len(ids)
        owner = by_nsid.get(nsid) if nsid else None
        if owner is None:
            total += n
            continue
        if owner_cached and n >= max(3, threshold):  # looked up by the first run
            if owner.deleted:
                total += n
                continue
            strategy = choose_strategy(n, owner.photos, lookup_threshold=threshold)
        else:
            strategy = choose_strategy(n, None, lookup_threshold=threshold)
            if strategy is Strategy.LOOKUP_OWNER:
                total += 1
                strategy = (
                    Strategy.GET_INFO
                    if owner.deleted
                    else choose_strategy(n, owner.photos, lookup_threshold=threshold)
                )
        if strategy is Strategy.GET_INFO:
            total += n
            continue
        # page through as the client does: stop when all are found, or when the pages
        # left cost at least as much as getInfo for the photos still missing
        seqs = [int(i) - ID_BASE - owner.index * ID_STRIDE for i in ids]
        pages = listing_pages(owner.photos)
        on_page = Counter(
            (owner.photos - 1 - s) // MAX_PER_PAGE + 1 for s in seqs if s < owner.photos
        )
        remaining = n
        listed: list[int] = []
        for page in range(1, pages + 1):
            total += 1
            remaining -= on_page[page]
            listed.append(page)
            if remaining == 0 or pages - page >= remaining:
                break
        total += remaining
        total += sum(
            1
            for s in seqs
            if bhl_doubtful(owner, s) and (owner.photos - 1 - s) // MAX_PER_PAGE + 1 in listed
        )
    return total


def floor_calls(population: Population) -> tuple[int, int, int]:
    """The floor (module docstring): (list pages or getInfo of live files of known
    owners, getInfo of gone files, getInfo of files of owners the bot does not know)."""
    by_nsid = {o.nsid: o for o in population.owners}
    listed = gone = unknown = 0
    for (nsid, _segment), ids in population.groups.items():
        owner = by_nsid.get(nsid) if nsid else None
        if owner is None:
            unknown += len(ids)
            continue
        seqs = [int(i) - ID_BASE - owner.index * ID_STRIDE for i in ids]
        live = [s for s in seqs if s < owner.photos and not owner.deleted]
        gone += len(seqs) - len(live)
        if live:
            listed += min(len(live), listing_pages(owner.photos))
    return listed, gone, unknown


# --------------------------------------------------------------------------- runs


@dataclass
class RunResult:
    name: str
    calls: int
    by_method: Counter[str]
    by_segment: dict[str, int]
    seconds: float
    answers: dict[str, tuple[Any, ...]]


def summary(result: FlickrPhoto | FlickrPhotoGone | FetchError) -> tuple[Any, ...]:
    """What must agree between strategies: the machine tags differ by normalisation,
    but the BHL page id (P687) read from them must not."""
    if isinstance(result, FlickrPhoto):
        return (
            "photo",
            result.owner.nsid,
            result.owner.path_alias,
            result.date_posted,
            result.date_taken,
            result.license_id,
            result.location,
            result.title,
            bhl_page_id(result),
        )
    if isinstance(result, FlickrPhotoGone):
        return ("gone",)
    return ("error", result.message)


def _client(url: str, api_key: str, cache: MemoryOwnerCache, threshold: int) -> FlickrClient:
    return FlickrClient(
        api_key,
        base_url=url,
        rate_limiter=TokenBucket.unlimited(),
        owner_cache=cache,
        lookup_threshold=threshold,
    )


def run(
    name: str,
    population: Population,
    url: str,
    api_key: str,
    workers: int,
    *,
    baseline: bool,
    cache: MemoryOwnerCache,
    threshold: int,
) -> RunResult:
    """Ways 1 and 2: one call per owner group (or per photo), owners in parallel."""
    client = _client(url, api_key, cache, threshold)
    answers: dict[str, tuple[Any, ...]] = {}
    by_segment: dict[str, int] = {}
    groups = population.groups
    started = time.perf_counter()
    with client, ThreadPoolExecutor(workers) as pool:
        for segment in SEGMENTS:
            before = client.calls
            jobs = [
                pool.submit(client.fetch_photos, None if baseline else nsid, ids)
                for (nsid, seg), ids in groups.items()
                if seg == segment
            ]
            for job in jobs:
                for photo_id, result in job.result().items():
                    answers[photo_id] = summary(result)
            by_segment[segment] = client.calls - before
    return RunResult(
        name,
        client.calls,
        client.calls_by_method,
        by_segment,
        time.perf_counter() - started,
        answers,
    )


def job_order(population: Population) -> list[tuple[str | None, str, str]]:
    """The worklist as ``Store.select_files`` gives it: ``ORDER BY coalesce(owner_nsid,
    owner_alias, '~'), id``; the shuffled file list stands for the snapshot's row order."""
    return [
        f
        for _, f in sorted(
            enumerate(population.files), key=lambda item: (item[1][0] or "~", item[0])
        )
    ]


def run_batched(
    name: str,
    population: Population,
    url: str,
    api_key: str,
    *,
    cache: MemoryOwnerCache,
    threshold: int,
    hint: bool,
) -> RunResult:
    """Ways 3 and 4: what ``Job`` does, batch after batch, in one process (no threads)."""
    client = _client(url, api_key, cache, threshold)
    files = job_order(population)
    left = Counter(nsid for nsid, _, _ in files if nsid)
    answers: dict[str, tuple[Any, ...]] = {}
    by_segment: Counter[str] = Counter()
    started = time.perf_counter()
    with client:
        for start in range(0, len(files), BATCH_SIZE):
            groups: dict[str | None, list[tuple[str, str]]] = {}
            for nsid, photo_id, segment in files[start : start + BATCH_SIZE]:
                groups.setdefault(nsid, []).append((photo_id, segment))
            for nsid, members in groups.items():  # Job.fetch_flickr: one call per owner
                segment = members[0][1]
                before = client.calls
                if nsid:
                    left[nsid] -= len(members)
                later = left[nsid] if hint and nsid else 0
                photo_ids = sorted({photo_id for photo_id, _ in members})
                results = client.fetch_photos(nsid, photo_ids, expected_later=later)
                for photo_id, result in results.items():
                    answers[photo_id] = summary(result)
                    if nsid and isinstance(result, FlickrPhotoGone):
                        client.get_owner(nsid)  # Job.plan_file: does the account exist?
                by_segment[segment] += client.calls - before
    return RunResult(
        name,
        client.calls,
        client.calls_by_method,
        dict(by_segment),
        time.perf_counter() - started,
        answers,
    )


SEGMENTS = ("institution", "mid-size", "prolific", "tail")


@dataclass
class BhlReverse:
    files: int
    first_calls: int
    later_calls: int
    matched: int
    listed: int


def run_bhl_reverse(population: Population, url: str, api_key: str, scale: float) -> BhlReverse:
    """BHL-only files (each citing the page of one BHL photo) matched the job's way: BHL's
    list read into a fresh store once, then a later run's refresh; each file by page."""
    bhl = next(o for o in population.owners if o.nsid == BHL_NSID)
    rng = random.Random(bhl.photos)
    seqs = rng.sample(range(bhl.photos), min(bhl.photos, int(BHL_ONLY_FILES * scale)))
    pages = [str(seq + 1000) for seq in seqs]  # bhl_tags: page = seq + 1000
    client = _client(url, api_key, MemoryOwnerCache(), DEFAULT_LOOKUP_THRESHOLD)
    with client, Store(":memory:") as store:
        first = refresh_bhl_list(store, client)
        later = refresh_bhl_list(store, client)
        found = store.bhl_photos_for_pages(pages)
    matched = sum(match_kind(found.get(page, [])) is MatchKind.ONE for page in pages)
    return BhlReverse(len(pages), first.calls, later.calls, matched, first.listed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="~2,000 files instead of ~20,000")
    parser.add_argument("--seed", type=int, default=20_240_601)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument(
        "--threshold",
        type=int,
        default=DEFAULT_LOOKUP_THRESHOLD,
        help="owner lookup threshold passed to the client",
    )
    args = parser.parse_args(argv)

    population = generate(args.seed, 0.1 if args.quick else 1.0)
    files = len(population.files)
    segments = Counter(segment for _, _, segment in population.files)
    owners_by_segment = Counter(o.segment for o in population.owners)
    print(
        f"{files:,} files over {len(population.owners):,} owners, "
        f"{sum(o.photos for o in population.owners):,} Flickr photos (seed {args.seed})"
    )
    for segment in ("institution", "mid-size", "prolific", "tail"):
        print(
            f"  {segment:<12} {owners_by_segment[segment]:>6,} owners {segments[segment]:>7,} files"
        )

    whole_cache, batch_cache, hint_cache = (
        MemoryOwnerCache(),
        MemoryOwnerCache(),
        MemoryOwnerCache(),
    )
    with standin_process(population) as (url, api_key, served_counts):

        def whole(name: str, baseline: bool, cache: MemoryOwnerCache) -> RunResult:
            return run(
                name,
                population,
                url,
                api_key,
                args.workers,
                baseline=baseline,
                cache=cache,
                threshold=args.threshold,
            )

        def batched(name: str, cache: MemoryOwnerCache, hint: bool) -> RunResult:
            return run_batched(
                name, population, url, api_key, cache=cache, threshold=args.threshold, hint=hint
            )

        results = [
            whole("always getInfo (baseline)", True, MemoryOwnerCache()),
            whole("whole set per owner, 1st run", False, whole_cache),
            whole("whole set per owner, warm", False, whole_cache),
            batched("job's 50-file batches, 1st run", batch_cache, False),
            batched("job's 50-file batches, warm", batch_cache, False),
            batched("batches + expected_later, 1st", hint_cache, True),
            batched("batches + expected_later, warm", hint_cache, True),
        ]
        reverse = run_bhl_reverse(population, url, api_key, 0.1 if args.quick else 1.0)
        served = sum(served_counts().values())
    assert served == sum(r.calls for r in results) + reverse.first_calls + reverse.later_calls, (
        "client and server disagree on calls"
    )

    base = results[0]
    listed, gone, unknown = floor_calls(population)
    floor = listed + gone + unknown
    print()
    print(
        f"floor: {floor:,} calls = {floor / files:.3f} per file ({listed:,} for live files of "
        f"known owners, one call per owner per page of {MAX_PER_PAGE} or one getInfo per file "
        f"if fewer; {gone:,} getInfo for gone files; {unknown:,} for files of unknown owners)"
    )
    print(
        f"{'':<32}{'calls':>8}{'per file':>10}{'ratio':>8}{'/floor':>8}{'getInfo':>9}"
        f"{'people.':>9}{'getPhotos':>10}{'time':>8}"
    )
    for r in results:
        print(
            f"{r.name:<32}{r.calls:>8,}{r.calls / files:>10.3f}{r.calls / base.calls:>8.3f}"
            f"{r.calls / floor:>8.3f}"
            f"{r.by_method['flickr.photos.getInfo']:>9,}"
            f"{r.by_method['flickr.people.getInfo']:>9,}"
            f"{r.by_method['flickr.people.getPhotos']:>10,}{r.seconds:>7.1f}s"
        )
    print()
    print("calls per file by segment, in the order of the table above:")
    for segment in SEGMENTS:
        n = segments[segment]
        cells = " ".join(f"{r.by_segment.get(segment, 0) / n:.3f}" for r in results)
        print(f"  {segment:<12} {cells}")
    bhl = next(o for o in population.owners if o.nsid == BHL_NSID)
    doubtful = sum(bhl_doubtful(bhl, seq) for seq in bhl.wanted)
    print(
        f"  (BHL: {len(bhl.wanted):,} files over {listing_pages(bhl.photos):,} list pages; "
        f"{doubtful:,} of them with a page tag the list cannot vouch for, read again with "
        f"getInfo: {doubtful / files:.4f} per file)"
    )

    print()
    n = reverse.files
    print(
        f"BHL reverse matching: {n:,} files citing only a BHL page; BHL's list "
        f"({reverse.listed:,} photos) read into the store in {reverse.first_calls:,} calls = "
        f"{reverse.first_calls / n:.4f} per file (first run), {reverse.later_calls:,} = "
        f"{reverse.later_calls / n:.4f} per file (a later run, min_upload_date); one "
        f"photos.search per file: {n:,} = 1.000 per file. Matched to exactly one photo: "
        f"{reverse.matched:,} of {n:,} (the others' page tag is one the list cannot vouch for)"
    )

    mismatches = [
        pid
        for pid, answer in base.answers.items()
        if any(r.answers.get(pid) != answer for r in results[1:])
    ]
    print()
    print(f"answers differing from the baseline: {len(mismatches)} of {files:,}")

    print()
    print("cost model of the whole-set way for other owner-lookup thresholds, calls per file:")
    for threshold in (3, 4, 5, 6, 8, 10**9):
        cold = modelled_calls(population, threshold, owner_cached=False)
        warm = modelled_calls(population, threshold, owner_cached=True)
        label = "never" if threshold == 10**9 else str(threshold)
        mark = "  <- this run" if threshold == args.threshold else ""
        print(
            f"  threshold {label:>5}: first run {cold / files:.3f}, warm {warm / files:.3f}{mark}"
        )
    predicted = modelled_calls(population, args.threshold, owner_cached=False)
    print(
        f"model predicted {predicted:,} calls for the whole-set first run; the client made "
        f"{results[1].calls:,}"
    )
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
