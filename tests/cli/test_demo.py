"""The README's first command: ``backfill demo`` on the bundled sample, offline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.run.job import iter_report
from bot.store import QueueFilter, Store


def test_demo_runs_the_whole_loop_on_the_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served: dict[str, Any] = {}

    def fake_run_simple(host: str, port: int, app: Any, **kwargs: Any) -> None:
        served.update(host=host, port=port, app=app)

    monkeypatch.setattr("werkzeug.serving.run_simple", fake_run_simple)
    for key in [k for k in os.environ if k.startswith("TOOL_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("TOOL_DEV_LOGIN", "0")  # restored (unset) after the test
    workdir = tmp_path / "demo"
    assert main(["demo", "--dir", str(workdir), "--port", "8765"]) == 0
    out = capsys.readouterr().out
    assert "entities scanned" in out or "entities_scanned" in out
    assert "stopped: done" in out
    with Store(workdir / "backfill.db") as store:
        counts = store.status_counts()
        assert counts == {"edited": 9, "conflict": 1, "photo_gone": 1, "no_flickr_id": 2}
        reasons = {c["reason"] for c in store.list_conflicts(QueueFilter())}
        assert reasons == {"date_differs", "coordinates_differ", "multiple_photo_ids"}
        placeholder = store.get_file("M131000108")
        assert placeholder is not None and placeholder.status == "edited"
    report = {line["mid"]: line for line in iter_report(workdir / "reports" / "demo-run.jsonl")}
    assert report["M131000107"]["outcome"] == "photo_gone"
    assert any("P170 replace" in d for d in report["M131000108"]["diff"])
    assert report["M131000110"]["outcome"] == "conflict"  # two photo ids: a person decides

    # then it serves the review page with the development login, announced
    assert (served["host"], served["port"]) == ("127.0.0.1", 8765)
    assert os.environ["TOOL_DEV_LOGIN"] == "1"
    page = served["app"].test_client().get("/").get_data(as_text=True)
    assert "Development login is enabled." in page
    assert "date_differs" in page and "multiple_photo_ids" in page
