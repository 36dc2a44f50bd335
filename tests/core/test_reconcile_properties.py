"""Invariants of planning, checked with hypothesis on random files and photos.

- Idempotence: applying the plan's edit and planning again gives no edit, and the same
  conflicts.
- Preservation: the edit never removes a statement, and outside ``replace`` never
  changes an existing main value, qualifier (or its order), reference or rank; a
  ``replace`` keeps rank and references.
- Determinism and purity: the same input gives the same JSON, and the input is not
  modified.
- Attribution: the bot's Flickr account is only ever attached to a creator statement
  that already names that account and nobody else.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import ids
from bot.core.claims import wanted_statements
from bot.core.flickr_photo import (
    FlickrLocation,
    FlickrOwner,
    FlickrPhoto,
    FlickrPhotoGone,
    GoneReason,
)
from bot.core.flickr_urls import FlickrUrlError, parse_flickr_url
from bot.core.reasons import CONFLICT_REASONS, REASONS
from bot.core.reconcile import ActionKind, Plan, apply_edit, plan
from bot.core.wikibase import (
    format_time,
    globecoordinate_snak,
    item_snak,
    pseudo_hash,
    qualifier_order,
    qualifiers_of,
    somevalue_snak,
    string_snak,
    string_value,
    strip_hashes,
    time_snak,
)

MID = "M123"

OWNERS = [
    FlickrOwner("55696846@N04", "Rafael Moura SP", "Rafael B. de Moura", "rbmoura"),
    FlickrOwner("199246608@N02", "cefarrjf87", "Alex Chan", None),
    FlickrOwner("36281769@N04", "Coast Guard News", None, "coast_guard"),
    FlickrOwner(ids.BHL_NSID, "BioDivLibrary", "Biodiversity Heritage Library", "biodivlibrary"),
    FlickrOwner("12345678@N00"),
]
PHOTO_IDS = ["28952265972", "53253175319", "51281775881"]
TAGS = ["bhl:page=33665645", "bhl:page=1", "bhl:page=x", "taxonomy:genus=Loxodonta"]


@st.composite
def flickr_photos(draw: st.DrawFn) -> FlickrPhoto:
    """Live photos with every kind of date, geo and tag data Flickr returns."""
    posted = datetime(2005, 1, 1, tzinfo=UTC) + timedelta(
        seconds=draw(st.integers(0, 20 * 365 * 86400))
    )
    year = draw(st.integers(1850, 2025))
    taken = draw(
        st.one_of(
            st.just("0000-00-00 00:00:00"),
            st.just(
                f"{year:04d}-{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d} 12:00:00"
            ),
        )
    )
    location = draw(
        st.one_of(
            st.none(),
            st.builds(
                FlickrLocation,
                st.one_of(st.just(0.0), st.floats(-90, 90)),
                st.one_of(st.just(0.0), st.floats(-180, 180)),
                st.integers(0, 16),
            ),
        )
    )
    return FlickrPhoto(
        id=draw(st.sampled_from(PHOTO_IDS)),
        owner=draw(st.sampled_from(OWNERS)),
        date_posted=posted,
        date_taken=taken,
        date_taken_granularity=draw(st.sampled_from([0, 4, 6, 8])),
        date_taken_unknown=draw(st.booleans()),
        license_id=draw(st.sampled_from(["0", "4", "5", "7", "10"])),
        location=location,
        machine_tags=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=2))),
    )


@st.composite
def photos(draw: st.DrawFn) -> tuple[FlickrPhoto | FlickrPhotoGone, FlickrOwner | None]:
    """A live photo, or a gone one with or without an owner hint from the evidence."""
    if draw(st.integers(0, 5)) == 0:
        gone = FlickrPhotoGone(draw(st.sampled_from(PHOTO_IDS)), GoneReason.NOT_FOUND, 1)
        hint = draw(st.one_of(st.none(), st.sampled_from(OWNERS)))
        return gone, hint
    return draw(flickr_photos()), None


def _s(prop: str, value: str) -> dict[str, Any]:
    return string_snak(prop, value)


def _q(prop: str, qid: str) -> dict[str, Any]:
    return item_snak(prop, qid)


def _content(main: dict[str, Any], *qualifiers: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = {"mainsnak": main, "type": "statement"}
    if qualifiers:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for q in qualifiers:
            grouped.setdefault(q["property"], []).append(q)
        statement["qualifiers"] = grouped
        statement["qualifiers-order"] = list(grouped)
    return statement


def _without_qualifiers(statement: dict[str, Any], keep: int) -> dict[str, Any]:
    """The statement with only its first ``keep`` qualifier properties."""
    order = qualifier_order(statement)[:keep]
    out = {"mainsnak": statement["mainsnak"], "type": "statement"}
    if order:
        out["qualifiers"] = {p: statement["qualifiers"][p] for p in order}
        out["qualifiers-order"] = order
    return out


def variants(
    prop: str, wanted: dict[str, Any] | None, photo_id: str, owner: FlickrOwner | None
) -> list[dict[str, Any]]:
    """Existing statements for a property: matching, partial, differing, placeholders, unrelated."""
    pool: list[dict[str, Any]] = []
    if wanted is not None:
        pool += [
            copy.deepcopy(wanted),
            _without_qualifiers(wanted, 0),
            _without_qualifiers(wanted, 1),
        ]
    if prop == ids.P_FLICKR_PHOTO_ID:
        pool = pool[:1] * 4 + [_content(_s(prop, "53253175319")), _content(somevalue_snak(prop))]
    elif prop == ids.P_CREATOR:
        names = ["null", " NULL", "rbmoura", "Alex Chan", "John Smith"]
        if owner is not None:  # this owner's placeholders, and its real names
            own = [n for n in (owner.username, owner.realname, owner.path_alias, owner.nsid) if n]
            names += own + [n.upper() + " " for n in own] + [f"Flickr user {n}" for n in own]
        pool += [_content(somevalue_snak(prop), _s("P2093", n)) for n in names]
        pool += [
            _content(somevalue_snak(prop), _s("P4174", "Alex Chan")),
            _content(somevalue_snak(prop), _q("P3831", "Q33231")),
            _content(somevalue_snak(prop), _s("P2699", "https://www.flickr.com/people/rbmoura/")),
            _content(somevalue_snak(prop), _s("P2093", "rbmoura"), _s("P1545", "1")),
            _content(somevalue_snak(prop), _s("P3267", "55696846@n04")),
            _content(somevalue_snak(prop), _s("P3267", "99999999@N00"), _s("P2093", "Someone")),
            _content(somevalue_snak(prop), _s("P2093", "Alex Chan"), _q("P3831", "Q33231")),
            _content(_q(prop, "Q5981474")),
            _content(_q(prop, "Q42")),
            _content({"snaktype": "novalue", "property": prop}),
        ]
    elif prop == ids.P_SOURCE_OF_FILE:
        on_internet = _q(prop, "Q74228490")
        pool += [
            _content(on_internet, _s("P973", f"http://www.flickr.com/photos/rbmoura/{photo_id}")),
            _content(
                on_internet,
                _q("P137", "Q103204"),
                _s("P973", f"https://flickr.com/photos/55696846@N04/{photo_id}/in/photostream/"),
            ),
            _content(on_internet, _s("P973", "https://www.flickr.com/photos/rbmoura/1234567890/")),
            _content(on_internet, _s("P973", "https://hdl.handle.net/2027/mdp.39015084574220")),
            _content(on_internet, _q("P137", "Q103204")),
            _content(on_internet, somevalue_snak("P137")),
            _content(on_internet),
            _content(_q(prop, "Q66458942")),
        ]
    elif prop == ids.P_INCEPTION:
        pool += [
            _content(time_snak(prop, format_time(1943, 1, 1, 9), 9), _q("P1480", "Q5727902")),
            _content(time_snak(prop, "+1943-01-01T00:00:00Z", 11)),
            _content(time_snak(prop, "+2016-08-01T00:00:00Z", 10)),
            _content(somevalue_snak(prop)),
        ]
    elif prop == ids.P_COORDINATES_OF_POV:
        pool += [
            _content(globecoordinate_snak(prop, 52.9913, 6.5702, 0.0001)),
            _content(globecoordinate_snak(prop, 0.0, 0.0, 1.0)),
        ]
    elif prop == ids.P_PUBLISHED_IN:
        pool += [
            _content(_q(prop, "Q103204")),
            _content(_q(prop, "Q103204"), time_snak("P577", "+2010-01-01T00:00:00Z", 11)),
            _content(_q(prop, "Q1124774")),
        ]
    elif prop == ids.P_BHL_PAGE_ID:
        pool += [_content(_s(prop, "33665645")), _content(_s(prop, "42"))]
    return pool


def _reference() -> dict[str, Any]:
    snak = {**_s("P854", "https://www.flickr.com/"), "hash": "0" * 40}
    return {"hash": "1" * 40, "snaks": {"P854": [snak]}, "snaks-order": ["P854"]}


@st.composite
def decorated(
    draw: st.DrawFn, content: dict[str, Any], n: int, with_hashes: bool
) -> dict[str, Any]:
    """A pool statement with an id, a random rank, maybe references, an extra qualifier,
    shuffled qualifier order, and hashes (API) or not (dumps)."""
    statement = copy.deepcopy(content)
    if draw(st.integers(0, 3)) == 0:
        extra = draw(
            st.sampled_from(
                [
                    _s("P4174", "SomeUser"),
                    _q("P3831", "Q33231"),
                    _s("P2699", "https://example.org/"),
                ]
            )
        )
        statement.setdefault("qualifiers", {}).setdefault(extra["property"], []).append(extra)
        statement["qualifiers-order"] = list(statement["qualifiers"])
    if statement.get("qualifiers-order"):
        statement["qualifiers-order"] = draw(st.permutations(statement["qualifiers-order"]))
    if with_hashes:
        statement["mainsnak"]["hash"] = pseudo_hash(statement["mainsnak"])
        for group in (statement.get("qualifiers") or {}).values():
            for snak in group:
                snak["hash"] = pseudo_hash(snak)
    statement["id"] = f"{MID}$00000000-0000-4000-8000-{n:012d}"
    statement["rank"] = draw(st.sampled_from(["normal", "normal", "preferred", "deprecated"]))
    if draw(st.booleans()):
        statement["references"] = [_reference()]
    return statement


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A file (entity), the wanted statements and plan arguments."""
    photo, hint = draw(photos())
    wanted = wanted_statements(photo, hint)
    by_prop = {w["mainsnak"]["property"]: w for w in wanted}
    with_hashes = draw(st.booleans())
    statements: dict[str, list[dict[str, Any]]] = {}
    n = 0
    for prop in ids.WRITTEN_PROPERTIES:
        owner = photo.owner if isinstance(photo, FlickrPhoto) else hint
        pool = variants(prop, by_prop.get(prop), photo.id, owner)
        for content in draw(st.lists(st.sampled_from(pool), max_size=3)):
            n += 1
            statements.setdefault(prop, []).append(draw(decorated(content, n, with_hashes)))
    if draw(st.booleans()):
        n += 1
        statements["P180"] = [draw(decorated(_content(_q("P180", "Q5")), n, with_hashes))]
    if statements or draw(st.booleans()):
        entity: dict[str, Any] = {
            "type": "mediainfo",
            "id": MID,
            "statements": statements,
            "lastrevid": 42,
        }
    else:
        entity = {"id": MID, "missing": ""}
    evidence = draw(st.sampled_from([[], [photo.id], [], [photo.id], [photo.id, "1"], ["1"]]))
    lookups = draw(
        st.sampled_from(
            [
                {},
                {"Q5981474": ["55696846@N04"]},
                {"Q5981474": ["rbmoura"], "Q42": []},
                {"Q42": ["199246608@N02"]},
            ]
        )
    )
    owner = draw(st.sampled_from([None, photo.owner if isinstance(photo, FlickrPhoto) else hint]))
    return {
        "entity": entity,
        "wanted": wanted,
        "account": photo.owner if isinstance(photo, FlickrPhoto) else hint,
        "kwargs": {"evidence_photo_ids": evidence, "wikidata_flickr_ids": lookups, "owner": owner},
    }


