"""Synthetic Commons mediainfo snapshots with a realistic shape, for benchmarks and tests.

The real dump cannot be used in a benchmark (hundreds of GB) and the bundled sample is too
small to time, so this writes one with the same layout: a JSON array with one entity per
line (``[`` / ``{...},`` / last entity without comma / ``]``), PHP-style escaping (``\\/``
and ``\\uXXXX``, as in the real dump), entities of a few KB (captions in several languages,
depicts, licence, creator, camera, checksums, dimensions...), no ``hash`` on mainsnaks, and
a share of Flickr files with a mix of evidence forms. It returns (and prints) what it put
in, so a test can check the extractor's counts against the generator's.

    .venv/bin/python benchmarks/synth_snapshot.py OUT.json.gz --entities 300000
"""

from __future__ import annotations

import argparse
import bz2
import json
import queue
import random
import re
import sys
import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import orjson

T = TypeVar("T")

FLICKR_BASE58 = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"

LANGS = ("en", "de", "fr", "es", "it", "nl", "pl", "ru", "ja", "pt", "sv", "cs", "uk", "fi")

# Caption vocabulary: ASCII and non-ASCII (the dump escapes the latter as \uXXXX).
# None of these may contain a prefilter marker ("lickr", "flic.kr", "P12120", "P3267").
WORDS = (
    "harbour",
    "dusk",
    "church",
    "tower",
    "bridge",
    "river",
    "market",
    "street",
    "museum",
    "station",
    "train",
    "tram",
    "castle",
    "garden",
    "statue",
    "portrait",
    "mountain",
    "lake",
    "forest",
    "beach",
    "lighthouse",
    "festival",
    "parade",
    "cathedral",
    "window",
    "door",
    "night",
    "winter",
    "summer",
    "autumn",
    "spring",
    "old",
    "new",
    "north",
    "south",
    "view",
    "from",
    "the",
    "of",
    "in",
    "at",
    "and",
    "with",
    "near",
    "Kirche",
    "Brücke",
    "Straße",
    "église",
    "château",
    "rivière",
    "puente",
    "estación",
    "museo",
    "Москва",
    "улица",
    "мост",
    "東京",
    "駅",
    "橋",
    "kościół",
    "ulica",
    "Göteborg",
    "Třebíč",
    "Київ",
    "järvi",
    "São Paulo",
)
NAMES = (
    "Anna Berg",
    "Jan de Vries",
    "Marie Dubois",
    "Kenji Sato",
    "Olga Ivanova",
    "Pedro Alves",
    "Maja Nowak",
    "Lars Holm",
    "Eva Novak",
    "Tom Baker",
    "Ines Roth",
)
ALIAS_PARTS = (
    "harbour",
    "north",
    "pixel",
    "wander",
    "street",
    "lens",
    "alpine",
    "urban",
    "coast",
    "amber",
    "photo",
    "trip",
    "nomad",
    "vista",
    "field",
    "bay",
)
ITEMS = tuple(
    f"Q{n}"
    for n in (
        146,
        144,
        16970,
        12280,
        4022,
        33506,
        11707,
        1248784,
        44539,
        23397,
        8502,
        39614,
        40080,
        7075,
        3947,
        1107656,
        515,
        532,
        12518,
        16560,
        2095,
        7543083,
        1149652,
        22698,
        179700,
    )
)
LICENCES = ("Q18199165", "Q20007257", "Q19068220", "Q6938433", "Q14946043", "Q19125117")
CAMERAS = ("Q63181419", "Q66355993", "Q28452836", "Q96079035", "Q55094093", "Q17142938")

# Properties of the extra statements of large entities (with a P518 qualifier each).
EXTRA_PROPERTIES = ("P1071", "P195", "P31", "P921", "P2596", "P608", "P6243", "P88")
# Sources of files that are not Flickr's (P7482 + P973 + P137), as on M423.
OTHER_SOURCES = (
    "https://resolver.kb.nl/resolve?urn=urn:gvn:MAU01:",
    "https://www.europeana.eu/item/2021672/resource_document_",
    "https://collections.example-museum.org/objects/",
)
EVIDENCE_PROPS = frozenset({"P12120", "P7482", "P170"})

