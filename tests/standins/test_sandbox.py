"""``backfill sandbox``: stand-ins for a rehearsal, with faults from the command line and
a control API on each stand-in (over real HTTP on 127.0.0.1)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.standins.flickr import StandinData as FlickrData
from bot.standins.flickr import make_photo, run_flickr_standin
from bot.standins.sandbox import FaultSpec, parse_fault, prepare_demo_data

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("commons:maxlag:3", FaultSpec("commons", "maxlag", 3, None)),
        ("commons:http503:2:wbeditentity", FaultSpec("commons", "http503", 2, "wbeditentity")),
        ("commons:concurrent-edit", FaultSpec("commons", "concurrent_edit", 1, None)),
        ("Commons:LOST_RESPONSE:1", FaultSpec("commons", "lost_response", 1, None)),
        ("flickr:code201:2", FaultSpec("flickr", "code_201", 2, None)),
        (
            "flickr:http_429:1:flickr.photos.getInfo",
            FaultSpec("flickr", "http_429", 1, "flickr.photos.getInfo"),
        ),
    ],
)
def test_fault_specs(spec: str, expected: FaultSpec) -> None:
    assert parse_fault(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("maxlag", "ENDPOINT:KIND"),
        ("wikidata:maxlag", "'commons' or 'flickr'"),
        ("commons:code201", "unknown commons fault; one of maxlag"),
        ("flickr:maxlag", "unknown flickr fault; one of http_500"),
        ("commons:maxlag:two", "whole number"),
        ("commons:maxlag:0", "at least 1"),
        ("commons:maxlag:1:wbeditentity:x", "ENDPOINT:KIND"),
    ],
)
def test_bad_fault_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_fault(spec)


def test_flickr_control_endpoint() -> None:
    data = FlickrData()
    data.add_photo(make_photo("52810336619", "74108412@N03"))
    with run_flickr_standin(data, api_key="k") as flickr:
        control = flickr.url.removesuffix("/services/rest/") + "/_standin/"
        with httpx.Client(timeout=5) as client:
            answer = client.post(
                control + "inject",
                json={"fault": "code_201", "count": 1, "method": "flickr.photos.getInfo"},
            )
            assert answer.status_code == 200
            assert answer.json()["pending_faults"] == [
                {
                    "fault": "code_201",
                    "remaining": 1,
                    "method": "flickr.photos.getInfo",
                    "match": {},
                }
            ]
            params = {
                "method": "flickr.photos.getInfo",
                "photo_id": "52810336619",
                "api_key": "k",
                "format": "json",
                "nojsoncallback": "1",
            }
            assert client.get(flickr.url, params=params).json()["code"] == 201
            assert client.get(flickr.url, params=params).json()["stat"] == "ok"
            state = client.get(control + "state").json()
            assert state["requests"] == {"flickr.photos.getInfo": 2}
            assert state["faults"] == {"code_201": 1} and state["pending_faults"] == []
            bad = client.post(control + "inject", json={"fault": "code_999"})
            assert bad.status_code == 400
            assert client.post(control + "inject", json={"kind": "x"}).status_code == 400


def _backfill() -> list[str]:
    script = Path(sys.executable).parent / "backfill"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def test_sandbox_command_injects_faults_from_the_command_line(tmp_path: Path) -> None:
    data = prepare_demo_data(tmp_path / "data")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            *_backfill(),
            "sandbox",
            "--data",
            str(data),
            "--inject",
            "commons:maxlag:3",
            "--inject",
            "commons:http503:2:wbeditentity",
            "--inject",
            "flickr:code201:2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline() if proc.stdout else ""
            if not line:
                break
            lines.append(line.rstrip())
            if line.startswith("Ctrl-C"):
                break
        urls = {
            ln.split()[0]: ln.split()[-1] for ln in lines if ln.startswith(("Commons", "Flickr"))
        }
        assert [ln for ln in lines if ln.startswith("fault")] == [
            "fault         commons: maxlag × 3",
            "fault         commons: http503 × 2 on wbeditentity",
            "fault         flickr: code_201 × 2",
        ]
        commons_control = urls["Commons"].removesuffix("/w/api.php") + "/_standin/state"
        flickr_control = urls["Flickr"].removesuffix("/services/rest/") + "/_standin/state"
        with httpx.Client(timeout=5) as client:
            commons = client.get(commons_control).json()
            flickr = client.get(flickr_control).json()
            assert [
                (f["fault"], f["remaining"], f["action"]) for f in commons["pending_faults"]
            ] == [
                ("maxlag", 3, None),
                ("http503", 2, "wbeditentity"),
            ]
            assert commons["writes"] == 0
            assert [(f["fault"], f["remaining"]) for f in flickr["pending_faults"]] == [
                ("code_201", 2)
            ]
            # the faults are real: the next request that sends maxlag gets one
            got = client.get(
                urls["Commons"], params={"action": "query", "maxlag": 5, "format": "json"}
            )
            assert got.json()["error"]["code"] == "maxlag"
            after = client.get(commons_control).json()
            assert after["requests"]["fault:maxlag"] == 1
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0


def test_sandbox_command_refuses_a_bad_fault(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*_backfill(), "sandbox", "--data", str(tmp_path), "--inject", "commons:nonsense"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "unknown commons fault" in proc.stderr
