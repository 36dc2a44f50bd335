"""The review page through Flask's test client: routes, decisions, permissions, safety."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot.core import ids
from bot.core.errors import ConfigError, StoreMissing
from bot.store import BulkResult, ConflictRecord, ConflictStatus, Store
from review_ui import sample
from review_ui.app import create_app
from review_ui.bulk_tasks import run_pending
from tests.support.conflicts import ConflictBuilder

SECRET = "test-secret-key-0123456789"
TOKEN = "test-csrf-token"


@pytest.fixture(autouse=True)
def no_tool_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests configure the app explicitly; stray TOOL_* variables must not leak in."""
    import os

    for key in list(os.environ):
        if key.startswith("TOOL_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "bot.db"
    with Store(path) as store:
        sample.seed(store, 16)  # ids 1..16, two of each of the eight kinds
    return path


@pytest.fixture()
def db(seeded: Path, tmp_path: Path) -> Path:
    """A fresh copy of the seeded queue for each test."""
    path = tmp_path / "bot.db"
    shutil.copyfile(seeded, path)
    return path


def make_app(db: Path, **config: Any) -> Flask:
    settings: dict[str, Any] = {
        "DB_PATH": str(db),
        "SECRET_KEY": SECRET,
        "MAINTAINERS": "Alice",
        "BULK_WORKER": False,  # bulk tasks run when a test calls run_bulk (one: the thread)
    }
    settings.update(config)
    return create_app(settings)


@pytest.fixture()
def app(db: Path) -> Flask:
    return make_app(db)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, name: str = "Alice") -> None:
    """A session as the OAuth callback leaves it (the flow itself: test_review_auth)."""
    with client.session_transaction() as session:
        session["user"] = {"name": name, "sub": "1", "via": "oauth", "blocked": False}
        session["login_at"] = int(time.time())
        session["csrf"] = TOKEN


def run_bulk(db: Path) -> list[int]:
    """Run the queued bulk tasks now, as the worker thread would (deterministic)."""
    return run_pending(str(db))


@pytest.fixture()
def maintainer(client: FlaskClient) -> FlaskClient:
    login(client, "Alice")
    return client


