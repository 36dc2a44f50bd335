"""The two Commons backends the conformance suite runs every scenario against.

``real``: MediaWiki 1.39 + Wikibase + WikibaseMediaInfo started by
``../shared/wikibase/start-wikibase.sh`` (see ``tests/wikibase/start.sh``), or an already
running one named by ``WIKIBASE_API_URL``. ``standin``: :mod:`bot.standins.commons`. Both
have the same bot account (``Backfill-bot``, BotPassword ``Backfill-bot@ci``) and change
tag, so the bot's adapter, pywikibot and a second raw API session ("someone else")
speak to either the same way.

Without a real wiki the ``real`` cases skip with the reason; with ``REQUIRE_WIKIBASE=1``
(CI) they fail instead. Test modules import the ``*_fixture`` functions, as with
``tests.support.commons``.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import socket
import struct
import subprocess
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.adapters.commons import CommonsClient
from bot.adapters.pywikibot_setup import ENV_BOTPASSWORD, ENV_BOTPASSWORD_NAME, setup_pywikibot
from bot.core.concurrency import content_key
from bot.standins.commons import StandinData, StandinHandle, run_commons_standin

REPO = Path(__file__).resolve().parents[2]
PROJECT_SCRIPT = REPO / "tests" / "wikibase" / "start.sh"
"""The shared recipe plus the project's one addition (the wiki registered as a site)."""
START_SCRIPT = Path(
    os.environ.get("WIKIBASE_START_SCRIPT")
    or REPO.parent / "shared" / "wikibase" / "start-wikibase.sh"
)
BOT = "Backfill-bot"
BOTPASSWORD_NAME = "Backfill-bot@ci"
BOTPASSWORD = "backfillbotpasswordfortests00001"  # of the throw-away test wiki only
TAG = "backfill-test"


# --------------------------------------------------------------------------- raw API


@dataclass
class RawApi:
    """A logged-in session of the bot account spoken to with plain HTTP: "someone else"
    editing the file, and the raw answers (warnings, headers) the adapter turns into
    exceptions."""

    api_url: str
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=60))
    csrf: str = ""

    def get(self, **params: Any) -> dict[str, Any]:
        params.setdefault("format", "json")
        params.setdefault("formatversion", "2")
        answer: dict[str, Any] = self.client.get(self.api_url, params=params).json()
        return answer

    def post(self, files: Mapping[str, Any] | None = None, **params: Any) -> httpx.Response:
        params.setdefault("format", "json")
        return self.client.post(self.api_url, data=params, files=files)

    def login(self) -> RawApi:
        token = self.get(action="query", meta="tokens", type="login")["query"]["tokens"]
        answer = self.post(
            action="login",
            lgname=BOTPASSWORD_NAME,
            lgpassword=BOTPASSWORD,
            lgtoken=token["logintoken"],
        ).json()
        assert answer["login"]["result"] == "Success", answer
        self.csrf = self.get(action="query", meta="tokens")["query"]["tokens"]["csrftoken"]
        return self

    def edit(self, mid: str, data: Mapping[str, Any], **params: Any) -> dict[str, Any]:
        """``wbeditentity`` as another edit would make it; the whole JSON answer."""
        answer: dict[str, Any] = self.post(
            action="wbeditentity",
            id=mid,
            data=json.dumps(data),
            token=self.csrf,
            **{k: str(v) for k, v in params.items()},
        ).json()
        return answer

    def entity(self, mid: str) -> dict[str, Any]:
        """What ``wbgetentities`` says is stored now."""
        entity: dict[str, Any] = self.get(action="wbgetentities", ids=mid)["entities"][mid]
        return entity


def tiny_png(seed: int) -> bytes:
    """A 4×4 PNG of one colour (a different file for each seed)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    pixel = bytes([seed % 256, (seed // 256) % 256, (seed * 7) % 256])
    rows = b"".join(b"\x00" + pixel * 4 for _ in range(4))
    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------- backends


@dataclass(frozen=True, slots=True)
class RevisionMeta:
    """How a revision was recorded: by whom, flagged bot or not, its tags and comment."""

    user: str
    bot: bool
    tags: tuple[str, ...]
    comment: str


@dataclass
class Backend:
    """One Commons to run a scenario against (see the module docstring)."""

    name: str
    api_url: str
    new_file: Callable[[], str]
    """A fresh file without structured data; its M-id."""
    revision_meta: Callable[[str, int], RevisionMeta]
    """(M-id, revid) -> how that edit was recorded."""
    wikitext_edit: Callable[[str], int]
    """Someone edits the file page's wikitext (not its structured data); the new revid."""
    set_page: Callable[[str, str], None]
    """Create or change a page (the bot's run page)."""
    raw: RawApi
    site: Any
    client: CommonsClient


