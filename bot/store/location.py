"""Where the store is: the one function every new caller opens a store through.

Minimal for now: a plain path or ``sqlite:///path`` (``sqlite:////abs/path`` for an
absolute one, as SQLAlchemy spells it). The MariaDB backend replaces this module with
the richer ``StoreLocation`` (``mysql://...``, ToolsDB names); callers stay the same.
"""

from __future__ import annotations

from bot.core.errors import UsageError
from bot.store.database import Store

_SQLITE_PREFIX = "sqlite:///"


def sqlite_path(url_or_path: str) -> str:
    """The file a plain path or ``sqlite:///`` URL names."""
    if url_or_path.startswith(_SQLITE_PREFIX):
        return url_or_path[len(_SQLITE_PREFIX) :]
    if "://" in url_or_path:
        raise UsageError(f"unsupported store URL {url_or_path!r}: use a path or sqlite:///PATH")
    return url_or_path


def open_store(url_or_path: str) -> Store:
    """Open (and migrate) the store at a path or URL."""
    return Store(sqlite_path(url_or_path))


__all__ = ["open_store", "sqlite_path"]
