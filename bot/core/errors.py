"""One root for every error the bot reports, with the exit code of its kind.

Each module keeps its own exception classes (``bot.adapters.flickr.FlickrAuthError``,
``bot.store.LockHeld``, ...); they inherit from one of the kinds below, so the command line
(``bot.cli.main``, the only place that turns errors into messages and exit codes) needs
no list of them. Errors raised by libraries (pywikibot, requests, httpx) and by the OS are
sorted into the same kinds by :func:`as_backfill_error`, by class name, so this module
imports none of those libraries.

The exit codes are part of the command-line interface (the README lists them): a
scheduled job or a script can tell "try again later" (network) from "fix the set-up"
(configuration, credentials) from "a bug" (1).
"""

from __future__ import annotations

import re
from enum import IntEnum


class ExitCode(IntEnum):
    """What ``backfill`` exits with; one value per kind of failure."""

    OK = 0
    FAILED = 1  # an unexpected error, or input that could be read only in part
    USAGE = 2  # a bad argument or option value
    AUTH_REFUSED = 3  # Flickr refused the API key, or Commons the login
    LOCK_HELD = 4  # another run holds the store's lock
    INPUT_MISSING = 5  # an input file does not exist or cannot be read
    STORE_MISSING = 6  # the command needs an existing store and there is none
    CONFIG = 7  # a missing credential or setting (FLICKR_API_KEY, the bot account)
    NETWORK = 8  # Commons, Flickr or Wikidata could not be reached
    REMOTE = 9  # a service answered, but with an error the command cannot get past
    STORE_UNAVAILABLE = 10  # the store cannot be reached or written now (down, read-only, full)


class BackfillError(Exception):
    """Root of the bot's errors; ``exit_code`` says which kind of failure it is."""

    exit_code: ExitCode = ExitCode.FAILED


class UsageError(BackfillError):
    """A bad argument or option value (what argparse cannot check on its own)."""

    exit_code = ExitCode.USAGE


class InputMissing(BackfillError):
    """An input file that does not exist or cannot be read."""

    exit_code = ExitCode.INPUT_MISSING


class InputInvalid(BackfillError):
    """Input that could be read only in part, or not understood (what was read is kept)."""

    exit_code = ExitCode.FAILED


class StoreMissing(BackfillError):
    """The command needs an existing store and finds none at the path."""

    exit_code = ExitCode.STORE_MISSING


class ConfigError(BackfillError):
    """A missing credential or setting, or a settings file that cannot be used."""

    exit_code = ExitCode.CONFIG


class AuthRefused(BackfillError):
    """A service refused the credentials it was given."""

    exit_code = ExitCode.AUTH_REFUSED


class NetworkUnreachable(BackfillError):
    """A service could not be reached (no answer within the bounded retries)."""

    exit_code = ExitCode.NETWORK


class RemoteError(BackfillError):
    """A service answered with an error the command cannot get past."""

    exit_code = ExitCode.REMOTE


class StoreUnavailable(BackfillError):
    """The store cannot be reached or written now: the server is down, a maintenance
    window made it read-only, the disk is full. Try again later; nothing was half-written
    (every write is one transaction, and an edit is sent only after its intent is stored)."""

    exit_code = ExitCode.STORE_UNAVAILABLE


class LockHeldError(BackfillError):
    """Another process holds the lock the command needs."""

    exit_code = ExitCode.LOCK_HELD


