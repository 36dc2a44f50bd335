"""Fixtures shared by the test modules.

The real Wikibase (``real_wiki``) is started at most once per session however many
modules run scenarios against it; see ``wikibase_backends``.
"""

from __future__ import annotations

import socket

import pytest
from wikibase_backends import real_wiki_fixture  # noqa: F401 - fixture


@pytest.fixture
def free_port() -> int:
    """A 127.0.0.1 port where nothing listens: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
