"""The error tree: every kind has its exit code, library errors are sorted into kinds."""

from __future__ import annotations

import pytest
import requests

from bot.adapters.flickr import FlickrAuthError, FlickrKeyMissing, FlickrUnreachableError
from bot.adapters.pywikibot_setup import CredentialsMissing, LoginFailed
from bot.adapters.wikidata import WikidataUnreachable
from bot.core import errors
from bot.core.errors import ExitCode, as_backfill_error, is_unexpected
from bot.extract.snapshot import CorruptInput, TruncatedInput
from bot.store import LockHeld

REFUSED = (
    "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: /w/api.php "
    "(Caused by NewConnectionError(\"HTTPConnection(host='127.0.0.1', port=9): Failed to "
    'establish a new connection: [Errno 111] Connection refused"))'
)
NO_DNS = (
    "HTTPSConnectionPool(host='commons.wikimedia.org', port=443): Max retries exceeded "
    "(Caused by NameResolutionError(\"Failed to resolve 'commons.wikimedia.org' ([Errno -2] "
    'Name or service not known)"))'
)


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (FlickrKeyMissing, ExitCode.CONFIG),
        (FlickrAuthError, ExitCode.AUTH_REFUSED),
        (FlickrUnreachableError, ExitCode.NETWORK),
        (WikidataUnreachable, ExitCode.NETWORK),
        (CredentialsMissing, ExitCode.CONFIG),
        (LoginFailed, ExitCode.AUTH_REFUSED),
        (LockHeld, ExitCode.LOCK_HELD),
        (TruncatedInput, ExitCode.FAILED),
        (CorruptInput, ExitCode.FAILED),
    ],
)
def test_existing_classes_have_the_code_of_their_kind(
    cls: type[errors.BackfillError], code: ExitCode
) -> None:
    assert issubclass(cls, errors.BackfillError) and cls.exit_code == code


def test_every_code_has_a_kind() -> None:
    kinds = {
        k.exit_code
        for k in vars(errors).values()
        if isinstance(k, type) and issubclass(k, errors.BackfillError)
    }
    assert kinds | {ExitCode.OK} == set(ExitCode)


@pytest.mark.parametrize(
    ("exc", "kind", "message"),
    [
        (ConnectionError(NO_DNS), errors.NetworkUnreachable,
         "cannot reach commons.wikimedia.org:443: the host name does not resolve"),
        (requests.ConnectionError(REFUSED), errors.NetworkUnreachable,
         "cannot reach Commons at 127.0.0.1:9: connection refused"),
        (FileNotFoundError(2, "No such file", "x.gz"), errors.InputMissing, "no such file: x.gz"),
        (ValueError("x" * 500), errors.BackfillError, "ValueError: " + "x" * 185 + "..."),
    ],
)  # fmt: skip
def test_library_errors_are_sorted_into_kinds(
    exc: Exception, kind: type[errors.BackfillError], message: str
) -> None:
    mapped = as_backfill_error(exc)
    assert type(mapped) is kind and str(mapped) == message


def _pywikibot_class(name: str) -> type[Exception]:
    """A class named as pywikibot's (importing pywikibot here would load its config in
    the test process; the real classes are met by the subprocess tests of test_cli_errors)."""
    return type(name, (Exception,), {"__module__": "pywikibot.exceptions", "__qualname__": name})


def test_pywikibot_errors_by_name() -> None:
    timeout_error = _pywikibot_class("ApiTimeoutError")
    api_error = _pywikibot_class("APIError")
    timeout = as_backfill_error(timeout_error("Maximum retries attempted without success."))
    assert isinstance(timeout, errors.NetworkUnreachable)
    assert str(timeout) == (
        "Commons did not answer: gave up after the bounded retries (-v shows each try)"
    )
    api = as_backfill_error(api_error("badtoken: Invalid CSRF token."))
    assert isinstance(api, errors.RemoteError)
    assert str(api) == "Commons: APIError: badtoken: Invalid CSRF token."
    assert not is_unexpected(timeout_error("x")) and is_unexpected(KeyError("x"))
