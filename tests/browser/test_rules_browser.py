"""A decision rule in a real browser (Debian's Chromium, Playwright): write it, see the
preview count, save it, watch its first pass finish in the background."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.test_review_browser import (  # noqa: F401 - fixtures
    chromium_path,
    context_options,
    dev_login,
    errors,
    page,
    server,
)

pytestmark = pytest.mark.browser


def test_write_a_rule_preview_it_save_it_and_watch_it_decide(
    page: Any,  # noqa: F811 - the imported fixture
    server: str,  # noqa: F811
    errors: list[str],  # noqa: F811
) -> None:
    dev_login(page, server)
    page.goto(server + "/rules")
    assert page.locator(".empty").inner_text() == "No rules yet."
    page.get_by_role("link", name="Write a rule…").click()
    page.wait_for_url(re.compile(r"/rules/new$"))
    page.locator("#r-reason").select_option("date_precision_differs")
    page.locator("#r-commons-precision").select_option(label="month (10)")
    page.locator("#r-flickr-precision").select_option(label="day (11)")
    page.get_by_label("Both dates in the same year").check()
    page.get_by_label("use Flickr's value").check()
    page.get_by_label("Note").fill("Flickr has the day; checked in the browser")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url(re.compile(r"/rules/new\?"))
    assert page.locator(".rule-preview__n").inner_text() == "2"
    assert page.locator(".rule-sample a.row-link").count() == 2  # the sample, side by side
    assert page.locator(".rule-sample td[data-label='Commons now']").first.inner_text() != (
        page.locator(".rule-sample td[data-label='Flickr says']").first.inner_text()
    )
    page.get_by_role("button", name="Save rule").click()
    page.wait_for_url(re.compile(r"/bulk/1$"))  # the POST answered with the progress page
    assert "rule #1" in page.locator(".bulk-task__rule").inner_text()
    page.locator('.bulk-task[data-state="done"]').wait_for(timeout=30_000)
    assert page.locator(".bulk-task__state").inner_text() == "Done."
    assert (
        "2 conflicts marked “Use Flickr's value”."
        in page.locator(".bulk-task__result").inner_text()
    )
    page.get_by_role("link", name="rule #1").click()
    page.wait_for_url(re.compile(r"/rules/1$"))
    assert page.locator(".rule-decided").inner_text() == "2"
    assert page.locator(".rule-sample a.row-link").count() == 2
    page.goto(server + "/rules")
    row = page.locator("tr.rule-row")
    assert row.count() == 1
    assert row.locator("td[data-label='State']").inner_text() == "Active"
    assert row.locator("td[data-label='Decided']").inner_text() == "2"
    assert errors == []
