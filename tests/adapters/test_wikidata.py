"""Batched Wikidata lookups of P3267 against the stand-in's Wikidata endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.adapters.wikidata import (
    WikidataClient,
    WikidataError,
    WikidataUnreachable,
    flickr_user_ids_of,
    unreachable_bound,
)
from bot.core.errors import ExitCode
from bot.standins.commons import StandinData, StandinHandle, run_commons_standin
from tests.support.commons import offline_fixture  # noqa: F401 - autouse fixture

SEED = Path(__file__).parents[1] / "fixtures" / "commons" / "seed"


def p3267(*values: str, rank: str = "normal") -> list[dict[str, Any]]:
    return [
        {
            "mainsnak": {
                "snaktype": "value",
                "property": "P3267",
                "datavalue": {"type": "string", "value": value},
            },
            "type": "statement",
            "rank": rank,
        }
        for value in values
    ]


ITEMS: dict[str, dict[str, Any]] = {
    "Q1": {"claims": {"P3267": p3267("12345678@N00")}},
    "Q2": {"claims": {"P3267": p3267("11111111@N01", "nasahqphoto")}},
    "Q3": {"claims": {"P3267": p3267("99999999@N09", rank="deprecated") + p3267("2@N02")}},
    "Q4": {"claims": {"P31": []}},
    "Q5": {
        "claims": {
            "P3267": [{"mainsnak": {"snaktype": "novalue", "property": "P3267"}, "rank": "normal"}]
        }
    },
}


@pytest.fixture(name="wiki")
def wiki_fixture() -> Iterator[StandinHandle]:
    items = dict(ITEMS) | {
        f"Q{100 + i}": {"claims": {"P3267": p3267(f"{i}@N00")}} for i in range(120)
    }
    with run_commons_standin(StandinData(wikidata=items)) as wiki:
        yield wiki


@pytest.fixture(name="client")
def client_fixture(wiki: StandinHandle) -> Iterator[WikidataClient]:
    waits: list[float] = []
    with WikidataClient(
        wiki.wikidata_api_url, user_agent="test-agent/1.0 (test@example.org)", sleep=waits.append
    ) as client:
        client.waits = waits  # type: ignore[attr-defined]
        yield client


def test_p3267_values(client: WikidataClient, wiki: StandinHandle) -> None:
    result = client.fetch_flickr_user_ids(["Q1", "Q2", "Q3", "Q4", "Q5", "Q777", "q1"])
    assert result == {
        "Q1": ["12345678@N00"],
        "Q2": ["11111111@N01", "nasahqphoto"],
        "Q3": ["2@N02"],  # the deprecated value is not used
        "Q4": [],
        "Q5": [],
        "Q777": [],  # no such item
    }
    assert client.calls == 1
    entry = next(e for e in wiki.log if e["endpoint"] == "wikidata")
    assert entry["params"]["props"] == "claims"
    assert entry["params"]["maxlag"] == "30"
    assert entry["user_agent"].startswith("test-agent/1.0 (test@example.org) httpx/")


def test_batches_of_50(client: WikidataClient, wiki: StandinHandle) -> None:
    qids = [f"Q{100 + i}" for i in range(120)]
    result = client.fetch_flickr_user_ids(qids)
    assert result["Q219"] == ["119@N00"]
    sizes = [len(e["params"]["ids"].split("|")) for e in wiki.log if e["endpoint"] == "wikidata"]
    assert sizes == [50, 50, 20]
    assert wiki.requests["wikidata:wbgetentities"] == 3 == client.calls


def test_maxlag_and_503_are_retried(client: WikidataClient, wiki: StandinHandle) -> None:
    wiki.inject("maxlag", 1, endpoint="wikidata", retry_after=3)
    wiki.inject("http503", 1, endpoint="wikidata")
    assert client.fetch_flickr_user_ids(["Q1"]) == {"Q1": ["12345678@N00"]}
    assert client.calls == 3
    assert client.waits == [3.0, 10.0]  # type: ignore[attr-defined]  # Retry-After, backoff


def test_gives_up_after_max_attempts(wiki: StandinHandle) -> None:
    wiki.inject("http503", 10, endpoint="wikidata")
    client = WikidataClient(wiki.wikidata_api_url, max_attempts=3, sleep=lambda _: None)
    with client, pytest.raises(WikidataError, match="HTTP 503 after 3 attempts"):
        client.fetch_flickr_user_ids(["Q1"])


def test_bad_ids_are_refused_before_any_request(client: WikidataClient) -> None:
    with pytest.raises(ValueError):
        client.fetch_flickr_user_ids(["Q1", "P31"])
    assert client.calls == 0
    assert client.fetch_flickr_user_ids([]) == {}


def test_api_errors_other_than_maxlag_raise() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"error": {"code": "internal_api_error", "info": "x"}})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    wikidata = WikidataClient("https://wikidata.invalid/w/api.php", client=client)
    with wikidata, pytest.raises(WikidataError, match="internal_api_error"):
        wikidata.fetch_flickr_user_ids(["Q1"])


def test_redirected_item_maps_back() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        entity = {
            "id": "Q2",
            "type": "item",
            "claims": {"P3267": p3267("5@N05")},
            "redirects": {"from": "Q1", "to": "Q2"},
        }
        return httpx.Response(200, json={"entities": {"Q2": entity}, "success": 1})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    with WikidataClient("https://wikidata.invalid/w/api.php", client=client) as wikidata:
        assert wikidata(["Q1"]) == {"Q1": ["5@N05"]}


def test_seed_item() -> None:
    with run_commons_standin(SEED) as wiki, WikidataClient(wiki.wikidata_api_url) as client:
        assert client.fetch_flickr_user_ids(["Q15982108"]) == {"Q15982108": ["35168673@N03"]}


def test_flickr_user_ids_of_tolerates_odd_shapes() -> None:
    assert flickr_user_ids_of({"id": "Q1", "missing": ""}) == []
    assert flickr_user_ids_of({"claims": []}) == []
    assert flickr_user_ids_of({"claims": {"P3267": p3267(" 1@N01 ", "1@N01")}}) == ["1@N01"]


def test_an_unreachable_wikidata_is_reported_after_connect_attempts(free_port: int) -> None:
    """No connection: ``connect_attempts`` tries (not ``max_attempts``), then every later
    lookup of this client fails at once, so a run does not spend the bound per batch."""
    waits: list[float] = []
    with WikidataClient(
        f"http://127.0.0.1:{free_port}/w/api.php",
        max_attempts=5,
        connect_attempts=2,
        retry_wait=0.5,
        sleep=waits.append,
    ) as client:
        with pytest.raises(WikidataUnreachable) as err:
            client.fetch_flickr_user_ids(["Q1"])
        assert client.calls == 2 and waits == [0.5]
        with pytest.raises(WikidataUnreachable):
            client.fetch_flickr_user_ids(["Q2"])
        assert client.calls == 2
    assert str(err.value) == "cannot reach Wikidata at 127.0.0.1: connection refused (2 tries)"
    assert isinstance(err.value, WikidataError) and err.value.exit_code == ExitCode.NETWORK


@pytest.mark.parametrize(
    ("tries", "connect", "wait", "most", "bound"),
    [
        (1, 3.0, 2.0, 8.0, 3.0),
        (3, 3.0, 2.0, 8.0, 9.0 + 2 + 4),
        (5, 1.0, 2.0, 8.0, 5.0 + 2 + 4 + 8 + 8),
    ],
)
def test_unreachable_bound(
    tries: int, connect: float, wait: float, most: float, bound: float
) -> None:
    assert unreachable_bound(tries, connect, wait, most) == bound


def test_the_default_client_bound_is_at_most_30_s() -> None:
    with WikidataClient() as client:
        assert client.unreachable_after <= 30
