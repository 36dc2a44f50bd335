"""Sample conflicts in the real Wikibase shapes, for tests, the benchmark and local demos.

One conflict of each kind the bot queues (creator, inception at three precisions and
circa, coordinates, source of file, photo id, published in, BHL page), written through
``Store.record_conflicts`` like the job writes them. ``seed`` cycles through them with
distinct files and owners, so a queue of any size has realistic variety.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from bot.core import ids
from bot.core.flickr_photo import FlickrOwner
from bot.store import ConflictRecord, Store

Statement = dict[str, Any]

WORDS: Final = (
    "Harbour",
    "Bridge",
    "Market",
    "Portrait",
    "Tram",
    "Cathedral",
    "Festival",
    "Botanical plate",
    "Street",
    "Lighthouse",
    "Parade",
    "Museum",
)


def _string(prop: str, value: str) -> dict[str, Any]:
    return {"snaktype": "value", "property": prop, "datavalue": {"type": "string", "value": value}}


def _item(prop: str, qid: str) -> dict[str, Any]:
    return {
        "snaktype": "value",
        "property": prop,
        "datavalue": {
            "type": "wikibase-entityid",
            "value": {"entity-type": "item", "id": qid, "numeric-id": int(qid[1:])},
        },
    }


def _time(prop: str, time: str, precision: int) -> dict[str, Any]:
    return {
        "snaktype": "value",
        "property": prop,
        "datavalue": {
            "type": "time",
            "value": {
                "time": time,
                "timezone": 0,
                "before": 0,
                "after": 0,
                "precision": precision,
                "calendarmodel": ids.CALENDAR_GREGORIAN,
            },
        },
    }


def _coord(lat: float, lon: float, precision: float) -> dict[str, Any]:
    return {
        "snaktype": "value",
        "property": ids.P_COORDINATES_OF_POV,
        "datavalue": {
            "type": "globecoordinate",
            "value": {
                "latitude": lat,
                "longitude": lon,
                "altitude": None,
                "precision": precision,
                "globe": ids.GLOBE_EARTH,
            },
        },
    }


def statement(
    mainsnak: dict[str, Any],
    *qualifiers: dict[str, Any],
    sid: str | None = None,
    rank: str = "normal",
    references: int = 0,
) -> Statement:
    """A statement as ``wbgetentities`` returns it (with an id) or as the bot proposes it."""
    st: Statement = {"mainsnak": mainsnak, "type": "statement", "rank": rank}
    if qualifiers:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for q in qualifiers:
            grouped.setdefault(q["property"], []).append(q)
        st["qualifiers"] = grouped
        st["qualifiers-order"] = list(grouped)
    if sid:
        st["id"] = sid
    if references:
        st["references"] = [
            {"snaks": {"P854": [_string("P854", "https://example.org/")]}, "snaks-order": ["P854"]}
        ] * references
    return st


def creator(nsid: str, name: str, *, sid: str | None = None) -> Statement:
    """P170 somevalue with the Flickr user ID, author name and profile URL qualifiers."""
    return statement(
        {"snaktype": "somevalue", "property": ids.P_CREATOR},
        _string(ids.P_FLICKR_USER_ID, nsid),
        _string(ids.P_AUTHOR_NAME_STRING, name),
        _string(ids.P_URL, f"https://www.flickr.com/people/{nsid}/"),
        sid=sid,
    )


def inception(
    time: str, precision: int, *, circa: bool = False, sid: str | None = None
) -> Statement:
    quals = [_item(ids.P_SOURCING_CIRCUMSTANCES, ids.Q_CIRCA)] if circa else []
    return statement(_time(ids.P_INCEPTION, time, precision), *quals, sid=sid)


def coordinates(lat: float, lon: float, precision: float, *, sid: str | None = None) -> Statement:
    return statement(_coord(lat, lon, precision), sid=sid)


def source(url: str, *, sid: str | None = None) -> Statement:
    return statement(
        _item(ids.P_SOURCE_OF_FILE, ids.Q_FILE_AVAILABLE_ON_INTERNET),
        _string(ids.P_DESCRIBED_AT_URL, url),
        _item(ids.P_OPERATOR, ids.Q_FLICKR),
        sid=sid,
    )


def photo_id(value: str, *, sid: str | None = None) -> Statement:
    return statement(_string(ids.P_FLICKR_PHOTO_ID, value), sid=sid)


def published(time: str, *, sid: str | None = None) -> Statement:
    return statement(
        _item(ids.P_PUBLISHED_IN, ids.Q_FLICKR),
        _time(ids.P_PUBLICATION_DATE, time, ids.PRECISION_DAY),
        sid=sid,
    )


def bhl_page(value: str, *, sid: str | None = None) -> Statement:
    return statement(_string(ids.P_BHL_PAGE_ID, value), sid=sid)


Builder = Callable[[str, str, str, str], ConflictRecord]  # (sid, nsid, name, photo id)

KIND_BUILDERS: Final[tuple[Builder, ...]] = (
    lambda sid, nsid, name, photo: ConflictRecord(
        ids.P_CREATOR,
        "creator_differs",
        [creator("10000001@N00", "A. N. Other", sid=sid)],
        creator(nsid, name),
        sid,
    ),
    lambda sid, nsid, name, photo: ConflictRecord(
        ids.P_INCEPTION,
        "date_differs",
        [inception("+1943-00-00T00:00:00Z", ids.PRECISION_YEAR, circa=True, sid=sid)],
        inception("+1965-05-17T00:00:00Z", ids.PRECISION_DAY),
        sid,
    ),
    lambda sid, nsid, name, photo: ConflictRecord(
        ids.P_INCEPTION,
        "date_precision_differs",
        [inception("+1965-05-00T00:00:00Z", ids.PRECISION_MONTH, sid=sid)],
        inception("+1965-05-17T00:00:00Z", ids.PRECISION_DAY),
        sid,
    ),
    lambda sid, nsid, name, photo: ConflictRecord(
        ids.P_COORDINATES_OF_POV,
        "coordinates_differ",
        [coordinates(51.5074, -0.1278, 0.0001, sid=sid)],
        coordinates(48.858370, 2.294481, 0.000001),
        sid,
    ),
    lambda sid, nsid, name, photo: ConflictRecord(
        ids.P_SOURCE_OF_FILE,
        "source_url_differs",
        [source("https://www.flickr.com/photos/someone/1/", sid=sid)],
        source(f"https://www.flickr.com/photos/{nsid}/{photo}/"),
        sid,
    ),
    lambda sid, nsid, name, photo: ConflictRecord(
        ids.P_FLICKR_PHOTO_ID, "photo_id_differs", [photo_id("1", sid=sid)], photo_id(photo), sid
    ),
    lambda sid, nsid, name, photo: ConflictRecord(
        ids.P_PUBLISHED_IN,
        "publication_date_differs",
        [published("+2017-02-17T00:00:00Z", sid=sid)],
        published("+2017-02-18T00:00:00Z"),
        sid,
    ),
    lambda sid, nsid, name, photo: ConflictRecord(
        ids.P_BHL_PAGE_ID,
        "bhl_page_differs",
        [bhl_page("33665645", sid=sid)],
        bhl_page("33665646"),
        sid,
    ),
)
"""One builder per kind of conflict the bot queues, in a fixed order."""
KINDS: Final = len(KIND_BUILDERS)
_KIND_FACTS: Final = tuple(
    (r.reason, r.property) for r in (build("M0$0", "1@N00", "x", "1") for build in KIND_BUILDERS)
)


@dataclass(frozen=True, slots=True)
class SampleFacts:
    """What the queue's filters look at in the i-th sample file, without building it: a
    benchmark checks a filtered page against these."""

    title: str
    owner_nsid: str
    reason: str
    property: str


def _owner_nsid(i: int, owners: int) -> str:
    return f"{20000000 + i % owners}@N0{i % 10}"


def _title(i: int) -> str:
    return f"File:{WORDS[i % len(WORDS)]} {i:07d}.jpg"


def sample_facts(i: int, *, owners: int = 5000) -> SampleFacts:
    reason, prop = _KIND_FACTS[i % KINDS]
    return SampleFacts(_title(i), _owner_nsid(i, owners), reason, prop)


def sample_file(i: int, *, owners: int = 5000) -> tuple[dict[str, Any], ConflictRecord]:
    """The i-th sample file (``record_conflicts`` keywords) and its one conflict."""
    mid = f"M{1000 + i}"
    nsid = _owner_nsid(i, owners)
    name = f"Photographer {i % owners}"
    photo = str(50000000000 + i)
    sid = f"{mid}$5A1B2C3D-0000-4000-8000-{i:012d}"
    record = KIND_BUILDERS[i % KINDS](sid, nsid, name, photo)
    kwargs = {
        "mid": mid,
        "title": _title(i),
        "flickr_photo_id": photo,
        "owner_nsid": nsid,
        "base_revid": 900000000 + i,
    }
    return kwargs, record


def iter_files(
    count: int, *, start: int = 0, owners: int = 5000
) -> Iterator[tuple[dict[str, Any], ConflictRecord]]:
    for i in range(start, start + count):
        yield sample_file(i, owners=owners)


def seed(
    store: Store,
    count: int = KINDS,
    *,
    start: int = 0,
    owners: int = 5000,
    run_id: int | None = 1,
    progress: Callable[[int], None] | None = None,
) -> list[int]:
    """Queue ``count`` sample conflicts (one per file) and cache their owners' names."""
    conflict_ids: list[int] = []
    seen_owners: set[str] = set()
    for n, (kwargs, record) in enumerate(iter_files(count, start=start, owners=owners), 1):
        outcome = store.record_conflicts(conflicts=[record], run_id=run_id, dry_run=False, **kwargs)
        conflict_ids.extend(outcome.ids)
        nsid = kwargs["owner_nsid"]
        if nsid not in seen_owners and len(seen_owners) < 2000:
            seen_owners.add(nsid)
            number = nsid.split("@")[0]
            store.put_owner(
                FlickrOwner(
                    nsid=nsid,
                    username=f"user{number}",
                    realname=f"Photographer {int(number) - 20000000}",
                )
            )
        if progress is not None and n % 10000 == 0:
            progress(n)
    return conflict_ids