def _plan(scenario: dict[str, Any], entity: dict[str, Any] | None = None) -> Plan:
    return plan(
        entity if entity is not None else scenario["entity"],
        scenario["wanted"],
        **scenario["kwargs"],
    )


def _by_id(entity: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = entity.get("statements") or {}
    return {s["id"]: s for group in found.values() for s in group}


PROPERTY_SETTINGS = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
LIGHT_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(scenarios())
def test_applying_the_edit_then_planning_again_gives_no_edit(scenario: dict[str, Any]) -> None:
    first = _plan(scenario)
    if first.edit is None:
        return
    after = apply_edit(scenario["entity"], first.edit)
    second = _plan(scenario, after)
    assert second.edit is None, json.dumps(second.to_json(), indent=1)
    for a1, a2 in zip(first.actions, second.actions, strict=True):
        if a1.writes:
            assert a2.action is ActionKind.UNCHANGED, (a1, a2)
        elif a1.action is ActionKind.CONFLICT:
            assert (a2.action, a2.reason) == (a1.action, a1.reason)


@PROPERTY_SETTINGS
@given(scenarios())
def test_the_edit_never_removes_or_changes_what_is_there(scenario: dict[str, Any]) -> None:
    result = _plan(scenario)
    if result.edit is None:
        return
    before = _by_id(scenario["entity"])
    after_entity = apply_edit(scenario["entity"], result.edit)
    after = _by_id(after_entity)
    replaced = {a.statement_id for a in result.actions if a.action is ActionKind.REPLACE}
    adds = sum(1 for a in result.actions if a.action is ActionKind.ADD)
    assert len(after) == len(before) + adds
    wanted_props = {w["mainsnak"]["property"] for w in scenario["wanted"]}
    for claim in result.edit["claims"]:
        assert claim["mainsnak"]["property"] in wanted_props
        if "id" in claim:
            assert claim["id"] in before
    for sid, old in before.items():
        assert sid in after, "statement removed"
        new = after[sid]
        assert new["mainsnak"]["property"] == old["mainsnak"]["property"]
        assert new.get("rank", "normal") == old.get("rank", "normal")
        assert strip_hashes(new.get("references", [])) == strip_hashes(old.get("references", []))
        if sid in replaced:
            continue
        assert strip_hashes(new["mainsnak"]) == strip_hashes(old["mainsnak"])
        old_order, new_order = qualifier_order(old), qualifier_order(new)
        assert new_order[: len(old_order)] == old_order
        for prop in old_order:
            old_snaks = strip_hashes(old["qualifiers"][prop])
            assert strip_hashes(new["qualifiers"][prop])[: len(old_snaks)] == old_snaks


@LIGHT_SETTINGS
@given(scenarios())
def test_planning_is_deterministic_and_pure(scenario: dict[str, Any]) -> None:
    snapshot = copy.deepcopy(scenario)
    first = json.dumps(_plan(scenario).to_json(), sort_keys=True)
    again = json.dumps(_plan(copy.deepcopy(scenario)).to_json(), sort_keys=True)
    assert first == again
    assert scenario == snapshot


@LIGHT_SETTINGS
@given(scenarios())
def test_reason_codes_match_actions(scenario: dict[str, Any]) -> None:
    result = _plan(scenario)
    for action in result.actions:
        assert action.reason in REASONS
        assert (action.action is ActionKind.CONFLICT) == (action.reason in CONFLICT_REASONS)
        if action.action in (ActionKind.ADD_QUALIFIERS, ActionKind.REPLACE):
            assert action.proposed is not None and action.proposed["id"] == action.statement_id
    assert (result.edit is None) == (not result.changed_properties)


def _names_of(account: FlickrOwner) -> set[str]:
    """Every spelling of the account's names a creator may carry (as P2093)."""
    plain = {
        " ".join(n.split()).casefold()
        for n in (account.realname, account.username, account.path_alias, account.nsid)
        if n
    }
    return plain | {f"flickr user {n}" for n in plain}


def _is_profile_of(url: str, account: FlickrOwner) -> bool:
    try:
        parsed = parse_flickr_url(url)
    except FlickrUrlError:
        return False
    users = {account.nsid.casefold(), (account.path_alias or account.nsid).casefold()}
    return parsed.type == "user" and (parsed.user or "").casefold() in users


@PROPERTY_SETTINGS
@given(scenarios())
def test_our_account_is_only_added_to_a_creator_that_names_it(scenario: dict[str, Any]) -> None:
    result = _plan(scenario)
    before = _by_id(scenario["entity"])
    for action in result.actions:
        if action.property != ids.P_CREATOR or action.action is not ActionKind.ADD_QUALIFIERS:
            continue
        account = scenario["account"]
        assert account is not None and action.statement_id is not None
        existing = qualifiers_of(before[action.statement_id])
        assert existing, "a bare 'unknown value' creator was given our account"
        assert any(q["property"] in ("P2093", "P2699") for q in existing)
        for snak in existing:
            prop, text = snak["property"], string_value(snak)
            assert prop in ("P2093", "P2699", "P3831", "P1545"), prop
            if prop == "P2093":
                assert text is not None and " ".join(text.split()).casefold() in _names_of(account)
            if prop == "P2699":
                assert text is not None and _is_profile_of(text.strip(), account), text
