"""The Commons adapter with real pywikibot against the local stand-in (no network)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.commons import (
    CommonsClient,
    EditConflict,
    EditRefused,
    ReadOnlySession,
    WriteOutcomeUnknown,
    normalise_file_title,
    run_page_allows,
)
from bot.adapters.pywikibot_setup import (
    ENV_OAUTH,
    CredentialsMissing,
    LoginFailed,
    family_name_for,
    import_pywikibot,
    make_family,
    resolve_username,
)
from bot.standins.commons import StandinData
from tests.support.commons import (
    BOT,
    BOTPASSWORD,
    BOTPASSWORD_NAME,
    PUT_THROTTLE,
    RUN_PAGE,
    SiteFactory,
    StandinFactory,
    commons_site_fixture,  # noqa: F401 - fixture
    files,
    offline_fixture,  # noqa: F401 - autouse fixture
    pywikibot_dir_fixture,  # noqa: F401 - fixture
    standin_fixture,  # noqa: F401 - fixture
    string_claim,
)

P12120 = "P12120"


def wbget_batches(wiki: Any) -> list[int]:
    """How many ids each wbgetentities request asked for."""
    return [
        len(entry["params"]["ids"].split("|"))
        for entry in wiki.log
        if entry["params"].get("action") == "wbgetentities" and "ids" in entry["params"]
    ]


# --------------------------------------------------------------------------- start-up & login


def test_startup_and_botpassword_login_from_environment(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(2)))
    site = commons_site(wiki)
    assert site.logged_in()
    assert site.user() == BOT
    assert site.has_group("bot")
    logins = [e for e in wiki.log if e["params"].get("action") == "login"]
    assert len(logins) == 1
    assert logins[0]["params"]["lgname"] == BOTPASSWORD_NAME
    assert logins[0]["params"]["lgpassword"] == "***"  # the stand-in never logs secrets
    assert site.dbName() == "commonswiki"
    assert site.has_extension("WikibaseMediaInfo")


@pytest.mark.parametrize(
    ("bot_group", "bot_right", "warned"),
    [
        (True, True, False),  # a bot account with the right
        (True, False, True),  # in the bot group, BotPassword without highvolume: no right
        (False, False, True),  # not a bot account
    ],
)
def test_a_login_without_the_bot_right_is_warned_about(
    standin: StandinFactory,
    commons_site: SiteFactory,
    caplog: pytest.LogCaptureFixture,
    bot_group: bool,
    bot_right: bool,
    warned: bool,
) -> None:
    """The right, not the group, makes ``bot=1`` count (a real wiki keeps a BotPassword
    without the highvolume grant in the bot group but without the right)."""
    wiki = standin(StandinData(entities=files(1), bot_group=bot_group, bot_right=bot_right))
    with caplog.at_level(logging.WARNING, logger="bot.adapters.pywikibot_setup"):
        site = commons_site(wiki)
    assert site.logged_in() and site.has_group("bot") == bot_group
    assert ("has no bot right" in caplog.text) == warned


def test_login_with_pywikibot_password_file(
    standin: StandinFactory,
    commons_site: SiteFactory,
    pywikibot_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pywikibot = import_pywikibot(pywikibot_dir)  # not a bare import: the config dir first
    password_file = tmp_path / "user-password.py"
    password_file.write_text(f'("{BOT}", BotPassword("backfill", "{BOTPASSWORD}"))\n')
    password_file.chmod(0o600)
    monkeypatch.setattr(pywikibot.config, "password_file", str(password_file))
    wiki = standin(StandinData(entities=files(1)))
    site = commons_site(wiki, environ={})
    assert site.user() == BOT
    assert [e["params"]["lgname"] for e in wiki.log if e["params"].get("action") == "login"] == [
        BOTPASSWORD_NAME
    ]


def test_environment_wins_over_a_broken_password_file(
    standin: StandinFactory,
    commons_site: SiteFactory,
    pywikibot_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pywikibot = import_pywikibot(pywikibot_dir)
    monkeypatch.setattr(pywikibot.config, "password_file", str(tmp_path / "absent.py"))
    wiki = standin(StandinData(entities=files(1)))
    with pytest.raises(CredentialsMissing, match="password file"):
        commons_site(wiki, environ={})
    assert commons_site(wiki).user() == BOT  # BotPassword from the environment


def test_wrong_password_is_a_login_failure(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1)))
    with pytest.raises(LoginFailed):
        commons_site(
            wiki,
            environ={"COMMONS_BOTPASSWORD_NAME": BOTPASSWORD_NAME, "COMMONS_BOTPASSWORD": "wrong"},
        )
    assert wiki.writes == []


def test_no_credentials_raises_instead_of_prompting(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1)))
    with pytest.raises(CredentialsMissing):
        commons_site(wiki, environ={})


def test_oauth_from_environment_needs_no_login_request(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1), oauth={"consumer-key": "access-token"}))
    env = dict(
        zip(
            ENV_OAUTH,
            ("consumer-key", "consumer-secret", "access-token", "access-secret"),
            strict=True,
        )
    )
    site = commons_site(wiki, environ=env)
    assert site.user() == BOT
    assert wiki.requests["login"] == 0
    client = CommonsClient(site)
    state = client.read_entities(["M1000"])["M1000"]
    revid = client.edit(
        "M1000", [string_claim(P12120, "1")], baserevid=state.lastrevid, summary="oauth edit"
    ).revid
    assert wiki.writes[-1]["user"] == BOT and wiki.writes[-1]["revid"] == revid


def test_incomplete_oauth_environment_is_refused(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1)))
    with pytest.raises(CredentialsMissing, match="COMMONS_OAUTH_ACCESS_SECRET"):
        commons_site(wiki, environ=dict(zip(ENV_OAUTH[:3], ("a", "b", "c"), strict=True)))


def test_family_for_an_api_url() -> None:
    family = make_family("http://127.0.0.1:8123/w/api.php")
    assert family.name == family_name_for("http://127.0.0.1:8123/w/api.php")
    assert family.name.isalnum()
    assert family.base_url("commons", "/w/api.php") == "http://127.0.0.1:8123/w/api.php"
    assert family.interface("commons") == "DataSite"
    with pytest.raises(ValueError):
        make_family("http://127.0.0.1:8123/w/index.php")


# --------------------------------------------------------------------------- reads


def test_120_ids_are_read_in_three_batches(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(120)))
    client = CommonsClient(commons_site(wiki))
    wiki.reset_counters()
    mids = [f"M{1000 + i}" for i in range(120)]
    states = client.read_entities(mids)
    assert list(states) == mids
    assert wbget_batches(wiki) == [50, 50, 20]
    assert client.read_calls == 3
    assert client.read_calls / len(mids) <= 0.03
    state = states["M1007"]
    assert (state.has_sdc, state.gone, state.pageid, state.lastrevid) == (
        True,
        False,
        1007,
        801_007,
    )
    assert state.entity["statements"] == []  # Wikibase: an entity without statements


def test_apihighlimits_reads_500_per_request(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(120), apihighlimits=True))
    client = CommonsClient(commons_site(wiki))
    assert client.batch_size == 500
    wiki.reset_counters()
    client.read_entities([f"M{1000 + i}" for i in range(120)])
    assert wbget_batches(wiki) == [120]
    assert client.read_calls == 1


def test_file_without_sdc_and_deleted_file(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    seeds = files(1) | files(1, first=2000, sdc=False)
    wiki = standin(StandinData(entities=seeds))
    client = CommonsClient(commons_site(wiki))
    states = client.read_entities(["M1000", "M2000", "M3000"])
    with_sdc, without, deleted = states["M1000"], states["M2000"], states["M3000"]
    assert with_sdc.has_sdc and not with_sdc.gone
    assert not without.has_sdc and not without.gone
    assert without.lastrevid == 802_000 and without.pageid == 2000
    assert without.title == "File:Photo 2000 (53000002000).jpg"
    assert without.entity["statements"] == {} and without.entity["id"] == "M2000"
    assert deleted.gone and deleted.lastrevid is None and deleted.entity == {}
    # one wbgetentities, one prop=info for the two "missing" ids
    assert client.read_calls == 2
    assert wiki.requests["query+info"] == 1


def test_read_by_titles(standin: StandinFactory, commons_site: SiteFactory) -> None:
    seeds = files(2) | files(1, first=2000, sdc=False)
    wiki = standin(StandinData(entities=seeds))
    client = CommonsClient(commons_site(wiki))
    asked = [
        "File:Photo 1000 (53000001000).jpg",
        "photo_1001_(53000001001).jpg",
        "File:Photo 2000 (53000002000).jpg",
        "File:Never uploaded.jpg",
    ]
    states = client.read_entities_by_title(asked)
    assert list(states) == asked
    assert states[asked[0]].mid == "M1000" and states[asked[0]].has_sdc
    assert states[asked[1]].mid == "M1001"
    assert states[asked[2]].mid == "M2000" and not states[asked[2]].has_sdc
    assert states[asked[2]].lastrevid == 802_000
    assert states[asked[3]].gone and states[asked[3]].mid == ""
    assert client.read_calls == 2  # wbgetentities by titles + prop=info for the no-SDC one


def test_get_wikitext_in_batches(standin: StandinFactory, commons_site: SiteFactory) -> None:
    seeds = files(60)
    seeds["M1003"]["wikitext"] = "{{Information|source=https://www.flickr.com/photos/x/1/}}"
    wiki = standin(StandinData(entities=seeds))
    client = CommonsClient(commons_site(wiki))
    titles = [seeds[f"M{1000 + i}"]["title"] for i in range(60)]
    texts = client.get_wikitext([*titles, "File:gone_file.jpg"])
    assert texts[titles[3]] == "{{Information|source=https://www.flickr.com/photos/x/1/}}"
    assert texts[titles[0]] == ""
    assert texts["File:gone_file.jpg"] is None
    assert wiki.requests["query+revisions"] == 2
    assert client.read_calls == 2


def test_get_wikitext_follows_continue(standin: StandinFactory, commons_site: SiteFactory) -> None:
    seeds = files(45)
    for mid, seed in seeds.items():
        seed["wikitext"] = f"text of {mid}"
    wiki = standin(StandinData(entities=seeds, revisions_per_response=20))
    client = CommonsClient(commons_site(wiki))
    titles = [seed["title"] for seed in seeds.values()]
    texts = client.get_wikitext(titles)
    assert texts == {seed["title"]: f"text of {mid}" for mid, seed in seeds.items()}
    assert wiki.requests["query+revisions"] == 3 == client.read_calls


def test_read_retries_http_503_and_maxlag(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(3)))
    client = CommonsClient(commons_site(wiki))
    wiki.inject("http503", 1, action="wbgetentities")
    wiki.inject("maxlag", 1, action="wbgetentities")
    states = client.read_entities(["M1000", "M1001", "M1002"])
    assert all(s.has_sdc for s in states.values())
    assert wiki.requests["fault:http503"] == 1 and wiki.requests["fault:maxlag"] == 1
    assert wiki.pending_faults() == 0


def test_title_normalisation() -> None:
    assert normalise_file_title("foo_bar.jpg") == "File:Foo bar.jpg"
    assert normalise_file_title("image: x  y.png") == "File:X y.png"
    assert normalise_file_title("File:A.jpg") == "File:A.jpg"


# --------------------------------------------------------------------------- writes


def test_edit_lands_with_everything_commons_needs(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1)))
    client = CommonsClient(commons_site(wiki), tags=["flickr-sdc-backfill"])
    state = client.read_entities(["M1000"])["M1000"]
    claims = [string_claim(P12120, "53208249252"), string_claim("P973", "https://x.test/")]
    summary = (
        "Add Flickr photo ID from Flickr photo 53208249252 "
        "([[Commons:Flickr SDC backfill bot|details]])"
    )
    result = client.edit("M1000", claims, baserevid=state.lastrevid, summary=summary)
    revid = result.revid
    assert len(wiki.writes) == 1
    write = wiki.writes[0]
    params = write["params"]
    assert params["id"] == "M1000"
    assert params["baserevid"] == str(state.lastrevid)
    assert params["bot"] == "1"
    assert params["maxlag"] == "5"
    assert params["assert"] == "user" and params["assertuser"] == BOT
    assert params["summary"] == summary
    assert params["tags"] == "flickr-sdc-backfill"
    assert write["data"] == {"claims": claims}
    assert revid == write["revid"] == wiki.lastrevid("M1000") > state.lastrevid
    stored = wiki.entity("M1000")["statements"][P12120][0]
    assert stored["id"].startswith("M1000$") and stored["mainsnak"]["hash"]
    assert result.entity["statements"][P12120] == [stored]  # the entity as stored
    assert result.warnings == () and not result.patched
    assert client.write_calls == 1


def test_edit_of_a_file_without_sdc_uses_the_page_revision(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1, sdc=False)))
    client = CommonsClient(commons_site(wiki))
    state = client.read_entities(["M1000"])["M1000"]
    assert not state.has_sdc
    revid = client.edit(
        "M1000", [string_claim(P12120, "7")], baserevid=state.lastrevid, summary="s"
    ).revid
    assert wiki.writes[0]["baserevid"] == 801_000
    assert wiki.entity("M1000")["lastrevid"] == revid


def test_edit_conflict_when_a_human_changed_the_same_statement(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    seeds = files(1)
    mine = {**string_claim("P973", "https://flickr.test/1"), "id": "M1000$AAAA"}
    seeds["M1000"]["statements"] = {"P973": [mine]}
    wiki = standin(StandinData(entities=seeds))
    client = CommonsClient(commons_site(wiki))
    state = client.read_entities(["M1000"])["M1000"]
    wiki.human_edit(
        "M1000", claims=[{**string_claim("P973", "https://human.test/"), "id": mine["id"]}]
    )
    extended = {**mine, "qualifiers": {"P137": [string_claim("P137", "x")["mainsnak"]]}}
    with pytest.raises(EditConflict) as caught:
        client.edit("M1000", [extended], baserevid=state.lastrevid, summary="s")
    assert caught.value.mid == "M1000" and not caught.value.maybe_ours
    # Wikibase patched the stale edit over the human's change (last writer wins); the
    # client put the human's version back before reporting the conflict
    assert [w["patched"] for w in wiki.writes] == ["wikibase-conflict-patched", None]
    (kept,) = wiki.entity("M1000")["statements"]["P973"]
    assert kept["mainsnak"]["datavalue"]["value"] == "https://human.test/"
    assert "qualifiers" not in kept
    # the job's recovery: re-read and send again against the fresh revision
    fresh = client.read_entities(["M1000"])["M1000"]
    client.edit("M1000", [string_claim(P12120, "1")], baserevid=fresh.lastrevid, summary="s")
    assert set(wiki.entity("M1000")["statements"]) == {"P973", P12120}


def test_stale_edit_of_other_statements_is_patched_like_wikibase(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1)))
    client = CommonsClient(commons_site(wiki))
    state = client.read_entities(["M1000"])["M1000"]
    wiki.human_edit("M1000", claims=[string_claim("P571", "a human's date")])
    result = client.edit(
        "M1000", [string_claim("P571", "the bot's date")], baserevid=state.lastrevid, summary="s"
    )
    assert result.patched and result.warnings == ("wikibase-conflict-patched",)
    # both statements are on the file: the case the job must notice
    values = [s["mainsnak"]["datavalue"]["value"] for s in result.entity["statements"]["P571"]]
    assert values == ["a human's date", "the bot's date"]
    assert result.revid == wiki.lastrevid("M1000")


def test_strict_stand_in_refuses_every_stale_baserevid(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1), strict_baserevid=True))
    client = CommonsClient(commons_site(wiki))
    state = client.read_entities(["M1000"])["M1000"]
    wiki.human_edit("M1000", claims=[string_claim("P973", "https://human.test/")])
    with pytest.raises(EditConflict):
        client.edit("M1000", [string_claim(P12120, "1")], baserevid=state.lastrevid, summary="s")
    assert wiki.writes == []


def test_concurrent_edit_between_read_and_write(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1)))
    client = CommonsClient(commons_site(wiki))
    state = client.read_entities(["M1000"])["M1000"]
    wiki.inject("concurrent_edit", mid="M1000", wikitext="{{Information}} edited by a person")
    result = client.edit(
        "M1000", [string_claim(P12120, "1")], baserevid=state.lastrevid, summary="s"
    )
    assert wiki.requests["fault:concurrent_edit"] == 1
    assert result.patched  # a wikitext edit touches no statement: merged, with the warning
    assert result.revid == state.lastrevid + 2
    assert wiki.wikitext(state.title or "") == "{{Information}} edited by a person"


def test_edit_without_baserevid_is_refused(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1)))
    client = CommonsClient(commons_site(wiki))
    with pytest.raises(ValueError, match="without the revision"):
        client.edit("M1000", [string_claim(P12120, "1")], baserevid=None, summary="s")  # type: ignore[arg-type]
    assert wiki.requests["wbeditentity"] == 0


def test_maxlag_then_success_waits_and_retries(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1)))
    client = CommonsClient(commons_site(wiki))
    state = client.read_entities(["M1000"])["M1000"]
    wiki.inject("maxlag", 1, action="wbeditentity", lag=0.05, retry_after=1)
    wiki.inject("maxlag", 1, action="wbeditentity", lag=0.05, retry_after=0)
    started = time.monotonic()
    client.edit("M1000", [string_claim(P12120, "1")], baserevid=state.lastrevid, summary="s")
    elapsed = time.monotonic() - started
    assert len(wiki.writes) == 1
    assert [a.get("error") for a in wiki.write_attempts] == [None]  # faults came before
    assert wiki.requests["fault:maxlag"] == 2 and wiki.pending_faults() == 0
    assert client.write_calls == 1
    assert elapsed >= 1.0  # pywikibot honoured the Retry-After: 1 of the first answer


def test_ratelimited_then_success(standin: StandinFactory, commons_site: SiteFactory) -> None:
    wiki = standin(StandinData(entities=files(1)))
    client = CommonsClient(commons_site(wiki))
    state = client.read_entities(["M1000"])["M1000"]
    wiki.inject("ratelimited", 2)
    reads_before = client.read_calls
    revid = client.edit(
        "M1000", [string_claim(P12120, "1")], baserevid=state.lastrevid, summary="s"
    ).revid
    assert wiki.requests["fault:ratelimited"] == 2 and wiki.pending_faults() == 0
    assert [w["revid"] for w in wiki.writes] == [revid]
    # pywikibot waited and resent inside one submit: not the bot's no-answer path,
    # which would have re-read the file and submitted again
    assert client.write_calls == 1 and client.read_calls == reads_before
    assert wiki.requests["wbeditentity"] == 3


def test_http_503_on_write_rechecks_then_resends(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1)))
    client = CommonsClient(commons_site(wiki))
    state = client.read_entities(["M1000"])["M1000"]
    wiki.inject("http503", 1, action="wbeditentity")
    reads_before = client.read_calls
    client.edit("M1000", [string_claim(P12120, "1")], baserevid=state.lastrevid, summary="s")
    assert wiki.requests["fault:http503"] == 1 and wiki.pending_faults() == 0
    assert len(wiki.writes) == 1 and client.write_calls == 2
    assert client.read_calls == reads_before + 1  # the re-read before resending
    assert len(wiki.entity("M1000")["statements"][P12120]) == 1


def test_lost_response_is_not_resent_blindly(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1)))
    client = CommonsClient(commons_site(wiki))
    state = client.read_entities(["M1000"])["M1000"]
    wiki.inject("lost_response", 1, action="wbeditentity")
    with pytest.raises(EditConflict) as caught:
        client.edit("M1000", [string_claim(P12120, "1")], baserevid=state.lastrevid, summary="s")
    assert caught.value.maybe_ours
    assert wiki.requests["fault:lost_response"] == 1
    assert len(wiki.writes) == 1  # it landed once and was not sent again
    assert len(wiki.entity("M1000")["statements"][P12120]) == 1


def test_no_answer_to_the_last_attempt_is_an_unknown_outcome(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1)))
    client = CommonsClient(commons_site(wiki), write_attempts=2)
    state = client.read_entities(["M1000"])["M1000"]
    wiki.inject("http503", 2, action="wbeditentity")
    with pytest.raises(WriteOutcomeUnknown, match="may have landed"):
        client.edit("M1000", [string_claim(P12120, "1")], baserevid=state.lastrevid, summary="s")
    assert wiki.requests["fault:http503"] == 2 and client.write_calls == 2
    assert wiki.writes == []


def test_badtoken_is_retried_with_a_fresh_token(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1)))
    client = CommonsClient(commons_site(wiki))
    state = client.read_entities(["M1000"])["M1000"]
    wiki.inject("badtoken", 1, action="wbeditentity")
    client.edit("M1000", [string_claim(P12120, "1")], baserevid=state.lastrevid, summary="s")
    assert wiki.requests["fault:badtoken"] == 1 and len(wiki.writes) == 1
    assert client.write_calls == 1  # pywikibot fetched a new token and resent itself


def test_other_api_errors_are_refusals(standin: StandinFactory, commons_site: SiteFactory) -> None:
    wiki = standin(StandinData(entities=files(1)))
    client = CommonsClient(commons_site(wiki))
    wiki.delete_file("M1000")
    with pytest.raises(EditRefused) as caught:
        client.edit("M1000", [string_claim(P12120, "1")], baserevid=801_000, summary="s")
    assert caught.value.code == "no-such-entity"


def test_two_edits_are_spaced_by_the_put_throttle(
    standin: StandinFactory, commons_site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pywikibot.comms import http

    wiki = standin(StandinData(entities=files(2)))
    client = CommonsClient(commons_site(wiki))
    states = client.read_entities(["M1000", "M1001"])
    sent: list[float] = []
    real_request = http.request

    def timed_request(site: Any, *args: Any, **kwargs: Any) -> Any:
        if "action=wbeditentity" in str(kwargs.get("data") or ""):
            sent.append(time.monotonic())
        return real_request(site, *args, **kwargs)

    monkeypatch.setattr(http, "request", timed_request)
    for mid in ("M1000", "M1001"):
        client.edit(mid, [string_claim(P12120, mid)], baserevid=states[mid].lastrevid, summary="s")
    assert len(sent) == 2 and len(wiki.writes) == 2
    # measured when pywikibot hands each write to HTTP, after its throttle (which sleeps
    # on time.time(); 1 ms covers the two clocks' granularity)
    assert sent[1] - sent[0] >= PUT_THROTTLE - 0.001


def test_long_summaries_are_cut_to_the_limit(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1)))
    client = CommonsClient(commons_site(wiki))
    client.edit("M1000", [string_claim(P12120, "1")], baserevid=801_000, summary="x" * 400)
    assert len(wiki.writes[0]["params"]["summary"]) == 260


def test_edit_data_is_sent_as_json_with_unicode(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1)))
    client = CommonsClient(commons_site(wiki))
    claim = string_claim("P2093", "Jörg | Müller")
    client.edit("M1000", [claim], baserevid=801_000, summary="Zusammenfassung ü")
    assert json.loads(wiki.writes[0]["params"]["data"]) == {"claims": [claim]}
    assert wiki.writes[0]["params"]["summary"] == "Zusammenfassung ü"


# --------------------------------------------------------------------------- emergency stop


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        (None, False),
        ("", False),
        ("run: yes", True),
        ("Run = TRUE", True),
        ("true", True),
        ("yes\n", True),
        ("run: no", False),
        ("run: yes\nrun: no", False),
        ("<!-- run: no -->\nrun: yes", True),
        ("<!-- run: yes -->", False),
        ("The bot may run.", False),
        ("run: yess", False),
        ("stop", False),
    ],
)
def test_run_page_rule(text: str | None, allowed: bool) -> None:
    assert run_page_allows(text)[0] is allowed


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (None, (False, "does not exist")),
        ("run: no", (False, "'run: no'")),
        ("run: yes", (True, "'run: yes'")),
    ],
)
def test_check_may_run_reads_the_run_page(
    standin: StandinFactory,
    commons_site: SiteFactory,
    page: str | None,
    expected: tuple[bool, str],
) -> None:
    pages = {} if page is None else {RUN_PAGE: page}
    wiki = standin(StandinData(entities=files(1), pages=pages))
    client = CommonsClient(commons_site(wiki))
    may_run, why = client.check_may_run()
    assert may_run is expected[0]
    assert expected[1] in why and RUN_PAGE in why
    assert client.control_calls == 1 and client.read_calls == 0


def test_new_talk_page_message_stops_the_bot(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1), pages={RUN_PAGE: "run: yes"}))
    client = CommonsClient(commons_site(wiki))
    assert client.check_may_run()[0]
    wiki.set_user(hasmsg=True)
    may_run, why = client.check_may_run()
    assert not may_run and why == f"new message on User talk:{BOT}"
    wiki.set_user(hasmsg=False, blocked=True)
    may_run, why = client.check_may_run()
    assert not may_run and "blocked" in why


def test_run_page_changes_are_seen_at_the_next_check(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(StandinData(entities=files(1), pages={RUN_PAGE: "run: yes"}))
    client = CommonsClient(commons_site(wiki))
    assert client.check_may_run()[0]
    wiki.set_page(RUN_PAGE, "run: no -- stopped by an admin")
    assert not client.check_may_run()[0]
    wiki.set_page(RUN_PAGE, None)
    assert not client.check_may_run()[0]


# --------------------------------------------------------------------------- dry run


def test_anonymous_session_reads_and_cannot_write(
    standin: StandinFactory, commons_site: SiteFactory
) -> None:
    wiki = standin(
        StandinData(
            entities=files(3) | files(1, first=2000, sdc=False), pages={RUN_PAGE: "run: no"}
        )
    )
    site = commons_site(wiki, username=None, environ={})
    client = CommonsClient(site)
    assert site.user() is None and client.username is None
    states = client.read_entities(["M1000", "M1001", "M1002", "M2000"])
    assert states["M2000"].lastrevid == 802_000 and states["M1000"].has_sdc
    assert client.batch_size == 50
    with pytest.raises(ReadOnlySession):
        client.edit("M1000", [string_claim(P12120, "1")], baserevid=801_000, summary="s")
    assert client.check_may_run() == (
        True,
        "anonymous read-only session: no run page or talk page to check",
    )
    assert wiki.requests["login"] == 0
    assert wiki.requests["wbeditentity"] == 0 and wiki.writes == []
    assert all(entry["params"].get("action") != "login" for entry in wiki.log)


# --------------------------------------------------------------------------- from settings


def test_client_from_project_settings(
    standin: StandinFactory, pywikibot_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.adapters.config import Settings

    wiki = standin(StandinData(entities=files(1), pages={RUN_PAGE: "run: yes"}))
    settings = Settings(
        commons_api_url=wiki.api_url,
        pywikibot_dir=str(pywikibot_dir),
        put_throttle=PUT_THROTTLE,
        edit_tags=("flickr-sdc",),
        run_page="User:{username}/Run",
    )
    dry = CommonsClient.from_settings(settings, dry_run=True)
    assert dry.username is None and dry.read_entities(["M1000"])["M1000"].has_sdc
    assert wiki.requests["login"] == 0
    with pytest.raises(CredentialsMissing):
        CommonsClient.from_settings(settings, dry_run=False, username=None)
    monkeypatch.setenv("COMMONS_BOTPASSWORD_NAME", BOTPASSWORD_NAME)
    monkeypatch.setenv("COMMONS_BOTPASSWORD", BOTPASSWORD)
    client = CommonsClient.from_settings(settings, dry_run=False)
    assert client.username == BOT and client.tags == ("flickr-sdc",)
    assert client.check_may_run() == (True, f"the run page says 'run: yes' ([[{RUN_PAGE}]])")
    client.edit("M1000", [string_claim(P12120, "1")], baserevid=801_000, summary="s")
    assert wiki.writes[0]["params"]["tags"] == "flickr-sdc"


def test_resolve_username(pywikibot_dir: Path) -> None:
    assert resolve_username("Explicit", environ={"COMMONS_BOT_USERNAME": "X"}) == "Explicit"
    assert resolve_username(environ={"COMMONS_BOT_USERNAME": "X"}) == "X"
    assert resolve_username(environ={"COMMONS_BOTPASSWORD_NAME": "Bot@suffix"}) == "Bot"
    assert resolve_username(environ={}) is None


def test_seeded_offline_wiki_end_to_end(
    commons_site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pieces a run uses, against the seed directory the offline demo can serve."""
    from bot.adapters.wikidata import WikidataClient
    from bot.core.wikitext import find_flickr_source
    from bot.standins.commons import run_commons_standin

    seed = Path(__file__).parents[1] / "fixtures" / "commons" / "seed"
    with run_commons_standin(seed) as wiki:
        client = CommonsClient(commons_site(wiki))
        assert client.check_may_run()[0]
        states = client.read_entities(["M138765382", "M1004"])
        assert (
            states["M138765382"].entity["statements"]["P12120"][0]["mainsnak"]["datavalue"]["value"]
            == "53253175319"
        )
        no_sdc = states["M1004"]
        assert not no_sdc.has_sdc and no_sdc.title == "File:Nyungw.jpg"
        text = client.get_wikitext([no_sdc.title or ""])[no_sdc.title or ""]
        evidence = find_flickr_source(no_sdc.title or "", text or "")
        assert (evidence.photo_id, evidence.owner) == ("7476891542", "35168673@N03")
        with WikidataClient(wiki.wikidata_api_url) as wikidata:
            assert wikidata(["Q15982108"])["Q15982108"] == [evidence.owner]
        assert no_sdc.lastrevid is not None
        revid = client.edit(
            "M1004",
            [string_claim(P12120, evidence.photo_id or "")],
            baserevid=no_sdc.lastrevid,
            summary="Add Flickr photo ID from Flickr photo 7476891542",
        ).revid
        assert wiki.entity("M1004")["lastrevid"] == revid
