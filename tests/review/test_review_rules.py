"""Decision rules on the review page (Flask's test client): the form and its preview,
saving (the first pass in the background), pause, resume, retire, who may, CSRF, and
escaping of everything a rule shows."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from bot.core import ids
from bot.core.rules import parse_rule
from bot.store import ConflictRecord, Store
from review_ui import render, sample
from tests.review.test_review_app import TOKEN, html, login, make_app, run_bulk, status_of

EVIL = '<script>alert(1)</script>"onmouseover="alert(1)'
# the sample's date_precision_differs conflicts (ids 3 and 11): Commons May 1965 at month
# precision, Flickr 17 May 1965 at day precision
PRECISION = {
    "reason": "date_precision_differs",
    "commons_precision": "10",
    "flickr_precision": "11",
    "same_year": "yes",
    "decision": "accept_flickr",
}


@pytest.fixture(autouse=True)
def no_tool_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("TOOL_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "bot.db"
    with Store(path) as store:
        sample.seed(store, 16)
    return path


@pytest.fixture()
def db(seeded: Path, tmp_path: Path) -> Path:
    path = tmp_path / "bot.db"
    shutil.copyfile(seeded, path)
    return path


@pytest.fixture()
def client(db: Path) -> FlaskClient:
    return make_app(db, MAINTAINERS=f"Alice,{EVIL}").test_client()


@pytest.fixture()
def maintainer(client: FlaskClient) -> FlaskClient:
    login(client, "Alice")
    return client


def save(client: FlaskClient, **fields: str) -> Any:
    return client.post("/rules", data={"csrf_token": TOKEN, **PRECISION, **fields})


def cells(text: str, label: str) -> list[str]:
    """The text of a table's cells in one column."""
    found = re.findall(rf'data-label="{label}"><div>(.*?)</div>', text, re.S)
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in found]


def rule_count(db: Path) -> int:
    with Store(db, migrate=False) as store:
        return len(store.list_rules())


# --------------------------------------------------------------------------- create, preview


def test_the_preview_counts_the_matching_open_conflicts_and_shows_them(
    maintainer: FlaskClient, db: Path
) -> None:
    response = maintainer.get("/rules/new", query_string=PRECISION)
    assert response.status_code == 200
    text = html(response)
    assert re.search(r'class="rule-preview__n">2</strong>\s*open conflicts match now', text)
    assert re.findall(r'href="/conflict/(\d+)\?', text) == ["3", "11"]
    # side by side: what Commons holds and what Flickr says, as the queue shows them
    commons = render.summary(sample.inception("+1965-05-00T00:00:00Z", ids.PRECISION_MONTH))
    flickr = render.summary(sample.inception("+1965-05-17T00:00:00Z", ids.PRECISION_DAY))
    assert commons != flickr
    assert cells(text, "Commons now") == [commons, commons]
    assert cells(text, "Flickr says") == [flickr, flickr]
    assert 'name="expected" value="2"' in text and 'name="max_id" value="11"' in text
    assert rule_count(db) == 0  # a preview saves nothing


def test_the_empty_form_and_a_bad_rule(maintainer: FlaskClient, db: Path) -> None:
    empty = maintainer.get("/rules/new")
    assert empty.status_code == 200 and "rule-preview" not in html(empty)
    bad = maintainer.get("/rules/new", query_string={**PRECISION, "commons_day": "1 Jan"})
    assert bad.status_code == 400
    assert "commons_day must be a day of the year as MM-DD" in html(bad)
    assert "rule-preview" not in html(bad)
    one_by_one = save(maintainer, reason="multiple_photo_ids")
    assert one_by_one.status_code == 400 and "one by one" in html(one_by_one)
    assert rule_count(db) == 0