_counter = itertools.count(int(uuid.uuid4().int % 100_000))


def _real_new_file(raw: RawApi) -> Callable[[], str]:
    def upload() -> str:
        n = next(_counter)
        name = f"Conformance-{uuid.uuid4().hex[:10]}.png"
        answer = raw.post(
            files={"file": (name, tiny_png(n), "image/png")},
            action="upload",
            filename=name,
            text="A test file of the conformance suite.",
            ignorewarnings="1",
            token=raw.csrf,
        ).json()
        assert answer.get("upload", {}).get("result") == "Success", answer
        page = raw.get(action="query", titles=f"File:{name}", prop="info")["query"]["pages"][0]
        return f"M{page['pageid']}"

    return upload


def _real_revision_meta(raw: RawApi) -> Callable[[str, int], RevisionMeta]:
    def meta(mid: str, revid: int) -> RevisionMeta:
        pages = raw.get(action="query", pageids=mid[1:])["query"]["pages"]
        changes = raw.get(
            action="query",
            list="recentchanges",
            rctitle=pages[0]["title"],
            rcprop="ids|flags|tags|comment|user",
            rclimit="50",
        )["query"]["recentchanges"]
        (row,) = [c for c in changes if c.get("revid") == revid]
        return RevisionMeta(row["user"], bool(row.get("bot")), tuple(row["tags"]), row["comment"])

    return meta


def _real_wikitext_edit(raw: RawApi) -> Callable[[str], int]:
    def edit(mid: str) -> int:
        answer = raw.post(
            action="edit",
            pageid=mid[1:],
            appendtext="\n[[Category:Edited by someone else]]",
            token=raw.csrf,
        ).json()
        return int(answer["edit"]["newrevid"])

    return edit


def _real_set_page(raw: RawApi) -> Callable[[str, str], None]:
    def set_page(title: str, text: str) -> None:
        answer = raw.post(action="edit", title=title, text=text, token=raw.csrf).json()
        assert answer["edit"]["result"] == "Success", answer

    return set_page


def _standin_revision_meta(wiki: StandinHandle) -> Callable[[str, int], RevisionMeta]:
    def meta(mid: str, revid: int) -> RevisionMeta:
        (write,) = [w for w in wiki.writes if w["revid"] == revid and not w["nochange"]]
        params = write["params"]
        data = wiki.standin.data
        bot = params.get("bot") in ("1", "true", "") and data.bot_group and data.bot_right
        tags = tuple(t for t in (params.get("tags") or "").split("|") if t)
        return RevisionMeta(write["user"], bool(bot), tags, params.get("summary", ""))

    return meta


def _site(api_url: str, config_dir: Path) -> Any:
    return setup_pywikibot(
        api_url,
        config_dir,
        BOT,
        environ={ENV_BOTPASSWORD_NAME: BOTPASSWORD_NAME, ENV_BOTPASSWORD: BOTPASSWORD},
        put_throttle=0.01,
        min_throttle=0.0,
        retry_wait=0.05,
        retry_max=0.2,
        max_retries=2,
    )


# --------------------------------------------------------------------------- the real wiki


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def why_no_real_wiki() -> str | None:
    """Why this machine cannot start the real wiki (None: it can)."""
    if not START_SCRIPT.is_file():
        return f"{START_SCRIPT} is missing (the shared dir beside the checkout)"
    if os.geteuid() != 0:
        return "starting the real wiki needs root (it installs Debian packages)"
    if shutil.which("apt-get") is None and shutil.which("php") is None:
        return "neither apt-get nor php: not a Debian machine"
    return None


