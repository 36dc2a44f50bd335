"""Write the bundled sample snapshot ``commons-20251101-mediainfo.json.gz`` (deterministic).

    .venv/bin/python bot/standins/sample/make_sample.py

The sample is what the README's first command and the offline demo read: 40 entity lines
in the exact dump format (``[`` / one entity per line with commas / ``]``, ``\\/`` and
``\\uXXXX`` escapes, no ``hash`` on mainsnaks), about two thirds ordinary files and the
rest Flickr files covering the cases the bot handles, plus one malformed line. Photo ids
and NSIDs look real but are invented. ``FLICKR_CASES`` below is the list ``README.md``
documents; the demo's Flickr responses are written from it. Same script, same bytes.
"""

from __future__ import annotations

import gzip
import io
import json
import random
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "commons-20251101-mediainfo.json.gz"
SEED = 20251101

Q_FLICKR = "Q103204"
Q_FILE_ON_INTERNET = "Q74228490"
Q_OWN_WORK = "Q66458942"
CC_BY_2 = "Q19125117"
CC_BY_SA_2 = "Q19068220"
CC_BY_SA_4 = "Q18199165"
CC0 = "Q6938433"
COPYRIGHTED = "Q50423863"
PUBLIC_DOMAIN = "Q19652"

_BASE58 = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"


def base58(num: int) -> str:
    """Flickr's short-link alphabet (flic.kr/p/...)."""
    out = ""
    while num:
        num, rem = divmod(num, 58)
        out = _BASE58[rem] + out
    return out