def test_saving_answers_at_once_and_the_first_pass_runs_in_the_background(
    maintainer: FlaskClient, db: Path
) -> None:
    response = save(maintainer, expected="2", max_id="11", note="checked on Flickr")
    assert response.status_code == 303 and response.headers["Location"] == "/bulk/1"
    assert status_of(db, 3) == "open"  # nothing decided in the request
    progress = html(maintainer.get("/bulk/1"))
    assert 'href="/rules/1">rule #1</a>' in progress and 'data-state="queued"' in progress
    assert run_bulk(db) == [1]
    done = html(maintainer.get("/bulk/1"))
    assert "Done." in done and "2 conflicts marked “Use Flickr&#39;s value”." in done
    assert [status_of(db, c) for c in (3, 11)] == ["accept_flickr", "accept_flickr"]
    with Store(db, migrate=False) as store:
        event = store.conflict_history(3)[-1]
    assert (event["actor"], event["rule_id"]) == ("rule #1", 1)
    assert "written by Alice" in event["note"] and event["note"].endswith(": checked on Flickr")


def test_the_first_pass_stops_at_the_conflicts_the_preview_counted(
    maintainer: FlaskClient, db: Path
) -> None:
    save(maintainer, expected="1", max_id="3")
    run_bulk(db)
    assert [status_of(db, c) for c in (3, 11)] == ["accept_flickr", "open"]


def test_the_rules_page_lists_state_author_created_and_how_many_decided(
    maintainer: FlaskClient, db: Path
) -> None:
    save(maintainer, expected="2", max_id="11")
    run_bulk(db)
    text = html(maintainer.get("/rules"))
    row = re.search(r'<tr class="rule-row" data-rule="1">(.*?)</tr>', text, re.S)
    assert row is not None
    cells = unescape(re.sub(r"<[^>]+>", "", row.group(1)))
    assert "reason: date_precision_differs; Commons precision: month (10)" in cells
    assert "use Flickr's value" in cells and "Active" in cells and "Alice" in cells
    assert re.search(r"\b2\s*$", cells.strip())
    assert "<time datetime=" in row.group(1)
    page = html(maintainer.get("/rules/1"))
    assert re.findall(r'href="/conflict/(\d+)\?', page) == ["11", "3"]
    assert "created by" in page


# --------------------------------------------------------------------------- pause, retire


def test_pause_resume_and_retire(maintainer: FlaskClient, db: Path) -> None:
    save(maintainer, expected="2", max_id="11")
    run_bulk(db)
    paused = maintainer.post("/rules/1/pause", data={"csrf_token": TOKEN, "note": "hold on"})
    assert paused.status_code == 303 and paused.headers["Location"] == "/rules/1"
    page = html(maintainer.get("/rules/1"))
    assert "Paused" in page and "paused by" in page and "hold on" in page
    assert [status_of(db, c) for c in (3, 11)] == ["accept_flickr", "accept_flickr"]
    again = maintainer.post("/rules/1/pause", data={"csrf_token": TOKEN})
    assert again.status_code == 409
    resumed = maintainer.post("/rules/1/resume", data={"csrf_token": TOKEN})
    assert resumed.status_code == 303 and resumed.headers["Location"] == "/rules/1"  # none open
    retired = maintainer.post("/rules/1/retire", data={"csrf_token": TOKEN})
    assert retired.status_code == 303 and retired.headers["Location"] == "/bulk/2"
    assert "Withdrawing the decisions of" in html(maintainer.get("/bulk/2"))
    queue = html(maintainer.get("/"))
    assert "Back to open (withdrawn)" in queue  # the queue's list of running tasks
    run_bulk(db)
    assert [status_of(db, c) for c in (3, 11)] == ["open", "open"]
    page = html(maintainer.get("/rules/1"))
    assert "Retired" in page and "(2 withdrawn)" in page
    assert "/rules/1/pause" not in page and "/rules/1/retire" not in page
    assert maintainer.post("/rules/1/retire", data={"csrf_token": TOKEN}).status_code == 409
    assert maintainer.post("/rules/9/pause", data={"csrf_token": TOKEN}).status_code == 404


# --------------------------------------------------------------------------- who may, CSRF


