"""Plans per second of the pure core on realistic files, doing what a real run does per file.

The measured loop is ``Job.plan_file``'s pure part and what the job then reads off the
plan: ``wanted_statements``, ``licence_info``, ``plan`` (with the owner, the evidence and
creator-item lookups), then the ``wbeditentity`` payload (``Plan.edit``), the changed
properties for the summary and the conflicts for the review queue.

The corpus is generated here, deterministically: mediainfo entities of a few KB each as
``wbgetentities`` returns them (hashes, ids, the statements upload tools and bots leave:
instance of, licence, copyright status, depicts, MIME type, checksum, size, dimensions)
with a mixture of Flickr situations — no SDC at all, everything already there, source
without operator, placeholder creators, conflicting dates, creator items, other websites'
sources — and one distinct Flickr photo per file (distinct URLs, so the URL caches in
``bot.core.reconcile`` are cleared before every round and do not flatter the result).

Baselines, in the same run on the same entities: ``json.loads`` of each entity's text
(what reading it from the API costs anyway) and ``copy.deepcopy`` of the decoded entity.
The ratio says how many JSON decodes one plan costs.

    .venv/bin/python benchmarks/bench_plan.py            # 5,000 files, best of 5
    .venv/bin/python benchmarks/bench_plan.py --quick    # 500 files, best of 2
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from bot.core.claims import licence_info, wanted_statements
from bot.core.flickr_photo import FlickrLocation, FlickrOwner, FlickrPhoto
from bot.core.reconcile import clear_caches, plan
from bot.core.wikibase import (
    format_time,
    globecoordinate_snak,
    item_snak,
    pseudo_hash,
    somevalue_snak,
    string_snak,
    time_snak,
)

KINDS = (
    "no_sdc",
    "all_there",
    "source_without_operator",
    "placeholder_creator",
    "date_conflict",
    "creator_item",
    "other_website_source",
    "upload_tool_basic",
)


def _hashed(snak: dict[str, Any]) -> dict[str, Any]:
    return {**snak, "hash": pseudo_hash(snak)}


class _Builder:
    """Statements of one entity with Commons-style ids and hashes."""

    def __init__(self, mid: str, rng: random.Random) -> None:
        self.mid, self.rng = mid, rng
        self.statements: dict[str, list[dict[str, Any]]] = {}

    def add(self, main: dict[str, Any], *qualifiers: dict[str, Any], refs: bool = False) -> None:
        statement: dict[str, Any] = {"mainsnak": _hashed(main), "type": "statement"}
        if qualifiers:
            grouped: dict[str, list[dict[str, Any]]] = {}
            for q in qualifiers:
                grouped.setdefault(q["property"], []).append(_hashed(q))
            statement["qualifiers"] = grouped
            statement["qualifiers-order"] = list(grouped)
        statement["id"] = f"{self.mid}${self.rng.getrandbits(128):032X}"
        statement["rank"] = "normal"
        if refs:
            snak = _hashed(string_snak("P854", "https://www.flickr.com/"))
            statement["references"] = [
                {"hash": pseudo_hash(snak), "snaks": {"P854": [snak]}, "snaks-order": ["P854"]}
            ]
        self.statements.setdefault(main["property"], []).append(statement)


def make_case(n: int, rng: random.Random) -> tuple[str, FlickrPhoto, str]:
    """One (entity JSON text, photo, kind)."""
    kind = KINDS[n % len(KINDS)]
    nsid = f"{30000000 + n}@N0{n % 8}"
    alias = f"user{n}" if n % 3 else None
    owner = FlickrOwner(
        nsid=nsid,
        username=f"User {n}",
        realname=f"Real Name {n}" if n % 2 else None,
        path_alias=alias,
    )
    photo_id = str(50000000000 + n * 7919)
    posted = datetime(2012, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10 * 365 * 86400))
    taken = posted - timedelta(days=rng.randrange(0, 4000))
    granularity = rng.choice([0, 0, 0, 4, 6, 8])
    photo = FlickrPhoto(
        id=photo_id,
        owner=owner,
        date_posted=posted,
        date_taken=taken.strftime("%Y-%m-%d %H:%M:%S"),
        date_taken_granularity=granularity,
        location=FlickrLocation(rng.uniform(-60, 70), rng.uniform(-180, 180), rng.randint(1, 16))
        if n % 4
        else None,
        license_id=rng.choice(["4", "5", "9", "10"]),
    )
    mid = f"M{100000000 + n}"
    if kind == "no_sdc":
        return json.dumps({"id": mid, "missing": ""}), photo, kind
    b = _Builder(mid, rng)
    # What every uploaded file carries, whoever uploaded it.
    b.add(item_snak("P31", "Q125191"))
    b.add(item_snak("P275", rng.choice(["Q19068220", "Q19125117", "Q6938433"])))
    b.add(item_snak("P6216", "Q50423863"))
    for qid in rng.sample(
        ["Q515", "Q1190", "Q7370", "Q8502", "Q4022", "Q23397", "Q12280", "Q16970"], 3
    ):
        b.add(item_snak("P180", qid), refs=rng.random() < 0.3)
    b.add(string_snak("P1163", "image/jpeg"))
    b.add(string_snak("P4092", f"{rng.getrandbits(160):040x}"), item_snak("P459", "Q13414952"))
    for prop, unit in (("P3575", "Q8799"), ("P2048", "Q355198"), ("P2049", "Q355198")):
        b.add(
            {
                "snaktype": "value",
                "property": prop,
                "datavalue": {
                    "type": "quantity",
                    "value": {
                        "amount": f"+{rng.randint(500, 9000000)}",
                        "unit": f"http://www.wikidata.org/entity/{unit}",
                    },
                },
            }
        )
    page = photo.photo_page_url
    creator = [
        somevalue_snak("P170"),
        string_snak("P3267", nsid),
        string_snak("P2093", owner.display_name or nsid),
        string_snak("P2699", owner.profile_url),
    ]
    source = [
        item_snak("P7482", "Q74228490"),
        string_snak("P973", page),
        item_snak("P137", "Q103204"),
    ]
    day = format_time(taken.year, taken.month, taken.day, 11)
    if kind == "all_there":
        b.add(string_snak("P12120", photo_id))
        b.add(*creator)
        b.add(*source)
        for w in wanted_statements(photo)[3:]:
            b.add(
                w["mainsnak"], *[s for group in (w.get("qualifiers") or {}).values() for s in group]
            )
    elif kind == "source_without_operator":
        b.add(
            item_snak("P7482", "Q74228490"),
            string_snak("P973", page.replace("https://www.", "http://").rstrip("/")),
        )
        b.add(*creator)
    elif kind == "placeholder_creator":
        b.add(
            somevalue_snak("P170"),
            string_snak(
                "P2093", rng.choice(["null", owner.username or "x", f"Flickr user {alias or nsid}"])
            ),
            refs=True,
        )
        b.add(*source)
        b.add(time_snak("P571", day, 11))
    elif kind == "date_conflict":
        b.add(time_snak("P571", format_time(taken.year - 1, 1, 1, 9), 9))
        b.add(*source)
        b.add(globecoordinate_snak("P1259", 52.9913, 6.5702, 0.0001))
    elif kind == "creator_item":
        b.add(item_snak("P170", f"Q{1000000 + n}"))
        b.add(*source)
    elif kind == "other_website_source":
        b.add(
            item_snak("P7482", "Q74228490"),
            string_snak("P973", f"https://collections.example.org/item/{n}"),
            item_snak("P137", "Q894583"),
        )
        b.add(somevalue_snak("P170"), string_snak("P2093", "John Smith"))
    elif kind == "upload_tool_basic":
        b.add(item_snak("P7482", "Q74228490"), string_snak("P973", page))
        b.add(
            somevalue_snak("P170"),
            string_snak("P2093", owner.display_name or nsid),
            string_snak("P2699", owner.profile_url),
        )
        b.add(time_snak("P571", day, 11))
    entity = {
        "type": "mediainfo",
        "id": mid,
        "labels": {"en": {"language": "en", "value": f"Photo {photo_id}"}},
        "descriptions": {},
        "statements": b.statements,
        "pageid": 100000000 + n,
        "ns": 6,
        "title": f"File:Photo {photo_id}.jpg",
        "lastrevid": 900000000 + n,
        "modified": "2025-01-01T00:00:00Z",
    }
    return json.dumps(entity), photo, kind


def best_of(
    loop: Callable[[], None], rounds: int, before: Callable[[], None] = lambda: None
) -> float:
    """The fastest of ``rounds`` timed runs (GC off while timing), in seconds."""
    best = float("inf")
    for _ in range(rounds):
        before()
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            loop()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best


def main(argv: list[str] | None = None) -> int:
    """Build the corpus, time the loops, print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="500 files, best of 2: a smoke run")
    ap.add_argument("--files", type=int, help="number of files (default 5,000; 500 with --quick)")
    ap.add_argument("--rounds", type=int, help="timed rounds per loop (default 5; 2 with --quick)")
    args = ap.parse_args(argv)
    count = args.files or (500 if args.quick else 5000)
    rounds = args.rounds or (2 if args.quick else 5)

    rng = random.Random(20231207)
    corpus = [make_case(n, rng) for n in range(count)]
    texts = [text for text, _, _ in corpus]
    entities = [json.loads(text) for text in texts]
    photos = [photo for _, photo, _ in corpus]
    lookups = {
        f"Q{1000000 + n}": [photo.owner.nsid] for n, photo in enumerate(photos) if n % 16 == 5
    }
    pairs = list(zip(entities, photos, strict=True))

    def loop_plan() -> None:
        for entity, photo in pairs:
            result = plan(
                entity,
                wanted_statements(photo),
                evidence_photo_ids=(photo.id,),
                wikidata_flickr_ids=lookups,
                owner=photo.owner,
                licence=licence_info(photo, entity),
            )
            _ = (result.edit, result.changed_properties, result.conflicts)

    def loop_loads() -> None:
        for text in texts:
            json.loads(text)

    def loop_deepcopy() -> None:
        for entity in entities:
            copy.deepcopy(entity)

    outcomes: Counter[str] = Counter()
    edits = licences = 0
    for entity, photo in pairs:
        result = plan(
            entity,
            wanted_statements(photo),
            evidence_photo_ids=(photo.id,),
            wikidata_flickr_ids=lookups,
            owner=photo.owner,
            licence=licence_info(photo, entity),
        )
        edits += result.edit is not None
        licences += result.licence is not None
        for action in result.actions:
            outcomes[str(action.action)] += 1

    t_plan = best_of(loop_plan, rounds, before=clear_caches)
    t_loads = best_of(loop_loads, rounds)
    t_copy = best_of(loop_deepcopy, rounds)
    sizes = sorted(len(t) for t in texts)

    print(
        f"Python {sys.version.split()[0]}, {count} files (median entity {sizes[len(sizes) // 2] / 1024:.1f} KB, "
        f"max {sizes[-1] / 1024:.1f} KB), best of {rounds}"
    )
    print("actions: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print(f"files with an edit: {edits}, with licence information: {licences}")
    print()
    print(f"{'loop':40} {'files/s':>10} {'µs/file':>9} {'× json.loads':>13}")
    print("-" * 75)
    for name, seconds in (
        ("plan a file (wanted+licence+plan+edit)", t_plan),
        ("json.loads (baseline)", t_loads),
        ("copy.deepcopy (baseline)", t_copy),
    ):
        print(
            f"{name:40} {count / seconds:>10,.0f} {seconds / count * 1e6:>9.1f} {seconds / t_loads:>13.2f}"
        )
    print()
    print(
        f"one plan costs {t_plan / t_loads:.1f}× json.loads and {t_plan / t_copy:.2f}× copy.deepcopy of the same entity"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
