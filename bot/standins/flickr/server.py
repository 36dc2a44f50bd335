"""Serving the Flickr stand-in: ``http.server``'s threading server with HTTP/1.1
keep-alive, :func:`run_flickr_standin` and its handle, ``python -m bot.standins.flickr DIR``."""

from __future__ import annotations

import argparse
import http.server
import logging
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.standins.flickr.app import (
    Fault,
    FlickrStandin,
    StandinRequest,
    StandinResponse,
)
from bot.standins.flickr.data import REST_PATH, STANDIN_API_KEY, StandinData, load_standin_data
from bot.standins.serving import CONTROL_PREFIX, serving, wait_for_interrupt

log = logging.getLogger("bot.standins.flickr")


class _Handler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive (httpx reuses connections, as it would with Flickr)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stalls
    server: _Server

    def do_GET(self) -> None:
        if urlsplit(self.path).path.startswith(CONTROL_PREFIX):
            self._send(self.server.app.control(urlsplit(self.path).path, "GET", b""))
            return
        self._answer(urlsplit(self.path).query)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if urlsplit(self.path).path.startswith(CONTROL_PREFIX):
            self._send(self.server.app.control(urlsplit(self.path).path, "POST", raw))
            return
        form = raw.decode("utf-8", "replace")
        query = urlsplit(self.path).query
        self._answer(f"{query}&{form}" if query else form)

    def _answer(self, query: str) -> None:
        params = dict(parse_qsl(query, keep_blank_values=True))
        path = urlsplit(self.path).path
        self._send(self.server.app.handle(path, params, self.headers.get("User-Agent", "")))

    def _send(self, response: StandinResponse) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: request lines carry the api_key, and tests look at the logs."""


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: FlickrStandin) -> None:
        self.app = app
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("stand-in: error while serving %s", client_address, exc_info=True)


@dataclass
class StandinHandle:
    """A running stand-in: its endpoint URL, its data, what it received, fault control."""

    url: str
    api_key: str
    app: FlickrStandin

    @property
    def data(self) -> StandinData:
        return self.app.data

    @property
    def requests(self) -> list[StandinRequest]:
        """Every request received so far, in order (a copy)."""
        with self.app._lock:
            return list(self.app.requests)

    @property
    def counts(self) -> Counter[str]:
        """Requests received so far, by Flickr method."""
        return self.app.counts()

    def inject(
        self,
        kind: Fault | str,
        times: int | None = 1,
        *,
        method: str | None = None,
        match: Mapping[str, str] | None = None,
        retry_after: float | str | None = 1,
        delay: float = 1.0,
    ) -> None:
        """See ``FlickrStandin.inject``."""
        self.app.inject(
            kind, times, method=method, match=match, retry_after=retry_after, delay=delay
        )

    def clear_faults(self) -> None:
        self.app.clear_faults()

    def reset(self) -> None:
        """Forget the requests received so far (faults stay)."""
        self.app.reset_requests()


@contextmanager
def run_flickr_standin(
    data: StandinData | None = None,
    *,
    api_key: str = STANDIN_API_KEY,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[StandinHandle]:
    """Serve ``data`` on ``host:port`` (0: a free port) in a background thread."""
    app = FlickrStandin(data if data is not None else StandinData(), api_key)
    server = _Server((host, port), app)
    bound_port = server.server_address[1]
    with serving(server, name="flickr-standin", poll_interval=0.05):
        yield StandinHandle(url=f"http://{host}:{bound_port}{REST_PATH}", api_key=api_key, app=app)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot.standins.flickr DIR``: serve a data directory until interrupted."""
    parser = argparse.ArgumentParser(
        description="A local stand-in for Flickr's REST API, for tests and the bot's offline demo/sandbox."
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default=STANDIN_API_KEY)
    args = parser.parse_args(argv)
    data = load_standin_data(args.directory)
    with run_flickr_standin(data, api_key=args.api_key, host=args.host, port=args.port) as handle:
        print(
            f"Flickr stand-in serving {len(data.photos)} photos, {len(data.owners)} people "
            f"at {handle.url} (FLICKR_API_KEY={handle.api_key})",
            flush=True,
        )
        wait_for_interrupt()
    return 0