# Library errors by class name, most specific first: by name, so that the command line
# need not import pywikibot to recognise its errors. pywikibot (and requests, under it)
# only ever talks to Commons here; the Flickr and Wikidata clients wrap their httpx errors.
_FOREIGN_KINDS: tuple[tuple[str, type[BackfillError]], ...] = (
    ("pywikibot.exceptions.NoUsernameError", ConfigError),
    ("pywikibot.exceptions.FatalServerError", NetworkUnreachable),
    ("pywikibot.exceptions.ServerError", NetworkUnreachable),
    ("pywikibot.exceptions.ApiTimeoutError", NetworkUnreachable),
    ("pywikibot.exceptions.APIError", RemoteError),
    ("requests.exceptions.ConnectionError", NetworkUnreachable),
    ("requests.exceptions.Timeout", NetworkUnreachable),
    ("httpx.TransportError", NetworkUnreachable),
)
_COMMONS_MODULES = ("pywikibot", "requests")
_HOST_RE = re.compile(r"host='([^']+)', port=(\d+)")

_REASONS: dict[str, str] = {
    "Name or service not known": "the host name does not resolve",
    "Temporary failure in name resolution": "the host name does not resolve",
    "nodename nor servname provided": "the host name does not resolve",
    "Connection refused": "connection refused",
    "Network is unreachable": "the network is unreachable",
    "No route to host": "no route to host",
    "timed out": "timed out",
    "Maximum retries attempted": "no answer after the retries",
}


def _qualified_names(exc: BaseException) -> list[str]:
    return [f"{cls.__module__}.{cls.__qualname__}" for cls in type(exc).__mro__]


def network_reason(text: str) -> str:
    """A few words for a connection failure, from a library's long message."""
    for needle, words in _REASONS.items():
        if needle in text:
            return words
    return "no connection"


def short(text: str, limit: int = 200) -> str:
    """One line of at most ``limit`` characters (library messages can be 400+)."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _unreachable(service: str, text: str) -> str:
    if m := _HOST_RE.search(text):
        where = f"{service} at {m[1]}:{m[2]}" if service else f"{m[1]}:{m[2]}"
    else:
        where = service or "the server"
    return f"cannot reach {where}: {network_reason(text)}"


def _timed_out(service: str, exc: BaseException) -> str:
    """pywikibot's ``ApiTimeoutError`` (11.7+) carries the site: name its host."""
    text = str(exc)
    if "Maximum retries" not in text:
        return _unreachable(service, text)
    hostname = getattr(getattr(exc, "site", None), "hostname", None)
    where = f"{service} at {hostname()}" if callable(hostname) else service
    return f"{where} did not answer: gave up after the bounded retries (-v shows each try)"


def is_unexpected(exc: BaseException) -> bool:
    """Neither one of the bot's errors nor a library error of a known kind: a bug."""
    return type(as_backfill_error(exc)) is BackfillError and not isinstance(exc, BackfillError)


def as_backfill_error(exc: BaseException) -> BackfillError:
    """The error of the bot's own tree that ``exc`` is, with a one-line message."""
    if isinstance(exc, BackfillError):
        return exc
    if isinstance(exc, FileNotFoundError):
        return InputMissing(f"no such file: {exc.filename}")
    if isinstance(exc, PermissionError):
        return InputMissing(f"cannot read {exc.filename}: permission denied")
    if isinstance(exc, ConnectionError):  # what pywikibot raises when a host does not resolve
        return NetworkUnreachable(_unreachable("", str(exc)))
    names = _qualified_names(exc)
    for name, kind in _FOREIGN_KINDS:
        if name in names:
            service = "Commons" if name.startswith(_COMMONS_MODULES) else "the server"
            if kind is NetworkUnreachable:
                return NetworkUnreachable(_timed_out(service, exc))
            return kind(short(f"{service}: {type(exc).__name__}: {exc}"))
    return BackfillError(short(f"{type(exc).__name__}: {exc}"))


__all__ = [
    "AuthRefused",
    "BackfillError",
    "ConfigError",
    "ExitCode",
    "InputInvalid",
    "InputMissing",
    "LockHeldError",
    "NetworkUnreachable",
    "RemoteError",
    "StoreMissing",
    "StoreUnavailable",
    "UsageError",
    "as_backfill_error",
    "is_unexpected",
    "network_reason",
    "short",
]
