"""Write the demo's Flickr responses and post-snapshot Commons changes (deterministic).

Run ``.venv/bin/python bot/standins/sample/make_flickr_sample.py``. It writes ``flickr/photos/*.json``
(flickr.photos.getInfo responses), ``flickr/people/*.json`` (flickr.people.getInfo
responses) and ``commons-changes.json`` (what people changed on Commons after the
snapshot), matching the Flickr cases listed in README.md. All invented.
"""

from __future__ import annotations

import json
import shutil
from calendar import timegm
from pathlib import Path
from time import strptime

from bot.standins.flickr import make_person, make_photo

HERE = Path(__file__).resolve().parent

OWNERS = {
    # nsid: (username, realname, path alias, public photos)
    "74108412@N03": ("harbourlight", "Hanna Lindqvist", "harbourlight", 214),
    "40553219@N06": ("northcoastpix", "", "northcoastpix", 1288),
    "61270229@N05": ("Tramspotter", "Klaus Becker", "tramspotter_de", 3407),
    "35172609@N00": ("markethalls", "Market Halls of Europe", "markethalls", 96),
    "23457880@N08": ("alpine_lena", "Lena Moser", "alpine_lena", 512),
    "98217746@N02": ("amberfield_photos", "Amber Field", "amberfield_photos", 61),
    "112938475@N04": ("jberger_music", "Jonas Berger", None, 40),
}

# photo id: owner, posted (UTC), taken, granularity, licence, geo (lat, lon, accuracy)
PHOTOS: dict[str, tuple[str, str, str, int, str, tuple[float, float, int] | None]] = {
    # the common case: modern photo page, day precision, street-level geo
    "52810336619": (
        "74108412@N03",
        "2023-03-20 09:12:00",
        "2023-03-18 18:42:10",
        0,
        "4",
        (57.70887, 11.97456, 16),
    ),
    # same owner; the file already has a complete Flickr creator
    "53012874455": ("74108412@N03", "2023-06-04 11:00:00", "2023-06-02 06:15:00", 0, "4", None),
    # P12120 already present; owner has no real name (author = username)
    "51438862021": (
        "40553219@N06",
        "2021-09-01 20:00:00",
        "2021-08-30 14:03:51",
        0,
        "5",
        (57.0488, 9.9217, 14),
    ),
    # licence changed on Flickr since the upload (now CC BY-NC 2.0): reported, not written;
    # city-level geo; a person added other coordinates on Commons after the snapshot
    "52366127784": (
        "61270229@N05",
        "2022-09-12 07:30:00",
        "2022-09-10 16:20:00",
        0,
        "2",
        (49.79778, 9.93611, 11),
    ),
    # only a static image URL on Commons; month precision
    "53201947316": ("35172609@N00", "2023-09-21 12:00:00", "2023-09-01 00:00:00", 4, "4", None),
    # old .gne link; a scanned photo dated by year
    "50993316628": ("40553219@N06", "2021-02-11 10:00:00", "1975-01-01 00:00:00", 6, "5", None),
    # 54021875530 (flic.kr short link) is deliberately absent: deleted from Flickr
    # creator placeholder "Flickr user amberfield_photos" is replaced
    "52940211873": ("98217746@N02", "2023-05-28 19:00:00", "2023-05-27 15:45:02", 0, "4", None),
    # Commons says 1 August 2019, Flickr says 14 July 2018: a conflict for review
    "52207763390": ("61270229@N05", "2022-07-15 08:00:00", "2018-07-14 13:10:00", 0, "5", None),
    # circa 1950
    "51566324497": ("40553219@N06", "2021-10-05 18:00:00", "1950-01-01 00:00:00", 8, "5", None),
}

COMMONS_CHANGES = {
    "edited": {
        "M131000104": {
            "lastrevid_note": "a person added coordinates after the snapshot",
            "statements": {
                "P1259": [
                    {
                        "mainsnak": {
                            "snaktype": "value",
                            "property": "P1259",
                            "datavalue": {
                                "type": "globecoordinate",
                                "value": {
                                    "latitude": 49.7925,
                                    "longitude": 9.9512,
                                    "altitude": None,
                                    "precision": 0.0001,
                                    "globe": "http://www.wikidata.org/entity/Q2",
                                },
                            },
                        },
                        "type": "statement",
                        "rank": "normal",
                        "id": "M131000104$6C1E2F7A-3B44-4D2E-9A51-0F6B2C8D9E10",
                    }
                ],
            },
        },
    },
}


def unix(text: str) -> int:
    return timegm(strptime(text, "%Y-%m-%d %H:%M:%S"))


def main() -> None:
    out = HERE / "flickr"
    shutil.rmtree(out, ignore_errors=True)
    (out / "photos").mkdir(parents=True)
    (out / "people").mkdir(parents=True)
    for nsid, (username, realname, alias, count) in OWNERS.items():
        person = make_person(
            nsid, username, realname=realname, path_alias=alias, photos_count=count
        )
        (out / "people" / f"{nsid}.json").write_text(
            json.dumps({"person": person, "stat": "ok"}, indent=1, sort_keys=True) + "\n"
        )
    for photo_id, (nsid, posted, taken, granularity, licence, geo) in PHOTOS.items():
        username, realname, alias, _ = OWNERS[nsid]
        photo = make_photo(
            photo_id,
            nsid,
            username=username,
            realname=realname,
            path_alias=alias or "",
            posted=unix(posted),
            taken=taken,
            granularity=granularity,
            license=licence,
            geo=geo,
            title=f"Photo {photo_id}",
        )
        (out / "photos" / f"{photo_id}.json").write_text(
            json.dumps({"photo": photo, "stat": "ok"}, indent=1, sort_keys=True) + "\n"
        )
    changes = json.loads(json.dumps(COMMONS_CHANGES))
    for edit in changes["edited"].values():
        edit.pop("lastrevid_note", None)
    (HERE / "commons-changes.json").write_text(json.dumps(changes, indent=1) + "\n")


if __name__ == "__main__":
    main()
