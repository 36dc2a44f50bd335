"""The review page while the store cannot be used (read-only maintenance, a lock held
past the busy timeout): 503 with a short page and Retry-After, never a traceback; a
decision sent meanwhile is not half-recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot.store import ConflictStatus, QueueFilter, Store
from review_ui.app import RETRY_AFTER_SECONDS, create_app, get_store
from tests.support.conflicts import ConflictBuilder
from tests.support.faults import hold_exclusive_lock, make_read_only

SECRET = "test-secret-key-0123456789"
TOKEN = "test-csrf-token"


@pytest.fixture(autouse=True)
def no_tool_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("TOOL_"):
            monkeypatch.delenv(key)


@pytest.fixture()
def db(tmp_path: Path, conflict: ConflictBuilder) -> Path:
    path = tmp_path / "bot.db"
    with Store(path) as store:
        conflict.record(store, mid="M1", title="File:<b>Harbour</b>.jpg")
    return path


@pytest.fixture()
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections give up on a held lock after 50 ms, not 30 s."""
    import bot.store.base

    monkeypatch.setattr(bot.store.base, "BUSY_TIMEOUT_MS", 50)


def app_with(db: Path, fault: str) -> Flask:
    """The page, with each request's store connection read-only first if asked."""
    app = create_app(
        {"DB_PATH": str(db), "SECRET_KEY": SECRET, "MAINTAINERS": "Alice", "BULK_WORKER": False}
    )

    @app.before_request
    def inject() -> None:
        if fault == "read-only":
            make_read_only(get_store())

    return app


def maintainer(app: Flask) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"name": "Alice", "sub": "1", "via": "oauth", "blocked": False}
        session["login_at"] = 10**10
        session["csrf"] = TOKEN
    return client


def assert_maintenance_page(response: Any) -> str:
    text = str(response.get_data(as_text=True))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "Read-only maintenance, try later" in text
    assert "Traceback" not in text and "sqlite3" not in text
    return text


def open_status(db: Path) -> str:
    with Store(db, migrate=False) as store:
        (row,) = store.list_conflicts(QueueFilter(status=None))
        return str(row["status"])


def test_a_decision_during_read_only_maintenance_is_503_and_not_recorded(db: Path) -> None:
    client = maintainer(app_with(db, "read-only"))
    assert client.get("/").status_code == 200  # reading still works
    response = client.post(
        "/conflict/1/decide", data={"csrf_token": TOKEN, "decision": ConflictStatus.SKIP}
    )
    text = assert_maintenance_page(response)
    assert "read-only" in text
    assert open_status(db) == "open"
    with Store(db, migrate=False) as store:
        assert [e["to_status"] for e in store.conflict_history(1)] == ["open"]


@pytest.mark.parametrize("path", ["/", "/conflict/1", "/runs"])
@pytest.mark.usefixtures("short_busy_timeout")
def test_reads_while_another_process_holds_the_lock_are_503(db: Path, path: str) -> None:
    client = app_with(db, "locked").test_client()
    holder = hold_exclusive_lock(db)
    try:
        assert_maintenance_page(client.get(path))
    finally:
        holder.close()
    assert client.get(path).status_code == 200  # and the page is back once it is released


@pytest.mark.usefixtures("short_busy_timeout")
def test_health_check_says_unavailable_in_plain_text(db: Path) -> None:
    client = app_with(db, "locked").test_client()
    holder = hold_exclusive_lock(db)
    try:
        response = client.get("/healthz")
    finally:
        holder.close()
    assert response.status_code == 503 and response.mimetype == "text/plain"
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.get_data(as_text=True).startswith("unavailable: the store is locked")


def test_the_reason_on_the_page_is_escaped(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from review_ui import views

    def fails(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("attempt to write a readonly database <script>x</script>")

    monkeypatch.setattr(views, "_neighbours", fails)
    client = maintainer(app_with(db, "none"))
    text = assert_maintenance_page(client.get("/conflict/1"))
    assert "<script>x</script>" not in text and "&lt;script&gt;" in text


def test_another_store_error_is_still_a_server_error(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from review_ui import views

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("no such column: statuz")

    monkeypatch.setattr(views, "_neighbours", broken)
    app = app_with(db, "none")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert app.test_client().get("/conflict/1").status_code == 500


# --- the same on MariaDB: the server read-only, or not there at all -------------------


@pytest.fixture()
def maria_db(conflict: ConflictBuilder) -> Any:
    from tests.support.mariadb import fresh_database

    with fresh_database() as location:
        with Store(location) as store:
            conflict.record(store, mid="M1", title="File:<b>Harbour</b>.jpg")
        yield location.url(with_password=True)


def test_mariadb_read_only_maintenance_is_503_and_the_decision_is_not_recorded(
    maria_db: str,
) -> None:
    app = app_with(maria_db, "read-only")  # type: ignore[arg-type]
    response = maintainer(app).post(
        "/conflict/1/decide", data={"csrf_token": TOKEN, "decision": ConflictStatus.SKIP}
    )
    text = assert_maintenance_page(response)
    assert "pymysql" not in text and "backfill:backfill" not in text
    with Store(maria_db, migrate=False) as store:
        (row,) = store.list_conflicts(QueueFilter(status=None))
        assert row["status"] == ConflictStatus.OPEN
        assert [e["to_status"] for e in store.conflict_history(row["id"])] == ["open"]


def test_a_mariadb_server_that_is_down_is_503_not_a_traceback(free_port: int) -> None:
    url = f"mysql://backfill:secret-pw@127.0.0.1:{free_port}/backfill"
    app = create_app(
        {"DB_PATH": url, "SECRET_KEY": SECRET, "MAINTAINERS": "Alice", "BULK_WORKER": False}
    )
    text = assert_maintenance_page(app.test_client().get("/"))
    assert "secret-pw" not in text