@dataclass
class RealWiki:
    """A running real wiki: its API URL, and the directory if this session started it."""

    api_url: str
    directory: Path | None = None
    startup_output: str = ""


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_WIKIBASE"):
        pytest.fail(f"REQUIRE_WIKIBASE is set but no real Wikibase: {reason}", pytrace=False)
    pytest.skip(f"no real Wikibase: {reason} (set WIKIBASE_API_URL, or run as root)")


@pytest.fixture(scope="session", name="real_wiki")
def real_wiki_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealWiki]:
    """``WIKIBASE_API_URL`` if set, else a wiki started for this session (stopped after)."""
    url = os.environ.get("WIKIBASE_API_URL")
    if url:
        yield RealWiki(url)
        return
    reason = why_no_real_wiki()
    if reason:
        _unavailable(reason)
    directory = tmp_path_factory.mktemp("wikibase")
    command = ["bash", str(PROJECT_SCRIPT), str(directory), str(_free_port())]
    started = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if started.returncode != 0:
        _unavailable(f"{' '.join(command)} failed: {started.stderr[-2000:]}")
    lines = started.stdout.strip().splitlines()
    try:
        yield RealWiki(lines[-1], directory, started.stdout)
    finally:
        subprocess.run(
            ["bash", str(PROJECT_SCRIPT), "--stop", str(directory)],
            capture_output=True,
            timeout=60,
            check=False,
        )


@pytest.fixture(scope="session", name="real_backend")
def real_backend_fixture(real_wiki: RealWiki, pywikibot_dir: Path) -> Backend:
    raw = RawApi(real_wiki.api_url).login()
    site = _site(real_wiki.api_url, pywikibot_dir)
    return Backend(
        "real",
        real_wiki.api_url,
        _real_new_file(raw),
        _real_revision_meta(raw),
        _real_wikitext_edit(raw),
        _real_set_page(raw),
        raw,
        site,
        CommonsClient(site, run_page=None, tags=(TAG,)),
    )


@pytest.fixture(scope="session", name="standin_backend")
def standin_backend_fixture(pywikibot_dir: Path) -> Iterator[Backend]:
    data = StandinData(
        username=BOT,
        botpasswords={BOTPASSWORD_NAME: BOTPASSWORD},
        defined_tags=[TAG],
    )
    with run_commons_standin(data) as wiki:
        raw = RawApi(wiki.api_url).login()
        site = _site(wiki.api_url, pywikibot_dir)

        def new_file() -> str:
            return wiki.add_file(f"File:Conformance-{uuid.uuid4().hex[:10]}.png", "A test file.")

        def wikitext_edit(mid: str) -> int:
            return int(wiki.human_edit(mid, wikitext="[[Category:Edited by someone else]]"))

        yield Backend(
            "standin",
            wiki.api_url,
            new_file,
            _standin_revision_meta(wiki),
            wikitext_edit,
            wiki.set_page,
            raw,
            site,
            CommonsClient(site, run_page=None, tags=(TAG,)),
        )


@pytest.fixture(
    name="backend",
    params=[pytest.param("real", marks=pytest.mark.real_wikibase), "standin"],
)
def backend_fixture(request: pytest.FixtureRequest) -> Backend:
    """Each scenario once against the real Wikibase, once against the stand-in."""
    backend: Backend = request.getfixturevalue(f"{request.param}_backend")
    return backend


# --------------------------------------------------------------------------- comparing


def statements(entity: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Statements by property; ``[]`` (Wikibase's "none") and a missing entity are ``{}``."""
    found = entity.get("statements")
    return dict(found) if isinstance(found, Mapping) else {}


def shape(entity: Mapping[str, Any], known_ids: Sequence[str] = ()) -> dict[str, list[Any]]:
    """What an entity's statements say, per property in order, without hashes; the ids
    of statements in ``known_ids`` are kept, other ids (new, random) are not compared."""
    return {
        prop: [
            (s["id"] if s.get("id") in known_ids else "new", content_key(s).decode()) for s in group
        ]
        for prop, group in statements(entity).items()
    }


def ids_of(entity: Mapping[str, Any]) -> list[str]:
    return [str(s["id"]) for group in statements(entity).values() for s in group]


def warning_names(answer: Mapping[str, Any]) -> list[str]:
    module = (answer.get("warnings") or {}).get("wbeditentity") or {}
    return [str(m["name"]) for m in module.get("messages", ())]