# The kinds of Flickr file the generator writes, with their relative weights.
FLICKR_CASES: tuple[tuple[str, float], ...] = (
    ("photo_page", 0.40),  # P7482 + P973 photo page + P137 Flickr (+ P170 Flickr creator)
    ("with_p12120", 0.15),  # the same, P12120 already present
    ("no_operator", 0.07),  # P7482 + P973 photo page, no P137
    ("static", 0.07),  # P973 photo page + P2699 static image URL (same photo)
    ("static_only", 0.03),  # P973 is a static image URL
    ("short", 0.05),  # flic.kr/p/<base58>
    ("gne", 0.04),  # old photo.gne?id=
    ("user_only", 0.05),  # only a Flickr profile URL as creator P2699 (some + P3267)
    ("nsid_only", 0.03),  # only creator P3267
    ("multi", 0.03),  # two P7482 statements naming two different photos
    ("p12120_only", 0.04),  # only P12120
    ("album_user", 0.04),  # P973 is an album URL: the owner only
)


@dataclass
class SynthStats:
    """What a generated snapshot contains (the extractor's summary must agree)."""

    path: str
    entities: int = 0
    flickr_files: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    by_case: dict[str, int] = field(default_factory=dict)
    multi_photo: int = 0
    user_only: int = 0
    with_p12120: int = 0
    caption_only: int = 0
    malformed: int = 0
    malformed_lines: list[int] = field(default_factory=list)
    uncompressed_bytes: int = 0
    compressed_bytes: int = 0
    photo_ids: dict[str, list[str]] = field(default_factory=dict)  # M-id → ids, Flickr files

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Shape:
    """How a generated snapshot looks, for benchmarking the extractor on more than one
    kind of dump. The defaults are the original generator (the tests' snapshots).

    The real dump's structure (``commons-*-mediainfo.json``: labels, then statements,
    snaks without ``hash``, qualifiers with one, ``P137`` that can be a ``novalue`` snak)
    is followed in every shape; what varies is size, the share of Flickr files, where in
    the line their evidence sits and which kinds of evidence they carry."""

    name: str = "default"
    flickr_share: float = 0.12
    decoy_share: float = 0.02  # captions that say "Flickr" (decoded, no evidence)
    caption_langs: tuple[int, int] = (1, 5)
    caption_words: tuple[int, int] = (3, 12)
    depicts: tuple[int, int] = (1, 5)
    minimal: bool = False  # only licence, copyright status, depicts: ~0.6-1 KB entities
    extra_statements: int = 0  # further statements (location, collection, ...) per entity
    evidence_first: float = 0.0  # share of Flickr files whose evidence comes first
    wikitext_share: float = 0.0  # wikitext-like captions quoting a Flickr URL (no evidence)
    other_source_share: float = 0.0  # P7482 with a non-Flickr URL and operator
    novalue_operator_share: float = 0.0  # Flickr P7482 whose P137 is a novalue snak
    case_weights: tuple[tuple[str, float], ...] = ()  # overrides of FLICKR_CASES


def base58(num: int) -> str:
    """Flickr's short-URL encoding (flic.kr/p/...)."""
    out = ""
    while num:
        num, rem = divmod(num, 58)
        out = FLICKR_BASE58[rem] + out
    return out or FLICKR_BASE58[0]


