"""The whole job (``backfill run``'s adapters and ``Job``) against the real Wikibase and
the stand-in: a first edit, and the two races a stale ``baserevid`` brings.

Flickr and Wikidata are stand-ins in both cases; Commons is the ``backend``. Someone
else's edit between the bot's read and its write is made by wrapping
``CommonsClient.edit`` (the real wiki has no fault injection).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.commons import CommonsClient
from bot.adapters.config import Settings
from bot.adapters.pywikibot_setup import ENV_BOTPASSWORD, ENV_BOTPASSWORD_NAME
from bot.core import ids
from bot.core.evidence import FileEvidence
from bot.core.wikibase import item_snak, new_statement, string_snak, time_snak
from bot.run.job import RunOptions, RunSummary
from bot.run.wiring import build_adapters, make_job
from bot.standins.commons import run_commons_standin
from bot.standins.flickr import StandinData as FlickrData
from bot.standins.flickr import make_person, make_photo, run_flickr_standin
from bot.store import QueueFilter, Store
from tests.support.commons import offline_fixture, pywikibot_dir_fixture  # noqa: F401 - fixtures
from tests.support.wikibase import (
    BOT,
    BOTPASSWORD,
    BOTPASSWORD_NAME,
    TAG,
    Backend,
    backend_fixture,  # noqa: F401 - fixture
    real_backend_fixture,  # noqa: F401 - fixture
    standin_backend_fixture,  # noqa: F401 - fixture
    statements,
)

FLICKR_KEY = "0123456789abcdef0123456789abcdef"
OWNER = "74108412@N03"
ALIAS = "harbourlights"
PHOTO_ID = "52810336619"
PHOTO_URL = f"https://www.flickr.com/photos/{ALIAS}/{PHOTO_ID}/"
REFERENCE = {"snaks": {"P973": [string_snak("P973", "https://example.org/someone")]}}


def source_statement() -> dict[str, Any]:
    """What uploaders often leave: "available on the internet" with only the URL."""
    return new_statement(
        item_snak(ids.P_SOURCE_OF_FILE, ids.Q_FILE_AVAILABLE_ON_INTERNET),
        [string_snak(ids.P_DESCRIBED_AT_URL, PHOTO_URL)],
    )


@dataclass
class JobWorld:
    backend: Backend
    mid: str
    title: str
    settings: Settings

    def run(self) -> RunSummary:
        env = {
            ENV_BOTPASSWORD_NAME: BOTPASSWORD_NAME,
            ENV_BOTPASSWORD: BOTPASSWORD,
            "FLICKR_API_KEY": FLICKR_KEY,
        }
        with build_adapters(
            self.settings, anonymous=False, username=BOT, environ=env, flickr_api_key=FLICKR_KEY
        ) as adapters:
            options = RunOptions(progress=False, report_path=Path(self.settings.report_dir) / "r")
            summary: RunSummary = make_job(adapters, options).run()
            return summary

    def stored(self) -> dict[str, Any]:
        return self.backend.raw.entity(self.mid)


@contextmanager
def job_world(backend: Backend, tmp: Path) -> Iterator[JobWorld]:
    """A file with an uploader's P7482 on ``backend``, its photo on a Flickr stand-in."""
    backend.set_page(f"User:{BOT}/Run", "run: yes")
    mid = backend.new_file()
    page = backend.raw.get(action="query", pageids=mid[1:], prop="info")["query"]["pages"][0]
    answer = backend.raw.edit(mid, {"claims": [source_statement()]}, baserevid=page["lastrevid"])
    assert answer["success"] == 1
    flickr_data = FlickrData()
    flickr_data.add_photo(
        make_photo(
            PHOTO_ID,
            OWNER,
            username="Harbour Lights",
            realname="Ada Marsh",
            path_alias=ALIAS,
            posted=1_560_000_000,
            taken="2019-06-02 18:40:11",
            license="4",
        )
    )
    flickr_data.add_owner(
        make_person(OWNER, "Harbour Lights", realname="Ada Marsh", path_alias=ALIAS, photos_count=4)
    )
    db = tmp / "bot.db"
    with Store(db) as store:
        store.upsert_files(
            [
                FileEvidence(
                    mid=mid,
                    pageid=int(mid[1:]),
                    title=page["title"],
                    snapshot_revid=int(page["lastrevid"]),
                    photo_ids=(PHOTO_ID,),
                    owner_nsid=None,
                    owner_alias=ALIAS,
                    evidence=({"source": "P7482.P973", "value": PHOTO_URL, "photo_id": PHOTO_ID},),
                    evidence_sources=("P7482.P973",),
                    has_p12120=False,
                )
            ]
        )
    with (
        run_flickr_standin(flickr_data, api_key=FLICKR_KEY) as flickr,
        run_commons_standin() as wikidata,
    ):
        settings = Settings(
            db_path=str(db),
            report_dir=str(tmp / "reports"),
            pywikibot_dir=str(tmp / "pywikibot"),
            commons_api_url=backend.api_url,
            wikidata_api_url=wikidata.wikidata_api_url,
            flickr_api_url=flickr.url,
            put_throttle=0.05,
            retry_wait=0.05,
            flickr_calls_per_hour=10_000_000,
            user_agent="flickr-sdc-backfill-tests/0.1",
            edit_tags=(TAG,),
        )
        yield JobWorld(backend, mid, page["title"], settings)


