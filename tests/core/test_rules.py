"""Decision rules' typed core: parsing what a maintainer typed, the facts of a conflict's
two sides, and matching."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import ids
from bot.core.errors import ExitCode
from bot.core.rules import (
    ConflictFacts,
    RuleDecision,
    RuleFilter,
    RuleInvalid,
    Side,
    conflict_sides,
    parse_rule,
)
from review_ui import sample

JAN_1 = sample.inception("+2019-01-01T00:00:00Z", ids.PRECISION_DAY, sid="M1$A")
CIRCA_2019 = sample.inception("+2019-00-00T00:00:00Z", ids.PRECISION_YEAR, circa=True)


def form(**fields: Any) -> dict[str, Any]:
    return {"decision": "accept_flickr", "reason": "date_precision_differs", **fields}


def test_the_issues_example_parses_into_typed_fields() -> None:
    flt, decision = parse_rule(
        form(
            property="p571",
            commons_precision="11",
            commons_day="01-01",
            flickr_precision="9",
            flickr_circa="yes",
            same_year="yes",
        )
    )
    assert decision is RuleDecision.ACCEPT_FLICKR
    assert flt == RuleFilter(
        reason="date_precision_differs",
        property="P571",
        commons_precision=11,
        commons_day="01-01",
        flickr_precision=9,
        flickr_circa=True,
        same_year=True,
    )
    assert RuleFilter.from_json(flt.to_json()) == flt


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"decision": "delete_everything"}, "choose the decision"),
        ({"reason": ""}, "needs a reason"),
        ({"reason": "'; DROP TABLE conflicts; --"}, "unknown reason"),
        ({"property": "P571 OR 1=1"}, "property looks like"),
        ({"owner": "someone"}, "NSID"),
        ({"commons_precision": "15"}, "precision"),
        ({"flickr_precision": "day"}, "precision"),
        ({"commons_day": "13-01"}, "MM-DD"),
        ({"flickr_circa": "maybe"}, "yes, no"),
        ({"commons_value": "x" * 401}, "longer than"),
    ],
)
def test_anything_else_is_refused_naming_the_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleInvalid, match=message) as caught:
        parse_rule(form(**fields))
    assert caught.value.exit_code == ExitCode.USAGE


def test_a_rule_cannot_use_flickrs_value_for_what_is_decided_one_by_one() -> None:
    with pytest.raises(RuleInvalid, match="one by one"):
        parse_rule(form(reason="multiple_photo_ids"))
    flt, decision = parse_rule(form(reason="multiple_photo_ids", decision="skip"))
    assert (flt.reason, decision) == ("multiple_photo_ids", RuleDecision.SKIP)


def test_the_sides_of_a_date_conflict() -> None:
    commons, flickr = conflict_sides([JAN_1], CIRCA_2019, "M1$A")
    assert commons == Side(value="2019-01-01", precision=11, year=2019, day="01-01", circa=False)
    assert flickr == Side(value="2019-00-00", precision=9, year=2019, day=None, circa=True)


def test_the_sides_of_other_values() -> None:
    creator = sample.creator("10000001@N00", "A. N. Other", sid="M1$C")
    commons, flickr = conflict_sides([creator], sample.photo_id("42"), None)
    assert commons.value == "somevalue"  # an unknown creator with a name string
    assert flickr == Side(value="42")
    item = sample.statement(
        {
            "snaktype": "value",
            "property": "P170",
            "datavalue": {"type": "wikibase-entityid", "value": {"id": "Q42"}},
        }
    )
    assert conflict_sides([item], None, None)[0].value == "Q42"
    assert conflict_sides([item], None, None)[1] == Side()


def test_several_existing_statements_have_no_commons_side() -> None:
    other = sample.inception("+2018-01-01T00:00:00Z", ids.PRECISION_DAY, sid="M1$B")
    commons, _ = conflict_sides([JAN_1, other], CIRCA_2019, None)
    assert commons == Side()
    assert conflict_sides([JAN_1, other], CIRCA_2019, "M1$B")[0].year == 2018


def facts(reason: str = "date_precision_differs", owner: str | None = "1@N00") -> ConflictFacts:
    commons, flickr = conflict_sides([JAN_1], CIRCA_2019, "M1$A")
    return ConflictFacts(reason, ids.P_INCEPTION, owner, commons, flickr)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, True),
        ({"reason": "date_differs"}, False),
        ({"property": "P571"}, True),
        ({"property": "P170"}, False),
        ({"owner": "1@N00"}, True),
        ({"owner": "2@N00"}, False),
        ({"commons_day": "01-01", "commons_precision": "11"}, True),
        ({"commons_day": "01-02"}, False),
        ({"flickr_day": "01-01"}, False),  # Flickr's side is a year: it has no day
        ({"flickr_circa": "yes", "commons_circa": "no"}, True),
        ({"flickr_circa": "no"}, False),
        ({"same_year": "yes"}, True),
        ({"commons_value": "2019-01-01", "flickr_value": "2019-00-00"}, True),
        ({"commons_value": "2019-01-02"}, False),
    ],
)
def test_matching(fields: dict[str, Any], expected: bool) -> None:
    reason = fields.pop("reason", "date_precision_differs")
    flt, _ = parse_rule({"decision": "keep_commons", "reason": reason, **fields})
    assert flt.matches(facts()) is expected


def test_same_year_needs_two_dates() -> None:
    flt = RuleFilter(reason="date_differs", same_year=True)
    no_dates = ConflictFacts("date_differs", "P571", None, Side(value="x"), Side(value="x"))
    assert not flt.matches(no_dates)


def test_descriptions_name_every_condition() -> None:
    flt, _ = parse_rule(form(commons_precision="11", flickr_circa="yes", same_year="yes"))
    assert flt.describe() == (
        "reason: date_precision_differs; Commons precision: day (11); Flickr: circa; "
        "both dates: in the same year"
    )