class Builder:
    """Snaks and statements in the dump's shape, with seeded statement ids and hashes."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def guid(self, mid: str) -> str:
        h = f"{self.rng.getrandbits(128):032X}"
        return f"{mid}${h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    @staticmethod
    def item(prop: str, qid: str) -> dict[str, Any]:
        return {
            "snaktype": "value",
            "property": prop,
            "datavalue": {
                "value": {"entity-type": "item", "numeric-id": int(qid[1:]), "id": qid},
                "type": "wikibase-entityid",
            },
        }

    @staticmethod
    def string(prop: str, value: str) -> dict[str, Any]:
        return {
            "snaktype": "value",
            "property": prop,
            "datavalue": {"value": value, "type": "string"},
        }

    @staticmethod
    def quantity(prop: str, amount: str, unit: str | None = None) -> dict[str, Any]:
        return {
            "snaktype": "value",
            "property": prop,
            "datavalue": {
                "value": {
                    "amount": amount,
                    "unit": (f"http://www.wikidata.org/entity/{unit}" if unit else "1"),
                },
                "type": "quantity",
            },
        }

    @staticmethod
    def time(prop: str, date: str, precision: int = 11) -> dict[str, Any]:
        return {
            "snaktype": "value",
            "property": prop,
            "datavalue": {
                "value": {
                    "time": f"+{date}T00:00:00Z",
                    "timezone": 0,
                    "before": 0,
                    "after": 0,
                    "precision": precision,
                    "calendarmodel": "http://www.wikidata.org/entity/Q1985727",
                },
                "type": "time",
            },
        }

    @staticmethod
    def coord(lat: float, lon: float) -> dict[str, Any]:
        return {
            "snaktype": "value",
            "property": "P1259",
            "datavalue": {
                "value": {
                    "latitude": lat,
                    "longitude": lon,
                    "altitude": None,
                    "precision": 0.0001,
                    "globe": "http://www.wikidata.org/entity/Q2",
                },
                "type": "globecoordinate",
            },
        }

    def statement(
        self, mid: str, mainsnak: dict[str, Any], qualifiers: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        st: dict[str, Any] = {"mainsnak": mainsnak, "type": "statement"}
        if qualifiers:
            quals: dict[str, list[dict[str, Any]]] = {}
            for q in qualifiers:
                snak = dict(q)
                snak["hash"] = f"{self.rng.getrandbits(160):040x}"
                quals.setdefault(q["property"], []).append(snak)
            st["qualifiers"] = quals
            st["qualifiers-order"] = list(quals)
        st["id"] = self.guid(mid)
        st["rank"] = "normal"
        return st


# --------------------------------------------------------------------------- the cases

# Every Flickr case of the sample: the README lists these, the demo's Flickr responses
# follow them. "owner" is what Flickr should say owns the photo (NSID, path alias).
HARBOUR = ("74108412@N03", "harbourlight")
NORTHCOAST = ("40553219@N06", "northcoastpix")
AMBER = ("98217746@N02", "amberfield_photos")
TRAMS = ("61270229@N05", "tramspotter_de")
SNOW = ("23457880@N08", "alpine_lena")
CELLO = ("112938475@N04", None)
WIND = ("190318445@N07", None)
MARKET = ("35172609@N00", "markethalls")

FLICKR_CASES: list[dict[str, Any]] = [
    {
        "mid": "M131000101",
        "title": "File:Harbour at dusk (52810336619).jpg",
        "photo_ids": ["52810336619"],
        "owner": HARBOUR,
        "shows": "the most common case: P7482 with P973 photo page (path alias URL) and P137 "
        "Flickr, no P12120 yet, no Flickr creator",
    },
    {
        "mid": "M131000102",
        "title": "File:Fishing boats in the morning mist (53012874455).jpg",
        "photo_ids": ["53012874455"],
        "owner": HARBOUR,
        "shows": "P7482/P973 with an NSID URL; P170 creator with P3267 + P2093 + P2699 already "
        "complete (same owner as M131000101, under its NSID)",
    },
    {
        "mid": "M131000103",
        "title": "File:Lighthouse on the breakwater (51438862021).jpg",
        "photo_ids": ["51438862021"],
        "owner": NORTHCOAST,
        "shows": "P12120 already present (has_p12120) next to the P7482 photo page",
    },
    {
        "mid": "M131000104",
        "title": "File:Tram 17 on Hauptstraße (52366127784).jpg",
        "photo_ids": ["52366127784"],
        "owner": TRAMS,
        "shows": "P7482 with P973 photo page and P2699 static image URL of the same photo",
    },
    {
        "mid": "M131000105",
        "title": "File:Market hall interior, Rotterdam.jpg",
        "photo_ids": ["53201947316"],
        "owner": MARKET,
        "shows": "only a static image URL (live.staticflickr.com) as P973: photo id from the "
        "file name, owner unknown until Flickr is asked",
    },
    {
        "mid": "M131000106",
        "title": "File:Old church tower, Sint-Truiden.jpg",
        "photo_ids": ["50993316628"],
        "owner": NORTHCOAST,
        "shows": "old-style URL http://www.flickr.com/photo.gne?id=..., no owner in the URL",
    },
    {
        "mid": "M131000107",
        "title": "File:Snow on the pass (54021875530).jpg",
        "photo_ids": ["54021875530"],
        "owner": SNOW,
        "shows": "flic.kr/p/<base58> short link as P973",
    },
    {
        "mid": "M131000108",
        "title": "File:Street musician in the square (52940211873).jpg",
        "photo_ids": ["52940211873"],
        "owner": AMBER,
        "shows": "creator placeholder: P170 somevalue with P2093 'Flickr user amberfield_photos'",
    },
    {
        "mid": "M131000109",
        "title": "File:Summer fair, Kungsbacka (52207763390).jpg",
        "photo_ids": ["52207763390"],
        "owner": TRAMS,
        "shows": "existing P571 inception 2019-08-01 (day precision): Flickr's date taken "
        "should differ (e.g. 2018-07-14) so the demo shows a conflict",
    },
    {
        "mid": "M131000110",
        "title": "File:Bridge panorama, stitched.jpg",
        "photo_ids": ["53377120054", "53377120188"],
        "owner": HARBOUR,
        "shows": "multi-photo: two P7482 statements naming two different photos (multi_photo)",
    },
    {
        "mid": "M131000111",
        "title": "File:Portrait of a cellist.jpg",
        "photo_ids": [],
        "owner": CELLO,
        "shows": "user only: the creator's P2699 is a Flickr profile URL, no photo id",
    },
    {
        "mid": "M131000112",
        "title": "File:Wind turbines off the coast.jpg",
        "photo_ids": [],
        "owner": WIND,
        "shows": "user only: creator P3267 (NSID) and P2093, no URL at all",
    },
    {
        "mid": "M131000113",
        "title": "File:Autumn forest path (51566324497).jpg",
        "photo_ids": ["51566324497"],
        "owner": NORTHCOAST,
        "shows": "P973 without P137, written without www and with an /in/album-... suffix",
    },
]

# Entities that mention Flickr but are not evidence, and the malformed line.
NOT_EVIDENCE = [
    {
        "mid": "M131000114",
        "title": "File:Museum facade, Leiden.jpg",
        "shows": "P7482 with P137 = Flickr but a non-Flickr P973 URL: not evidence, not recorded",
    },
    {
        "mid": "M131000115",
        "title": "File:Photo walk group, Utrecht 2012.jpg",
        "shows": "'Flickr' only in a caption: decoded by the prefilter, no evidence",
    },
]
MALFORMED: dict[str, Any] = {
    "mid": "M131000116",
    "shows": "a truncated line: counted as malformed with its line number, skipped",
}

# Ordinary files (no Flickr anywhere): title, English caption, other captions, depicts.
PLAIN: list[tuple[str, str, dict[str, str], list[str]]] = [
    (
        "File:Zuiderkerk Amsterdam 2023.jpg",
        "Zuiderkerk tower seen from the canal",
        {"nl": "Zuiderkerk vanaf de gracht"},
        ["Q1651"],
    ),
    (
        "File:Kölner Dom bei Nacht.jpg",
        "Cologne Cathedral at night",
        {"de": "Kölner Dom bei Nacht", "fr": "Cathédrale de Cologne la nuit"},
        ["Q4176"],
    ),
    (
        "File:Red squirrel in Kielder Forest.jpg",
        "Red squirrel on a pine branch",
        {"de": "Eichhörnchen auf einem Kiefernast"},
        ["Q161049"],
    ),
    (
        "File:Trolleybus 5301 Salzburg.jpg",
        "Trolleybus in Salzburg",
        {"de": "Obus in Salzburg"},
        ["Q5639"],
    ),
    (
        "File:Lac d'Annecy depuis le Semnoz.jpg",
        "Lake Annecy from the Semnoz",
        {"fr": "Le lac d'Annecy depuis le Semnoz"},
        ["Q24869"],
    ),
    (
        "File:Hokusai-style wave mural, Kyoto.jpg",
        "Mural in Kyoto",
        {"ja": "京都の壁画"},
        ["Q219423"],
    ),
    (
        "File:Warszawa Centralna hala.jpg",
        "Main hall of Warszawa Centralna",
        {"pl": "Hala główna dworca Warszawa Centralna"},
        ["Q1151046"],
    ),
    (
        "File:Sagrada Família interior 2019.jpg",
        "Nave of the Sagrada Família",
        {"es": "Nave de la Sagrada Família", "ca": "Nau de la Sagrada Família"},
        ["Q48435"],
    ),
    (
        "File:Moscow Metro Komsomolskaya.jpg",
        "Komsomolskaya station hall",
        {"ru": "Станция Комсомольская"},
        ["Q1756389"],
    ),
    (
        "File:Tulip field near Lisse.jpg",
        "Tulip field in bloom",
        {"nl": "Tulpenveld bij Lisse"},
        ["Q93201"],
    ),
    (
        "File:Praha Karlův most ráno.jpg",
        "Charles Bridge in the morning",
        {"cs": "Karlův most ráno"},
        ["Q180901"],
    ),
    (
        "File:Sami reindeer herd, Kautokeino.jpg",
        "Reindeer herd in winter",
        {"nb": "Reinflokk om vinteren", "se": "Bohccot dálvet"},
        ["Q43859"],
    ),
    (
        "File:Ponte Vecchio, Firenze.jpg",
        "Ponte Vecchio over the Arno",
        {"it": "Ponte Vecchio sull'Arno"},
        ["Q154207"],
    ),
    (
        "File:Tallinn old town roofs.jpg",
        "Roofs of Tallinn old town",
        {"et": "Tallinna vanalinna katused"},
        [],
    ),
    ("File:Barn owl portrait.jpg", "Barn owl", {"fr": "Chouette effraie"}, ["Q25307"]),
    ("File:Kyiv Golden Gate.jpg", "Golden Gate of Kyiv", {"uk": "Золоті ворота"}, ["Q207413"]),
    (
        "File:Lisboa eléctrico 28.jpg",
        "Tram 28 in Alfama",
        {"pt": "Elétrico 28 em Alfama"},
        ["Q1367826"],
    ),
    (
        "File:Helsinki Cathedral snow.jpg",
        "Helsinki Cathedral after snowfall",
        {"fi": "Helsingin tuomiokirkko lumisateen jälkeen"},
        ["Q212753"],
    ),
    ("File:Map of Europe 1815 (scan).png", "Scanned historical map", {}, ["Q4006"]),
    ("File:Dandelion seed head macro.jpg", "", {}, ["Q131219"]),
    (
        "File:Budapest Parliament from Buda.jpg",
        "Hungarian Parliament Building",
        {"hu": "Az Országház Budáról"},
        ["Q134883"],
    ),
    ("File:Gdańsk Długi Targ.jpg", "Long Market, Gdańsk", {"pl": "Długi Targ w Gdańsku"}, []),
    (
        "File:Vienna U-Bahn U3 train.jpg",
        "U3 train at Stephansplatz",
        {"de": "U3-Zug in der Station Stephansplatz"},
        ["Q209400"],
    ),
    (
        "File:Edinburgh Castle from Princes Street.jpg",
        "Edinburgh Castle",
        {"gd": "Caisteal Dhùn Èideann"},
        ["Q212065"],
    ),
]

CAMERAS = ["Q63181419", "Q66355993", "Q28452836", "Q96079035", "Q55094093"]


def labels(en: str, other: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if en:
        out["en"] = {"language": "en", "value": en}
    for lang, text in other.items():
        out[lang] = {"language": lang, "value": text}
    return out


def technical(b: Builder, mid: str, statements: dict[str, Any], *, camera: bool) -> None:
    """MIME type, checksum, size and dimensions, camera: what most files carry."""
    r = b.rng
    statements["P1163"] = [b.statement(mid, b.string("P1163", "image/jpeg"))]
    statements["P4092"] = [
        b.statement(
            mid, b.string("P4092", f"{r.getrandbits(160):040x}"), [b.item("P459", "Q13414952")]
        )
    ]
    statements["P3575"] = [
        b.statement(mid, b.quantity("P3575", f"+{r.randint(400_000, 9_000_000)}", "Q8799"))
    ]
    statements["P2048"] = [
        b.statement(mid, b.quantity("P2048", f"+{r.choice((3000, 4000, 4480))}", "Q355198"))
    ]
    statements["P2049"] = [
        b.statement(mid, b.quantity("P2049", f"+{r.choice((4000, 6000, 6720))}", "Q355198"))
    ]
    if camera:
        statements["P4082"] = [b.statement(mid, b.item("P4082", r.choice(CAMERAS)))]
        statements["P6790"] = [
            b.statement(mid, b.quantity("P6790", r.choice(("+2.8", "+5.6", "+8"))))
        ]
        statements["P6789"] = [b.statement(mid, b.quantity("P6789", r.choice(("+100", "+400"))))]


def entity(
    mid: str, title: str, label: dict[str, Any], statements: dict[str, Any], revid: int
) -> dict[str, Any]:
    return {
        "type": "mediainfo",
        "id": mid,
        "labels": label,
        "descriptions": {},
        "statements": statements or [],
        "pageid": int(mid[1:]),
        "ns": 6,
        "title": title,
        "lastrevid": revid,
        "modified": f"2025-10-2{revid % 9}T0{revid % 10}:14:09Z",
    }


def plain_entity(
    b: Builder, mid: str, spec: tuple[str, str, dict[str, str], list[str]], revid: int
) -> dict[str, Any]:
    title, en, other, depicts = spec
    r = b.rng
    s: dict[str, Any] = {}
    if depicts:
        s["P180"] = [b.statement(mid, b.item("P180", q)) for q in depicts]
    user = r.choice(("Ankara_2", "Mbdortmund", "Kallerna", "Poco_a_poco", "Diliff", "Tuxyso"))
    s["P170"] = [
        b.statement(
            mid,
            {"snaktype": "somevalue", "property": "P170"},
            [
                b.item("P3831", "Q33231"),
                b.string("P2093", user.replace("_", " ")),
                b.string("P4174", user.replace("_", " ")),
                b.string("P2699", f"https://commons.wikimedia.org/wiki/User:{user}"),
            ],
        )
    ]
    s["P7482"] = [b.statement(mid, b.item("P7482", Q_OWN_WORK))]
    s["P275"] = [b.statement(mid, b.item("P275", r.choice((CC_BY_SA_4, CC0))))]
    s["P6216"] = [b.statement(mid, b.item("P6216", COPYRIGHTED))]
    s["P571"] = [
        b.statement(
            mid, b.time("P571", f"20{r.randint(10, 25)}-0{r.randint(1, 9)}-1{r.randint(0, 9)}")
        )
    ]
    if r.random() < 0.4:
        s["P1259"] = [
            b.statement(mid, b.coord(round(r.uniform(40, 60), 4), round(r.uniform(-3, 25), 4)))
        ]
    technical(b, mid, s, camera=not title.endswith(".png"))
    return entity(mid, title, labels(en, other), s, revid)


def flickr_entity(b: Builder, case: dict[str, Any], revid: int) -> dict[str, Any]:
    """One Flickr case: the base of a file uploaded from Flickr, then what makes it that case."""
    mid = case["mid"]
    nsid, alias = case["owner"]
    pid: str = case["photo_ids"][0] if case["photo_ids"] else ""
    user = alias or nsid
    page = f"https://www.flickr.com/photos/{user}/{pid}/"
    s: dict[str, Any] = {}
    s["P275"] = [b.statement(mid, b.item("P275", CC_BY_2 if int(mid[-1]) % 3 else CC_BY_SA_2))]
    s["P6216"] = [b.statement(mid, b.item("P6216", COPYRIGHTED))]

    def source(*quals: dict[str, Any], operator: bool = True) -> dict[str, Any]:
        extra = [b.item("P137", Q_FLICKR)] if operator else []
        return b.statement(mid, b.item("P7482", Q_FILE_ON_INTERNET), [*quals, *extra])

    def creator(*quals: dict[str, Any]) -> dict[str, Any]:
        return b.statement(mid, {"snaktype": "somevalue", "property": "P170"}, list(quals))

    n = mid[-3:]
    if n == "101":
        s["P7482"] = [source(b.string("P973", page))]
    elif n == "102":
        s["P7482"] = [source(b.string("P973", f"https://www.flickr.com/photos/{nsid}/{pid}/"))]
        s["P170"] = [
            creator(
                b.string("P3267", nsid),
                b.string("P2093", "Hanna Lindqvist"),
                b.string("P2699", f"https://www.flickr.com/people/{nsid}/"),
            )
        ]
    elif n == "103":
        s["P12120"] = [b.statement(mid, b.string("P12120", pid))]
        s["P7482"] = [source(b.string("P973", page))]
    elif n == "104":
        s["P7482"] = [
            source(
                b.string("P973", page),
                b.string("P2699", f"https://live.staticflickr.com/65535/{pid}_3f9c2ab7d1_o.jpg"),
            )
        ]
    elif n == "105":
        s["P7482"] = [
            source(b.string("P973", f"https://live.staticflickr.com/65535/{pid}_8d2e41c0fa_b.jpg"))
        ]
    elif n == "106":
        s["P7482"] = [source(b.string("P973", f"http://www.flickr.com/photo.gne?id={pid}"))]
    elif n == "107":
        s["P7482"] = [source(b.string("P973", f"https://flic.kr/p/{base58(int(pid))}"))]
    elif n == "108":
        s["P7482"] = [source(b.string("P973", page))]
        s["P170"] = [creator(b.string("P2093", f"Flickr user {alias}"))]
    elif n == "109":
        s["P7482"] = [source(b.string("P973", f"https://www.flickr.com/photos/{nsid}/{pid}/"))]
        s["P571"] = [b.statement(mid, b.time("P571", "2019-08-01"))]
    elif n == "110":
        s["P7482"] = [
            source(b.string("P973", f"https://www.flickr.com/photos/{user}/{p}/"))
            for p in case["photo_ids"]
        ]
    elif n == "111":
        s["P170"] = [
            creator(
                b.string("P2093", "Jonas Berger"),
                b.string("P2699", f"https://www.flickr.com/people/{nsid}/"),
            )
        ]
    elif n == "112":
        s["P170"] = [creator(b.string("P3267", nsid), b.string("P2093", "Windpark Archive"))]
    elif n == "113":
        s["P7482"] = [
            source(
                b.string(
                    "P973", f"https://flickr.com/photos/{user}/{pid}/in/album-72157719872345678/"
                ),
                operator=False,
            )
        ]
    technical(b, mid, s, camera=True)
    title = case["title"]
    caption = title.removeprefix("File:").rsplit(".", 1)[0].split(" (")[0]
    return entity(mid, title, labels(caption, {}), s, revid)


def not_evidence_entity(b: Builder, case: dict[str, Any], revid: int) -> dict[str, Any]:
    mid = case["mid"]
    s: dict[str, Any] = {}
    if mid.endswith("114"):
        s["P7482"] = [
            b.statement(
                mid,
                b.item("P7482", Q_FILE_ON_INTERNET),
                [
                    b.string(
                        "P973",
                        "https://www.europeana.eu/item/2021672/resource_document_mauritshuis_670",
                    ),
                    b.item("P137", Q_FLICKR),
                ],
            )
        ]
        s["P275"] = [b.statement(mid, b.item("P275", CC0))]
        s["P6216"] = [b.statement(mid, b.item("P6216", PUBLIC_DOMAIN))]
        label = labels("Museum facade in Leiden", {"nl": "Museumgevel in Leiden"})
    else:
        s["P180"] = [b.statement(mid, b.item("P180", "Q2865319"))]
        s["P170"] = [
            b.statement(
                mid,
                {"snaktype": "somevalue", "property": "P170"},
                [
                    b.item("P3831", "Q33231"),
                    b.string("P2093", "Kallerna"),
                    b.string("P2699", "https://commons.wikimedia.org/wiki/User:Kallerna"),
                ],
            )
        ]
        s["P7482"] = [b.statement(mid, b.item("P7482", Q_OWN_WORK))]
        s["P275"] = [b.statement(mid, b.item("P275", CC_BY_SA_4))]
        s["P6216"] = [b.statement(mid, b.item("P6216", COPYRIGHTED))]
        label = labels(
            "Photo walk of the local Flickr group in Utrecht",
            {"nl": "Fotowandeling van de Utrechtse Flickr-groep"},
        )
    technical(b, mid, s, camera=True)
    return entity(mid, case["title"], label, s, revid)


def dump_line(obj: dict[str, Any]) -> str:
    """As the dump writes it: compact, ASCII (\\uXXXX), slashes escaped."""
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def build() -> tuple[bytes, list[dict[str, Any]]]:
    """The decompressed sample, and (M-id, line number) of every entity line."""
    b = Builder(SEED)
    lines: list[str] = []
    index: list[dict[str, Any]] = []
    flickr = iter(FLICKR_CASES)
    others = iter(NOT_EVIDENCE)
    plain = iter(PLAIN)
    # Interleave the 16 special lines (13 Flickr cases, 2 look-alikes, 1 malformed line)
    # with the 24 ordinary files.
    order = ["F" if i % 5 in (1, 3) else "P" for i in range(40)]
    plain_mid = 130999000
    for i, kind in enumerate(order):
        revid = 1_050_000_000 + 7_919 * (i + 1)
        case = next(flickr, None) if kind == "F" else None
        if kind == "F" and case is not None:
            ent = flickr_entity(b, case, revid)
        elif kind == "F" and (extra := next(others, None)) is not None:
            ent = not_evidence_entity(b, extra, revid)
        elif kind == "F":
            mid = str(MALFORMED["mid"])
            whole = dump_line(
                entity(
                    mid,
                    "File:Ferry terminal (53590012277).jpg",
                    labels("Ferry terminal, uploaded from Flickr", {}),
                    {},
                    revid,
                )
            )
            lines.append(whole[: len(whole) // 2])  # cut off mid-line, as a broken dump would
            index.append({"mid": mid, "line": len(lines) + 1})
            continue
        else:
            plain_mid += 137 + 11 * i
            ent = plain_entity(b, f"M{plain_mid}", next(plain), revid)
        lines.append(dump_line(ent))
        index.append({"mid": ent["id"], "line": len(lines) + 1})
    text = "[\n" + ",\n".join(lines) + "\n]\n"
    return text.encode("ascii"), index


def write(path: Path = OUT) -> Path:
    data, _ = build()
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    path.write_bytes(buf.getvalue())
    return path


if __name__ == "__main__":
    print(write())
