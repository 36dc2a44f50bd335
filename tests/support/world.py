"""A small world for end-to-end runs: stand-in Commons and Flickr with a few real-looking
files, a worklist in a fresh store, and adapters built the way ``backfill run`` builds
them (real pywikibot against the stand-in Commons, real httpx against the stand-in
Flickr). Used by the job tests; nothing here reaches the real services.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.adapters.config import Settings
from bot.adapters.pywikibot_setup import ENV_BOTPASSWORD, ENV_BOTPASSWORD_NAME
from bot.core.evidence import FileEvidence
from bot.run.job import RunOptions, RunSummary
from bot.run.wiring import Adapters, build_adapters, make_job
from bot.standins.commons import StandinData as CommonsData
from bot.standins.commons import StandinHandle, run_commons_standin
from bot.standins.flickr import StandinData as FlickrData
from bot.standins.flickr import make_person, make_photo, run_flickr_standin
from bot.store import Store
from bot.store.location import open_store

BOT = "FlickrSdcBot"
BOTPASSWORD_NAME = "FlickrSdcBot@backfill"
BOTPASSWORD = "standin-bot-password"
FLICKR_KEY = "0123456789abcdef0123456789abcdef"
OWNER = "74108412@N03"
OWNER_ALIAS = "harbourlights"
OTHER_OWNER = "35591378@N03"


def p7482(mid: str, url: str, n: int = 1) -> dict[str, Any]:
    """A P7482 'file available on the internet' statement with only a P973 URL."""
    return {
        "mainsnak": {
            "snaktype": "value",
            "property": "P7482",
            "datavalue": {
                "type": "wikibase-entityid",
                "value": {"entity-type": "item", "numeric-id": 74228490, "id": "Q74228490"},
            },
        },
        "type": "statement",
        "id": f"{mid}$0000000{n}-AAAA-4AAA-8AAA-00000000000{n}",
        "rank": "normal",
        "qualifiers": {
            "P973": [
                {
                    "snaktype": "value",
                    "property": "P973",
                    "datavalue": {"type": "string", "value": url},
                }
            ]
        },
        "qualifiers-order": ["P973"],
    }


def p571(mid: str, time: str, precision: int) -> dict[str, Any]:
    return {
        "mainsnak": {
            "snaktype": "value",
            "property": "P571",
            "datavalue": {
                "type": "time",
                "value": {
                    "time": time,
                    "timezone": 0,
                    "before": 0,
                    "after": 0,
                    "precision": precision,
                    "calendarmodel": "http://www.wikidata.org/entity/Q1985727",
                },
            },
        },
        "type": "statement",
        "id": f"{mid}$571A0000-AAAA-4AAA-8AAA-000000000571",
        "rank": "normal",
    }


@dataclass
class World:
    """The seed data of one test; ``start()`` serves it."""

    tmp: Path
    commons: CommonsData = field(default_factory=CommonsData)
    flickr: FlickrData = field(default_factory=FlickrData)
    worklist: list[FileEvidence] = field(default_factory=list)
    db: str | None = None
    """The store's setting (a MariaDB URL); default ``tmp/bot.db``."""

    def add_file(
        self,
        pageid: int,
        photo_id: str,
        *,
        owner: str = OWNER,
        alias: str = OWNER_ALIAS,
        statements: dict[str, Any] | None = None,
        taken: str = "2019-06-02 18:40:11",
        granularity: int = 0,
        geo: tuple[float, float, int] | None = None,
        lastrevid: int | None = None,
        in_worklist: bool = True,
        photo: bool = True,
    ) -> str:
        mid = f"M{pageid}"
        url = f"https://www.flickr.com/photos/{alias}/{photo_id}/"
        title = f"File:Harbour at dusk ({photo_id}).jpg"
        stmts = statements if statements is not None else {"P7482": [p7482(mid, url)]}
        self.commons.entities[mid] = {
            "title": title,
            "pageid": pageid,
            "lastrevid": lastrevid or 900_000 + pageid,
            "statements": copy.deepcopy(stmts),
            "labels": {},
        }
        if photo:
            self.flickr.add_photo(
                make_photo(
                    photo_id,
                    owner,
                    username="Harbour Lights",
                    realname="Ada Marsh",
                    path_alias=alias,
                    posted=1_560_000_000,
                    taken=taken,
                    granularity=granularity,
                    geo=geo,
                    license="4",
                )
            )
        if owner not in self.flickr.owners:
            self.flickr.add_owner(
                make_person(
                    owner, "Harbour Lights", realname="Ada Marsh", path_alias=alias, photos_count=40
                )
            )
        if in_worklist:
            self.worklist.append(
                FileEvidence(
                    mid=mid,
                    pageid=pageid,
                    title=title,
                    snapshot_revid=900_000 + pageid,
                    photo_ids=(photo_id,),
                    owner_nsid=None,
                    owner_alias=alias,
                    evidence=(
                        {"source": "P7482.P973", "value": url, "photo_id": photo_id, "user": alias},
                    ),
                    evidence_sources=("P7482.P973",),
                    has_p12120=False,
                )
            )
        return mid

    def add_file_citing(self, pageid: int, *photo_ids: str, alias: str = OWNER_ALIAS) -> str:
        """A file whose source names several Flickr photos (a stitched panorama, as the
        sample's M131000110): one P7482 per photo (URL and operator Flickr), no P12120,
        every photo on Flickr."""
        mid = f"M{pageid}"
        urls = [f"https://www.flickr.com/photos/{alias}/{p}/" for p in photo_ids]
        sources = [p7482(mid, url, n) for n, url in enumerate(urls, 1)]
        for source in sources:
            source["qualifiers"]["P137"] = [
                {
                    "snaktype": "value",
                    "property": "P137",
                    "datavalue": {
                        "type": "wikibase-entityid",
                        "value": {"entity-type": "item", "numeric-id": 103204, "id": "Q103204"},
                    },
                }
            ]
            source["qualifiers-order"] = ["P973", "P137"]
        self.add_file(
            pageid, photo_ids[0], alias=alias, statements={"P7482": sources}, in_worklist=False
        )
        for photo_id in photo_ids[1:]:
            self.flickr.add_photo(
                make_photo(photo_id, OWNER, username="Harbour Lights", path_alias=alias)
            )
        self.worklist.append(
            FileEvidence(
                mid=mid,
                pageid=pageid,
                title=self.commons.entities[mid]["title"],
                snapshot_revid=900_000 + pageid,
                photo_ids=tuple(photo_ids),
                owner_nsid=None,
                owner_alias=alias,
                evidence=tuple(
                    {"source": "P7482.P973", "value": url, "photo_id": p, "user": alias}
                    for p, url in zip(photo_ids, urls, strict=True)
                ),
                evidence_sources=("P7482.P973",),
                has_p12120=False,
            )
        )
        return mid

    @contextmanager
    def start(
        self, *, store_url: str | None = None, **settings_overrides: Any
    ) -> Iterator[Running]:
        """Serve the stand-ins; the worklist goes into the store at ``store_url`` (a path
        or URL ``open_store`` takes; default: a fresh SQLite file ``bot.db``)."""
        self.commons.username = BOT
        self.commons.botpasswords = {BOTPASSWORD_NAME: BOTPASSWORD}
        self.commons.pages.setdefault(f"User:{BOT}/Run", "run: yes")
        with ExitStack() as stack:
            wiki = stack.enter_context(run_commons_standin(self.commons))
            flickr = stack.enter_context(run_flickr_standin(self.flickr, api_key=FLICKR_KEY))
            db = store_url or self.db or str(self.tmp / "bot.db")
            with open_store(db) as store:
                store.upsert_files(self.worklist)
            settings = Settings(
                db_path=db,
                report_dir=str(self.tmp / "reports"),
                pywikibot_dir=str(self.tmp / "pywikibot"),
                commons_api_url=wiki.api_url,
                wikidata_api_url=wiki.wikidata_api_url,
                flickr_api_url=flickr.url,
                put_throttle=0.05,
                retry_wait=0.05,
                flickr_calls_per_hour=10_000_000,
                user_agent="flickr-sdc-backfill-tests/0.1",
            )
            settings = settings.with_overrides(**settings_overrides)
            yield Running(self, wiki, flickr, settings)