def html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def ids_on_page(text: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/conflict/(\d+)[?"]', text)]


def decide(client: FlaskClient, cid: int, decision: str, **form: str) -> Any:
    data = {"csrf_token": TOKEN, "decision": decision, **form}
    return client.post(f"/conflict/{cid}/decide", data=data)


def status_of(db: Path, cid: int) -> str:
    with Store(db, migrate=False) as store:
        conflict = store.get_conflict(cid)
        assert conflict is not None
        return str(conflict["status"])


# --------------------------------------------------------------------------- the queue


def test_queue_lists_open_conflicts_oldest_first_with_counts(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    text = html(response)
    assert ids_on_page(text) == list(range(1, 17))
    assert "By reason" in text and "By property" in text
    assert re.search(
        r'title="creator_differs">The file names another creator \(another Flickr account or '
        r'another person\)\.</a>\s*<span class="count">2<',
        text,
    )
    assert re.search(
        r">inception</a>\s*<span class=\"mono muted\">P571</span>\s*"
        r"<span class=\"count\">4<",
        text,
    )
    assert re.search(r'aria-current="page">\s*Open <span class="count">16<', text)
    assert "File:Harbour 0000000.jpg" in text
    assert "Photographer 0" in text  # owner name from the owners cache


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("reason=date_differs", [2, 10]),
        ("property=P1259", [4, 12]),
        ("property=p1259", [4, 12]),
        ("owner=20000003@N03", [4]),
        ("title=harbour", [1, 13]),
        ("title=0000015", [16]),
        ("title=%25%25%25", []),  # LIKE wildcards are searched for as text
        ("reason=creator_differs&property=P170&title=street", [9]),
        ("status=skip", []),
        ("status=all&reason=bhl_page_differs", [8, 16]),
        ("sort=newest&reason=date_differs", [10, 2]),
    ],
)
def test_queue_filters(client: FlaskClient, query: str, expected: list[int]) -> None:
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    assert ids_on_page(html(response)) == expected


def test_a_title_search_under_three_characters_is_not_run(client: FlaskClient) -> None:
    text = html(client.get("/?title=zq&reason=date_differs"))
    assert ids_on_page(text) == [2, 10]  # the other filters still apply
    assert "Title searches need at least 3 characters" in text
    assert 'value="zq"' in text  # kept in the box, to be extended


@pytest.mark.parametrize("query", ["status=nonsense", "property=creator", "after=abc", "before=-1"])
def test_queue_rejects_nonsense_parameters(client: FlaskClient, query: str) -> None:
    assert client.get(f"/?{query}").status_code == 400


def test_keyset_pagination_forwards_and_back(db: Path) -> None:
    client = make_app(db, PAGE_SIZE=5).test_client()
    first = html(client.get("/?reason="))
    assert ids_on_page(first) == [1, 2, 3, 4, 5]
    assert 'rel="prev"' not in first
    assert 'href="/?after=5" rel="next"' in first or 'rel="next" href="/?after=5"' in first
    second = html(client.get("/?after=5"))
    assert ids_on_page(second) == [6, 7, 8, 9, 10]
    assert 'href="/?before=6"' in second and 'href="/?after=10"' in second
    last = html(client.get("/?after=15"))
    assert ids_on_page(last) == [16]
    assert 'rel="next"' not in last and 'href="/?before=16"' in last
    back = html(client.get("/?before=6"))
    assert ids_on_page(back) == [1, 2, 3, 4, 5]
    assert 'rel="prev"' not in back
    middle = html(client.get("/?before=12"))
    assert ids_on_page(middle) == [7, 8, 9, 10, 11]
    assert 'href="/?before=7"' in middle and 'href="/?after=11"' in middle
    # the filter travels with the page links
    filtered = html(client.get("/?property=P571"))
    assert ids_on_page(filtered) == [2, 3, 10, 11]
    newest = html(client.get("/?sort=newest"))
    assert ids_on_page(newest) == [16, 15, 14, 13, 12]
    assert "after=12" in newest and "sort=newest" in newest
    assert ids_on_page(html(client.get("/?sort=newest&after=12"))) == [11, 10, 9, 8, 7]


def test_the_heading_says_what_the_filter_is(client: FlaskClient) -> None:
    text = html(client.get("/?property=P1259&title=Harbour&owner=1@N00&reason=x"))
    assert (
        "Open conflicts, reason “<bdi>x</bdi>”, property coordinates of the point of view (P1259), "
        "Flickr owner “<bdi>1@N00</bdi>”, title containing “<bdi>Harbour</bdi>”"
    ) in text
    assert "Conflicts in any state" in html(client.get("/?status=all"))


def test_an_empty_page_offers_the_first_one(client: FlaskClient) -> None:
    text = html(client.get("/?after=999"))
    assert "No conflicts here." in text and "Back to the first page" in text


# --------------------------------------------------------------------------- one conflict


def test_conflict_page_shows_both_sides_in_words(client: FlaskClient) -> None:
    text = html(client.get("/conflict/2"))  # inception: circa 1943 vs 17 May 1965
    assert "On Commons now" in text and "From Flickr" in text
    assert "circa 1943" in text and "17 May 1965" in text
    assert "precision: year" in text and "precision: day" in text
    assert 'href="https://www.wikidata.org/wiki/Property:P571"' in text
    assert "inception" in text
    assert "The statement a decision would change." in text
    assert "normal rank" in text and "no references" in text
    assert (
        'src="https://commons.wikimedia.org/wiki/Special:FilePath/Bridge_0000001.jpg?width=400"'
    ) in text
    assert 'href="https://commons.wikimedia.org/wiki/File:Bridge_0000001.jpg"' in text
    assert (
        'href="https://commons.wikimedia.org/wiki/File:Bridge_0000001.jpg?action=history"' in text
    )
    assert 'href="https://www.flickr.com/photo.gne?id=50000000001"' in text
    assert 'href="https://www.flickr.com/people/20000001@N01/"' in text
    assert "date_differs" in text
    # history, and neighbours in the (default: open) queue
    assert "History" in text and ">bot<" in text
    assert 'rel="prev" href="/conflict/1"' in text and 'rel="next" href="/conflict/3"' in text


def test_coordinates_and_creator_pages(client: FlaskClient) -> None:
    coords = html(client.get("/conflict/4"))
    assert "51.5074° N, 0.1278° W" in coords and "48.858370° N, 2.294481° E" in coords
    assert "https://www.openstreetmap.org/?mlat=48.858370&amp;mlon=2.294481" in coords
    assert "The two points are about 341 km apart." in coords
    creator = html(client.get("/conflict/1"))
    assert "A. N. Other" in creator and "Photographer 0" in creator
    assert "author name string" in creator and "Flickr user ID" in creator


def test_neighbours_follow_the_filter(client: FlaskClient) -> None:
    text = html(client.get("/conflict/10?reason=date_differs"))
    assert 'rel="prev" href="/conflict/2?reason=date_differs"' in text
    assert 'rel="next"' not in text


def test_unknown_conflict_is_404(client: FlaskClient) -> None:
    response = client.get("/conflict/999")
    assert response.status_code == 404
    assert "There is no conflict 999." in html(response)


# --------------------------------------------------------------------------- decisions


@pytest.mark.parametrize("decision", ["accept_flickr", "keep_commons", "skip"])
def test_an_open_conflict_can_be_decided(maintainer: FlaskClient, db: Path, decision: str) -> None:
    response = decide(maintainer, 3, decision, note="checked the EXIF")
    assert response.status_code == 303
    assert response.headers["Location"] == "/conflict/4"  # the next one in the same view
    assert status_of(db, 3) == decision
    with Store(db, migrate=False) as store:
        last = store.conflict_history(3)[-1]
    assert (last["actor"], last["from_status"], last["to_status"], last["note"]) == (
        "Alice",
        "open",
        decision,
        "checked the EXIF",
    )
    page = html(maintainer.get("/conflict/4"))
    assert "Conflict 3:" in page  # the flash message on the next page


def test_after_a_decision_the_next_conflict_keeps_the_filter(maintainer: FlaskClient) -> None:
    response = decide(maintainer, 2, "keep_commons", reason="date_differs", sort="")
    assert response.headers["Location"] == "/conflict/10?reason=date_differs"
    last = decide(maintainer, 10, "keep_commons", reason="date_differs")
    assert last.headers["Location"] == "/?reason=date_differs"
    assert "That was the last conflict in this view." in html(
        maintainer.get(last.headers["Location"])
    )


def test_newest_first_goes_to_the_older_one_next(maintainer: FlaskClient) -> None:
    response = decide(maintainer, 10, "skip", reason="date_differs", sort="newest")
    assert response.headers["Location"] == "/conflict/2?reason=date_differs&sort=newest"


def test_a_skipped_conflict_can_be_decided_later(maintainer: FlaskClient, db: Path) -> None:
    decide(maintainer, 5, "skip")
    text = html(maintainer.get("/conflict/5?status=skip"))
    assert 'name="seen_status" value="skip"' in text
    assert decide(maintainer, 5, "accept_flickr", status="skip").status_code == 303
    assert status_of(db, 5) == "accept_flickr"


def test_applied_and_superseded_conflicts_cannot_be_decided(
    maintainer: FlaskClient, db: Path
) -> None:
    decide(maintainer, 6, "accept_flickr")
    with Store(db, migrate=False) as store:
        store.mark_applied([6], 123456789)
        store.supersede(7, "the file was deleted")
    applied = html(maintainer.get("/conflict/6"))
    assert "Applied" in applied
    assert 'href="https://commons.wikimedia.org/w/index.php?diff=123456789"' in applied
    assert 'id="decide-form"' not in applied and "cannot be decided any more" in applied
    superseded = html(maintainer.get("/conflict/7"))
    assert "the file was deleted" in superseded and 'id="decide-form"' not in superseded
    for cid in (6, 7):
        response = decide(maintainer, cid, "keep_commons")
        assert response.status_code == 409
        assert "cannot be decided" in html(response)
    assert (status_of(db, 6), status_of(db, 7)) == ("applied", "superseded")


def test_a_reopened_conflict_does_not_show_the_old_decision(
    maintainer: FlaskClient, db: Path
) -> None:
    decide(maintainer, 6, "accept_flickr", note="Flickr is right")
    with Store(db, migrate=False) as store:
        store.mark_applied([6], 123456789)
        kwargs, record = sample.sample_file(5)  # conflict 6: the bot finds it again
        outcome = store.record_conflicts(conflicts=[record], run_id=2, dry_run=False, **kwargs)
    assert (outcome.ids, outcome.reopened) == ([6], 1)
    page = html(maintainer.get("/conflict/6"))
    facts = page.split('class="facts"')[1].split("</dl>")[0]
    assert "Decided" not in facts and "Applied" not in facts and "Alice" not in facts
    before_history, history = page.split('<section class="history"')
    assert "diff=123456789" not in before_history
    assert 'id="decide-form"' in page and 'name="seen_status" value="open"' in page
    assert "<h2>On Commons now</h2>" in page  # read again after the bot's edit
    assert "Alice" in history and "Flickr is right" in history  # the history keeps it


def test_a_decision_on_a_conflict_changed_meanwhile_is_refused(
    maintainer: FlaskClient, db: Path
) -> None:
    with Store(db, migrate=False) as store:
        store.decide(8, "keep_commons", actor="Bob")
    response = decide(maintainer, 8, "accept_flickr", seen_status="open")
    assert response.status_code == 409
    assert "changed while you were looking at it" in html(response) and "Bob" in html(response)
    assert status_of(db, 8) == "keep_commons"


@pytest.mark.parametrize("decision", ["", "applied", "open", "delete"])
def test_only_the_three_decisions_exist(maintainer: FlaskClient, decision: str) -> None:
    assert decide(maintainer, 1, decision).status_code == 400


def test_deciding_an_unknown_conflict_is_404(maintainer: FlaskClient) -> None:
    assert decide(maintainer, 999, "skip").status_code == 404


def test_decide_is_post_only(maintainer: FlaskClient) -> None:
    response = maintainer.get("/conflict/1/decide")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


# --------------------------------------------------------------------------- permissions


def test_anonymous_visitors_read_but_cannot_decide(client: FlaskClient, db: Path) -> None:
    text = html(client.get("/conflict/1"))
    assert 'id="decide-form"' not in text and "as a maintainer to decide" in text
    with client.session_transaction() as session:
        session["csrf"] = TOKEN  # even with a valid token
    assert decide(client, 1, "accept_flickr").status_code == 403
    assert status_of(db, 1) == "open"


def test_non_maintainers_read_but_cannot_decide(client: FlaskClient, db: Path) -> None:
    login(client, "Mallory")
    text = html(client.get("/conflict/1"))
    assert "read-only" in text and "not on this tool's maintainers list" in text
    assert 'id="decide-form"' not in text
    assert decide(client, 1, "accept_flickr").status_code == 403
    assert client.get("/bulk?decision=skip").status_code == 403
    assert (
        client.post(
            "/bulk", data={"csrf_token": TOKEN, "decision": "skip", "expected": "16"}
        ).status_code
        == 403
    )
    assert status_of(db, 1) == "open"


def test_maintainers_see_the_decision_form(maintainer: FlaskClient) -> None:
    text = html(maintainer.get("/conflict/1"))
    assert 'id="decide-form"' in text and "maintainer" in text
    for value in ("accept_flickr", "keep_commons", "skip"):
        assert f'name="decision" value="{value}"' in text
    assert '<label for="note">' in text


def test_without_public_read_only_maintainers_see_the_queue(db: Path) -> None:
    client = make_app(db, PUBLIC_READ=False).test_client()
    for url in ("/", "/conflict/1", "/?reason=date_differs", "/bulk?decision=skip"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    login_page = client.get("/login")
    assert login_page.status_code == 200 and "visible to maintainers only" in html(login_page)
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/review.css").status_code == 200
    login(client, "Mallory")
    assert client.get("/").status_code == 302
    assert "cannot see the queue" in html(client.get("/login"))
    assert decide(client, 1, "skip").status_code == 403
    login(client, "Alice")
    assert client.get("/").status_code == 200


def test_public_read_can_be_turned_off_from_the_environment(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOL_DB_PATH", str(db))
    monkeypatch.setenv("TOOL_SECRET_KEY", "1234567890123456789")  # digits stay a string
    monkeypatch.setenv("TOOL_PUBLIC_READ", "0")
    monkeypatch.setenv("TOOL_MAINTAINERS", "Alice, Bob_Smith")
    app = create_app()
    assert app.config["SECRET_KEY"] == "1234567890123456789"
    assert app.config["PUBLIC_READ"] is False
    client = app.test_client()
    assert client.get("/").status_code == 302
    login(client, "Bob Smith")
    assert client.get("/").status_code == 200


# --------------------------------------------------------------------------- CSRF


def test_a_post_without_csrf_token_is_400(maintainer: FlaskClient, db: Path) -> None:
    response = maintainer.post("/conflict/1/decide", data={"decision": "accept_flickr"})
    assert response.status_code == 400
    assert "CSRF token is missing" in html(response)
    assert status_of(db, 1) == "open"


def test_a_post_with_a_wrong_csrf_token_is_403(maintainer: FlaskClient, db: Path) -> None:
    response = decide(maintainer, 1, "accept_flickr", csrf_token="forged")
    assert response.status_code == 403
    assert status_of(db, 1) == "open"
    bulk = maintainer.post(
        "/bulk", data={"csrf_token": "forged", "decision": "skip", "expected": "16"}
    )
    assert bulk.status_code == 403
    logout = maintainer.post("/logout", data={})
    assert logout.status_code == 400


def test_the_csrf_token_is_random_per_session(app: Flask) -> None:
    tokens = set()
    for _ in range(3):
        client = app.test_client()
        login(client)
        with client.session_transaction() as session:
            del session["csrf"]
        text = html(client.get("/conflict/1"))
        token = re.search(r'name="csrf_token" value="([^"]+)"', text)
        assert token is not None and len(token.group(1)) >= 32
        tokens.add(token.group(1))
    assert len(tokens) == 3


# --------------------------------------------------------------------------- bulk


def test_bulk_decision_with_confirmation(maintainer: FlaskClient, db: Path) -> None:
    confirm = maintainer.get("/bulk?reason=date_precision_differs&decision=keep_commons")
    assert confirm.status_code == 200
    text = html(confirm)
    assert "<strong>2</strong>" in text and "Keep Commons" in text
    assert 'name="expected" value="2"' in text and 'name="max_id" value="11"' in text
    response = maintainer.post(
        "/bulk",
        data={
            "csrf_token": TOKEN,
            "decision": "keep_commons",
            "reason": "date_precision_differs",
            "expected": "2",
            "max_id": "11",
            "note": "precision only",
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/bulk/1"
    queued = html(maintainer.get("/bulk/1"))
    assert "Waiting to start" in queued and '<meta http-equiv="refresh"' in queued
    assert "/bulk/1" in html(maintainer.get("/"))  # the queue links to it while it waits
    assert (status_of(db, 3), status_of(db, 11)) == ("open", "open")  # nothing done yet
    assert run_bulk(db) == [1]
    assert (status_of(db, 3), status_of(db, 11)) == ("keep_commons", "keep_commons")
    done = html(maintainer.get("/bulk/1"))
    assert "Done." in done and "2 conflicts marked" in done and "refresh" not in done
    assert 'href="/?reason=date_precision_differs"' in done
    assert "/bulk/1" not in html(maintainer.get("/"))
    with Store(db, migrate=False) as store:
        assert store.conflict_history(3)[-1]["note"] == "precision only"
    again = html(maintainer.get("/bulk?reason=date_precision_differs&decision=keep_commons"))
    assert "Nothing to do" in again


def test_bulk_decision_says_what_changed_meanwhile(
    maintainer: FlaskClient, db: Path, conflict: ConflictBuilder
) -> None:
    text = html(maintainer.get("/bulk?property=P170&decision=skip"))
    assert 'name="expected" value="2"' in text and 'name="max_id" value="9"' in text
    with Store(db, migrate=False) as store:
        # meanwhile the bot finds another one, and another maintainer decides conflict 1
        conflict.record(
            store,
            ConflictRecord(ids.P_CREATOR, "creator_differs", [], sample.creator("9@N00", "New")),
            mid="M9",
            title="File:New.jpg",
            flickr_photo_id="9",
            owner_nsid=None,
            base_revid=1,
            run_id=2,
        )
        store.decide(1, "accept_flickr", actor="Bob", expected_status="open")
    response = maintainer.post(
        "/bulk",
        data={
            "csrf_token": TOKEN,
            "decision": "skip",
            "property": "P170",
            "expected": "2",
            "max_id": "9",
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/bulk/1"
    assert run_bulk(db) == [1]
    page = html(maintainer.get(response.headers["Location"]))
    assert "1 conflict marked “Skip for now”." in page
    assert "1 of those you confirmed changed meanwhile" in page and "left as it is" in page
    assert (status_of(db, 1), status_of(db, 9), status_of(db, 17)) == (
        "accept_flickr",
        "skip",
        "open",  # found after the confirmation: not swept in
    )
    with Store(db, migrate=False) as store:
        assert store.get_conflict(1)["decided_by"] == "Bob"  # type: ignore[index]


def add_photo_id_candidates(db: Path) -> list[int]:
    """A file citing two Flickr photos: one ``multiple_photo_ids`` conflict per photo."""
    with Store(db, migrate=False) as store:
        return store.record_conflicts(
            mid="M131000110",
            title="File:Bridge panorama, stitched.jpg",
            flickr_photo_id=None,
            owner_nsid=None,
            base_revid=1,
            run_id=2,
            dry_run=False,
            conflicts=[
                ConflictRecord(ids.P_FLICKR_PHOTO_ID, "multiple_photo_ids", [], sample.photo_id(p))
                for p in ("53377120054", "53377120188")
            ],
        ).ids


def test_bulk_accept_of_photo_id_conflicts_is_refused(maintainer: FlaskClient, db: Path) -> None:
    candidates = add_photo_id_candidates(db)
    confirm = maintainer.get("/bulk?reason=multiple_photo_ids&decision=accept_flickr")
    assert confirm.status_code == 409
    assert "each file needs the one photo id chosen" in html(confirm)
    form = {"csrf_token": TOKEN, "reason": "multiple_photo_ids", "decision": "accept_flickr"}
    posted = maintainer.post("/bulk", data={**form, "expected": "2", "max_id": "99"})
    assert posted.status_code == 409
    assert [status_of(db, c) for c in candidates] == ["open", "open"]
    one = decide(maintainer, candidates[0], "accept_flickr", seen_status="open")
    assert one.status_code == 303 and status_of(db, candidates[0]) == "accept_flickr"


def test_bulk_accept_of_everything_leaves_the_photo_id_candidates_out(
    maintainer: FlaskClient, db: Path
) -> None:
    candidates = add_photo_id_candidates(db)
    confirm = html(maintainer.get("/bulk?decision=accept_flickr"))
    assert 'name="expected" value="16"' in confirm  # the seeded 16, not the 2 candidates
    assert "2 conflicts about files that cite several Flickr photos are left out" in confirm
    response = maintainer.post(
        "/bulk",
        data={"csrf_token": TOKEN, "decision": "accept_flickr", "expected": "16", "max_id": "18"},
    )
    assert response.status_code == 303
    assert run_bulk(db) == [1]
    page = html(maintainer.get(response.headers["Location"]))
    assert "16 conflicts marked" in page and "are left out" in page
    assert [status_of(db, c) for c in candidates] == ["open", "open"]


def bulk_form(**fields: str) -> dict[str, str]:
    """The confirmation form of a bulk "skip" of every open creator conflict (ids 1 and 9)."""
    return {
        "csrf_token": TOKEN,
        "decision": "skip",
        "property": "P170",
        "expected": "2",
        "max_id": "9",
        **fields,
    }


def words(text: str) -> str:
    """A page's text as a reader sees it: no tags, single spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text))


def tasks_in(db: Path) -> list[int]:
    with Store(db, migrate=False) as store:
        return [t.id for t in store.active_bulk_tasks()]


def test_the_bulk_post_only_records_a_task(maintainer: FlaskClient, db: Path) -> None:
    response = maintainer.post("/bulk", data=bulk_form(note="later"))
    assert response.status_code == 303 and response.headers["Location"] == "/bulk/1"
    with Store(db, migrate=False) as store:
        task = store.get_bulk_task(1)
    assert task is not None and task.state == "queued"
    assert (task.actor, task.decision, task.max_id, task.expected) == ("Alice", "skip", 9, 2)
    assert task.filter.property == "P170" and task.note == "later"
    assert (status_of(db, 1), status_of(db, 9)) == ("open", "open")


@pytest.mark.parametrize(("who", "token"), [("Mallory", TOKEN), ("Alice", "forged"), (None, TOKEN)])
def test_only_a_maintainer_with_the_form_token_starts_a_bulk_task(
    client: FlaskClient, db: Path, who: str | None, token: str
) -> None:
    if who:
        login(client, who)
    response = client.post("/bulk", data=bulk_form(csrf_token=token))
    assert response.status_code in (400, 403)
    assert tasks_in(db) == []


def test_the_progress_page_shows_the_counts_so_far(maintainer: FlaskClient, db: Path) -> None:
    maintainer.post("/bulk", data=bulk_form())
    maintainer.post("/bulk", data=bulk_form(decision="keep_commons"))
    with Store(db, migrate=False) as store:
        store.claim_bulk_task("w1")
        store.bulk_task_progress(1, "w1", decided=1, chunks=1)
    running = html(maintainer.get("/bulk/1"))
    assert "Running: 1 of 2 confirmed conflicts decided so far." in words(running)
    assert '<progress max="100" value="50"' in running
    assert '<meta http-equiv="refresh" content="2">' in running  # no script needed
    assert "You can leave this page" in running
    waiting = html(maintainer.get("/bulk/2"))
    assert "Waiting to start (1 bulk decision before it)." in waiting
    queue = html(maintainer.get("/"))
    assert 'href="/bulk/1"' in queue and "1 of 2 done" in queue
    assert 'href="/bulk/2"' in queue and "waiting to start" in queue


def test_the_progress_page_escapes_what_people_typed(
    app: Flask, client: FlaskClient, db: Path
) -> None:
    app.config["MAINTAINERS"] = "<b>Eve</b>"
    login(client, "<b>Eve</b>")
    client.post("/bulk", data=bulk_form(note="<script>alert(1)</script>"))
    with Store(db, migrate=False) as store:
        store.claim_bulk_task("w1")
        store.fail_bulk_task(1, "w1", "OperationalError: <img src=x onerror=alert(1)>")
    page = html(client.get("/bulk/1"))
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>Eve</b>" not in page and "&lt;b&gt;Eve&lt;/b&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "Stopped by an error after 0 of 2" in page and "refresh" not in page


def test_an_unknown_bulk_task_is_404(client: FlaskClient) -> None:
    assert client.get("/bulk/99").status_code == 404


def test_the_worker_thread_runs_a_posted_task(db: Path) -> None:
    app = make_app(db, BULK_WORKER=True, BULK_POLL_SECONDS=60)
    client = app.test_client()
    login(client)
    response = client.post("/bulk", data=bulk_form())
    assert response.status_code == 303 and response.headers["Location"] == "/bulk/1"
    worker = app.extensions["bulk_worker"]
    try:
        assert worker.wait_for(1, timeout=30)
    finally:
        worker.stop()
    assert (status_of(db, 1), status_of(db, 9)) == ("skip", "skip")
    page = html(client.get("/bulk/1"))
    assert "Done." in page and "2 conflicts marked “Skip for now”." in page


class Died(Exception):
    """The web process stopping in the middle of a bulk decision."""


def test_a_task_left_running_by_a_dead_process_is_finished(
    maintainer: FlaskClient, db: Path
) -> None:
    maintainer.post("/bulk", data=bulk_form(property="", expected="16", max_id="16"))
    with Store(db, migrate=False) as store:
        task = store.claim_bulk_task("dead-host:1:1")
        assert task is not None

        def die_after_two_chunks(result: BulkResult) -> None:
            store.bulk_task_progress(task.id, "dead-host:1:1", result.decided, result.chunks)
            if result.chunks == 2:
                raise Died

        with pytest.raises(Died):
            store.bulk_decide(
                task.filter,
                task.decision,
                actor=task.actor,
                max_id=task.max_id,
                chunk_size=3,
                between_chunks=die_after_two_chunks,
            )
    assert "6 of 16 confirmed" in words(html(maintainer.get("/bulk/1")))
    assert run_pending(str(db), chunk_size=3) == []  # its heartbeat is fresh: not yet
    assert run_pending(str(db), chunk_size=3, stale_seconds=0) == [1]
    with Store(db, migrate=False) as store:
        done = store.get_bulk_task(1)
        assert done is not None and (done.state, done.decided, done.chunks) == ("done", 16, 6)
        assert done.changed_meanwhile == 0
        for cid in range(1, 17):  # each decided once, by the maintainer who confirmed
            events = [e for e in store.conflict_history(cid) if e["to_status"] == "skip"]
            assert [e["actor"] for e in events] == ["Alice"]
    assert "16 conflicts marked" in html(maintainer.get("/bulk/1"))


def test_bulk_message_in_words() -> None:
    from bot.store import BulkResult
    from review_ui.views import bulk_message

    label = "Keep Commons' value"
    assert bulk_message(BulkResult(decided=1), label) == "1 conflict marked “Keep Commons' value”."
    assert bulk_message(BulkResult(decided=125000, changed_meanwhile=3), label) == (
        "125,000 conflicts marked “Keep Commons' value”. 3 of those you confirmed changed "
        "meanwhile (someone else decided them, or the bot closed them) and were left as they are."
    )
    assert bulk_message(BulkResult(decided=0, changed_meanwhile=2), label).startswith(
        "0 conflicts marked"
    )


@pytest.mark.parametrize("missing", ["expected", "max_id"])
def test_a_bulk_form_without_its_confirmed_scope_is_400(
    maintainer: FlaskClient, db: Path, missing: str
) -> None:
    data = {"csrf_token": TOKEN, "decision": "skip", "expected": "16", "max_id": "16"}
    data[missing] = ""
    assert maintainer.post("/bulk", data=data).status_code == 400
    assert status_of(db, 1) == "open"


@pytest.mark.parametrize(
    "query",
    ["status=applied&decision=skip", "status=all&decision=skip", "decision=", "decision=open"],
)
def test_bulk_needs_a_decision_and_an_undecided_view(maintainer: FlaskClient, query: str) -> None:
    assert maintainer.get(f"/bulk?{query}").status_code == 400


def test_bulk_form_only_for_maintainers_on_open_views(client: FlaskClient) -> None:
    assert "Decide everything in this view" not in html(client.get("/"))
    login(client)
    assert "Decide everything in this view" in html(client.get("/"))
    assert "Decide everything in this view" not in html(client.get("/?status=applied"))


# --------------------------------------------------------------------------- escaping


EVIL_TITLE = 'File:<script>alert(1)</script>"onmouseover="alert(1).jpg'
EVIL_NAME = '<script>alert(1)</script>"onmouseover="alert(1)'


@pytest.fixture()
def evil(db: Path) -> int:
    existing = sample.creator("1@N00", EVIL_NAME, sid="M7$EVIL")
    existing["qualifiers"][ids.P_URL][0]["datavalue"]["value"] = "javascript:alert(1)"
    proposed = sample.source("javascript:alert(1)")
    proposed["qualifiers"][ids.P_URL] = [
        sample._string(ids.P_URL, 'https://x.org/"onmouseover="alert(1)')
    ]
    with Store(db, migrate=False) as store:
        out = store.record_conflicts(
            mid="M7",
            title=EVIL_TITLE,
            flickr_photo_id="javascript:alert(1)",
            owner_nsid='"><script>alert(1)</script>',
            base_revid=1,
            run_id=1,
            dry_run=False,
            conflicts=[
                ConflictRecord(ids.P_CREATOR, "<b>reason</b>", [existing], proposed, "M7$EVIL")
            ],
        )
    return out.ids[0]


def assert_safe(text: str) -> None:
    assert "<script>alert(1)</script>" not in text
    assert "<b>reason</b>" not in text
    assert '"onmouseover="' not in text
    assert not re.search(r'href="\s*javascript:', text, re.I)
    assert not re.search(r'src="\s*javascript:', text, re.I)
    # the only scripts are the page's own static file
    assert re.findall(r"<script[^>]*>", text) == ['<script src="/static/review.js" defer>']


def test_values_from_commons_and_flickr_are_escaped(client: FlaskClient, evil: int) -> None:
    login(client)
    page = html(client.get(f"/conflict/{evil}"))
    assert_safe(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;onmouseover=&#34;alert(1)" in page
    assert "<span><bdi>javascript:alert(1)</bdi></span>" in page  # shown, not linked
    assert 'href="https://x.org/&#34;onmouseover=&#34;alert(1)"' in page
    queue = html(client.get("/?status=all"))
    assert_safe(queue)
    assert "File:&lt;script&gt;alert(1)&lt;/script&gt;" in queue
    search = html(client.get("/?title=%3Cscript%3E&owner=%22%3E%3Cscript%3E"))
    assert_safe(search)


def test_escaped_values_survive_a_round_trip_through_forms(client: FlaskClient, evil: int) -> None:
    login(client)
    page = html(client.get(f"/conflict/{evil}?title=%22onmouseover%3D%22x"))
    assert 'name="title" value="&#34;onmouseover=&#34;x"' in page
    assert_safe(page)


def test_pages_need_no_inline_script_or_style(maintainer: FlaskClient) -> None:
    for url in ("/", "/conflict/1", "/bulk?decision=skip", "/login"):
        text = html(maintainer.get(url))
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), url
        assert not re.search(r"\sstyle=", text), url
        assert not re.search(r"\son[a-z]+=", text), url


# --------------------------------------------------------------------------- headers, health


def test_security_headers(client: FlaskClient) -> None:
    for url in ("/", "/conflict/1", "/login", "/conflict/999", "/static/review.css"):
        headers = client.get(url).headers
        assert headers["X-Frame-Options"] == "DENY", url
        assert headers["X-Content-Type-Options"] == "nosniff", url
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_session_cookie_flags(maintainer: FlaskClient) -> None:
    response = decide(maintainer, 1, "skip")  # the flash message writes the session
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("review_session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_anonymous_readers_get_no_cookie(client: FlaskClient) -> None:
    assert "Set-Cookie" not in client.get("/conflict/1").headers


def test_healthz(client: FlaskClient, tmp_path: Path, db: Path) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")
    assert response.mimetype == "text/plain"
    missing = make_app(tmp_path / "missing.db").test_client().get("/healthz")
    assert missing.status_code == 503 and "does not exist" in missing.get_data(as_text=True)
    assert not (tmp_path / "missing.db").exists()  # the page never creates a database
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert make_app(empty).test_client().get("/healthz").status_code == 503
    assert make_app(empty).test_client().get("/").status_code == 503


def test_static_files_are_served(client: FlaskClient) -> None:
    css = client.get("/static/review.css")
    assert css.status_code == 200 and b"#36c" in css.data
    js = client.get("/static/review.js")
    assert js.status_code == 200 and b"keydown" in js.data


# --------------------------------------------------------------------------- dev login


def test_dev_login_banner_on_every_page(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOL_DEV_LOGIN", "1")
    client = make_app(db).test_client()
    for url in ("/", "/conflict/1", "/login", "/conflict/999", "/?status=bogus"):
        assert "Development login is enabled." in html(client.get(url)), url
    monkeypatch.delenv("TOOL_DEV_LOGIN")
    normal = make_app(db).test_client()
    for url in ("/", "/login", "/conflict/999"):
        assert "Development login is enabled." not in html(normal.get(url))


def test_dev_login_from_the_environment_only_when_asked(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOL_DB_PATH", str(db))
    monkeypatch.setenv("TOOL_DEV_LOGIN", "0")
    with pytest.raises(RuntimeError, match="TOOL_SECRET_KEY"):
        create_app()
    monkeypatch.setenv("TOOL_DEV_LOGIN", "1")
    app = create_app()
    assert app.config["DEV_LOGIN"] is True and len(app.config["SECRET_KEY"]) >= 32


# --------------------------------------------------------------------------- start-up


def test_refuses_to_start_without_secret_or_database(db: Path) -> None:
    with pytest.raises(RuntimeError, match="TOOL_SECRET_KEY"):
        create_app({"DB_PATH": str(db)})
    with pytest.raises(RuntimeError, match="too short"):
        create_app({"DB_PATH": str(db), "SECRET_KEY": "short"})
    with pytest.raises(RuntimeError, match="TOOL_DB_PATH"):
        create_app({"SECRET_KEY": SECRET})


def test_the_dev_login_needs_no_secret_key_but_only_from_the_environment(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(RuntimeError, match="TOOL_DEV_LOGIN=1"):
        create_app({"DB_PATH": str(db), "DEV_LOGIN": True})
    monkeypatch.setenv("TOOL_DEV_LOGIN", "1")
    app = create_app({"DB_PATH": str(db)})
    assert app.config["DEV_LOGIN"] is True and len(app.config["SECRET_KEY"]) >= 32


def test_wsgi_module_builds_the_app_from_the_environment(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib
    import sys

    monkeypatch.setenv("TOOL_DB_PATH", str(db))
    monkeypatch.setenv("TOOL_SECRET_KEY", SECRET)
    sys.modules.pop("review_ui.wsgi", None)
    wsgi = importlib.import_module("review_ui.wsgi")
    assert wsgi.app.test_client().get("/healthz").status_code == 200
    sys.modules.pop("review_ui.wsgi", None)


@pytest.mark.parametrize("raw", ["~/bot.db", "$REVIEW_DATA/bot.db", "${REVIEW_DATA}/bot.db"])
def test_the_database_path_may_start_with_a_tilde_or_a_variable(
    db: Path, monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("HOME", str(db.parent))
    monkeypatch.setenv("REVIEW_DATA", str(db.parent))
    monkeypatch.setenv("TOOL_DB_PATH", raw)  # as `toolforge envvars create` stores it
    monkeypatch.setenv("TOOL_SECRET_KEY", SECRET)
    app = create_app()
    assert app.config["DB_PATH"] == str(db)
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")


def test_toolforge_shim_exposes_the_app(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    monkeypatch.setenv("HOME", str(db.parent))
    monkeypatch.setenv("TOOL_DB_PATH", "~/" + db.name)  # the README's setting
    monkeypatch.setenv("TOOL_SECRET_KEY", SECRET)
    monkeypatch.setenv("TOOL_REPO_DIR", str(Path(__file__).resolve().parents[2]))
    shim = Path(__file__).resolve().parents[2] / "config" / "toolforge" / "app.py"
    namespace = runpy.run_path(str(shim))
    assert namespace["app"].test_client().get("/healthz").get_data(as_text=True) == "ok"


def test_backfill_review_command(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from bot import cli
    from bot.cli import review as cli_review

    assert "bot.cli.review" in cli.COMMAND_MODULES

    def build_parser() -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser()
        cli_review.register(parser.add_subparsers())
        return parser

    served: dict[str, Any] = {}

    def fake_run_simple(host: str, port: int, app: Flask, **kwargs: Any) -> None:
        served.update(host=host, port=port, app=app)

    monkeypatch.setattr("werkzeug.serving.run_simple", fake_run_simple)
    args = build_parser().parse_args(["review", "--db", str(db)])
    with pytest.raises(ConfigError, match="TOOL_SECRET_KEY"):  # nor TOOL_DEV_LOGIN: exit 7
        args.func(args)
    for how in (["--dev-login"], []):  # the flag is shorthand for the variable
        monkeypatch.setenv("TOOL_DEV_LOGIN", "0" if how else "1")  # restored after the test
        args = build_parser().parse_args(["review", "--db", str(db), "--port", "8123", *how])
        assert args.func is cli_review.run
        assert args.func(args) == 0
        assert os.environ["TOOL_DEV_LOGIN"] == "1"
        app = served["app"]
        assert (served["host"], served["port"]) == ("127.0.0.1", 8123)
        assert app.config["DEV_LOGIN"] is True and app.config["SESSION_COOKIE_SECURE"] is False
        assert "Development login is enabled." in html(app.test_client().get("/"))
    monkeypatch.delenv("TOOL_DEV_LOGIN")
    monkeypatch.setenv("TOOL_SECRET_KEY", SECRET)
    args = build_parser().parse_args(["review", "--db", str(db)])
    assert args.func(args) == 0
    production = served["app"].test_client()
    assert production.application.config["DEV_LOGIN"] is False
    assert "Development login is enabled." not in html(production.get("/"))
    with production.session_transaction() as session:
        session["csrf"] = TOKEN
    dev = production.post("/dev-login", data={"csrf_token": TOKEN, "username": "Eve"})
    assert dev.status_code == 404
    missing = build_parser().parse_args(["review", "--db", str(db) + ".nope", "--dev-login"])
    with pytest.raises(StoreMissing, match="no store at "):  # bot.cli.main: exit 6
        missing.func(missing)


def test_conflict_statuses_all_have_labels() -> None:
    from review_ui.views import STATUS_LABELS

    assert set(STATUS_LABELS) == {s.value for s in ConflictStatus}


@pytest.mark.parametrize("i", [0, 1, 7, 11, 12, 4999, 5000, 123456])
def test_sample_facts_describe_the_sample_files(i: int) -> None:
    kwargs, record = sample.sample_file(i)
    facts = sample.sample_facts(i)
    assert (facts.title, facts.owner_nsid, facts.reason, facts.property) == (
        kwargs["title"],
        kwargs["owner_nsid"],
        record.reason,
        record.property,
    )


# --------------------------------------------------------------------------- a page that tells the truth

BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def in_marked_bdi(text: str, page: str) -> bool:
    """``text`` (balanced, escaped) is the whole content of a ``<bdi>`` marked as holding
    direction controls."""
    from markupsafe import escape

    from review_ui.render import balance_bidi

    inner = re.escape(str(escape(balance_bidi(text))))
    pattern = r'<bdi class="bidi-controls" title="Contains Unicode direction controls [^"]*">'
    return re.search(pattern + inner + "</bdi>", page) is not None


def outside_isolates(page: str) -> str:
    """The page without its isolated runs: ``<bdi>`` elements (whose bidi controls must
    pair up), FSI…PDI runs in plain text, ``dir="auto"`` form fields, and what is never
    shown (hidden fields, the values of a list's options)."""
    from html import unescape

    from review_ui.render import balance_bidi

    for inner in re.findall(r"<bdi[^>]*>(.*?)</bdi>", page, re.S):
        assert balance_bidi(unescape(inner)) == unescape(inner), inner
    rest = re.sub(r"<bdi[^>]*>.*?</bdi>", "", page, flags=re.S)
    rest = re.sub(r'<input[^>]*\b(dir="auto"|type="hidden")[^>]*>', "", rest)
    rest = re.sub(r'<option value="[^"]*"', "<option", rest)
    out, depth = [], 0
    for ch in rest:
        if ch == "\u2068" and depth == 0:
            depth = 1
        elif depth:
            depth += ch in "\u2066\u2067\u2068"
            depth -= ch == "\u2069"
        else:
            out.append(ch)
    return "".join(out)


@pytest.fixture()
def bidi(db: Path) -> tuple[int, int]:
    with Store(db, migrate=False) as store:
        return sample.seed_bidi(store)


def test_outside_text_cannot_reorder_the_page(
    maintainer: FlaskClient, bidi: tuple[int, int]
) -> None:

    from review_ui.render import balance_bidi

    decided, applied = bidi
    b = sample.BIDI
    owner = "%E2%80%AEowner"  # U+202E typed into the owner filter
    for url in (
        f"/conflict/{decided}",
        f"/conflict/{applied}",
        "/?status=all",
        f"/?status=all&owner={owner}&title=%E2%80%AEMarket",
        f"/conflict/{decided}?owner={owner}",
        f"/bulk?decision=skip&owner={owner}",
        "/?reason=%E2%81%A9%E2%80%AEretired",  # an unknown reason from the address bar
    ):
        page = html(maintainer.get(url))
        assert BIDI_CONTROLS.search(page), url  # the controls are shown, inside isolates
        assert not BIDI_CONTROLS.search(outside_isolates(page)), url
    page = html(maintainer.get(f"/conflict/{decided}"))
    for text in (b.title, b.author, b.owner_name, b.note, b.actor):
        assert in_marked_bdi(text, page), text
    assert f"<title>\u2068{balance_bidi(b.title)}\u2069 · conflict" in page
    assert f'alt="Thumbnail of \u2068{balance_bidi(b.title)}\u2069 on Commons"' in page
    login(maintainer, b.actor)
    header = html(maintainer.get("/")).split('<span class="account__name">')[1].split("</span>")[0]
    assert in_marked_bdi(b.actor, header)


def test_a_refusal_isolates_the_name_of_who_decided(maintainer: FlaskClient, db: Path) -> None:
    with Store(db, migrate=False) as store:
        store.decide(1, "skip", actor="\u202eBob")
    page = html(decide(maintainer, 1, "keep_commons", seen_status="open"))
    assert "(by <bdi " in page and in_marked_bdi("\u202eBob", page)
    assert not BIDI_CONTROLS.search(outside_isolates(page))


def test_an_applied_conflict_says_so_instead_of_the_old_value(db: Path) -> None:
    client = make_app(db, COMMONS_URL="http://127.0.0.1:8181/").test_client()
    decide_as = login(client)
    assert decide_as is None
    assert decide(client, 1, "accept_flickr").status_code == 303
    with Store(db, migrate=False) as store:
        store.mark_applied([1], 4242)
    page = html(client.get("/conflict/1"))
    commons_side = page.split('class="compare__side compare__side--commons"')[1].split(
        'class="compare__side compare__side--flickr"'
    )[0]
    assert "On Commons now" not in page
    assert "applied: " in commons_side and ">revision 4242</a>" in commons_side
    assert 'href="http://127.0.0.1:8181/w/index.php?diff=4242"' in commons_side
    before = commons_side.split("<details")[1]
    assert "What Commons held before that edit" in before and "A. N. Other" in before
    assert "A. N. Other" not in commons_side.split("<details")[0]
    row = html(client.get("/?status=applied"))
    assert re.search(
        r'applied: <a class="ext" href="http://127.0.0.1:8181/w/index.php\?diff=4242"', row
    )
    assert "A. N. Other" not in row
    # every other Commons link follows the configured site too
    assert 'href="http://127.0.0.1:8181/wiki/File:Harbour_0000000.jpg?action=history"' in page
    assert "https://commons.wikimedia.org" not in page
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' http://127.0.0.1:8181 https://upload.wikimedia.org" in csp


def test_an_edit_made_after_the_decision_changed_is_shown_too(
    maintainer: FlaskClient, db: Path
) -> None:
    decide(maintainer, 2, "accept_flickr")
    with Store(db, migrate=False) as store:
        store.decide(2, "keep_commons", actor="Bob")  # changed while the bot was writing
        store.mark_applied([2], 777)
    page = html(maintainer.get("/conflict/2"))
    assert "On Commons now" not in page
    assert ">revision 777</a>" in page and "though the decision had changed" in page


@pytest.mark.parametrize(
    ("status", "heading"),
    [("open", "On Commons now"), ("superseded", "On Commons when this was found")],
)
def test_the_commons_side_says_when_it_was_read(
    client: FlaskClient, db: Path, status: str, heading: str
) -> None:
    if status == "superseded":
        with Store(db, migrate=False) as store:
            store.supersede(3, "the file changed on Commons")
    assert f"<h2>{heading}</h2>" in html(client.get("/conflict/3"))


def test_times_carry_their_zone(maintainer: FlaskClient, db: Path) -> None:
    decide(maintainer, 1, "skip")
    with Store(db, migrate=False) as store:
        found = store.get_conflict(1)["found_at"]  # type: ignore[index]
    iso = found[:19] + "Z"
    text = f"{found[:10]} {found[11:16]} UTC"
    page = html(maintainer.get("/conflict/1?status=skip"))
    assert f'<time datetime="{iso}">{text}</time>' in page
    stamps = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', page)
    assert len(stamps) >= 3  # found, decided, history
    for attr, shown in stamps:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", attr)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", shown)
    assert f'<time datetime="{iso}">{text}</time>' in html(maintainer.get("/"))


def test_reasons_read_in_words_with_the_code_on_hover(
    client: FlaskClient, db: Path, conflict: ConflictBuilder
) -> None:
    from bot.core.reasons import REASONS

    words = REASONS["date_precision_differs"].replace("'", "&#39;")
    queue = html(client.get("/"))
    facet = re.search(
        r'<a href="/\?reason=date_precision_differs" title="date_precision_differs">([^<]+)</a>',
        queue,
    )
    assert facet and facet.group(1) == words
    assert (
        f'<option value="date_precision_differs" title="date_precision_differs">{words}</option>'
        in queue
    )
    assert f'<span class="reason-text" title="date_precision_differs">{words}</span>' in queue
    assert ">date_precision_differs<" not in queue  # the code only on hover
    page = html(client.get("/conflict/3"))
    assert f'<p class="reason" title="date_precision_differs">{words}</p>' in page
    heading = html(client.get("/?reason=date_precision_differs"))
    assert (
        "Open conflicts, reason “The file&#39;s inception agrees with Flickr&#39;s date" in heading
    )
    with Store(db, migrate=False) as store:  # a code no table explains shows as itself
        conflict.record(
            store,
            ConflictRecord(
                ids.P_INCEPTION, "retired_reason", [], sample.inception("+1965-05-17T00:00:00Z", 11)
            ),
            mid="M77",
            title="File:Old.jpg",
            flickr_photo_id="7",
            owner_nsid=None,
            base_revid=1,
            run_id=1,
        )
    queue = html(client.get("/"))
    assert (
        '<span class="mono" title="no explanation recorded for this reason"><bdi>retired_reason</bdi></span>'
        in queue
    )


def test_the_bulk_form_starts_with_no_decision(maintainer: FlaskClient, db: Path) -> None:
    queue = html(maintainer.get("/"))
    form = queue.split('class="bulk__form"')[1].split("</form>")[0]
    radios = re.findall(r'<input type="radio" name="decision" value="(\w+)"([^>]*)>', form)
    assert [value for value, _ in radios] == ["accept_flickr", "keep_commons", "skip"]
    assert all("checked" not in rest and "required" in rest for _, rest in radios)
    assert "<select" not in form and "selected" not in form
    # the server refuses a bulk decision without one, on both steps
    assert maintainer.get("/bulk?reason=date_differs").status_code == 400
    response = maintainer.post(
        "/bulk",
        data={"csrf_token": TOKEN, "reason": "date_differs", "expected": "2", "max_id": "10"},
    )
    assert response.status_code == 400
    assert "Choose the decision" in html(response)
    assert (status_of(db, 2), status_of(db, 10)) == ("open", "open")


@pytest.mark.parametrize(
    "raw", ["javascript:alert(1)", "commons.wikimedia.org", "https://a.org/?q"]
)
def test_a_bad_commons_url_stops_the_app(db: Path, raw: str) -> None:
    with pytest.raises(RuntimeError, match="TOOL_COMMONS_URL"):
        make_app(db, COMMONS_URL=raw)
