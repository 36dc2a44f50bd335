"""One Flickr REST call done right: rate-limited, counted, retried, classified, key kept secret.

``FlickrTransport`` is the part of the client that sends requests; ``FlickrClient`` adds the
Flickr methods and the batched photo reads on top of it. Every request takes a token from
the shared ``TokenBucket``, is counted per method, and is retried per ``RetryPolicy``; an
answer comes back as the ``stat=ok`` body or as one of the ``flickr_errors`` exceptions.

The API key is only ever put into the query string of the request itself: it is redacted
from every message we raise or log, and from httpx's request log.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Final, Self

import httpx
import orjson
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from bot import __version__
from bot.adapters.flickr_errors import (
    FlickrApiError,
    FlickrAuthError,
    FlickrKeyMissing,
    FlickrUnavailableError,
    FlickrUnreachableError,
)
from bot.adapters.flickr_parse import _int, _text
from bot.adapters.flickr_retry import (
    DEFAULT_TIMEOUT,
    RetryPolicy,
    _connect_reason,
    _connect_timeout,
    _Transient,
    _WaitRetryAfterOrBackoff,
    parse_retry_after,
    unreachable_bound,
)
from bot.adapters.ratelimit import TokenBucket

# The client's logger: every line about Flickr comes under one name, as before the split.
log = logging.getLogger("bot.adapters.flickr")

DEFAULT_ENDPOINT: Final = "https://api.flickr.com/services/rest/"
DEFAULT_USER_AGENT: Final = (
    f"flickr-sdc-backfill/{__version__} "
    "(https://commons.wikimedia.org/wiki/Commons:Flickr_SDC_backfill_bot; "
    f"python-httpx/{httpx.__version__})"
)
API_KEY_ENV: Final = "FLICKR_API_KEY"

_TRANSIENT_CODES: Final = frozenset({105, 201})
_AUTH_CODES: Final = frozenset({100})
_API_KEY_IN_TEXT_RE: Final = re.compile(r"(api_key=)[^&\s'\"]+")


def resolve_api_key(api_key: str | None) -> str:
    """The key given, else ``FLICKR_API_KEY``; ``FlickrKeyMissing`` before anything is sent."""
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV, "")
    if not key.strip():
        raise FlickrKeyMissing(f"no Flickr API key: set {API_KEY_ENV}")
    return key.strip()


def api_key_from_env(environ: Mapping[str, str] | None = None) -> str:
    """``FLICKR_API_KEY``, checked before anything is sent or anyone logged in."""
    key = (os.environ if environ is None else environ).get(API_KEY_ENV, "").strip()
    if not key:
        raise FlickrKeyMissing(
            f"{API_KEY_ENV} is not set: a Flickr API key is needed to read photos "
            "(`backfill demo` runs offline without one)"
        )
    return key


class _RedactApiKey(logging.Filter):
    """Blanks ``api_key=...`` in records of loggers that print request URLs (httpx)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "api_key=" in message:
            record.msg = _API_KEY_IN_TEXT_RE.sub(r"\1***", message)
            record.args = None
        return True


_REDACT_FILTER = _RedactApiKey()


