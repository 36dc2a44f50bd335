"""The stand-ins' one server base: serve a bound server (127.0.0.1, port 0 for a free one)
from a daemon thread for a ``with`` block, and stop it cleanly after.

Both servers are :class:`socketserver.BaseServer` underneath (werkzeug's WSGI server for
Commons, ``http.server``'s threading server for Flickr, kept for its HTTP/1.1 keep-alive
that the bot's httpx client reuses), so starting and stopping is written once here.
"""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

CONTROL_PREFIX = "/_standin/"
"""Where each stand-in answers its control API (``inject``, ``state``), beside the service."""


@contextmanager
def serving(server: socketserver.BaseServer, *, name: str, poll_interval: float) -> Iterator[None]:
    """Serve ``server`` in a background thread; on exit shut it down and close its socket."""
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": poll_interval},
        name=name,
        daemon=True,
    )
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def wait_for_interrupt() -> None:
    """Block until Ctrl-C (for a stand-in's ``python -m`` entry point)."""
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
