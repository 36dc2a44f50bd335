"""Reconciliation rules (``bot.core.reconcile``), one readable table per property.

Existing statements are written in the shapes Commons returns them (see the mediainfo
excerpts in the reference data: hashes on every snak, ``qualifiers-order``, ids like
``M51090819$...``); wanted statements come from ``bot.core.claims`` for a realistic photo.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core import ids
from bot.core.claims import photo_id_statement, wanted_statements
from bot.core.flickr_photo import (
    FlickrLocation,
    FlickrOwner,
    FlickrPhoto,
    FlickrPhotoGone,
    GoneReason,
)
from bot.core.reasons import CONFLICT_REASONS, REASONS
from bot.core.reconcile import (
    Action,
    ActionKind,
    Plan,
    _not_twice,
    apply_edit,
    creator_items_to_look_up,
    photo_ids_on_file,
    plan,
    same_statement,
    without_duplicates,
)
from bot.core.wikibase import (
    format_time,
    globecoordinate_snak,
    item_snak,
    pseudo_hash,
    somevalue_snak,
    string_snak,
    strip_hashes,
    time_snak,
)

MID = "M51090819"
OWNER = FlickrOwner(
    nsid="55696846@N04",
    username="Rafael Moura SP",
    realname="Rafael B. de Moura",
    path_alias="rbmoura",
)
PHOTO_ID = "28952265972"
PHOTO_URL = "https://www.flickr.com/photos/rbmoura/28952265972/"


def make_photo(**overrides: Any) -> FlickrPhoto:
    fields: dict[str, Any] = {
        "id": PHOTO_ID,
        "owner": OWNER,
        "date_posted": datetime(2016, 8, 12, 19, 4, 2, tzinfo=UTC),
        "date_taken": "2016-08-10 21:30:00",
        "date_taken_granularity": 0,
        "location": FlickrLocation(-23.550520, -46.633308, 16),
        "license_id": "5",
    }
    fields.update(overrides)
    return FlickrPhoto(**fields)


PHOTO = make_photo()
WANTED = wanted_statements(PHOTO)


# --- builders in Commons' shape --------------------------------------------------------


def hashed(snak: dict[str, Any]) -> dict[str, Any]:
    """A snak as wbgetentities returns it (with a hash)."""
    return {**snak, "hash": pseudo_hash(snak)}


def sid(n: int) -> str:
    return f"{MID}$00000000-0000-4000-8000-{n:012d}"


def st(
    mainsnak: dict[str, Any],
    *qualifiers: dict[str, Any],
    n: int = 1,
    rank: str = "normal",
    references: list[dict[str, Any]] | None = None,
    order: list[str] | None = None,
) -> dict[str, Any]:
    """An existing statement as Commons returns it."""
    statement: dict[str, Any] = {"mainsnak": hashed(mainsnak), "type": "statement"}
    if qualifiers:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for q in qualifiers:
            grouped.setdefault(q["property"], []).append(hashed(q))
        statement["qualifiers"] = grouped
        statement["qualifiers-order"] = order or list(grouped)
    statement["id"] = sid(n)
    statement["rank"] = rank
    if references:
        statement["references"] = references
    return statement


def reference(url: str) -> dict[str, Any]:
    snak = hashed(string_snak("P854", url))
    return {"hash": pseudo_hash(snak), "snaks": {"P854": [snak]}, "snaks-order": ["P854"]}


def entity_with(*statements: dict[str, Any], revid: int = 892607643) -> dict[str, Any]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for s in statements:
        grouped.setdefault(s["mainsnak"]["property"], []).append(s)
    return {
        "type": "mediainfo",
        "id": MID,
        "labels": {},
        "descriptions": {},
        "statements": grouped,
        "lastrevid": revid,
    }


def action_for(
    prop: str,
    existing: list[dict[str, Any]],
    wanted: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Action:
    result = plan(entity_with(*existing), WANTED if wanted is None else wanted, **kwargs)
    (action,) = [a for a in result.actions if a.property == prop]
    return action


# Snak shortcuts.
def s(prop: str, value: str) -> dict[str, Any]:
    return string_snak(prop, value)


def q(prop: str, qid: str) -> dict[str, Any]:
    return item_snak(prop, qid)


SOMEVALUE = somevalue_snak("P170")
NSID_Q = s("P3267", "55696846@N04")
REALNAME_Q = s("P2093", "Rafael B. de Moura")
PROFILE_Q = s("P2699", "https://www.flickr.com/people/rbmoura/")
FILE_ON_INTERNET = q("P7482", "Q74228490")
FLICKR_OPERATOR = q("P137", "Q103204")


def day(
    prop: str, y: int, m: int, d: int, precision: int = 11, calendar: str | None = None
) -> dict[str, Any]:
    snak = time_snak(prop, format_time(y, m, d, precision), precision)
    if calendar:
        snak["datavalue"]["value"]["calendarmodel"] = calendar
    return snak


def raw_time(prop: str, time: str, precision: int) -> dict[str, Any]:
    return time_snak(prop, time, precision)


# --- P12120 Flickr photo ID -------------------------------------------------------------

PHOTO_ID_CASES = [
    ("no photo id yet", [], "add", "absent"),
    ("same photo id", [st(s("P12120", PHOTO_ID))], "unchanged", "equivalent"),
    ("another photo id", [st(s("P12120", "53253175319"))], "conflict", "photo_id_differs"),
    (
        "two photo ids, one ours",
        [st(s("P12120", PHOTO_ID), n=1), st(s("P12120", "53253175319"), n=2)],
        "conflict",
        "multiple_photo_ids",
    ),
    (
        "a deprecated other id is ignored",
        [st(s("P12120", "53253175319"), rank="deprecated")],
        "add",
        "absent",
    ),
    ("unknown value", [st(somevalue_snak("P12120"))], "conflict", "existing_not_a_value"),
]


@pytest.mark.parametrize(
    ("case", "existing", "action", "reason"), PHOTO_ID_CASES, ids=[c[0] for c in PHOTO_ID_CASES]
)
def test_photo_id(case: str, existing: list[dict[str, Any]], action: str, reason: str) -> None:
    result = action_for("P12120", existing)
    assert (result.action, result.reason) == (action, reason)


EVIDENCE_CASES = [
    ("evidence cites only this photo", [PHOTO_ID], "add", "absent"),
    ("no evidence given", [], "add", "absent"),
    ("evidence cites two photos", [PHOTO_ID, "53253175319"], "conflict", "multiple_photo_ids"),
    ("evidence cites another photo", ["53253175319"], "conflict", "photo_id_differs"),
]


@pytest.mark.parametrize(
    ("case", "evidence", "action", "reason"), EVIDENCE_CASES, ids=[c[0] for c in EVIDENCE_CASES]
)
def test_photo_id_against_evidence(
    case: str, evidence: list[str], action: str, reason: str
) -> None:
    result = plan(entity_with(), WANTED, evidence_photo_ids=evidence)
    first = result.actions[0]
    assert (first.property, first.action, first.reason) == ("P12120", action, reason)
    if action == "conflict":
        # Nothing from a photo that may not be the file's is written.
        assert result.edit is None
        assert {a.reason for a in result.actions[1:]} == {"blocked_by_photo_id_conflict"}
    else:
        assert result.edit is not None


OTHER_ID = "53253175319"
OURS, OTHER = PHOTO_ID, OTHER_ID
PHOTO_IDS_ON_FILE_CASES = [
    # (case, P12120 statements, the ids the file states)
    ("none", [], set()),
    ("one", [st(s("P12120", OURS))], {OURS}),
    ("two", [st(s("P12120", OURS), n=1), st(s("P12120", OTHER), n=2)], {OURS, OTHER}),
    ("a deprecated one aside", [st(s("P12120", OTHER), rank="deprecated")], set()),
    ("unknown value aside", [st(somevalue_snak("P12120"))], set()),
]


@pytest.mark.parametrize(
    ("case", "existing", "expected"),
    PHOTO_IDS_ON_FILE_CASES,
    ids=[c[0] for c in PHOTO_IDS_ON_FILE_CASES],
)
def test_photo_ids_on_file(case: str, existing: list[dict[str, Any]], expected: set[str]) -> None:
    assert photo_ids_on_file(entity_with(*existing)) == expected


def test_photo_id_conflict_leaves_unchanged_statements_unchanged() -> None:
    existing = [st(s("P12120", "53253175319"), n=1), st(SOMEVALUE, NSID_Q, n=2)]
    result = plan(entity_with(*existing), WANTED)
    kinds = {a.property: (a.action, a.reason) for a in result.actions}
    assert kinds["P12120"] == ("conflict", "photo_id_differs")
    assert kinds["P170"] == ("unchanged", "same_flickr_user")
    assert kinds["P7482"] == ("conflict", "blocked_by_photo_id_conflict")
    assert result.edit is None


# --- P170 creator -----------------------------------------------------------------------

EXCHANGE_CREATOR = st(
    SOMEVALUE,
    NSID_Q,
    REALNAME_Q,
    s("P2699", "https://www.flickr.com/people/55696846@N04"),
)

CREATOR_CASES = [
    ("no creator yet", [], {}, "add", "absent"),
    (
        "same account, as Flickypedia writes it",
        [EXCHANGE_CREATOR],
        {},
        "unchanged",
        "same_flickr_user",
    ),
    ("same account, only P3267", [st(SOMEVALUE, NSID_Q)], {}, "unchanged", "same_flickr_user"),
    (
        "same account, other name and extra qualifiers",
        [st(SOMEVALUE, s("P2093", "R. Moura"), NSID_Q, q("P3831", "Q33231"))],
        {},
        "unchanged",
        "same_flickr_user",
    ),
    (
        "same account, NSID in lower case",
        [st(SOMEVALUE, s("P3267", "55696846@n04"))],
        {},
        "unchanged",
        "same_flickr_user",
    ),
    (
        "same account, P3267 holds the path alias",
        [st(SOMEVALUE, s("P3267", "rbmoura"))],
        {},
        "unchanged",
        "same_flickr_user",
    ),
    (
        "another account",
        [st(SOMEVALUE, s("P3267", "12403504@N02"), s("P2093", "British Library"))],
        {},
        "conflict",
        "creator_differs",
    ),
    # Nothing says who this is: attaching our account would be a guess.
    ("unknown value, no qualifiers", [st(SOMEVALUE)], {}, "conflict", "creator_differs"),
    (
        "only a Wikimedia username",
        [st(SOMEVALUE, s("P4174", "SomeCommonsUser"))],
        {},
        "conflict",
        "creator_differs",
    ),
    (
        "only a role: photographer",
        [st(SOMEVALUE, q("P3831", "Q33231"))],
        {},
        "conflict",
        "creator_differs",
    ),
    (
        "only a qualifier the bot does not know",
        [st(SOMEVALUE, q("P1480", "Q18122778"))],
        {},
        "conflict",
        "creator_differs",
    ),
    (
        "our name and a Wikimedia username",
        [st(SOMEVALUE, REALNAME_Q, s("P4174", "Rafael B. de Moura"))],
        {},
        "conflict",
        "creator_differs",
    ),
    (
        "our name and another author name in one statement",
        [st(SOMEVALUE, REALNAME_Q, s("P2093", "John Smith"))],
        {},
        "conflict",
        "creator_differs",
    ),
    (
        "our name and another Flickr user's profile",
        [st(SOMEVALUE, REALNAME_Q, s("P2699", "https://www.flickr.com/people/johnsmith/"))],
        {},
        "conflict",
        "creator_differs",
    ),
    (
        "our name and 'presumably'",
        [st(SOMEVALUE, REALNAME_Q, q("P1480", "Q18122778"))],
        {},
        "conflict",
        "creator_differs",
    ),
    (
        "an author name that is 'unknown value'",
        [st(SOMEVALUE, somevalue_snak("P2093"), PROFILE_Q)],
        {},
        "conflict",
        "creator_differs",
    ),
    (
        "only our profile URL",
        [st(SOMEVALUE, PROFILE_Q)],
        {},
        "add_qualifiers",
        "missing_qualifiers",
    ),
    (
        "our username and our profile URL",
        [st(SOMEVALUE, s("P2093", "Rafael Moura SP"), PROFILE_Q)],
        {},
        "add_qualifiers",
        "missing_qualifiers",
    ),
    (
        "our name as the second of several creators",
        [st(SOMEVALUE, REALNAME_Q, s("P1545", "2"))],
        {},
        "add_qualifiers",
        "missing_qualifiers",
    ),
    (
        "our name and NSID profile URL, no P3267",
        [st(SOMEVALUE, REALNAME_Q, s("P2699", "https://www.flickr.com/people/55696846@N04/"))],
        {},
        "add_qualifiers",
        "missing_qualifiers",
    ),
    (
        "our name and http alias profile URL without slash",
        [st(SOMEVALUE, REALNAME_Q, s("P2699", "http://flickr.com/people/rbmoura"))],
        {},
        "add_qualifiers",
        "missing_qualifiers",
    ),
    (
        "exactly our author name only: extended, not replaced",
        [st(SOMEVALUE, REALNAME_Q)],
        {},
        "add_qualifiers",
        "missing_qualifiers",
    ),
    (
        "our author name with a trailing space: agrees, extended",
        [st(SOMEVALUE, s("P2093", "Rafael B. de Moura "))],
        {},
        "add_qualifiers",
        "missing_qualifiers",
    ),
    (
        "our name with a role qualifier",
        [st(SOMEVALUE, REALNAME_Q, q("P3831", "Q33231"))],
        {},
        "add_qualifiers",
        "missing_qualifiers",
    ),
    (
        "somebody else: John Smith",
        [st(SOMEVALUE, s("P2093", "John Smith"))],
        {},
        "conflict",
        "creator_differs",
    ),
    (
        "our name but another profile URL",
        [st(SOMEVALUE, REALNAME_Q, s("P2699", "https://example.org/~rafael"))],
        {},
        "conflict",
        "creator_differs",
    ),
    (
        "a Commons user (M76 shape)",
        [
            st(
                SOMEVALUE,
                q("P3831", "Q33231"),
                s("P2093", "Andre Engels"),
                s("P4174", "Andre Engels"),
                s("P2699", "http://commons.wikimedia.org/wiki/User:Andre_Engels"),
            )
        ],
        {},
        "conflict",
        "creator_differs",
    ),
    (
        "no value",
        [st({"snaktype": "novalue", "property": "P170"})],
        {},
        "conflict",
        "creator_differs",
    ),
    (
        "Wikidata item with this NSID",
        [st(q("P170", "Q5981474"))],
        {"Q5981474": ["55696846@N04"]},
        "unchanged",
        "creator_item_matches",
    ),
    (
        "Wikidata item with this path alias",
        [st(q("P170", "Q5981474"))],
        {"Q5981474": ["RBMoura"]},
        "unchanged",
        "creator_item_matches",
    ),
    (
        "Wikidata item with another account",
        [st(q("P170", "Q5981474"))],
        {"Q5981474": ["12403504@N02"]},
        "conflict",
        "creator_item_differs",
    ),
    (
        "Wikidata item without any Flickr id",
        [st(q("P170", "Q5981474"))],
        {"Q5981474": []},
        "conflict",
        "creator_item_differs",
    ),
    (
        "Wikidata item not looked up",
        [st(q("P170", "Q5981474"))],
        {},
        "conflict",
        "creator_item_unverified",
    ),
    (
        "unverified item next to our account",
        [st(q("P170", "Q5981474"), n=1), st(SOMEVALUE, NSID_Q, n=2)],
        {},
        "unchanged",
        "same_flickr_user",
    ),
    (
        "two statements could be extended",
        [st(SOMEVALUE, REALNAME_Q, n=1), st(SOMEVALUE, s("P2093", "null"), n=2)],
        {},
        "conflict",
        "multiple_candidate_statements",
    ),
    (
        "deprecated, same account",
        [st(SOMEVALUE, NSID_Q, rank="deprecated")],
        {},
        "unchanged",
        "deprecated_equivalent",
    ),
    (
        "deprecated somebody else",
        [st(SOMEVALUE, s("P2093", "John Smith"), rank="deprecated")],
        {},
        "add",
        "absent",
    ),
    (
        "preferred, same account",
        [st(SOMEVALUE, NSID_Q, rank="preferred")],
        {},
        "unchanged",
        "same_flickr_user",
    ),
]


@pytest.mark.parametrize(
    ("case", "existing", "lookups", "action", "reason"),
    CREATOR_CASES,
    ids=[c[0] for c in CREATOR_CASES],
)
def test_creator(
    case: str,
    existing: list[dict[str, Any]],
    lookups: dict[str, list[str]],
    action: str,
    reason: str,
) -> None:
    result = action_for("P170", existing, wikidata_flickr_ids=lookups, owner=OWNER)
    assert (result.action, result.reason) == (action, reason)


PLACEHOLDER_NAMES = [
    ("null", "null", True),
    ("NULL with spaces", "  NULL ", True),
    ("path alias", "rbmoura", True),
    ("path alias in capitals", " RBMOURA", True),
    ("username", "Rafael Moura SP", True),
    ("username, odd whitespace and case", "rafael   moura\tsp", True),
    ("realname in other case", "rafael b. de moura", True),
    ("Flickr user + alias", "Flickr user rbmoura", True),
    ("Flickr user + username, lower case", "flickr user rafael moura sp", True),
    ("Flickr user + NSID", "Flickr user 55696846@N04", True),
    ("the NSID itself", "55696846@N04", True),
    ("another person", "John Smith", False),
    ("another Flickr user", "Flickr user johnsmith", False),
    ("alias as a substring", "rbmoura photography", False),
    ("empty", "", False),
]


@pytest.mark.parametrize(
    ("case", "name", "placeholder"), PLACEHOLDER_NAMES, ids=[c[0] for c in PLACEHOLDER_NAMES]
)
def test_placeholder_creators_are_replaced(case: str, name: str, placeholder: bool) -> None:
    existing = st(
        SOMEVALUE,
        s("P2093", name),
        rank="preferred",
        references=[reference("https://www.flickr.com/photos/rbmoura/28952265972/")],
    )
    result = action_for("P170", [existing], owner=OWNER)
    if not placeholder:
        assert (result.action, result.reason) == ("conflict", "creator_differs")
        assert result.statement_id == existing["id"]
        return
    assert (result.action, result.reason) == ("replace", "placeholder_creator")
    assert result.statement_id == existing["id"]
    assert result.proposed is not None
    wanted_creator = WANTED[1]
    # Same id, rank and references; our content.
    assert result.proposed["id"] == existing["id"]
    assert result.proposed["rank"] == "preferred"
    assert result.proposed["references"] == existing["references"]
    assert result.proposed["mainsnak"] == wanted_creator["mainsnak"]
    assert result.proposed["qualifiers"] == wanted_creator["qualifiers"]
    assert result.proposed["qualifiers-order"] == ["P3267", "P2093", "P2699"]


def test_placeholders_without_owner_use_the_wanted_creator() -> None:
    # The job may plan without the FlickrOwner: realname, alias (from the profile URL)
    # and NSID still count as placeholders; the username is then unknown.
    for name, expected in [
        ("rbmoura", "replace"),
        ("Rafael B. de moura", "replace"),
        ("Rafael Moura SP", "conflict"),
    ]:
        assert action_for("P170", [st(SOMEVALUE, s("P2093", name))]).action == expected, name


def test_placeholder_with_another_qualifier_is_not_replaced() -> None:
    existing = st(SOMEVALUE, s("P2093", "null"), s("P4174", "Rafael"))
    assert (action_for("P170", [existing], owner=OWNER).reason) == "creator_differs"


def test_extending_a_creator_adds_only_the_kinds_of_qualifier_it_lacks() -> None:
    refs = [reference("https://www.flickr.com/photos/rbmoura/28952265972/")]
    existing = st(
        SOMEVALUE,
        s("P2093", "Rafael Moura SP"),
        PROFILE_Q,
        rank="preferred",
        references=refs,
    )
    result = action_for("P170", [existing], owner=OWNER)
    claim = result.proposed
    assert (result.action, claim is not None) == ("add_qualifiers", True)
    assert claim is not None
    assert (claim["id"], claim["rank"], claim["references"]) == (existing["id"], "preferred", refs)
    assert claim["qualifiers-order"] == ["P2093", "P2699", "P3267"]
    # Their author name (the username) is kept and ours (the real name) not added beside it.
    assert claim["qualifiers"]["P2093"] == existing["qualifiers"]["P2093"]
    assert claim["qualifiers"]["P2699"] == existing["qualifiers"]["P2699"]
    assert claim["qualifiers"]["P3267"] == [NSID_Q]


GONE = FlickrPhotoGone(id=PHOTO_ID, reason=GoneReason.NOT_FOUND, code=1)
NAMELESS = FlickrOwner(nsid="55696846@N04", path_alias="rbmoura")  # names unknown
GONE_CREATOR_CASES = [
    (
        "no names of ours: John Smith",
        NAMELESS,
        [s("P2093", "John Smith")],
        "conflict",
        "creator_differs",
    ),
    (
        "no names of ours: the alias",
        NAMELESS,
        [s("P2093", "rbmoura")],
        "add_qualifiers",
        "missing_qualifiers",
    ),
    (
        "no names of ours: Flickr user + alias",
        NAMELESS,
        [s("P2093", "Flickr user rbmoura")],
        "add_qualifiers",
        "missing_qualifiers",
    ),
    ("no names of ours: null", NAMELESS, [s("P2093", "null")], "replace", "placeholder_creator"),
    (
        "no names of ours: a Wikimedia user",
        NAMELESS,
        [s("P4174", "Rbmoura")],
        "conflict",
        "creator_differs",
    ),
    ("no names of ours: our NSID", NAMELESS, [NSID_Q], "unchanged", "same_flickr_user"),
    (
        "owner known: the alias is replaced",
        OWNER,
        [s("P2093", "rbmoura")],
        "replace",
        "placeholder_creator",
    ),
    ("owner known: John Smith", OWNER, [s("P2093", "John Smith")], "conflict", "creator_differs"),
    ("owner known: our real name", OWNER, [REALNAME_Q], "add_qualifiers", "missing_qualifiers"),
]


@pytest.mark.parametrize(
    ("case", "hint", "qualifiers", "action", "reason"),
    GONE_CREATOR_CASES,
    ids=[c[0] for c in GONE_CREATOR_CASES],
)
def test_creator_of_a_gone_photo(
    case: str,
    hint: FlickrOwner,
    qualifiers: list[dict[str, Any]],
    action: str,
    reason: str,
) -> None:
    wanted = wanted_statements(GONE, hint)
    result = action_for("P170", [st(SOMEVALUE, *qualifiers)], wanted, owner=hint)
    assert (result.action, result.reason) == (action, reason)


def test_creator_items_to_look_up() -> None:
    entity = entity_with(
        st(q("P170", "Q5981474"), n=1),
        st(SOMEVALUE, NSID_Q, n=2),
        st(q("P170", "Q42"), n=3, rank="deprecated"),
        st(q("P180", "Q5"), n=4),
    )
    assert creator_items_to_look_up(entity) == {"Q5981474", "Q42"}
    assert creator_items_to_look_up({"id": "M1004", "missing": ""}) == set()


# --- P7482 source of file -----------------------------------------------------------------

SOURCE_CASES = [
    ("no source yet", [], "add", "absent"),
    (
        "same, as Commons stores it",
        [st(FILE_ON_INTERNET, FLICKR_OPERATOR, s("P973", PHOTO_URL))],
        "unchanged",
        "equivalent",
    ),
    (
        "NSID instead of path alias",
        [
            st(
                FILE_ON_INTERNET,
                s("P973", "https://www.flickr.com/photos/55696846@N04/28952265972/"),
                FLICKR_OPERATOR,
            )
        ],
        "unchanged",
        "equivalent",
    ),
    (
        "http, no trailing slash",
        [
            st(
                FILE_ON_INTERNET,
                FLICKR_OPERATOR,
                s("P973", "http://www.flickr.com/photos/rbmoura/28952265972"),
            )
        ],
        "unchanged",
        "equivalent",
    ),
    (
        "album suffix /in/...",
        [
            st(
                FILE_ON_INTERNET,
                FLICKR_OPERATOR,
                s(
                    "P973",
                    "https://www.flickr.com/photos/rbmoura/28952265972/in/album-72157720348635494/",
                ),
            )
        ],
        "unchanged",
        "equivalent",
    ),
    (
        "only the URL: operator added",
        [st(FILE_ON_INTERNET, s("P973", PHOTO_URL))],
        "add_qualifiers",
        "missing_qualifiers",
    ),
    (
        "only the operator: URL added",
        [st(FILE_ON_INTERNET, FLICKR_OPERATOR)],
        "add_qualifiers",
        "missing_qualifiers",
    ),
    ("no qualifiers at all", [st(FILE_ON_INTERNET)], "add_qualifiers", "missing_qualifiers"),
    (
        "URL and a staticflickr P2699 (M138765382 shape)",
        [
            st(
                FILE_ON_INTERNET,
                s("P973", PHOTO_URL),
                s("P2699", "https://live.staticflickr.com/65535/28952265972_2f310021b6_o_d.jpg"),
            )
        ],
        "add_qualifiers",
        "missing_qualifiers",
    ),
    (
        "another Flickr photo",
        [
            st(
                FILE_ON_INTERNET,
                s("P973", "https://www.flickr.com/photos/rbmoura/28952265999/"),
                FLICKR_OPERATOR,
            )
        ],
        "conflict",
        "source_url_differs",
    ),
    (
        "a Flickr user page (M620184 shape)",
        [
            st(
                FILE_ON_INTERNET,
                FLICKR_OPERATOR,
                s("P973", "https://www.flickr.com/photos/ofernandezberrios/"),
            )
        ],
        "conflict",
        "source_url_differs",
    ),
    (
        "another website (M113422 shape): not a second source",
        [
            st(
                FILE_ON_INTERNET,
                s("P973", "https://hdl.handle.net/2027/mdp.39015084574220?urlappend=%3Bseq=276"),
                s("P973", "https://hdl.handle.net/2027/mdp.39015084574220?urlappend=%3Bseq=277"),
            )
        ],
        "conflict",
        "source_url_differs",
    ),
    (
        "a museum's page with its operator (M27807191 shape, alone)",
        [
            st(
                FILE_ON_INTERNET,
                q("P137", "Q894583"),
                s("P973", "https://collections.leventhalmap.org/search/commonwealth:3f4638568"),
            )
        ],
        "conflict",
        "source_url_differs",
    ),
    (
        "a museum's page next to ours without operator: ours extended",
        [
            st(
                FILE_ON_INTERNET,
                q("P137", "Q894583"),
                s("P973", "https://collections.leventhalmap.org/search/commonwealth:3f4638568"),
                n=1,
            ),
            st(FILE_ON_INTERNET, s("P973", PHOTO_URL), n=2),
        ],
        "add_qualifiers",
        "missing_qualifiers",
    ),
    (
        "another website's source, deprecated: ours added",
        [st(FILE_ON_INTERNET, s("P973", "https://example.org/copy.jpg"), rank="deprecated")],
        "add",
        "absent",
    ),
    (
        "ours next to a museum's (M27807191 shape)",
        [
            st(
                FILE_ON_INTERNET,
                FLICKR_OPERATOR,
                s("P973", "https://www.flickr.com/photos/rbmoura/28952265972"),
                n=1,
                order=["P137", "P973"],
            ),
            st(
                FILE_ON_INTERNET,
                q("P137", "Q894583"),
                s("P973", "https://collections.leventhalmap.org/search/commonwealth:3f4638568"),
                n=2,
            ),
        ],
        "unchanged",
        "equivalent",
    ),
    (
        "one statement for Flickr and Finna (M51747012 shape)",
        [
            st(
                FILE_ON_INTERNET,
                FLICKR_OPERATOR,
                q("P137", "Q420747"),
                s("P973", PHOTO_URL),
                s("P973", "https://www.finna.fi/Record/fng_simberg.HS_Familjeliv_1917_279"),
                q("P123", "Q2983474"),
            )
        ],
        "unchanged",
        "equivalent",
    ),
    (
        "unknown operator, no URL (M52096071 shape)",
        [st(FILE_ON_INTERNET, somevalue_snak("P137"))],
        "conflict",
        "source_operator_differs",
    ),
    (
        "our URL with another operator only",
        [st(FILE_ON_INTERNET, s("P973", PHOTO_URL), q("P137", "Q420747"))],
        "conflict",
        "source_operator_differs",
    ),
    (
        "original creation by uploader (M76 shape)",
        [st(q("P7482", "Q66458942"))],
        "conflict",
        "source_differs",
    ),
]


@pytest.mark.parametrize(
    ("case", "existing", "action", "reason"), SOURCE_CASES, ids=[c[0] for c in SOURCE_CASES]
)
def test_source(case: str, existing: list[dict[str, Any]], action: str, reason: str) -> None:
    result = action_for("P7482", existing)
    assert (result.action, result.reason) == (action, reason)


def test_add_qualifiers_keeps_everything_and_appends_ours() -> None:
    refs = [reference("https://www.flickr.com/photos/rbmoura/28952265972/")]
    existing = st(
        FILE_ON_INTERNET,
        s("P2699", "https://live.staticflickr.com/65535/28952265972_2f310021b6_o_d.jpg"),
        s("P973", "http://flickr.com/photos/rbmoura/28952265972"),
        rank="preferred",
        references=refs,
        order=["P2699", "P973"],
    )
    before = copy.deepcopy(existing)
    result = action_for("P7482", [existing])
    assert (result.action, result.statement_id) == ("add_qualifiers", existing["id"])
    claim = result.proposed
    assert claim is not None
    assert claim["id"] == existing["id"]
    assert claim["rank"] == "preferred"
    assert claim["references"] == refs
    assert claim["mainsnak"] == existing["mainsnak"]
    assert claim["qualifiers-order"] == ["P2699", "P973", "P137"]
    # Their URL is kept as it is (not replaced by ours); only the operator is new.
    assert claim["qualifiers"]["P973"] == existing["qualifiers"]["P973"]
    assert claim["qualifiers"]["P2699"] == existing["qualifiers"]["P2699"]
    assert claim["qualifiers"]["P137"] == [q("P137", "Q103204")]
    assert existing == before  # the entity is not modified
    plan_ = plan(entity_with(existing), WANTED)
    assert plan_.edit is not None and claim in plan_.edit["claims"]


def test_add_qualifiers_on_creator_keeps_deprecated_rank_untouched() -> None:
    # A deprecated statement is never extended: it is ignored, ours is added.
    result = action_for("P170", [st(SOMEVALUE, rank="deprecated")], owner=OWNER)
    assert (result.action, result.reason) == ("add", "absent")


# --- P571 inception ---------------------------------------------------------------------

CIRCA_Q = q("P1480", "Q5727902")
CIRCA_1943 = make_photo(date_taken="1943-01-01 00:00:00", date_taken_granularity=8)
YEAR_1943 = make_photo(date_taken="1943-01-01 00:00:00", date_taken_granularity=6)
DAY_1943 = make_photo(date_taken="1943-01-01 00:00:00", date_taken_granularity=0)
MONTH_2004 = make_photo(date_taken="2004-07-01 00:00:00", date_taken_granularity=4)

INCEPTION_CASES = [
    ("no inception yet", PHOTO, [], "add", "absent"),
    ("same day", PHOTO, [st(day("P571", 2016, 8, 10))], "unchanged", "equivalent"),
    (
        "same day, written with a time of day",
        PHOTO,
        [st(raw_time("P571", "+2016-08-10T21:30:00Z", 11))],
        "unchanged",
        "equivalent",
    ),
    ("another day", PHOTO, [st(day("P571", 2016, 8, 11))], "conflict", "date_differs"),
    (
        "same month, Commons writes day 01 (dump shape)",
        MONTH_2004,
        [st(raw_time("P571", "+2004-07-01T00:00:00Z", 10))],
        "unchanged",
        "equivalent",
    ),
    (
        "same month, written with day 00",
        MONTH_2004,
        [st(raw_time("P571", "+2004-07-00T00:00:00Z", 10))],
        "unchanged",
        "equivalent",
    ),
    (
        "same year, written as 1 January",
        YEAR_1943,
        [st(raw_time("P571", "+1943-01-01T00:00:00Z", 9))],
        "unchanged",
        "equivalent",
    ),
    (
        "circa 1943 on both",
        CIRCA_1943,
        [st(day("P571", 1943, 1, 1, 9), CIRCA_Q)],
        "unchanged",
        "equivalent",
    ),
    (
        "circa 1943 vs Commons 1 Jan 1943 day precision",
        CIRCA_1943,
        [st(day("P571", 1943, 1, 1))],
        "conflict",
        "date_precision_differs",
    ),
    (
        "1 Jan 1943 vs Commons circa 1943",
        DAY_1943,
        [st(day("P571", 1943, 1, 1, 9), CIRCA_Q)],
        "conflict",
        "date_precision_differs",
    ),
    (
        "circa 1943 vs Commons plain 1943",
        CIRCA_1943,
        [st(day("P571", 1943, 1, 1, 9))],
        "conflict",
        "date_circa_differs",
    ),
    (
        "plain 1943 vs Commons circa 1943",
        YEAR_1943,
        [st(day("P571", 1943, 1, 1, 9), CIRCA_Q)],
        "conflict",
        "date_circa_differs",
    ),
    (
        "circa 1943 vs Commons 1944",
        CIRCA_1943,
        [st(day("P571", 1944, 1, 1, 9), CIRCA_Q)],
        "conflict",
        "date_differs",
    ),
    (
        "1943 vs Commons 1940s",
        YEAR_1943,
        [st(raw_time("P571", "+1940-00-00T00:00:00Z", 8))],
        "conflict",
        "date_precision_differs",
    ),
    (
        "1943 vs Commons 1950s",
        YEAR_1943,
        [st(raw_time("P571", "+1950-00-00T00:00:00Z", 8))],
        "conflict",
        "date_differs",
    ),
    (
        "month vs day in that month",
        MONTH_2004,
        [st(day("P571", 2004, 7, 14))],
        "conflict",
        "date_precision_differs",
    ),
    (
        "same day in the Julian calendar",
        PHOTO,
        [st(day("P571", 2016, 8, 10, calendar="http://www.wikidata.org/entity/Q1985786"))],
        "conflict",
        "date_calendar_differs",
    ),
    ("unknown value", PHOTO, [st(somevalue_snak("P571"))], "conflict", "existing_not_a_value"),
    (
        "deprecated other date is ignored",
        PHOTO,
        [st(day("P571", 2015, 1, 1), rank="deprecated")],
        "add",
        "absent",
    ),
    (
        "deprecated same date is not re-added",
        PHOTO,
        [st(day("P571", 2016, 8, 10), rank="deprecated")],
        "unchanged",
        "deprecated_equivalent",
    ),
    (
        "ours next to another date",
        PHOTO,
        [st(day("P571", 2016, 8, 10), n=1), st(day("P571", 2016, 1, 1), n=2)],
        "unchanged",
        "equivalent",
    ),
    (
        "same day with extra qualifiers",
        PHOTO,
        [st(day("P571", 2016, 8, 10), q("P459", "Q104450895"))],
        "unchanged",
        "equivalent",
    ),
]


@pytest.mark.parametrize(
    ("case", "photo", "existing", "action", "reason"),
    INCEPTION_CASES,
    ids=[c[0] for c in INCEPTION_CASES],
)
def test_inception(
    case: str, photo: FlickrPhoto, existing: list[dict[str, Any]], action: str, reason: str
) -> None:
    result = action_for("P571", existing, wanted_statements(photo))
    assert (result.action, result.reason) == (action, reason)


# --- P1259 coordinates ----------------------------------------------------------------------

LAT, LON = -23.550520, -46.633308
COORDINATE_CASES = [
    ("no coordinates yet", [], "add", "absent"),
    ("identical", [st(globecoordinate_snak("P1259", LAT, LON, 1e-05))], "unchanged", "equivalent"),
    (
        "rounded to 4 decimals, precision 0.0001 (dump shape)",
        [st(globecoordinate_snak("P1259", -23.5505, -46.6333, 0.0001))],
        "unchanged",
        "equivalent",
    ),
    (
        "off by 0.01 at precision 0.0001",
        [st(globecoordinate_snak("P1259", -23.5605, -46.6333, 0.0001))],
        "conflict",
        "coordinates_differ",
    ),
    (
        "within a coarse arcminute precision",
        [st(globecoordinate_snak("P1259", -23.56, -46.64, 1 / 60))],
        "unchanged",
        "equivalent",
    ),
    (
        "null precision, same point",
        [
            st(
                {
                    **globecoordinate_snak("P1259", LAT, LON, 0),
                    "datavalue": {
                        "type": "globecoordinate",
                        "value": {
                            "latitude": LAT,
                            "longitude": LON,
                            "altitude": None,
                            "precision": None,
                            "globe": ids.GLOBE_EARTH,
                        },
                    },
                }
            )
        ],
        "unchanged",
        "equivalent",
    ),
    (
        "same numbers on the Moon",
        [
            st(
                {
                    "snaktype": "value",
                    "property": "P1259",
                    "datavalue": {
                        "type": "globecoordinate",
                        "value": {
                            "latitude": LAT,
                            "longitude": LON,
                            "altitude": None,
                            "precision": 1e-05,
                            "globe": "http://www.wikidata.org/entity/Q405",
                        },
                    },
                }
            )
        ],
        "conflict",
        "coordinates_differ",
    ),
    (
        "no value",
        [st({"snaktype": "novalue", "property": "P1259"})],
        "conflict",
        "existing_not_a_value",
    ),
]


@pytest.mark.parametrize(
    ("case", "existing", "action", "reason"), COORDINATE_CASES, ids=[c[0] for c in COORDINATE_CASES]
)
def test_coordinates(case: str, existing: list[dict[str, Any]], action: str, reason: str) -> None:
    result = action_for("P1259", existing)
    assert (result.action, result.reason) == (action, reason)


# --- P1433 published in ------------------------------------------------------------------------

FLICKR_PUBLISHED = q("P1433", "Q103204")
PUBLISHED_CASES = [
    ("not yet", [], "add", "absent"),
    (
        "Flickr, same day",
        [st(FLICKR_PUBLISHED, day("P577", 2016, 8, 12))],
        "unchanged",
        "equivalent",
    ),
    ("Flickr, no date: date added", [st(FLICKR_PUBLISHED)], "add_qualifiers", "missing_qualifiers"),
    (
        "Flickr, another day",
        [st(FLICKR_PUBLISHED, day("P577", 2016, 8, 13))],
        "conflict",
        "publication_date_differs",
    ),
    (
        "Flickr, same year only",
        [st(FLICKR_PUBLISHED, day("P577", 2016, 1, 1, 9))],
        "conflict",
        "publication_date_differs",
    ),
    (
        "in a magazine: another fact",
        [st(q("P1433", "Q1124774"), day("P577", 1999, 1, 1, 9))],
        "add",
        "absent",
    ),
]


@pytest.mark.parametrize(
    ("case", "existing", "action", "reason"), PUBLISHED_CASES, ids=[c[0] for c in PUBLISHED_CASES]
)
def test_published_in(case: str, existing: list[dict[str, Any]], action: str, reason: str) -> None:
    result = action_for("P1433", existing)
    assert (result.action, result.reason) == (action, reason)


# --- P687 BHL page ------------------------------------------------------------------------------

BHL_OWNER = FlickrOwner(
    nsid=ids.BHL_NSID,
    username="BioDivLibrary",
    realname="Biodiversity Heritage Library",
    path_alias="biodivlibrary",
)
BHL_WANTED = wanted_statements(
    make_photo(id="51281775881", owner=BHL_OWNER, machine_tags=("bhl:page=33665645",))
)
BHL_CASES = [
    ("not yet", [], "add", "absent"),
    ("same page", [st(s("P687", "33665645"))], "unchanged", "equivalent"),
    ("another page", [st(s("P687", "33665646"))], "conflict", "bhl_page_differs"),
]


@pytest.mark.parametrize(
    ("case", "existing", "action", "reason"), BHL_CASES, ids=[c[0] for c in BHL_CASES]
)
def test_bhl_page(case: str, existing: list[dict[str, Any]], action: str, reason: str) -> None:
    result = action_for("P687", existing, BHL_WANTED)
    assert (result.action, result.reason) == (action, reason)


# --- the plan as a whole -------------------------------------------------------------------------


def test_file_without_sdc_gets_everything_in_one_edit() -> None:
    result = plan({"id": "M1004", "missing": ""}, WANTED)
    assert result.mid == "M1004"
    assert result.base_revid is None
    assert [a.action for a in result.actions] == ["add"] * len(WANTED)
    assert result.edit == {"claims": WANTED}
    assert result.changed_properties == ["P12120", "P170", "P7482", "P571", "P1259", "P1433"]
    assert result.conflicts == []


def test_claims_key_and_dump_empty_list_are_read() -> None:
    as_claims = {"id": MID, "claims": {"P12120": [st(s("P12120", PHOTO_ID))]}}
    assert plan(as_claims, WANTED).actions[0].action == "unchanged"
    dump_empty = {"id": MID, "statements": []}
    assert plan(dump_empty, WANTED).actions[0].action == "add"


def test_everything_already_there_gives_no_edit() -> None:
    entity = entity_with(
        st(s("P12120", PHOTO_ID), n=1),
        EXCHANGE_CREATOR,
        st(FILE_ON_INTERNET, FLICKR_OPERATOR, s("P973", PHOTO_URL), n=3),
        st(day("P571", 2016, 8, 10), n=4),
        st(globecoordinate_snak("P1259", LAT, LON, 1e-05), n=5),
        st(FLICKR_PUBLISHED, day("P577", 2016, 8, 12), n=6),
    )
    result = plan(entity, WANTED)
    assert {a.action for a in result.actions} == {"unchanged"}
    assert result.edit is None
    assert result.changed_properties == []


def test_plan_json_shape() -> None:
    entity = entity_with(
        st(day("P571", 2015, 1, 1), n=4), st(FILE_ON_INTERNET, s("P973", PHOTO_URL), n=3)
    )
    info = {"reason": "licence_differs", "flickr_license_id": "4"}
    result = plan(entity, WANTED, licence=info)
    out = result.to_json()
    assert list(out) == ["mid", "flickr_photo_id", "actions", "edit", "licence"]
    assert out["mid"] == MID and out["flickr_photo_id"] == PHOTO_ID and out["licence"] == info
    for action in out["actions"]:
        assert list(action) == [
            "property",
            "action",
            "reason",
            "statement_id",
            "existing",
            "proposed",
        ]
        assert action["reason"] in REASONS
    by_prop = {a["property"]: a for a in out["actions"]}
    assert by_prop["P571"]["action"] == "conflict"
    assert by_prop["P571"]["statement_id"] == sid(4)
    assert by_prop["P571"]["existing"] == [entity["statements"]["P571"][0]]
    assert by_prop["P7482"]["action"] == "add_qualifiers"
    assert out["edit"]["claims"][0] == WANTED[0]
    assert [c.get("id") for c in out["edit"]["claims"]] == [None, None, sid(3), None, None]
    assert "licence" not in plan(entity, WANTED).to_json()
    assert result.base_revid == 892607643
    assert isinstance(result, Plan)


def test_conflict_with_several_statements_has_no_statement_id() -> None:
    existing = [st(day("P571", 2015, 1, 1), n=1), st(day("P571", 2014, 1, 1), n=2)]
    result = action_for("P571", existing)
    assert (result.action, result.statement_id) == ("conflict", None)
    assert list(result.existing) == existing


def test_gone_photo_plan() -> None:
    wanted = wanted_statements(GONE, NAMELESS)
    result = plan(
        entity_with(st(SOMEVALUE, s("P2093", "rbmoura"))), wanted, evidence_photo_ids=[PHOTO_ID]
    )
    # We have no author name of our own, so the file's name does not disagree with us:
    # it is kept and the account is added (extending wins over replacing).
    assert [(a.property, a.action) for a in result.actions] == [
        ("P12120", "add"),
        ("P170", "add_qualifiers"),
    ]
    assert plan(entity_with(), wanted, evidence_photo_ids=[PHOTO_ID, "1"]).edit is None


def test_reason_codes_are_documented() -> None:
    assert set(REASONS) >= CONFLICT_REASONS
    for code, text in REASONS.items():
        assert code == code.lower() and " " not in code
        assert text.endswith(".")


def test_plan_is_deterministic_and_pure() -> None:
    entity = entity_with(st(SOMEVALUE, s("P2093", "null")), st(FILE_ON_INTERNET, n=2))
    before = copy.deepcopy(entity)
    first = plan(entity, WANTED).to_json()
    assert plan(entity, WANTED).to_json() == first
    assert entity == before


def test_action_kinds_are_strings() -> None:
    assert [str(k) for k in ActionKind] == [
        "add",
        "unchanged",
        "add_qualifiers",
        "replace",
        "conflict",
    ]


# --- apply_edit ------------------------------------------------------------------------------------


def test_apply_edit_appends_new_statements_like_wbeditentity() -> None:
    entity = entity_with(EXCHANGE_CREATOR)
    edit = {"claims": [WANTED[0]]}
    after = apply_edit(entity, edit)
    (stored,) = after["statements"]["P12120"]
    assert stored["id"].startswith(f"{MID}$") and len(stored["id"]) == len(MID) + 1 + 36
    assert stored["id"].split("$")[1] == stored["id"].split("$")[1].upper()
    assert stored["rank"] == "normal" and stored["type"] == "statement"
    assert strip_hashes(stored["mainsnak"]) == WANTED[0]["mainsnak"]
    assert stored["mainsnak"]["hash"]
    assert after["statements"]["P170"] == [EXCHANGE_CREATOR]
    assert list(after["statements"]) == ["P170", "P12120"]
    assert apply_edit(entity, edit) == after  # deterministic ids
    assert "P12120" not in entity["statements"]  # pure


def test_apply_edit_replaces_by_id_in_place_and_keeps_known_hashes() -> None:
    first, second = st(day("P571", 2015, 1, 1), n=1), st(day("P571", 2016, 1, 1), n=2)
    entity = entity_with(first, second)
    claim = {
        **copy.deepcopy(first),
        "qualifiers": {"P1480": [CIRCA_Q]},
        "qualifiers-order": ["P1480"],
    }
    after = apply_edit(entity, {"claims": [claim]})
    stored = after["statements"]["P571"]
    assert [x["id"] for x in stored] == [sid(1), sid(2)]
    assert stored[0]["mainsnak"]["hash"] == first["mainsnak"]["hash"]
    assert strip_hashes(stored[0]["qualifiers"]["P1480"]) == [CIRCA_Q]


def test_apply_edit_refusals() -> None:
    entity = entity_with(st(day("P571", 2015, 1, 1), n=1))
    with pytest.raises(ValueError, match="cannot change"):
        apply_edit(
            entity, {"claims": [{"id": sid(1), "mainsnak": s("P12120", "1"), "type": "statement"}]}
        )
    with pytest.raises(ValueError, match="not valid"):
        apply_edit(
            entity,
            {
                "claims": [
                    {"id": "M1$00000000-0000-4000-8000-000000000001", "mainsnak": s("P12120", "1")}
                ]
            },
        )
    with pytest.raises(ValueError, match="does not exist"):
        apply_edit({"site": "commonswiki", "title": "File:Nope.jpg", "missing": ""}, {"claims": []})


def test_apply_edit_unknown_id_is_added_and_remove_deletes() -> None:
    entity = entity_with(st(day("P571", 2015, 1, 1), n=1))
    after = apply_edit(
        entity, {"claims": [{"id": sid(9), "mainsnak": s("P12120", "1"), "type": "statement"}]}
    )
    assert [x["id"] for x in after["statements"]["P12120"]] == [sid(9)]
    removed = apply_edit(after, {"claims": [{"id": sid(1), "remove": ""}]})
    assert "P571" not in removed["statements"]


def test_apply_edit_to_missing_entity_creates_it() -> None:
    after = apply_edit({"id": "M1004", "missing": ""}, {"claims": WANTED})
    assert "missing" not in after
    assert after["id"] == "M1004" and after["type"] == "mediainfo"
    assert list(after["statements"]) == [w["mainsnak"]["property"] for w in WANTED]
    again = plan(after, WANTED)
    assert again.edit is None


# --- never the same statement twice ------------------------------------------------------

DATE = day("P571", 2015, 6, 1)
NAMED_CREATOR = st(SOMEVALUE, NSID_Q, REALNAME_Q)
SAME_STATEMENT_CASES = [
    # (case, a, b, same)
    ("hashes, ids and rank aside", st(DATE, n=1), st(DATE, n=2, rank="preferred"), True),
    ("references aside", st(DATE), st(DATE, references=[reference("https://example.org/")]), True),
    ("qualifier order aside", NAMED_CREATOR, st(SOMEVALUE, REALNAME_Q, NSID_Q), True),
    ("a new claim (no id, no hashes)", st(s("P12120", OURS)), photo_id_statement(OURS), True),
    ("another value", st(s("P12120", OURS)), photo_id_statement(OTHER), False),
    ("one qualifier more", st(SOMEVALUE, NSID_Q), st(SOMEVALUE, NSID_Q, REALNAME_Q), False),
    ("another qualifier value", st(SOMEVALUE, NSID_Q), st(SOMEVALUE, s("P3267", "1@N01")), False),
    ("another precision", st(DATE), st(day("P571", 2015, 6, 1, precision=10)), False),
]


@pytest.mark.parametrize(
    ("case", "a", "b", "same"), SAME_STATEMENT_CASES, ids=[c[0] for c in SAME_STATEMENT_CASES]
)
def test_same_statement(case: str, a: dict[str, Any], b: dict[str, Any], same: bool) -> None:
    assert same_statement(a, b) is same
    assert same_statement(b, a) is same


def test_without_duplicates_drops_only_new_statements_already_there() -> None:
    entity = entity_with(st(s("P12120", PHOTO_ID), n=1), st(DATE, n=2))
    again = photo_id_statement(PHOTO_ID)
    other = photo_id_statement(OTHER_ID)
    in_place = {**st(DATE, n=2), "rank": "preferred"}  # has an id: changes that statement
    removal = {"id": sid(1), "remove": ""}
    kept = without_duplicates(entity, [again, other, dict(other), in_place, removal])
    assert kept == [other, in_place, removal]  # the second copy of ``other`` is dropped too


def test_an_add_identical_to_a_statement_on_the_file_is_unchanged() -> None:
    there = st(s("P12120", PHOTO_ID), n=3)
    add = Action("P12120", ActionKind.ADD, "absent", None, (there,), photo_id_statement(PHOTO_ID))
    unchanged = _not_twice(add)
    assert (unchanged.action, unchanged.reason, unchanged.statement_id) == (
        ActionKind.UNCHANGED,
        "equivalent",
        sid(3),
    )
    different = Action(
        "P12120", ActionKind.ADD, "absent", None, (there,), photo_id_statement(OTHER_ID)
    )
    assert _not_twice(different) is different
