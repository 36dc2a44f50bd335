"""Edit summaries name the run and stay under the cap, the link and the run kept."""

from __future__ import annotations

import pytest

from bot.run.summary import SUMMARY_CAP, capped, default_edit_summary, with_prefix

DOC = "Commons:Flickr SDC backfill bot"


@pytest.mark.parametrize(
    ("properties", "photo_id", "run_id", "expected"),
    [
        (
            ["P12120"],
            "123",
            12,
            f"Add Flickr photo ID from Flickr photo 123 ([[{DOC}|details]]; run 12)",
        ),
        (
            ["P571", "P170"],
            None,
            3,
            f"Add creator, inception from Flickr ([[{DOC}|details]]; run 3)",
        ),
        (["P12120"], "123", None, f"Add Flickr photo ID from Flickr photo 123 ([[{DOC}|details]])"),
    ],
)
def test_summary_names_the_run(
    properties: list[str], photo_id: str | None, run_id: int | None, expected: str
) -> None:
    assert default_edit_summary(properties, photo_id, DOC, run_id=run_id) == expected


def test_a_long_summary_is_cut_in_its_head_keeping_link_and_run() -> None:
    text = capped("Add " + "x" * 400, DOC, 123456)
    assert len(text) == SUMMARY_CAP
    assert text.endswith(f"... ([[{DOC}|details]]; run 123456)")


@pytest.mark.parametrize(
    ("head_len", "cut"),
    [
        (20, False),  # short: the prefix is simply put in front
        (SUMMARY_CAP, True),  # a summary at the cap: the prefix would push the run off
    ],
)
def test_a_decision_prefix_keeps_the_link_and_the_run(head_len: int, cut: bool) -> None:
    summary = capped("Add " + "x" * head_len, DOC, 77)
    text = with_prefix("Per review decision: ", summary)
    assert text.startswith("Per review decision: Add x")
    assert text.endswith(f" ([[{DOC}|details]]; run 77)") and len(text) <= SUMMARY_CAP
    assert ("..." in text) == cut
