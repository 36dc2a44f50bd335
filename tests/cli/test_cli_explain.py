"""``backfill explain``: the plan for one live file, read anonymously, writing nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.adapters.flickr import FetchError
from bot.cli import main
from bot.run.job import Job
from tests.support.world import FLICKR_KEY, World, p571


def test_explain_prints_the_plan_and_writes_nothing(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    mid = world.add_file(101, "52810336619", statements={})
    world.commons.entities[mid]["statements"] = {
        "P571": [p571("M101", "+1999-00-00T00:00:00Z", 9)],
        "P12120": [
            {
                "mainsnak": {
                    "snaktype": "value",
                    "property": "P12120",
                    "datavalue": {"type": "string", "value": "52810336619"},
                },
                "type": "statement",
                "id": "M101$12120000-AAAA-4AAA-8AAA-000000012120",
                "rank": "normal",
            }
        ],
    }
    monkeypatch.setenv("FLICKR_API_KEY", FLICKR_KEY)
    with world.start() as running:
        s = running.settings
        args = [
            "explain",
            "File:Harbour at dusk (52810336619).jpg",
            "--commons-api",
            s.commons_api_url,
            "--flickr-api",
            s.flickr_api_url,
            "--wikidata-api",
            s.wikidata_api_url,
            "--pywikibot-dir",
            s.pywikibot_dir,
        ]
        assert main(args) == 0
        plan = json.loads(capsys.readouterr().out)
        assert running.wiki.write_attempts == []
        assert running.wiki.requests.get("login", 0) == 0
    assert plan["mid"] == mid
    assert plan["flickr_photo_id"] == "52810336619"
    actions = {a["property"]: a for a in plan["actions"]}
    assert actions["P12120"]["action"] == "unchanged"
    assert actions["P571"]["action"] == "conflict"
    assert actions["P170"]["action"] == "add"
    assert plan["edit"] is not None


def _explain_args(running: Any) -> list[str]:
    s = running.settings
    return [
        "explain",
        "M101",
        "--commons-api",
        s.commons_api_url,
        "--flickr-api",
        s.flickr_api_url,
        "--wikidata-api",
        s.wikidata_api_url,
        "--pywikibot-dir",
        s.pywikibot_dir,
    ]


def test_explain_says_when_flickr_does_not_answer(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world.add_file(101, "52810336619")
    monkeypatch.setenv("FLICKR_API_KEY", FLICKR_KEY)
    monkeypatch.setattr(
        Job,
        "fetch_flickr",
        lambda self, files: {"52810336619": FetchError("52810336619", "HTTP 503 after 5 attempts")},
    )
    with world.start() as running:
        assert main(_explain_args(running)) == 9
    err = capsys.readouterr().err
    assert "Flickr did not answer for photo 52810336619: HTTP 503" in err
    assert "Traceback" not in err


def test_explain_with_a_rejected_api_key(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world.add_file(101, "52810336619")
    monkeypatch.setenv("FLICKR_API_KEY", "not-the-key")
    with world.start() as running:
        assert main(_explain_args(running)) == 3
    assert "Flickr refused the API key" in capsys.readouterr().err