class _Gen:
    """Builds entities with one seeded RNG, so a seed always gives the same file."""

    def __init__(self, seed: int, shape: Shape | None = None) -> None:
        self.shape = shape or Shape()
        self.rng = random.Random(seed)
        self.nsids = [
            f"{self.randint(10_000_000, 199_999_999)}@N0{self.randint(0, 8)}" for _ in range(3000)
        ]
        self.last_photo_ids: list[str] = []
        self.aliases = [
            f"{self.pick(ALIAS_PARTS)}{self.pick(ALIAS_PARTS)}{self.randint(1, 999)}"
            for _ in range(3000)
        ]

    # ------------------------------------------------------------ small parts

    def pick(self, seq: Sequence[T]) -> T:
        """``rng.choice`` without its overhead (generation speed bounds the benchmark)."""
        return seq[int(self.rng.random() * len(seq))]

    def randint(self, lo: int, hi: int) -> int:
        return lo + int(self.rng.random() * (hi - lo + 1))

    def guid(self, mid: str) -> str:
        h = f"{self.rng.getrandbits(128):032X}"
        return f"{mid}${h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def hash40(self) -> str:
        return f"{self.rng.getrandbits(160):040x}"

    def caption(self) -> str:
        lo, hi = self.shape.caption_words
        return " ".join(self.pick(WORDS) for _ in range(self.randint(lo, hi)))

    def photo_id(self) -> str:
        r = self.rng.random()
        if r < 0.6:
            return str(self.randint(50_000_000_000, 54_999_999_999))
        if r < 0.9:
            return str(self.randint(2_000_000_000, 49_999_999_999))
        return str(self.randint(10_000_000, 1_999_999_999))

    def owner(self) -> tuple[str, str]:
        i = int(self.rng.random() * len(self.nsids))
        return self.nsids[i], self.aliases[i]

    @staticmethod
    def item(pid: str, qid: str) -> dict[str, Any]:
        return {
            "snaktype": "value",
            "property": pid,
            "datavalue": {
                "value": {"entity-type": "item", "numeric-id": int(qid[1:]), "id": qid},
                "type": "wikibase-entityid",
            },
        }

    @staticmethod
    def string(pid: str, value: str) -> dict[str, Any]:
        return {
            "snaktype": "value",
            "property": pid,
            "datavalue": {"value": value, "type": "string"},
        }

    @staticmethod
    def quantity(pid: str, amount: float | int, unit: str = "1") -> dict[str, Any]:
        unit_uri = unit if unit == "1" else f"http://www.wikidata.org/entity/{unit}"
        return {
            "snaktype": "value",
            "property": pid,
            "datavalue": {"value": {"amount": f"+{amount}", "unit": unit_uri}, "type": "quantity"},
        }

    def qual(self, snak: dict[str, Any]) -> dict[str, Any]:
        """Qualifier snaks may carry a hash in the dump; mainsnaks do not."""
        return {
            "snaktype": snak["snaktype"],
            "property": snak["property"],
            "hash": self.hash40(),
            **({"datavalue": snak["datavalue"]} if "datavalue" in snak else {}),
        }

    def statement(
        self, mid: str, mainsnak: dict[str, Any], qualifiers: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        st: dict[str, Any] = {"mainsnak": mainsnak, "type": "statement"}
        if qualifiers:
            quals: dict[str, list[dict[str, Any]]] = {}
            for q in qualifiers:
                quals.setdefault(q["property"], []).append(self.qual(q))
            st["qualifiers"] = quals
            st["qualifiers-order"] = list(quals)
        st["id"] = self.guid(mid)
        st["rank"] = "normal"
        return st

    # ------------------------------------------------------------ entities

    def base_statements(self, mid: str, own_work: bool) -> dict[str, list[dict[str, Any]]]:
        r = self.rng
        shape = self.shape
        s: dict[str, list[dict[str, Any]]] = {}
        if r.random() < 0.7:
            s["P180"] = [
                self.statement(mid, self.item("P180", self.pick(ITEMS)))
                for _ in range(self.randint(*shape.depicts))
            ]
        s["P275"] = [self.statement(mid, self.item("P275", self.pick(LICENCES)))]
        s["P6216"] = [self.statement(mid, self.item("P6216", "Q50423863"))]
        if shape.minimal:
            return s
        for i in range(shape.extra_statements):
            prop = EXTRA_PROPERTIES[i % len(EXTRA_PROPERTIES)]
            s.setdefault(prop, []).append(
                self.statement(
                    mid, self.item(prop, self.pick(ITEMS)), [self.item("P518", self.pick(ITEMS))]
                )
            )
        if shape.other_source_share and r.random() < shape.other_source_share and not own_work:
            s["P7482"] = [
                self.statement(
                    mid,
                    self.item("P7482", "Q74228490"),
                    [
                        self.string("P973", f"{self.pick(OTHER_SOURCES)}{self.randint(1, 10**7)}"),
                        self.item("P137", self.pick(ITEMS)),
                    ],
                )
            ]
        if r.random() < 0.8:
            year, month, day = self.randint(1900, 2024), self.randint(1, 12), self.randint(1, 28)
            s["P571"] = [
                self.statement(
                    mid,
                    {
                        "snaktype": "value",
                        "property": "P571",
                        "datavalue": {
                            "value": {
                                "time": f"+{year}-{month:02d}-{day:02d}T00:00:00Z",
                                "timezone": 0,
                                "before": 0,
                                "after": 0,
                                "precision": 11,
                                "calendarmodel": "http://www.wikidata.org/entity/Q1985727",
                            },
                            "type": "time",
                        },
                    },
                )
            ]
        if own_work:
            user = self.pick(NAMES).replace(" ", "_")
            s["P170"] = [
                self.statement(
                    mid,
                    {"snaktype": "somevalue", "property": "P170"},
                    [
                        self.item("P3831", "Q33231"),
                        self.string("P2093", user.replace("_", " ")),
                        self.string("P4174", user.replace("_", " ")),
                        self.string("P2699", f"https://commons.wikimedia.org/wiki/User:{user}"),
                    ],
                )
            ]
            s["P7482"] = [self.statement(mid, self.item("P7482", "Q66458942"))]
        s["P1163"] = [self.statement(mid, self.string("P1163", "image/jpeg"))]
        s["P4092"] = [
            self.statement(
                mid,
                self.string("P4092", f"{r.getrandbits(160):040x}"),
                [self.item("P459", "Q13414952")],
            )
        ]
        s["P3575"] = [
            self.statement(mid, self.quantity("P3575", self.randint(10**5, 10**7), "Q8799"))
        ]
        s["P2048"] = [
            self.statement(mid, self.quantity("P2048", self.randint(480, 6000), "Q355198"))
        ]
        s["P2049"] = [
            self.statement(mid, self.quantity("P2049", self.randint(640, 8000), "Q355198"))
        ]
        if r.random() < 0.6:
            s["P4082"] = [self.statement(mid, self.item("P4082", self.pick(CAMERAS)))]
            s["P6757"] = [
                self.statement(mid, self.quantity("P6757", round(r.random() / 50, 4), "Q11574"))
            ]
            s["P6790"] = [self.statement(mid, self.quantity("P6790", self.pick((2.8, 4, 5.6))))]
            s["P2151"] = [
                self.statement(mid, self.quantity("P2151", self.randint(10, 300), "Q174789"))
            ]
            s["P6789"] = [self.statement(mid, self.quantity("P6789", self.pick((100, 200, 400))))]
        if r.random() < 0.3:
            s["P1259"] = [
                self.statement(
                    mid,
                    {
                        "snaktype": "value",
                        "property": "P1259",
                        "datavalue": {
                            "value": {
                                "latitude": round(r.uniform(-60, 70), 6),
                                "longitude": round(r.uniform(-180, 180), 6),
                                "altitude": None,
                                "precision": 0.0001,
                                "globe": "http://www.wikidata.org/entity/Q2",
                            },
                            "type": "globecoordinate",
                        },
                    },
                )
            ]
        return s

    def labels(self, extra: str | None = None) -> dict[str, Any]:
        r = self.rng
        if r.random() < 0.25 and extra is None:
            return {}
        lo, hi = self.shape.caption_langs
        langs = r.sample(LANGS, self.randint(max(lo, extra is not None), hi))
        out = {lang: {"language": lang, "value": self.caption()} for lang in langs}
        if extra is not None:
            out[langs[0]]["value"] = f"{out[langs[0]]['value']} {extra}"
        return out

    def wikitext(self) -> str:
        """A caption pasted from a file page: wikitext that quotes a Flickr URL."""
        nsid, alias = self.owner()
        return (
            f"{{{{Information |description={{{{en|1={self.caption()}}}}} |source="
            f"[https://www.flickr.com/photos/{alias}/{self.photo_id()}/ {self.caption()}] "
            f"|author=[https://www.flickr.com/people/{nsid}/ {self.pick(NAMES)}]}}}}"
        )

    def flickr_source(
        self, mid: str, urls: list[tuple[str, str]], operator: bool
    ) -> dict[str, Any]:
        quals = [self.string(p, u) for p, u in urls]
        if operator:
            share = self.shape.novalue_operator_share
            if share and self.rng.random() < share:  # as on M52096071
                quals.append({"snaktype": "novalue", "property": "P137"})
            else:
                quals.append(self.item("P137", "Q103204"))
        return self.statement(mid, self.item("P7482", "Q74228490"), quals)

    def flickr_creator(
        self, mid: str, name: str, profile: str | None, nsid: str | None
    ) -> dict[str, Any]:
        quals = [self.string("P2093", name)]
        if profile:
            quals.append(self.string("P2699", profile))
        if nsid:
            quals.append(self.string("P3267", nsid))
        return self.statement(mid, {"snaktype": "somevalue", "property": "P170"}, quals)

    def flickr_file(self, mid: str, case: str) -> tuple[dict[str, Any], set[str], int, bool]:
        """Statements of one Flickr file: (statements, sources, distinct photos, P12120)."""
        r = self.rng
        s = self.base_statements(mid, own_work=False)
        nsid, alias = self.owner()
        user = nsid if r.random() < 0.5 else alias
        pid = self.photo_id()
        page = f"https://www.flickr.com/photos/{user}/{pid}/"
        static = f"https://live.staticflickr.com/65535/{pid}_{r.getrandbits(40):010x}_o.jpg"
        sources: set[str] = set()
        photos = 1
        self.last_photo_ids = [pid]
        has_p12120 = False
        creator = r.random() < 0.6
        name = self.pick(NAMES)
        if case in ("photo_page", "with_p12120"):
            s["P7482"] = [self.flickr_source(mid, [("P973", page)], operator=True)]
            sources.add("P7482.P973")
        elif case == "no_operator":
            s["P7482"] = [self.flickr_source(mid, [("P973", page)], operator=False)]
            sources.add("P7482.P973")
        elif case == "static":
            s["P7482"] = [self.flickr_source(mid, [("P973", page), ("P2699", static)], True)]
            sources |= {"P7482.P973", "P7482.P2699"}
        elif case == "static_only":
            s["P7482"] = [self.flickr_source(mid, [("P973", static)], operator=True)]
            sources.add("P7482.P973")
        elif case == "short":
            url = f"https://flic.kr/p/{base58(int(pid))}"
            s["P7482"] = [self.flickr_source(mid, [("P973", url)], operator=True)]
            sources.add("P7482.P973")
        elif case == "gne":
            url = f"http://www.flickr.com/photo.gne?id={pid}"
            s["P7482"] = [self.flickr_source(mid, [("P973", url)], operator=True)]
            sources.add("P7482.P973")
        elif case == "multi":
            other = self.photo_id()
            while other == pid:
                other = self.photo_id()
            s["P7482"] = [
                self.flickr_source(mid, [("P973", page)], operator=True),
                self.flickr_source(
                    mid, [("P973", f"https://www.flickr.com/photos/{user}/{other}/")], operator=True
                ),
            ]
            sources.add("P7482.P973")
            photos = 2
            self.last_photo_ids = [pid, other]
        elif case == "p12120_only":
            creator = False
        elif case == "album_user":
            url = f"https://www.flickr.com/photos/{user}/albums/72157{self.randint(10**11, 10**12)}"
            s["P7482"] = [self.flickr_source(mid, [("P973", url)], operator=True)]
            sources.add("P7482.P973")
            photos = 0
            creator = False
        elif case == "user_only":
            with_nsid = r.random() < 0.5
            s["P170"] = [
                self.flickr_creator(
                    mid, name, f"https://www.flickr.com/people/{user}/", nsid if with_nsid else None
                )
            ]
            sources.add("P170.P2699")
            if with_nsid:
                sources.add("P170.P3267")
            photos = 0
            creator = False
        elif case == "nsid_only":
            s["P170"] = [self.flickr_creator(mid, name, None, nsid)]
            sources.add("P170.P3267")
            photos = 0
            creator = False
        if case in ("with_p12120", "p12120_only"):
            s["P12120"] = [self.statement(mid, self.string("P12120", pid))]
            sources.add("P12120")
            has_p12120 = True
        if creator:
            profile = f"https://www.flickr.com/people/{user}/" if r.random() < 0.8 else None
            with_nsid = r.random() < 0.7
            s["P170"] = [self.flickr_creator(mid, name, profile, nsid if with_nsid else None)]
            if profile:
                sources.add("P170.P2699")
            if with_nsid:
                sources.add("P170.P3267")
        return s, sources, photos, has_p12120

    def entity(
        self, pageid: int, stats: SynthStats, flickr_share: float, decoy_share: float = 0.02
    ) -> dict[str, Any]:
        r = self.rng
        mid = f"M{pageid}"
        roll = r.random()
        extra = None
        if roll < flickr_share:
            cases = self.shape.case_weights or FLICKR_CASES
            case = r.choices([c for c, _ in cases], [w for _, w in cases])[0]
            statements, sources, photos, has_p12120 = self.flickr_file(mid, case)
            first = self.shape.evidence_first
            if first and r.random() < first:  # evidence before the other statements
                statements = dict(
                    sorted(statements.items(), key=lambda kv: kv[0] not in EVIDENCE_PROPS)
                )
            stats.flickr_files += 1
            stats.photo_ids[mid] = self.last_photo_ids if photos else []
            stats.by_case[case] = stats.by_case.get(case, 0) + 1
            for src in sources:
                stats.by_source[src] = stats.by_source.get(src, 0) + 1
            stats.multi_photo += photos > 1
            stats.user_only += photos == 0
            stats.with_p12120 += has_p12120
            title_tail = (
                f" ({statements['P12120'][0]['mainsnak']['datavalue']['value']})"
                if has_p12120
                else ""
            )
        else:
            if roll < flickr_share + decoy_share:  # mentions Flickr in a caption only: no evidence
                extra = self.pick(("(Flickr meetup)", "seen on Flickr", "FLICKR group walk"))
                stats.caption_only += 1
            elif self.shape.wikitext_share and r.random() < self.shape.wikitext_share:
                extra = self.wikitext()  # a Flickr URL in the caption only: no evidence
                stats.caption_only += 1
            statements = self.base_statements(mid, own_work=r.random() < 0.7)
            title_tail = ""
        if r.random() < 0.04 and roll >= flickr_share:
            statements = {}  # the dump writes an entity without statements as []
        title = f"File:{self.caption()[:60].strip().capitalize()}{title_tail} {pageid}.jpg"
        return {
            "type": "mediainfo",
            "id": mid,
            "labels": self.labels(extra),
            "descriptions": {},
            "statements": statements or [],
            "pageid": pageid,
            "ns": 6,
            "title": title,
            "lastrevid": self.randint(10**8, 9 * 10**8),
            "modified": f"2025-{self.randint(1, 10):02d}-{self.randint(1, 28):02d}T"
            f"{self.randint(0, 23):02d}:{self.randint(0, 59):02d}:00Z",
        }


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dump_line(entity: dict[str, Any]) -> str:
    """One entity as the dump writes it: compact, ASCII with \\uXXXX escapes, ``\\/``.

    (orjson plus a substitution: the same text as ``json.dumps(ensure_ascii=True)`` for
    the BMP characters used here, several times faster.)
    """
    text = orjson.dumps(entity).decode().replace("/", "\\/")
    return _NON_ASCII.sub(_escape, text) if not text.isascii() else text


class _ThreadedGzipWriter:
    """Compress in a second thread (zlib releases the GIL) while the main thread builds JSON."""

    def __init__(self, out: BinaryIO, level: int) -> None:
        self.out = out
        self.comp = zlib.compressobj(level, zlib.DEFLATED, 31)
        self.q: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self.written = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (data := self.q.get()) is not None:
            out = self.comp.compress(data)
            self.out.write(out)
            self.written += len(out)
        out = self.comp.flush()
        self.out.write(out)
        self.written += len(out)

    def write(self, data: bytes) -> None:
        self.q.put(data)

    def close(self) -> None:
        self.q.put(None)
        self.thread.join()


def generate(
    path: Path,
    n: int,
    *,
    seed: int = 1,
    flickr_share: float = 0.12,
    malformed: int = 0,
    compresslevel: int = 6,
    start_pageid: int = 1000,
    mutate: Callable[[dict[str, Any]], None] | None = None,
    head: bool = True,
    tail: bool = True,
    shape: Shape | None = None,
) -> SynthStats:
    """Write ``n`` entities to ``path`` (``.gz``, ``.bz2`` or plain, by suffix).

    ``shape`` (size, Flickr share, evidence kinds and position) overrides
    ``flickr_share``.

    ``malformed`` extra broken lines are inserted (half cut-off entities without any Flickr
    marker, half broken candidates mentioning Flickr); their line numbers are recorded.
    ``mutate`` may edit each entity dict before it is written (tests use it).
    ``head=False`` / ``tail=False`` leave out the ``[`` line / the ``]`` line: such parts
    (gzip members) are concatenated into bigger snapshots without generating them again.
    """
    gen = _Gen(seed, shape)
    if shape is not None:
        flickr_share = shape.flickr_share
    stats = SynthStats(path=str(path))
    bad_at = set(gen.rng.sample(range(n), min(malformed, n))) if malformed else set()
    raw = path.open("wb")
    sink: Any
    if path.suffix == ".gz":
        sink = _ThreadedGzipWriter(raw, compresslevel)
    elif path.suffix == ".bz2":
        sink = bz2.BZ2File(raw, "wb", compresslevel=9)
    else:
        sink = raw
    pieces: list[str] = ["[\n"] if head else []
    sep = ""
    size = 0
    line_no = 1 if head else 0
    pageid = start_pageid

    def flush(final: str = "") -> None:
        nonlocal pieces, size
        data = ("".join(pieces) + final).encode()
        pieces = []
        size += len(data)
        sink.write(data)

    for i in range(n):
        if i in bad_at:
            line_no += 1
            stats.malformed += 1
            stats.malformed_lines.append(line_no)
            stats.entities += 1
            if stats.malformed % 2:  # cut off, without any Flickr marker
                whole = dump_line(gen.entity(10**9 + i, SynthStats(path=""), 0.0, 0.0))
                while "lickr" in whole.lower():
                    whole = dump_line(gen.entity(10**9 + i, SynthStats(path=""), 0.0, 0.0))
                cut = len(whole) // 2
                while whole[cut - 1] == "}":
                    cut -= 1
                bad = whole[:cut]
            else:  # a candidate that is not valid JSON
                bad = (
                    '{"type":"mediainfo","id":"M'
                    + str(10**9 + i)
                    + '","labels":{"en":{"language":"en","value":"Flickr \\/ broken}'
                )
            pieces += (sep, bad)
            sep = ",\n"
        pageid += gen.randint(1, 40)
        entity = gen.entity(pageid, stats, flickr_share, gen.shape.decoy_share)
        if mutate is not None:
            mutate(entity)
        stats.entities += 1
        line_no += 1
        pieces += (sep, dump_line(entity))
        sep = ",\n"
        if len(pieces) >= 4000:
            flush()
    flush("\n]\n" if tail else "")
    sink.close()
    raw.close()
    stats.uncompressed_bytes = size
    stats.compressed_bytes = path.stat().st_size
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--entities", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--flickr-share", type=float, default=0.12)
    parser.add_argument("--malformed", type=int, default=0)
    args = parser.parse_args(argv)
    stats = generate(
        args.out,
        args.entities,
        seed=args.seed,
        flickr_share=args.flickr_share,
        malformed=args.malformed,
    )
    json.dump(
        stats.to_json() | {"malformed_lines": stats.malformed_lines[:50], "photo_ids": {}},
        sys.stdout,
        indent=2,
    )
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
