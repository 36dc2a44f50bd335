"""Serving the Commons stand-in: :func:`run_commons_standin` (a free port on 127.0.0.1 for
a ``with`` block) and its :class:`StandinHandle`, and ``python -m bot.standins.commons``."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bot.standins.commons.app import CommonsStandin
from bot.standins.commons.data import COMMONS_PATH, WIKIDATA_PATH, StandinData
from bot.standins.serving import serving, wait_for_interrupt

log = logging.getLogger("bot.standins.commons")


class _QuietHandler(WSGIRequestHandler):
    """werkzeug's handler without a log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("stand-in %s %s -> %s", self.command, self.path, code)


@dataclass
class StandinHandle:
    """A running stand-in: its URLs, its state and the test helpers (see CommonsStandin)."""

    standin: CommonsStandin
    server: BaseWSGIServer

    @property
    def api_url(self) -> str:
        return self.standin.api_url

    @property
    def wikidata_api_url(self) -> str:
        return self.standin.wikidata_api_url

    @property
    def writes(self) -> list[dict[str, Any]]:
        return self.standin.writes

    @property
    def write_attempts(self) -> list[dict[str, Any]]:
        return self.standin.write_attempts

    @property
    def requests(self) -> Counter[str]:
        return self.standin.requests

    def __getattr__(self, name: str) -> Any:
        # inject, human_edit, entity, set_page, set_user, delete_file, wikitext, ...
        return getattr(self.standin, name)


@contextmanager
def run_commons_standin(
    data: StandinData | Mapping[str, Any] | Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[StandinHandle]:
    """Serve a stand-in on ``host`` (a free port by default) for the ``with`` block."""
    standin = CommonsStandin(data)
    server = make_server(host, port, standin.wsgi_app, threaded=True, request_handler=_QuietHandler)
    standin.port = server.server_port
    standin.api_url = f"http://{host}:{server.server_port}{COMMONS_PATH}"
    standin.wikidata_api_url = f"http://{host}:{server.server_port}{WIKIDATA_PATH}"
    with serving(server, name="commons-standin", poll_interval=0.02):
        yield StandinHandle(standin, server)


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.standins.commons [--seed DIR] [--port N]``: serve until interrupted."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--seed", type=Path, help="seed directory (layout: module docstring)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args(argv)
    with run_commons_standin(args.seed, host=args.host, port=args.port) as wiki:
        print(f"Commons API:  {wiki.api_url}", flush=True)
        print(f"Wikidata API: {wiki.wikidata_api_url}", flush=True)
        wait_for_interrupt()
    return 0