@pytest.mark.parametrize("who", [None, "Mallory"])
def test_only_maintainers_write_pause_or_retire_rules(
    client: FlaskClient, db: Path, who: str | None
) -> None:
    with Store(db, migrate=False) as store:
        store.create_rule(*parse_rule(PRECISION), actor="Alice")
    if who:
        login(client, who)
    else:
        with client.session_transaction() as session:
            session["csrf"] = TOKEN
    assert client.get("/rules").status_code == 200  # reading is public
    assert client.get("/rules/1").status_code == 200
    assert "Write a rule" not in html(client.get("/rules"))
    assert "/rules/1/pause" not in html(client.get("/rules/1"))
    assert client.get("/rules/new", query_string=PRECISION).status_code == 403
    assert save(client).status_code == 403
    for action in ("pause", "resume", "retire"):
        assert client.post(f"/rules/1/{action}", data={"csrf_token": TOKEN}).status_code == 403
    assert rule_count(db) == 1
    with Store(db, migrate=False) as store:
        assert store.get_rule(1).state == "active"


def test_every_rule_post_needs_the_csrf_token(maintainer: FlaskClient, db: Path) -> None:
    without = maintainer.post("/rules", data=PRECISION)
    assert without.status_code == 400
    wrong = maintainer.post("/rules", data={**PRECISION, "csrf_token": "forged"})
    assert wrong.status_code == 403
    assert rule_count(db) == 0
    save(maintainer)
    for action in ("pause", "retire"):
        assert maintainer.post(f"/rules/1/{action}").status_code == 400
        assert maintainer.post(f"/rules/1/{action}", data={"csrf_token": "x"}).status_code == 403
    with Store(db, migrate=False) as store:
        assert store.get_rule(1).state == "active"


def test_the_rule_pages_carry_the_csrf_token_in_their_forms(maintainer: FlaskClient) -> None:
    preview = html(maintainer.get("/rules/new", query_string=PRECISION))
    assert f'name="csrf_token" value="{TOKEN}"' in preview
    save(maintainer)
    page = html(maintainer.get("/rules/1"))
    assert page.count(f'name="csrf_token" value="{TOKEN}"') >= 3  # logout, pause, retire


# --------------------------------------------------------------------------- escaping


def test_everything_a_rule_shows_is_escaped(client: FlaskClient, db: Path) -> None:
    with Store(db, migrate=False) as store:
        evil_date = ConflictRecord(
            ids.P_INCEPTION,
            "date_precision_differs",
            [sample.inception("+1965-05-00T00:00:00Z", 10, sid="M9$A")],
            sample.inception("+1965-05-17T00:00:00Z", 11),
            "M9$A",
        )
        store.record_conflicts(
            mid="M9",
            title=f"File:{EVIL}.jpg",
            flickr_photo_id="9",
            owner_nsid="9@N00",
            base_revid=1,
            conflicts=[evil_date],
            run_id=1,
            dry_run=False,
        )
    login(client, EVIL)
    fields = {**PRECISION, "commons_value": EVIL, "note": EVIL}
    pages = [html(client.get("/rules/new", query_string=fields))]
    save(client, commons_value=EVIL, note=EVIL)  # matches nothing: no task
    fields.pop("commons_value")
    pages.append(html(client.get("/rules/new", query_string=fields)))  # the evil title
    save(client, note=EVIL, expected="3", max_id="17")
    run_bulk(db)
    pages += [html(client.get(p)) for p in ("/rules", "/rules/1", "/rules/2", "/bulk/1")]
    client.post("/rules/2/pause", data={"csrf_token": TOKEN, "note": EVIL})
    pages.append(html(client.get("/rules/2")))
    for text in pages:
        assert "<script>alert" not in text
        assert re.findall(r"<script[^>]*>", text) == ['<script src="/static/review.js" defer>']
        assert '"onmouseover="' not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[2]  # the list: value, author
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[1]  # the preview: the title
