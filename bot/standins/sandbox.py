"""Local rehearsal: stand-in Commons and Flickr on 127.0.0.1, seeded from a directory.

A sandbox data directory holds what each stand-in serves::

    DIR/commons/   the stand-in Commons seed (layout: ``bot.standins.commons``):
                   standin.json (the bot account), mediainfo/M123.json, pages.json ...
    DIR/flickr/    the stand-in Flickr seed (layout: ``bot.standins.flickr``):
                   photos/<id>.json, people/<nsid>.json, aliases.json

``prepare_demo_data`` builds one from the bundled sample (``bot/standins/sample/``): the Commons
side from the sample snapshot's own entities (so the live wiki starts as the snapshot
saw it), plus the overrides in ``sample/commons-changes.json`` (edits made on Commons
after the snapshot, e.g. by a person), and the Flickr side from ``sample/flickr/``.

Faults for a rehearsal are written ``ENDPOINT:KIND[:COUNT[:ACTION]]`` (``parse_fault``):
``commons:maxlag:3``, ``commons:http503:2:wbeditentity``, ``commons:concurrent_edit``,
``flickr:code201:2``, ``flickr:http_429:1:flickr.photos.getInfo``. Commons kinds are
those of ``CommonsStandin.inject``, Flickr kinds those of ``bot.standins.flickr.Fault``
(underscores optional); ACTION narrows a Commons fault to one API action and a Flickr
fault to one method. The names and the parsing are the stand-ins' one fault model
(``bot.standins.faults``). The same faults can be added later through each stand-in's
``POST /_standin/inject``.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bot.standins.faults import FaultSpec as FaultSpec
from bot.standins.faults import parse_fault as parse_fault

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
SAMPLE_SNAPSHOT = SAMPLE_DIR / "commons-20251101-mediainfo.json.gz"
DEMO_BOT = "DemoBot"
DEMO_BOTPASSWORD_NAME = "DemoBot@demo"
DEMO_BOTPASSWORD = "demo-password-not-secret"
DEMO_FLICKR_KEY = "demo-key-not-secret"


def inject_faults(faults: Sequence[FaultSpec], wiki: Any, flickr: Any) -> None:
    """Queue the faults in the running stand-ins, in order."""
    for fault in faults:
        if fault.endpoint == "commons":
            wiki.inject(fault.kind, fault.count, action=fault.target)
        else:
            flickr.inject(fault.kind, fault.count, method=fault.target)


@dataclass(frozen=True, slots=True)
class SandboxUrls:
    """Where the running stand-ins answer."""

    commons_api: str
    wikidata_api: str
    flickr_api: str

    @property
    def commons_control(self) -> str:
        """The Commons stand-in's control API (``inject``, ``state``)."""
        return self.commons_api.removesuffix("/w/api.php") + "/_standin/"

    @property
    def flickr_control(self) -> str:
        """The Flickr stand-in's control API (``inject``, ``state``)."""
        return self.flickr_api.removesuffix("/services/rest/") + "/_standin/"


def snapshot_entities(path: Path) -> Iterator[dict[str, Any]]:
    """Entities of a small snapshot file (gzip or plain), skipping malformed lines."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        for raw in fh:
            line = raw.strip().rstrip(b",")
            if not line.startswith(b"{"):
                continue
            try:
                entity = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(entity, dict) and entity.get("id"):
                yield entity


def prepare_demo_data(out: Path, sample_dir: Path = SAMPLE_DIR) -> Path:
    """Write a sandbox data directory for the bundled sample into ``out``."""
    commons = out / "commons"
    (commons / "mediainfo").mkdir(parents=True, exist_ok=True)
    changes_file = sample_dir / "commons-changes.json"
    changes = orjson.loads(changes_file.read_bytes()) if changes_file.exists() else {}
    for entity in snapshot_entities(sample_dir / SAMPLE_SNAPSHOT.name):
        mid = entity["id"]
        if mid in changes.get("deleted", []):
            continue
        seed: dict[str, Any] = {
            "title": entity.get("title"),
            "pageid": entity.get("pageid"),
            "lastrevid": entity.get("lastrevid"),
            "labels": entity.get("labels") or {},
            "statements": entity.get("statements") or {},
        }
        override = changes.get("edited", {}).get(mid)
        if override:
            seed["lastrevid"] = override.get("lastrevid", (seed["lastrevid"] or 0) + 1)
            seed["statements"] = {**seed["statements"], **override.get("statements", {})}
        (commons / "mediainfo" / f"{mid}.json").write_bytes(orjson.dumps(seed))
    for mid, text in changes.get("wikitext", {}).items():
        (commons / "mediainfo" / f"{mid}.wiki").write_text(text)
    for mid, seed in changes.get("added", {}).items():
        (commons / "mediainfo" / f"{mid}.json").write_bytes(orjson.dumps(seed))
    (commons / "standin.json").write_bytes(
        orjson.dumps(
            {
                "username": DEMO_BOT,
                "botpasswords": {DEMO_BOTPASSWORD_NAME: DEMO_BOTPASSWORD},
                "bot_group": True,
            }
        )
    )
    (commons / "pages.json").write_bytes(orjson.dumps({f"User:{DEMO_BOT}/Run": "run: yes"}))
    wikidata = sample_dir / "wikidata"
    if wikidata.is_dir():
        shutil.copytree(wikidata, commons / "wikidata", dirs_exist_ok=True)
    shutil.copytree(sample_dir / "flickr", out / "flickr", dirs_exist_ok=True)
    return out


@contextmanager
def run_sandbox(
    data_dir: Path, *, port_commons: int = 0, port_flickr: int = 0
) -> Iterator[tuple[SandboxUrls, Any, Any]]:
    """Start both stand-ins from ``data_dir``; yields their URLs and handles."""
    from bot.standins.commons import StandinData as CommonsData
    from bot.standins.commons import run_commons_standin
    from bot.standins.flickr import load_standin_data, run_flickr_standin

    commons_data = CommonsData.from_directory(data_dir / "commons")
    flickr_data = load_standin_data(data_dir / "flickr")
    with ExitStack() as stack:
        wiki = stack.enter_context(run_commons_standin(commons_data, port=port_commons))
        flickr = stack.enter_context(
            run_flickr_standin(flickr_data, api_key=DEMO_FLICKR_KEY, port=port_flickr)
        )
        yield SandboxUrls(wiki.api_url, wiki.wikidata_api_url, flickr.url), wiki, flickr