def someone_edits_first(monkeypatch: pytest.MonkeyPatch, world: JobWorld, change: Any) -> None:
    """Just before the bot's first write, ``change(stored_entity)`` -> claims someone sends."""
    original = CommonsClient.edit
    done: list[bool] = []

    def edit(self: CommonsClient, mid: str, claims: list[dict[str, Any]], **kw: Any) -> Any:
        if not done:
            done.append(True)
            stored = world.stored()
            answer = world.backend.raw.edit(
                mid, {"claims": change(stored)}, baserevid=stored["lastrevid"]
            )
            assert answer["success"] == 1, answer
        return original(self, mid, claims, **kw)

    monkeypatch.setattr(CommonsClient, "edit", edit)


def test_the_job_edits_a_file(backend: Backend, tmp_path: Path) -> None:
    with job_world(backend, tmp_path) as world:
        summary = world.run()
        stored = world.stored()
    assert summary.edits == 1 and summary.outcomes == {"edited": 1}
    assert {"P12120", "P170", "P7482", "P571", "P1433"} <= set(statements(stored))
    (source,) = stored["statements"]["P7482"]
    assert source["qualifiers-order"] == ["P973", "P137"]  # extended, not duplicated
    meta = backend.revision_meta(world.mid, stored["lastrevid"])
    assert (meta.user, meta.bot, meta.tags) == (BOT, True, (TAG,))


def test_a_concurrent_date_is_taken_out_again(
    backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone adds an inception while the bot writes one: Wikibase keeps both, the bot
    removes its own and queues a concurrent_edit conflict."""
    theirs = new_statement(time_snak(ids.P_INCEPTION, "+1999-00-00T00:00:00Z", ids.PRECISION_YEAR))
    with job_world(backend, tmp_path) as world:
        someone_edits_first(monkeypatch, world, lambda stored: [theirs])
        summary = world.run()
        stored = world.stored()
        with Store(world.settings.db_path) as store:
            conflicts = store.list_conflicts(QueueFilter())
    (date,) = stored["statements"]["P571"]
    assert date["mainsnak"]["datavalue"]["value"]["time"] == "+1999-00-00T00:00:00Z"
    assert {"P12120", "P170"} <= set(statements(stored))
    assert summary.edits_merged == 1 and summary.edits_undone == 1
    assert [(c["property"], c["reason"]) for c in conflicts] == [("P571", "concurrent_edit")]


def test_a_concurrent_reference_on_the_extended_source_is_kept(
    backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone adds a reference to the P7482 the bot extends: Wikibase would let the
    bot's stale version win; the bot puts theirs back, re-reads and extends that."""

    def add_reference(stored: dict[str, Any]) -> list[dict[str, Any]]:
        source = copy.deepcopy(stored["statements"]["P7482"][0])
        return [{**source, "references": [REFERENCE]}]

    with job_world(backend, tmp_path) as world:
        someone_edits_first(monkeypatch, world, add_reference)
        summary = world.run()
        stored = world.stored()
    (source,) = stored["statements"]["P7482"]
    assert source["qualifiers-order"] == ["P973", "P137"]
    assert [r["snaks"]["P973"][0]["datavalue"]["value"] for r in source["references"]] == [
        "https://example.org/someone"
    ]
    assert summary.edit_conflicts == 1 and summary.outcomes == {"edited": 1}
    assert {"P12120", "P170", "P571"} <= set(statements(stored))
