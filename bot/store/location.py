"""Where the store lives: one setting (``BACKFILL_DB``, ``--db``) names a SQLite file or a
MariaDB/MySQL database, parsed here into a typed ``StoreLocation``; ``open_store`` opens it.

Forms:

- ``/abs/path.db``, ``rel/path.db``, ``sqlite:///abs/path.db``, ``:memory:``: SQLite.
- ``mysql://user:pass@host:port/dbname`` (also ``mariadb://``), and the socket form
  ``mysql://user@localhost/dbname?unix_socket=/path/to/mysqld.sock``.
- ``toolsdb:NAME``: Toolforge's ToolsDB. The tool's ``$HOME/replica.my.cnf`` gives the
  credentials (``[client]`` ``user``, ``password``); the database is ``<user>__NAME`` on
  ``tools.db.svc.wikimedia.cloud``, the name ToolsDB requires for a tool's own database.

The password is never part of ``str()`` or ``repr()``: a location is safe to log.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, unquote, urlsplit

from bot.core.errors import ConfigError

if TYPE_CHECKING:
    from bot.store.database import Store

TOOLSDB_HOST = "tools.db.svc.wikimedia.cloud"
MYSQL_PORT = 3306


class Backend(StrEnum):
    SQLITE = "sqlite"
    MARIADB = "mariadb"


class BadLocation(ConfigError, ValueError):
    """A store setting that names no usable store (a typo, a missing credentials file)."""


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """A parsed store setting. SQLite: ``path``; MariaDB: server, user, database."""

    backend: Backend
    path: str = ""
    host: str = ""
    port: int = MYSQL_PORT
    user: str = ""
    password: str = field(default="", repr=False)
    database: str = ""
    unix_socket: str = ""

    @property
    def is_sqlite(self) -> bool:
        return self.backend == Backend.SQLITE

    def exists(self) -> bool:
        """SQLite: the file is there (only ``extract`` creates one). A server database is
        assumed to exist; connecting says otherwise."""
        return not self.is_sqlite or self.path == ":memory:" or Path(self.path).is_file()

    def with_database(self, database: str) -> StoreLocation:
        """The same server, another database (the tests' fresh database per test)."""
        return StoreLocation(
            self.backend,
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=database,
            unix_socket=self.unix_socket,
        )

    def url(self, *, with_password: bool = False) -> str:
        """The location as a URL; the password only when asked (never for logs)."""
        if self.is_sqlite:
            return self.path
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + (quote(self.password, safe="") if with_password else "***")
        netloc = f"{auth}@{self.host or 'localhost'}"
        if not self.unix_socket and self.port != MYSQL_PORT:
            netloc += f":{self.port}"
        text = f"mysql://{netloc}/{self.database}"
        if self.unix_socket:
            text += f"?unix_socket={self.unix_socket}"
        return text

    def __str__(self) -> str:
        return self.url()

    @classmethod
    def parse(cls, text: str | os.PathLike[str], *, home: str | None = None) -> StoreLocation:
        """Parse a setting (see the module docstring); ``home`` stands in for ``$HOME``."""
        raw = os.fspath(text).strip()
        if not raw:
            raise BadLocation("no store given: set BACKFILL_DB (a path or a mysql:// URL)")
        lower = raw.lower()
        if lower.startswith("toolsdb:"):
            return _toolsdb(raw.split(":", 1)[1], home)
        if lower.startswith(("mysql://", "mariadb://")):
            return _mysql(raw)
        if lower.startswith("sqlite://"):
            rest = raw[len("sqlite://") :]
            if not rest.startswith("/"):
                raise BadLocation(f"not a sqlite:/// URL (three slashes, absolute path): {raw}")
            return cls(Backend.SQLITE, path=rest)
        if "://" in raw:
            raise BadLocation(f"unknown store URL scheme: {raw.split('://', 1)[0]}://")
        return cls(Backend.SQLITE, path=raw)


def _mysql(raw: str) -> StoreLocation:
    parts = urlsplit(raw)
    database = parts.path.lstrip("/")
    if not database or "/" in database:
        raise BadLocation(
            f"a mysql:// URL names one database (mysql://user@host/dbname), not {parts.path!r}"
        )
    options = parse_qs(parts.query)
    unknown = set(options) - {"unix_socket"}
    if unknown:
        raise BadLocation(f"unknown mysql:// URL options: {sorted(unknown)}")
    try:
        port = parts.port or MYSQL_PORT
    except ValueError:
        raise BadLocation("the mysql:// URL has a port that is not a number") from None
    return StoreLocation(
        Backend.MARIADB,
        host=parts.hostname or "localhost",
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        database=unquote(database),
        unix_socket=(options.get("unix_socket") or [""])[0],
    )


def _toolsdb(name: str, home: str | None) -> StoreLocation:
    name = name.strip()
    if not name or "__" in name or not name.replace("_", "").replace("-", "").isalnum():
        raise BadLocation(
            f"toolsdb:NAME wants the database's own name (letters, digits, _): {name!r}"
        )
    cnf = Path(home or os.environ.get("HOME") or "~").expanduser() / "replica.my.cnf"
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(cnf, encoding="utf-8") as fh:
            parser.read_file(fh)
    except OSError as exc:
        raise BadLocation(
            f"toolsdb:{name} reads the credentials in {cnf}: {exc.strerror}"
        ) from None
    except configparser.Error:
        raise BadLocation(f"{cnf} is not a my.cnf file ([client] user=, password=)") from None
    user = _unquote(parser.get("client", "user", fallback=""))
    password = _unquote(parser.get("client", "password", fallback=""))
    if not user:
        raise BadLocation(f"{cnf} has no [client] user")
    return StoreLocation(
        Backend.MARIADB,
        host=TOOLSDB_HOST,
        user=user,
        password=password,
        database=f"{user}__{name}",
    )


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def open_store(location: str | os.PathLike[str] | StoreLocation, *, migrate: bool = True) -> Store:
    """The store at ``location`` (a setting or a parsed location), opened (and migrated)."""
    from bot.store.database import Store

    return Store(location, migrate=migrate)


def store_location(location: str | os.PathLike[str] | StoreLocation) -> StoreLocation:
    """``location`` parsed, unless it already is."""
    return location if isinstance(location, StoreLocation) else StoreLocation.parse(location)
