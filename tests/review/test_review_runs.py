"""The runs page: every run with its kind, times, stop reason, edits, undo state and a
link to the bot's contributions on the configured wiki; read-only, escaped."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from bot.store import Store
from review_ui.app import create_app

SECRET = "test-secret-key-0123456789"


@pytest.fixture(autouse=True)
def no_tool_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("TOOL_"):
            monkeypatch.delenv(key)


def journal_done(store: Store, run_id: int, mid: str) -> None:
    jid = store.open_edit(run_id=run_id, mid=mid, base_revid=1, payload={"claims": []}, summary="")
    store.close_edit(jid, state="done", new_revid=2)


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "bot.db"
    with Store(path) as store:
        dry = store.start_run(dry_run=True)
        store.finish_run(dry, stop_reason="done", summary={})
        real = store.start_run(dry_run=False)
        for mid in ("M1", "M2", "M3"):
            journal_done(store, real, mid)
        store.finish_run(real, stop_reason="<b>limit</b>", summary={})
        undo = store.start_run(dry_run=False, args={"undo_of": real})
        journal_done(store, undo, "M1")
        store.record_undo_file(
            undone_run_id=real,
            undo_run_id=undo,
            mid="M1",
            outcome="undone",
            taken=[{"property": "P571"}],
            left=[{"property": "P170"}],
            base_revid=2,
            new_revid=3,
        )
        store.record_undo_file(
            undone_run_id=real,
            undo_run_id=undo,
            mid="M2",
            outcome="undone",
            taken=[{"property": "P571"}],
            left=[],
            base_revid=2,
            new_revid=4,
        )
        store.finish_run(undo, stop_reason="done", summary={})
    return path


def client_for(db: Path, **config: str) -> FlaskClient:
    settings = {"DB_PATH": str(db), "SECRET_KEY": SECRET, "MAINTAINERS": "Alice", **config}
    return create_app(settings).test_client()


def rows(text: str) -> list[str]:
    body = text.split("<tbody>")[1].split("</tbody>")[0]
    return [" ".join(r.split()) for r in body.split("<tr>")[1:]]


def test_runs_are_listed_newest_first_with_counts_and_undo_state(db: Path) -> None:
    response = client_for(db, COMMONS_URL="http://127.0.0.1:8765").get("/runs")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    undo, real, dry = rows(text)
    for cells, expected in [
        (undo, ['<td data-label="Run">3</td>', ">undo<", "undo of run 2", ">1</td>"]),
        (real, [">2</td>", ">real<", ">3</td>", "undone: 2 files; 1 left for a person"]),
        (dry, [">1</td>", ">dry run<", "not undone", '<td data-label="On Commons">–</td>']),
    ]:
        for piece in expected:
            assert piece in cells, (piece, cells)
    day = Store(db).list_runs()[1].started_at[:10]
    assert (
        f'href="http://127.0.0.1:8765/wiki/Special:Contributions/FlickrSdcBot?start={day}&amp;end={day}"'
        in real
    )
    assert "&lt;b&gt;limit&lt;/b&gt;" in real and "<b>limit" not in text  # escaped


def test_the_bot_account_is_configurable(db: Path) -> None:
    text = client_for(db, BOT_USERNAME="Other Bot").get("/runs").get_data(as_text=True)
    assert "https://commons.wikimedia.org/wiki/Special:Contributions/Other_Bot" in text


def test_the_runs_page_is_read_only_and_hidden_when_reading_is_not_public(db: Path) -> None:
    client = client_for(db)
    assert client.get("/runs").status_code == 200  # anonymous readers see it
    assert client.post("/runs").status_code in (400, 405)  # nothing to post
    hidden = client_for(db, PUBLIC_READ="0").get("/runs")
    assert hidden.status_code == 302 and "/login" in hidden.headers["Location"]


def test_no_runs_yet(tmp_path: Path) -> None:
    Store(tmp_path / "empty.db").close()
    assert "No runs yet." in client_for(tmp_path / "empty.db").get("/runs").get_data(as_text=True)