@dataclass
class Running:
    """A started world: run the bot against it, look at what the stand-ins saw."""

    world: World
    wiki: StandinHandle
    flickr: Any
    settings: Settings

    @property
    def env(self) -> dict[str, str]:
        return {
            ENV_BOTPASSWORD_NAME: BOTPASSWORD_NAME,
            ENV_BOTPASSWORD: BOTPASSWORD,
            "FLICKR_API_KEY": FLICKR_KEY,
        }

    @contextmanager
    def adapters(self, *, dry_run: bool = False) -> Iterator[Adapters]:
        with build_adapters(
            self.settings,
            anonymous=dry_run,
            username=None if dry_run else BOT,
            environ=self.env,
            flickr_api_key=FLICKR_KEY,
        ) as ad:
            yield ad

    def run(self, **options: Any) -> RunSummary:
        dry_run = bool(options.get("dry_run"))
        options.setdefault("progress", False)
        options.setdefault("report_path", self.world.tmp / "reports" / "run.jsonl")
        with self.adapters(dry_run=dry_run) as ad:
            summary: RunSummary = make_job(ad, RunOptions(**options)).run()
            return summary

    def store(self) -> Store:
        return open_store(self.settings.db_path)

    def writes_by_mid(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for w in self.wiki.writes:
            counts[w["mid"]] = counts.get(w["mid"], 0) + 1
        return counts
