"""The stand-in itself, spoken to over HTTP with httpx: shapes, rules, faults, seeding."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.standins.commons import (
    CommonsStandin,
    StandinData,
    StandinHandle,
    normalise_title,
    run_commons_standin,
)
from tests.support.commons import (
    BOTPASSWORD,
    BOTPASSWORD_NAME,
    files,
    offline_fixture,  # noqa: F401 - autouse fixture
    string_claim,
)

SEED = Path(__file__).parents[1] / "fixtures" / "commons" / "seed"


@pytest.fixture(name="wiki")
def wiki_fixture() -> Iterator[StandinHandle]:
    seeds = files(2) | files(1, first=2000, sdc=False)
    with run_commons_standin(
        StandinData(entities=seeds, pages={"User:FlickrSdcBot/Run": "x"})
    ) as w:
        yield w


def api(client: httpx.Client, url: str, method: str = "GET", **params: Any) -> Any:
    params.setdefault("format", "json")
    as_get = method == "GET"
    response = client.get(url, params=params) if as_get else client.post(url, data=params)
    response.raise_for_status()
    return response.json()


@contextmanager
def logged_in_client(wiki: StandinHandle) -> Iterator[httpx.Client]:
    """A cookie session logged in with the BotPassword, as pywikibot does it."""
    with httpx.Client(timeout=5) as client:
        yield _log_in(client, wiki)


def _log_in(client: httpx.Client, wiki: StandinHandle) -> httpx.Client:
    tokens = api(client, wiki.api_url, action="query", meta="tokens", type="login")
    result = api(
        client,
        wiki.api_url,
        "POST",
        action="login",
        lgname=BOTPASSWORD_NAME,
        lgpassword=BOTPASSWORD,
        lgtoken=tokens["query"]["tokens"]["logintoken"],
    )
    assert result["login"]["result"] == "Success"
    return client


def csrf(client: httpx.Client, wiki: StandinHandle) -> str:
    data = api(client, wiki.api_url, action="query", meta="tokens", formatversion=2)
    token: str = data["query"]["tokens"]["csrftoken"]
    return token


# --------------------------------------------------------------------------- reads


def test_wbgetentities_shapes_by_id(wiki: StandinHandle) -> None:
    with httpx.Client() as client:
        data = api(
            client, wiki.api_url, action="wbgetentities", ids="M1000|M2000|M5", props="info|claims"
        )
    entities = data["entities"]
    assert data["success"] == 1
    assert entities["M1000"]["type"] == "mediainfo"
    assert entities["M1000"]["lastrevid"] == 801_000 and entities["M1000"]["pageid"] == 1000
    assert entities["M1000"]["statements"] == []  # as Wikibase shows an entity without statements
    # a file without SDC and a page that does not exist look the same by id (Commons)
    assert entities["M2000"] == {"id": "M2000", "missing": ""}
    assert entities["M5"] == {"id": "M5", "missing": ""}


def test_wbgetentities_shapes_by_title(wiki: StandinHandle) -> None:
    with httpx.Client() as client:
        data = api(
            client,
            wiki.api_url,
            action="wbgetentities",
            sites="commonswiki",
            titles="File:Photo 2000 (53000002000).jpg|File:DefinitelyDoesNotExist.jpg",
        )
    assert data["entities"]["M2000"] == {"id": "M2000", "missing": ""}
    assert data["entities"]["-1"] == {
        "site": "commonswiki",
        "title": "File:DefinitelyDoesNotExist.jpg",
        "missing": "",
    }


def test_wbgetentities_limits_ids_to_50_without_apihighlimits(wiki: StandinHandle) -> None:
    ids = "|".join(f"M{i}" for i in range(1, 52))
    with httpx.Client() as client:
        data = api(client, wiki.api_url, action="wbgetentities", ids=ids)
    assert data["error"]["code"] == "toomanyvalues"


def test_query_pages_in_both_format_versions(wiki: StandinHandle) -> None:
    with httpx.Client() as client:
        v2 = api(
            client, wiki.api_url, action="query", prop="info", pageids="2000|7", formatversion=2
        )
        v1 = api(
            client,
            wiki.api_url,
            action="query",
            prop="revisions",
            rvprop="content",
            rvslots="main",
            titles="User:FlickrSdcBot/Run|Nope",
        )
    pages = v2["query"]["pages"]
    assert pages[0]["lastrevid"] == 802_000 and pages[0]["ns"] == 6
    assert pages[1] == {"pageid": 7, "missing": True}
    by_key = v1["query"]["pages"]
    assert by_key["-1"]["missing"] == ""
    run = next(p for p in by_key.values() if p["title"] == "User:FlickrSdcBot/Run")
    assert run["revisions"][0]["slots"]["main"]["*"] == "x"


def test_siteinfo_has_what_pywikibot_needs(wiki: StandinHandle) -> None:
    with httpx.Client() as client:
        data = api(
            client,
            wiki.api_url,
            action="query",
            meta="siteinfo|userinfo",
            siprop="general|namespaces|extensions|nosuchprop",
            formatversion=2,
        )
    query = data["query"]
    assert query["general"]["wikiid"] == "commonswiki"
    assert query["general"]["server"] == wiki.api_url.removesuffix("/w/api.php")
    assert query["namespaces"]["6"]["name"] == "File"
    assert "WikibaseMediaInfo" in {e["name"] for e in query["extensions"]}
    assert query["userinfo"]["anon"] is True
    assert "nosuchprop" in data["warnings"]["siteinfo"]["warnings"]


# --------------------------------------------------------------------------- writes


def test_wbeditentity_rules(wiki: StandinHandle) -> None:
    claim = string_claim("P12120", "1")
    data = json.dumps({"claims": [claim]})
    with httpx.Client() as anon:
        got = api(
            anon, wiki.api_url, "GET", action="wbeditentity", id="M1000", data=data, token="+\\"
        )
        assert got["error"]["code"] == "mustbeposted"
        got = api(
            anon,
            wiki.api_url,
            "POST",
            action="wbeditentity",
            id="M1000",
            data=data,
            token="+\\",
            **{"assert": "user"},
        )
        assert got["error"]["code"] == "assertuserfailed"
    with logged_in_client(wiki) as client:
        token = csrf(client, wiki)
        got = api(
            client,
            wiki.api_url,
            "POST",
            action="wbeditentity",
            id="M1000",
            data=data,
            token="bad+\\",
        )
        assert got["error"]["code"] == "badtoken"
        got = api(
            client,
            wiki.api_url,
            "POST",
            action="wbeditentity",
            id="M1000",
            data=data,
            token=token,
            baserevid=5,
        )
        assert got["error"]["code"] == "nosuchrevid"  # a revision the page never had
        got = api(
            client,
            wiki.api_url,
            "POST",
            action="wbeditentity",
            id="M1000",
            data=data,
            token=token,
            baserevid=801_000,
            bot=1,
        )
        entity = got["entity"]
        assert entity["lastrevid"] > 801_000 and "nochange" not in entity
        stored = entity["statements"]["P12120"][0]
        assert stored["id"].startswith("M1000$")
        # the same claim with its id again: replaced in place, no new revision
        again = json.dumps({"claims": [stored]})
        got = api(
            client,
            wiki.api_url,
            "POST",
            action="wbeditentity",
            id="M1000",
            data=again,
            token=token,
            baserevid=entity["lastrevid"],
        )
        assert "nochange" in got["entity"]
        assert got["entity"]["lastrevid"] == entity["lastrevid"]
    assert [w["nochange"] for w in wiki.writes] == [False, True]
    assert [a.get("error") for a in wiki.write_attempts] == [
        "mustbeposted",
        "assertuserfailed",
        "badtoken",
        "nosuchrevid",
        None,
        None,
    ]


def test_wbeditentity_on_a_file_without_sdc_and_by_title(wiki: StandinHandle) -> None:
    data = json.dumps({"claims": [string_claim("P12120", "9")]})
    with logged_in_client(wiki) as client:
        token = csrf(client, wiki)
        got = api(
            client,
            wiki.api_url,
            "POST",
            action="wbeditentity",
            site="commonswiki",
            title="File:Photo 2000 (53000002000).jpg",
            data=data,
            token=token,
        )
    assert got["entity"]["id"] == "M2000"
    assert wiki.entity("M2000")["statements"]["P12120"][0]["mainsnak"]["datavalue"]["value"] == "9"


def test_human_edit_bumps_the_revision(wiki: StandinHandle) -> None:
    before = wiki.lastrevid("M1000")
    revid = wiki.human_edit("M1000", wikitext="changed")
    assert revid == wiki.lastrevid("M1000") > before
    assert wiki.wikitext("File:Photo 1000 (53000001000).jpg") == "changed"


# --------------------------------------------------------------------------- faults


def test_maxlag_fault_only_hits_requests_that_send_maxlag(wiki: StandinHandle) -> None:
    wiki.inject("maxlag", 1, lag=2.5, retry_after=5)
    with httpx.Client() as client:
        plain = api(client, wiki.api_url, action="wbgetentities", ids="M1000")
        assert "entities" in plain
        response = client.get(
            wiki.api_url,
            params={"action": "wbgetentities", "ids": "M1000", "maxlag": "5", "format": "json"},
        )
    assert response.headers["Retry-After"] == "5"
    error = response.json()["error"]
    assert (error["code"], error["lag"]) == ("maxlag", 2.5)
    assert wiki.pending_faults() == 0


def test_http503_ratelimited_and_badtoken_faults(wiki: StandinHandle) -> None:
    wiki.inject("http503", 1, action="wbgetentities", retry_after=2)
    wiki.inject("ratelimited", 1)
    wiki.inject("badtoken", 1)
    with httpx.Client() as client:
        response = client.get(wiki.api_url, params={"action": "wbgetentities", "ids": "M1000"})
        assert response.status_code == 503 and response.headers["Retry-After"] == "2"
        assert "entities" in api(client, wiki.api_url, action="wbgetentities", ids="M1000")
    with logged_in_client(wiki) as client:
        token = csrf(client, wiki)
        params = {"action": "wbeditentity", "id": "M1000", "token": token, "data": '{"claims": []}'}
        assert api(client, wiki.api_url, "POST", **params)["error"]["code"] == "ratelimited"
        assert api(client, wiki.api_url, "POST", **params)["error"]["code"] == "badtoken"
        assert "entity" in api(client, wiki.api_url, "POST", **params)
    assert wiki.requests["fault:http503"] == 1
    with pytest.raises(ValueError):
        wiki.inject("earthquake")


# --------------------------------------------------------------------------- seeding, Wikidata


def test_seed_directory_layout() -> None:
    with run_commons_standin(SEED) as wiki, httpx.Client() as client:
        data = api(client, wiki.api_url, action="wbgetentities", ids="M138765382|M1004")
        assert wiki.wikitext("File:Nyungw.jpg").startswith("=={{int:filedesc}}==")
        assert wiki.wikitext("User:FlickrSdcBot/Run").strip().endswith("run: yes")
        items = api(
            client,
            wiki.wikidata_api_url,
            action="wbgetentities",
            ids="Q15982108|Q1",
            props="claims",
        )
    entity = data["entities"]["M138765382"]
    assert entity["lastrevid"] == 822_400_001
    assert entity["labels"]["en"]["value"] == "A demo photo"
    assert set(entity["statements"]) == {"P12120", "P7482"}
    assert data["entities"]["M1004"] == {"id": "M1004", "missing": ""}
    p3267 = items["entities"]["Q15982108"]["claims"]["P3267"][0]
    assert p3267["mainsnak"]["datavalue"]["value"] == "35168673@N03"
    assert items["entities"]["Q1"] == {"id": "Q1", "missing": ""}
    assert wiki.requests["wikidata:wbgetentities"] == 1


def test_seed_validation(tmp_path: Path) -> None:
    assert StandinData.from_directory(tmp_path).entities == {}  # an empty directory is fine
    with pytest.raises(ValueError, match="pageid"):
        CommonsStandin(StandinData(entities={"M5": {"pageid": 6}}))
    with pytest.raises(ValueError, match="not a file"):
        CommonsStandin({"entities": {"M5": {"title": "User:X"}}})
    (tmp_path / "standin.json").write_text('{"colour": "blue"}')
    with pytest.raises(ValueError, match="colour"):
        StandinData.from_directory(tmp_path)


def test_title_normalisation() -> None:
    assert normalise_title("file:foo_bar.jpg") == "File:Foo bar.jpg"
    assert normalise_title("Image:x.png") == "File:X.png"
    assert normalise_title("user:FlickrSdcBot/Run") == "User:FlickrSdcBot/Run"
    assert normalise_title("main page") == "Main page"


def test_pages_may_give_a_seeded_files_wikitext() -> None:
    data = StandinData(
        entities=files(1), pages={"File:Photo_1000_(53000001000).jpg": "{{Information}}"}
    )
    standin = CommonsStandin(data)
    assert standin.wikitext("File:Photo 1000 (53000001000).jpg") == "{{Information}}"
    with pytest.raises(ValueError, match="M-id"):
        CommonsStandin(StandinData(pages={"File:Unseeded.jpg": "x"}))


# --------------------------------------------------------------------------- stale edits


def _edit(
    client: httpx.Client, wiki: StandinHandle, claims: list[dict[str, Any]], base: int
) -> Any:
    return api(
        client,
        wiki.api_url,
        "POST",
        action="wbeditentity",
        id="M1000",
        data=json.dumps({"claims": claims}),
        token=csrf(client, wiki),
        baserevid=base,
    )


def test_a_stale_edit_of_untouched_statements_is_patched_with_a_warning(
    wiki: StandinHandle,
) -> None:
    base = wiki.lastrevid("M1000")
    assert base is not None
    human = wiki.human_edit("M1000", claims=[string_claim("P571", "a person's")])
    with logged_in_client(wiki) as client:
        got = _edit(client, wiki, [string_claim("P571", "the bot's")], base)
    (message,) = got["warnings"]["wbeditentity"]["messages"]
    assert message["name"] == "wikibase-conflict-patched"
    # the answer is the base revision plus this edit; the stored revision has both
    answered = [s["mainsnak"]["datavalue"]["value"] for s in got["entity"]["statements"]["P571"]]
    stored = [
        s["mainsnak"]["datavalue"]["value"] for s in wiki.entity("M1000")["statements"]["P571"]
    ]
    assert (answered, stored) == (["the bot's"], ["a person's", "the bot's"])
    assert got["entity"]["lastrevid"] == wiki.lastrevid("M1000") == human + 1
    assert wiki.writes[-1]["patched"] == "wikibase-conflict-patched"


def test_stale_edits_of_a_statement_someone_changed(wiki: StandinHandle) -> None:
    """Last writer wins on one statement; the same change twice or a change to a
    statement someone removed is an edit conflict; an unknown revision is nosuchrevid."""
    base = wiki.lastrevid("M1000")
    assert base is not None
    with logged_in_client(wiki) as client:
        first = _edit(client, wiki, [string_claim("P973", "https://a.test/")], base)
        stored = first["entity"]["statements"]["P973"][0]
        after_ours = first["entity"]["lastrevid"]
        wiki.human_edit("M1000", claims=[{**stored, "rank": "preferred"}])
        twice = _edit(client, wiki, [{**stored, "rank": "preferred"}], after_ours)
        assert twice["error"]["code"] == "editconflict"
        overwrite = _edit(client, wiki, [{**stored, "rank": "deprecated"}], after_ours)
        assert overwrite["warnings"]["wbeditentity"]["messages"][0]["name"] == (
            "wikibase-conflict-patched"
        )
        assert wiki.entity("M1000")["statements"]["P973"][0]["rank"] == "deprecated"
        after_overwrite = wiki.lastrevid("M1000")
        assert after_overwrite is not None
        wiki.human_edit("M1000", claims=[{"id": stored["id"], "remove": ""}])
        changed = _edit(client, wiki, [{**stored, "rank": "normal"}], after_overwrite)
        assert changed["error"]["code"] == "editconflict"
        removed = _edit(client, wiki, [{"id": stored["id"], "remove": ""}], after_overwrite)
        assert removed["error"]["code"] == "modification-failed"
        assert _edit(client, wiki, [string_claim("P1", "x")], 7)["error"]["code"] == "nosuchrevid"


def test_own_intervening_edits_are_patched_like_anyone_elses(wiki: StandinHandle) -> None:
    base = wiki.lastrevid("M1000")
    assert base is not None
    with logged_in_client(wiki) as client:
        _edit(client, wiki, [string_claim("P973", "https://a.test/")], base)
        got = _edit(client, wiki, [string_claim("P12120", "1")], base)
    names = [m["name"] for m in got["warnings"]["wbeditentity"]["messages"]]
    assert names == ["wikibase-conflict-patched"]


def test_strict_mode_refuses_every_stale_baserevid(wiki: StandinHandle) -> None:
    base = wiki.lastrevid("M1000")
    assert base is not None
    wiki.human_edit("M1000", wikitext="a person edited the description")
    wiki.standin.data.strict_baserevid = True
    with logged_in_client(wiki) as client:
        got = _edit(client, wiki, [string_claim("P12120", "1")], base)
    assert got["error"]["code"] == "editconflict"
    assert "P12120" not in wiki.entity("M1000")["statements"]


# --------------------------------------------------------------------------- control API


def test_control_endpoint_injects_faults_and_reports_state(wiki: StandinHandle) -> None:
    control = wiki.api_url.replace("/w/api.php", "/_standin/")
    with httpx.Client(timeout=5) as client:
        answer = client.post(
            control + "inject",
            json={"fault": "maxlag", "count": 2, "action": "wbgetentities", "options": {"lag": 3}},
        )
        assert answer.status_code == 200
        (pending,) = answer.json()["pending_faults"]
        assert pending == {
            "fault": "maxlag",
            "remaining": 2,
            "action": "wbgetentities",
            "endpoint": "commons",
            "options": {"lag": 3},
        }
        got = api(client, wiki.api_url, action="wbgetentities", ids="M1000", maxlag=5)
        assert got["error"]["code"] == "maxlag" and got["error"]["lag"] == 3
        state = client.get(control + "state").json()
        assert state["requests"]["fault:maxlag"] == 1
        assert state["pending_faults"][0]["remaining"] == 1
        assert state["writes"] == 0 and state["write_attempts"] == 0
        bad = client.post(control + "inject", json={"fault": "no-such-fault"})
        assert bad.status_code == 400 and "unknown fault" in bad.json()["error"]
        assert client.post(control + "inject", json={"fault": "maxlag", "x": 1}).status_code == 400
        assert client.get(control + "nothing").status_code == 404
    assert wiki.pending_faults() == 1