# --------------------------------------------------------------------------- tricky text

RLO: Final = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: reverses everything after it
PDI: Final = "\u2069"  # POP DIRECTIONAL ISOLATE: a stray one ends an isolate early
LRI: Final = "\u2066"
RLI: Final = "\u2067"
FSI: Final = "\u2068"


@dataclass(frozen=True, slots=True)
class BidiSample:
    """Text with Unicode bidi controls in every place the page shows outside text, as
    seen on the wiki (file names that read backwards, names in Arabic script)."""

    # a stray PDI, then RLO: without pairing, the PDI ends the <bdi> and the override
    # runs over the rest of the line
    title: str = f"File:Market {PDI}{RLO}gpj.exe 0000017.jpg"
    author: str = f"{RLI}مصور{PDI} {PDI}{RLO}Roe"
    owner_name: str = f"{PDI}{RLO}Owner {LRI}Name"
    note: str = f"checked {FSI}x{PDI}{PDI}{RLO}on Flickr"
    actor: str = f"{PDI}{RLO}Bob"
    nsid: str = "30000017@N07"


BIDI: Final = BidiSample()


def seed_bidi(store: Store, *, applied_revid: int = 987654321) -> tuple[int, int]:
    """Two conflicts full of bidi controls, both decided "use Flickr's value" with a note:
    one waits for the next run, the bot applied the other in ``applied_revid``. Returns
    their ids."""
    decided_kwargs: dict[str, Any] = {
        "mid": "M9017",
        "title": BIDI.title,
        "flickr_photo_id": "53000000017",
        "owner_nsid": BIDI.nsid,
        "base_revid": 900000017,
    }
    sid = "M9017$BIDI-0017"
    record = ConflictRecord(
        ids.P_CREATOR,
        "creator_differs",
        [creator("10000001@N00", BIDI.author, sid=sid)],
        creator(BIDI.nsid, BIDI.author),
        sid,
    )
    decided = store.record_conflicts(conflicts=[record], run_id=1, dry_run=False, **decided_kwargs)
    applied_kwargs = {**decided_kwargs, "mid": "M9018", "title": BIDI.title.replace("0017", "0018")}
    sid2 = "M9018$BIDI-0018"
    record2 = ConflictRecord(
        ids.P_CREATOR,
        "creator_differs",
        [creator("10000001@N00", "A. N. Other", sid=sid2)],
        creator(BIDI.nsid, BIDI.author),
        sid2,
    )
    applied = store.record_conflicts(conflicts=[record2], run_id=1, dry_run=False, **applied_kwargs)
    first, second = decided.ids[0], applied.ids[0]
    store.put_owner(FlickrOwner(nsid=BIDI.nsid, username="bidi", realname=BIDI.owner_name))
    store.decide(first, "accept_flickr", actor=BIDI.actor, note=BIDI.note)
    store.decide(second, "accept_flickr", actor=BIDI.actor, note=BIDI.note)
    store.mark_applied([second], applied_revid)
    return first, second