def _install_log_redaction() -> None:
    """httpx logs every request URL at INFO; make sure the key is never in it."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _REDACT_FILTER not in logger.filters:
            logger.addFilter(_REDACT_FILTER)


class FlickrTransport:
    """Sends Flickr REST requests; thread-safe (httpx.Client, locked counters)."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str = DEFAULT_ENDPOINT,
        user_agent: str = DEFAULT_USER_AGENT,
        rate_limiter: TokenBucket | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.__api_key = resolve_api_key(api_key)
        self.base_url = base_url
        self.user_agent = user_agent
        self.rate_limiter = rate_limiter if rate_limiter is not None else TokenBucket()
        self.retry = retry if retry is not None else RetryPolicy()
        self._sleep = sleep
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            transport=transport, timeout=timeout, headers={"User-Agent": user_agent}
        )
        self._timeout = timeout
        self._lock = threading.Lock()
        self._calls = 0
        self._calls_by_method: Counter[str] = Counter()
        self._retries = 0
        _install_log_redaction()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, calls={self.calls})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connection pool if we opened it."""
        if self._owns_http:
            self._http.close()

    # ----------------------------------------------------------------- counters

    @property
    def calls(self) -> int:
        """Requests sent so far (every attempt, retries included)."""
        with self._lock:
            return self._calls

    @property
    def calls_by_method(self) -> Counter[str]:
        """Requests sent so far per Flickr method (a copy)."""
        with self._lock:
            return Counter(self._calls_by_method)

    @property
    def retries(self) -> int:
        """Attempts that failed transiently and were retried."""
        with self._lock:
            return self._retries

    # ----------------------------------------------------------------- transport

    def _redact(self, text: str) -> str:
        """Belt and braces: no text we log or raise may carry the key."""
        return _API_KEY_IN_TEXT_RE.sub(r"\1***", text).replace(self.__api_key, "***")

    def _attempt(self, method: str, params: Mapping[str, str]) -> dict[str, Any]:
        """One request: rate-limited, counted, classified."""
        self.rate_limiter.acquire()
        with self._lock:
            self._calls += 1
            self._calls_by_method[method] += 1
        query = {
            "method": method,
            **params,
            "format": "json",
            "nojsoncallback": "1",
            "api_key": self.__api_key,
        }
        try:
            response = self._http.get(
                self.base_url,
                params=query,
                headers={"User-Agent": self.user_agent},
                timeout=self._timeout,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise _Transient(_connect_reason(exc), unreachable=True) from None
        except httpx.TimeoutException as exc:
            raise _Transient(f"timeout ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise _Transient(
                f"connection error ({type(exc).__name__}: {self._redact(str(exc))})"
            ) from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Transient(
                f"HTTP {status}", parse_retry_after(response.headers.get("Retry-After"))
            )
        if status != 200:
            raise FlickrApiError(method, None, f"HTTP {status}")
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise _Transient("invalid JSON body") from None
        if not isinstance(body, dict) or body.get("stat") not in ("ok", "fail"):
            raise _Transient("response without stat")
        if body["stat"] == "fail":
            code = _int(body.get("code"))
            message = self._redact(_text(body.get("message")) or "")
            if code in _AUTH_CODES:
                raise FlickrAuthError(
                    f"Flickr refused the API key ({message}); check {API_KEY_ENV}"
                )
            if code in _TRANSIENT_CODES:
                raise _Transient(f"Flickr error {code}: {message}")
            raise FlickrApiError(method, code, message)
        return body

    def _log_retry(self, state: RetryCallState) -> None:
        with self._lock:
            self._retries += 1
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        wait = state.next_action.sleep if state.next_action else 0.0
        # No connection at all ends in one FlickrUnreachableError line: its tries are INFO.
        unreachable = isinstance(exc, _Transient) and exc.unreachable
        log.log(
            logging.INFO if unreachable else logging.WARNING,
            "Flickr %s attempt %d failed (%s); retrying in %.1fs",
            state.args[0] if state.args else "?",
            state.attempt_number,
            exc,
            wait,
        )

    def call(self, method: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Call a Flickr method; retries transient failures, returns the ``stat=ok`` body.

        Raises ``FlickrApiError`` (a non-transient ``stat=fail``), ``FlickrAuthError``
        (bad key), ``FlickrUnavailableError`` (retries exhausted).
        """
        retrying = Retrying(
            stop=self._stop,
            wait=_WaitRetryAfterOrBackoff(self.retry),
            retry=retry_if_exception_type(_Transient),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            return retrying(self._attempt, method, dict(params or {}))
        except _Transient as exc:
            if exc.unreachable:
                host = urllib.parse.urlsplit(self.base_url).netloc
                tries = min(self.retry.attempts, self.retry.connect_attempts)
                raise FlickrUnreachableError(
                    f"cannot reach Flickr at {host}: {exc.reason} "
                    f"({tries} {'try' if tries == 1 else 'tries'})"
                ) from None
            raise FlickrUnavailableError(
                f"{method}: gave up after {self.retry.attempts} attempts ({exc.reason})"
            ) from None

    def _stop(self, state: RetryCallState) -> bool:
        """Stop after ``attempts``, or after ``connect_attempts`` when no connection is made."""
        if state.attempt_number >= max(1, self.retry.attempts):
            return True
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        unreachable = isinstance(exc, _Transient) and exc.unreachable
        return unreachable and state.attempt_number >= max(1, self.retry.connect_attempts)

    @property
    def unreachable_after(self) -> float:
        """Seconds within which an unreachable Flickr is reported (see ``unreachable_bound``)."""
        return unreachable_bound(self.retry, _connect_timeout(self._timeout))
