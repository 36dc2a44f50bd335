"""Wikidata lookups: the Flickr user ids (P3267) of creator items, 50 items per request.

A creator statement on Commons may point at a Wikidata item instead of naming a Flickr
account; the item's P3267 values say which Flickr accounts that person or organisation
has. The job caches the answers in the store (``Store.get_wikidata_flickr_ids`` /
``put_wikidata_flickr_ids``) and asks here only for items it has not seen.

This uses httpx rather than pywikibot: the reads are anonymous GETs of one module, and a
second pywikibot site would mean another family, siteinfo, paraminfo and throttle just to
send them (and, for the offline stand-in, another custom family). What pywikibot would
add is applied here: a descriptive User-Agent, ``maxlag``, honouring ``Retry-After``,
and backing off on HTTP 429/5xx and network errors.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Final

import httpx

from bot.core.errors import NetworkUnreachable, RemoteError, network_reason
from bot.core.ids import P_FLICKR_USER_ID

log = logging.getLogger(__name__)

DEFAULT_API_URL: Final = "https://www.wikidata.org/w/api.php"
DEFAULT_USER_AGENT: Final = (
    "flickr-sdc-backfill/0.1 (https://commons.wikimedia.org/wiki/Commons:Flickr_SDC_backfill_bot)"
)
BATCH: Final = 50
_QID_RE: Final = re.compile(r"^Q[1-9][0-9]*$")


class WikidataError(RemoteError, RuntimeError):
    """Wikidata answered with an error, or not at all after the retries."""


class WikidataUnreachable(NetworkUnreachable, WikidataError):
    """No connection to Wikidata within ``connect_attempts``; later calls fail at once."""


DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=5.0)


def unreachable_bound(
    connect_attempts: int, connect_timeout: float, retry_wait: float, retry_max: float
) -> float:
    """The longest one lookup takes before it reports Wikidata unreachable (seconds)."""
    tries = max(1, connect_attempts)
    waits = sum(min(retry_wait * 2**n, retry_max) for n in range(tries - 1))
    return tries * connect_timeout + waits


def flickr_user_ids_of(entity: Mapping[str, Any]) -> list[str]:
    """The P3267 values of an item (deprecated statements and no-value snaks skipped)."""
    found: list[str] = []
    claims = entity.get("claims") or {}
    if not isinstance(claims, Mapping):
        return found
    for statement in claims.get(P_FLICKR_USER_ID) or ():
        if statement.get("rank") == "deprecated":
            continue
        snak = statement.get("mainsnak") or {}
        value = (snak.get("datavalue") or {}).get("value")
        if snak.get("snaktype") != "value" or not isinstance(value, str):
            continue
        value = value.strip()
        if value and value not in found:
            found.append(value)
    return found


class WikidataClient:
    """Anonymous, batched ``wbgetentities`` reads of Wikidata items."""

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        maxlag: int | None = 30,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_attempts: int = 5,
        retry_wait: float = 5.0,
        retry_max: float = 120.0,
        connect_attempts: int = 3,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``maxlag`` as pywikibot's read requests (30 s; None: not sent).

        A host that cannot be connected to gets ``connect_attempts`` tries; once it has
        been found unreachable, this client (one run) does not try it again."""
        if not user_agent.strip():
            raise ValueError("Wikimedia requires a descriptive User-Agent")
        self.api_url = api_url
        self.maxlag = maxlag
        self.max_attempts = max(1, max_attempts)
        self.retry_wait = retry_wait
        self.retry_max = retry_max
        self.connect_attempts = max(1, min(connect_attempts, self.max_attempts))
        self.unreachable: str | None = None  # why, once found unreachable
        self.sleep = sleep
        self.calls = 0
        connect = timeout.connect if isinstance(timeout, httpx.Timeout) else timeout
        self.unreachable_after = unreachable_bound(
            self.connect_attempts, float(connect or 0.0), retry_wait, retry_max
        )
        self._own_client = client is None
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=True)
        self._client.headers["User-Agent"] = f"{user_agent} httpx/{httpx.__version__}"

    def close(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._own_client:
            self._client.close()

    def __enter__(self) -> WikidataClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def fetch_flickr_user_ids(self, qids: Sequence[str]) -> dict[str, list[str]]:
        """Q-id → its Flickr user ids (empty for items without P3267 or that do not exist)."""
        wanted = list(dict.fromkeys(q.strip().upper() for q in qids))
        for qid in wanted:
            if not _QID_RE.match(qid):
                raise ValueError(f"not a Wikidata item id: {qid!r}")
        result: dict[str, list[str]] = {qid: [] for qid in wanted}
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start : start + BATCH]
            data = self._get({"action": "wbgetentities", "ids": "|".join(batch), "props": "claims"})
            for key, entity in (data.get("entities") or {}).items():
                if "missing" in entity:
                    continue
                values = flickr_user_ids_of(entity)
                # a redirected item answers under its target; map it back
                redirect = (entity.get("redirects") or {}).get("from")
                for qid in {key, entity.get("id"), redirect}:
                    if qid in result:
                        result[qid] = values
        return result

    __call__ = fetch_flickr_user_ids  # a WikidataLookup for bot.run.job

    def _get(self, params: dict[str, str]) -> dict[str, Any]:
        params = {**params, "format": "json", "formatversion": "2"}
        if self.maxlag is not None:
            params["maxlag"] = str(self.maxlag)
        if self.unreachable is not None:
            raise WikidataUnreachable(self.unreachable)
        problem = ""
        no_connection = 0
        for attempt in range(1, self.max_attempts + 1):
            wait = self.retry_wait * 2 ** (attempt - 1)
            self.calls += 1
            try:
                response = self._client.get(self.api_url, params=params)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                problem = f"{type(exc).__name__}: {exc}"
                no_connection += 1
                if no_connection >= self.connect_attempts:
                    host = httpx.URL(self.api_url).host
                    self.unreachable = (
                        f"cannot reach Wikidata at {host}: {network_reason(problem)} "
                        f"({no_connection} {'try' if no_connection == 1 else 'tries'})"
                    )
                    raise WikidataUnreachable(self.unreachable) from None
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                retry_after = _seconds(response.headers.get("Retry-After"))
                if response.status_code == 429 or response.status_code >= 500:
                    problem = f"HTTP {response.status_code}"
                    wait = retry_after if retry_after is not None else wait
                elif response.status_code != 200:
                    raise WikidataError(f"HTTP {response.status_code} from {self.api_url}")
                else:
                    try:
                        data: dict[str, Any] = response.json()
                    except ValueError:
                        problem = "a response that is not JSON"
                    else:
                        error = data.get("error")
                        if not error:
                            return data
                        if error.get("code") != "maxlag":
                            raise WikidataError(f"{error.get('code')}: {error.get('info')}")
                        problem = f"maxlag ({error.get('info')})"
                        wait = retry_after if retry_after is not None else wait
            if attempt < self.max_attempts:
                delay = min(wait, self.retry_max)
                # A try without a connection is INFO: if they all fail, one error says so.
                level = logging.INFO if no_connection == attempt else logging.WARNING
                log.log(level, "Wikidata: %s; retrying in %.1f s", problem, delay)
                self.sleep(delay)
        raise WikidataError(f"Wikidata: {problem} after {self.max_attempts} attempts")


def _seconds(header: str | None) -> float | None:
    try:
        return max(0.0, float(header)) if header is not None else None
    except ValueError:
        return None


def fetch_flickr_user_ids(
    qids: Sequence[str], *, api_url: str = DEFAULT_API_URL, user_agent: str = DEFAULT_USER_AGENT
) -> dict[str, list[str]]:
    """One-off lookup with a short-lived client (see :class:`WikidataClient`)."""
    with WikidataClient(api_url, user_agent=user_agent) as client:
        return client.fetch_flickr_user_ids(qids)


__all__ = [
    "DEFAULT_API_URL",
    "WikidataClient",
    "WikidataError",
    "WikidataUnreachable",
    "fetch_flickr_user_ids",
    "flickr_user_ids_of",
]
