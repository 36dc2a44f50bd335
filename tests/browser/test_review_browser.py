"""The review page in a real browser: Debian's Chromium driven by Playwright.

The app runs as ``TOOL_DEV_LOGIN=1 backfill review`` would run it (werkzeug on 127.0.0.1, a
temporary database with sample conflicts). Every request that leaves 127.0.0.1 is
blocked; the Commons thumbnail is answered with a local placeholder image so the
screenshot shows the page as a reviewer sees it. Saves tests/artifacts/conflict-page.png,
conflict-page-phone.png and conflict-page-bidi.png (text full of direction controls), to
look at; no assertion reads them.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli.review import build_app
from bot.store import Store
from review_ui import sample
from review_ui.render import balance_bidi

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser
APPLIED_REVID = 987654321

PLACEHOLDER_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="400" height="267"
viewBox="0 0 400 267"><defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
<stop offset="0" stop-color="#9fc3e7"/><stop offset="1" stop-color="#e8eef5"/></linearGradient>
</defs><rect width="400" height="267" fill="url(#sky)"/>
<path d="M0 200 L80 140 L150 185 L230 110 L310 170 L400 130 L400 267 L0 267 Z" fill="#7a8f6a"/>
<path d="M0 230 L120 190 L220 225 L330 195 L400 215 L400 267 L0 267 Z" fill="#5b6e4e"/>
<circle cx="320" cy="60" r="22" fill="#f6d36b"/>
<text x="200" y="255" font-family="sans-serif" font-size="12" fill="#fff"
text-anchor="middle">thumbnail placeholder (offline test)</text></svg>"""


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing and REQUIRE_BROWSER is set")
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run browser tests")
    return CHROMIUM


@pytest.fixture()
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from werkzeug.serving import make_server

    for key in list(os.environ):
        if key.startswith("TOOL_"):
            monkeypatch.delenv(key)
    db = tmp_path / "bot.db"
    with Store(db) as store:
        sample.seed(store, 16)
        sample.seed_bidi(store, applied_revid=APPLIED_REVID)  # conflicts 17 and 18
    monkeypatch.setenv("TOOL_DEV_LOGIN", "1")
    app = build_app(db)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def errors() -> list[str]:
    """Console errors and uncaught exceptions of the page (CSP violations show here)."""
    return []


@pytest.fixture()
def context_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Browser context settings; a test sets them with ``parametrize(..., indirect=True)``."""
    return dict(getattr(request, "param", {}))


@pytest.fixture()
def page(
    chromium_path: Path, server: str, errors: list[str], context_options: dict[str, Any]
) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), args=ARGS)
        options: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}, **context_options}
        context = browser.new_context(**options)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith(server):
                r.continue_()
            elif url.startswith("https://commons.wikimedia.org/wiki/Special:FilePath/"):
                r.fulfill(status=200, content_type="image/svg+xml", body=PLACEHOLDER_SVG)
            else:
                r.abort()

        page.route("**/*", route)
        yield page
        context.close()
        browser.close()


def test_triage_with_the_keyboard(page: Any, server: str, errors: list[str]) -> None:
    # anonymous: read-only
    page.goto(server + "/")
    assert page.locator(".banner--dev").is_visible()
    assert page.locator("h1").inner_text() == "Review queue"
    page.goto(server + "/conflict/1")
    assert page.locator("#decide-form").count() == 0

    # development login
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("Tester")
    page.get_by_role("button", name="Log in (development)").click()
    assert page.locator(".account__name").inner_text() == "Tester"
    assert "Logged in as Tester" in page.locator(".messages").inner_text()
    assert page.url == server + "/conflict/1"

    # filter the queue by reason, open the first conflict from the keyboard
    page.goto(server + "/")
    page.get_by_label("Reason").select_option("date_differs")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()  # review.js (deferred) must be listening before keys are pressed
    assert "reason=date_differs" in page.url
    assert page.locator("a.row-link").count() == 2
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/conflict/2\?reason=date_differs$"))
    assert "circa 1943" in page.locator(".compare__side--commons").inner_text()
    assert "17 May 1965" in page.locator(".compare__side--flickr").inner_text()
    page.locator(".thumb img").evaluate("img => img.decode()")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "conflict-page.png"), full_page=True)

    # keys typed into the note stay in the note
    page.keyboard.press("e")
    page.keyboard.type("fcs checked in the browser")
    assert page.input_value("#note") == "fcs checked in the browser"
    assert "/conflict/2" in page.url
    page.keyboard.press("Escape")

    # f = use Flickr's value: the next conflict of the same filter opens
    with page.expect_navigation():
        page.keyboard.press("f")
    page.wait_for_url(re.compile(r"/conflict/10\?reason=date_differs$"))
    assert "Conflict 2: Use Flickr's value." in page.locator(".messages").inner_text()

    # k = back to the previous one (still in the filter's order): its status changed
    page.goto(server + "/conflict/2?status=all&reason=date_differs")
    assert "Use Flickr's value" in page.locator(".conflict-head .status").inner_text()
    history = page.locator(".history-table").inner_text()
    assert "Tester" in history and "fcs checked in the browser" in history
    page.goto(server + "/conflict/10?reason=date_differs")

    # c = keep Commons' value on the last one: back to the (now empty) filtered queue
    with page.expect_navigation():
        page.keyboard.press("c")
    assert "That was the last conflict in this view." in page.locator(".messages").inner_text()
    assert page.locator("a.row-link").count() == 0
    page.goto(server + "/?status=keep_commons")
    assert page.locator("a.row-link").count() == 1

    # n/p and j/k move between conflicts
    page.goto(server + "/conflict/4")
    page.keyboard.press("n")
    page.wait_for_url(server + "/conflict/5")
    page.keyboard.press("p")
    page.wait_for_url(server + "/conflict/4")
    page.keyboard.press("s")
    page.wait_for_url(server + "/conflict/5")
    page.goto(server + "/?status=skip")
    assert page.locator("a.row-link").count() == 1

    assert errors == []


def test_narrow_screens_stack_the_two_sides(page: Any, server: str, errors: list[str]) -> None:
    page.goto(server + "/conflict/4")
    commons = page.locator(".compare__side--commons").bounding_box()
    flickr = page.locator(".compare__side--flickr").bounding_box()
    assert commons["y"] == pytest.approx(flickr["y"], abs=2)  # side by side on a laptop
    page.set_viewport_size({"width": 390, "height": 844})
    commons = page.locator(".compare__side--commons").bounding_box()
    flickr = page.locator(".compare__side--flickr").bounding_box()
    assert flickr["y"] > commons["y"] + commons["height"] - 1  # stacked on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "conflict-page-phone.png"), full_page=True)
    assert errors == []


# --------------------------------------------------------------------------- a page that tells the truth

# Where an element ends (its last line box) and where each character of the text right
# after it is (its next text, or the first text inside its next element): on one line,
# each further right than the one before when the page reads left to right.
CHAR_XS = """el => {
  let node = el.nextSibling;
  while (node && !(node.textContent || "").trim()) node = node.nextSibling;
  if (node && node.nodeType !== Node.TEXT_NODE) {
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    node = walker.nextNode();
    while (node && !node.textContent.trim()) node = walker.nextNode();
  }
  const xs = [];
  for (let i = 0; node && i < node.length; i++) {
    if (!node.textContent[i].trim()) continue;
    const range = document.createRange();
    range.setStart(node, i);
    range.setEnd(node, i + 1);
    const box = range.getBoundingClientRect();
    xs.push([Math.round(box.top), box.left]);
  }
  const rects = el.getClientRects();
  const last = rects[rects.length - 1];
  return { end: [Math.round(last.top), last.right], xs: xs };
}"""


def reads_left_to_right(locator: Any) -> bool:
    """The text after ``locator`` starts after it and runs left to right, on each line."""
    laid = locator.evaluate(CHAR_XS)
    chars = [laid["end"], *laid["xs"]]  # the element's end, then each character
    assert len(chars) >= 2, laid
    same_line = [(a, b) for a, b in itertools.pairwise(chars) if a[0] == b[0]]
    return bool(same_line) and all(a[1] <= b[1] + 0.5 for a, b in same_line)


def dev_login(page: Any, server: str, name: str = "Tester") -> None:
    page.goto(server + "/login")
    page.get_by_label("Username").fill(name)
    page.get_by_role("button", name="Log in (development)").click()
    page.wait_for_load_state()


def test_bidi_controls_reorder_nothing_outside_their_text(
    page: Any, server: str, errors: list[str]
) -> None:
    b = sample.BIDI
    dev_login(page, server, b.actor)
    name = page.locator(".account__name bdi")
    assert name.count() == 1 and reads_left_to_right(name.locator(".."))  # "maintainer"

    page.goto(server + "/?status=all")
    row = page.locator("tr", has=page.locator('a[href^="/conflict/17?"]'))
    title = row.locator("a.row-link bdi")
    assert title.count() == 1 and title.inner_text().startswith("File:Market")
    assert reads_left_to_right(title.locator(".."))  # "#17" after the title's link
    owner_cell = row.locator("td[data-label=Owner] bdi").inner_text()
    assert owner_cell == balance_bidi(b.owner_name)
    assert row.locator("td[data-label='Flickr says'] bdi").count() == 1

    page.goto(server + "/conflict/17")
    assert page.locator("h1 > bdi").count() == 1
    owner = page.locator(".owner-name bdi")
    assert owner.count() == 1 and reads_left_to_right(owner.locator(".."))
    note = page.locator(".decision-note > bdi")
    assert note.count() == 1 and reads_left_to_right(note.locator(".."))  # the closing quote
    decided_by = page.locator(".facts__row", has_text="Decided").locator("dd > bdi").first
    assert reads_left_to_right(decided_by)  # " on 2026-…"
    values = page.locator(".compare .qualifiers dd bdi")
    assert values.count() >= 4
    authors = [t for t in values.all_inner_texts() if "Roe" in t]
    assert len(authors) == 2  # both sides name the author with controls, each isolated
    history = page.locator(".history-table td[data-label=Who] bdi")
    assert history.count() >= 1
    # every text from outside sits in an element that isolates it
    unisolated = page.evaluate(
        """() => {
          const bad = [];
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            if (!/[\u202a-\u202e\u2066-\u2069]/.test(n.textContent)) continue;
            if (!n.parentElement.closest("bdi, [dir=auto]")) bad.push(n.textContent);
          }
          return bad;
        }"""
    )
    assert unisolated == []
    assert page.title().startswith("\u2068File:Market")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "conflict-page-bidi.png"), full_page=True)
    assert errors == []


def test_an_applied_conflict_links_its_revision(page: Any, server: str, errors: list[str]) -> None:
    page.goto(server + "/conflict/18")
    commons = page.locator(".compare__side--commons")
    assert commons.locator("h2").inner_text() == "On Commons: applied"
    link = commons.get_by_role("link", name=f"revision {APPLIED_REVID}")
    assert link.get_attribute("href") == (
        f"https://commons.wikimedia.org/w/index.php?diff={APPLIED_REVID}"
    )
    before = commons.locator("details.before")
    assert not before.locator(".statement").first.is_visible()  # folded away
    before.locator("summary").click()
    assert "A. N. Other" in before.locator(".statement").first.inner_text()
    page.goto(server + "/?status=applied")
    cell = page.locator("td[data-label='Commons now']")
    assert cell.inner_text().strip() == f"applied: revision {APPLIED_REVID}"
    assert errors == []


def _local(iso: str, zone: str) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    return moment.strftime("%H:%M")


@pytest.mark.parametrize(
    "context_options",
    [{"timezone_id": "Asia/Kolkata"}],
    indirect=True,
)
def test_times_in_utc_and_the_visitors_own_zone(page: Any, server: str, errors: list[str]) -> None:
    page.goto(server + "/conflict/17")
    page.wait_for_load_state()
    times = page.locator("time[datetime]")
    assert times.count() >= 3
    for i in range(times.count()):
        el = times.nth(i)
        iso = el.get_attribute("datetime")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", iso)
        assert el.inner_text() == f"{iso[:10]} {iso[11:16]} UTC"
        local = el.locator("xpath=following-sibling::*[1]")
        assert "local-time" in local.get_attribute("class")
        assert f"{_local(iso, 'Asia/Kolkata')} your time, GMT+5:30" in local.inner_text()
    assert errors == []


@pytest.mark.parametrize(
    "context_options",
    [{"timezone_id": "UTC"}, {"timezone_id": "Asia/Kolkata", "java_script_enabled": False}],
    indirect=True,
)
def test_times_without_a_local_zone_or_script(page: Any, server: str) -> None:
    page.goto(server + "/conflict/17")
    times = page.locator("time[datetime]")
    assert times.count() >= 3
    assert all(t.endswith(" UTC") for t in times.all_inner_texts())
    assert page.locator(".local-time").count() == 0


def test_reasons_in_words_and_the_code_on_hover(page: Any, server: str, errors: list[str]) -> None:
    from bot.core.reasons import REASONS

    page.goto(server + "/")
    facet = page.locator(".count-list a", has_text=REASONS["date_precision_differs"])
    assert facet.get_attribute("title") == "date_precision_differs"
    option = page.locator("#f-reason option[value=date_precision_differs]")
    assert option.inner_text() == REASONS["date_precision_differs"]
    assert option.get_attribute("title") == "date_precision_differs"
    cell = page.locator("tr", has=page.locator('a[href^="/conflict/3?"], a[href="/conflict/3"]'))
    reason = cell.locator(".reason-text")
    reason.hover()
    assert reason.get_attribute("title") == "date_precision_differs"
    assert reason.inner_text() == REASONS["date_precision_differs"]
    assert "date_precision_differs" not in page.locator("main").inner_text()
    page.goto(server + "/conflict/3")
    assert page.locator("p.reason").get_attribute("title") == "date_precision_differs"
    assert errors == []


def test_a_bulk_decision_must_be_chosen(page: Any, server: str, errors: list[str]) -> None:
    dev_login(page, server)
    page.goto(server + "/?reason=date_differs")
    radios = page.locator(".bulk__form input[type=radio][name=decision]")
    assert radios.count() == 3
    assert page.locator(".bulk__form input[name=decision]:checked").count() == 0
    page.get_by_role("button", name="Review bulk decision…").click()
    assert "/bulk" not in page.url  # the browser refuses: nothing chosen
    assert page.locator(".bulk__form").evaluate("f => f.checkValidity()") is False
    page.get_by_label("Skip for now").check()
    page.get_by_role("button", name="Review bulk decision…").click()
    page.wait_for_url(re.compile(r"/bulk\?"))
    assert "decision=skip" in page.url
    assert "2" in page.locator(".confirm__count").inner_text()
    assert errors == []


def test_a_bulk_decision_runs_in_the_background(page: Any, server: str, errors: list[str]) -> None:
    dev_login(page, server)
    page.goto(server + "/?reason=date_differs")
    page.get_by_label("Keep Commons' value").check()
    page.get_by_role("button", name="Review bulk decision…").click()
    page.wait_for_url(re.compile(r"/bulk\?"))
    page.get_by_label("Note").fill("checked in the browser")
    page.get_by_role("button", name=re.compile("Mark all 2")).click()
    page.wait_for_url(re.compile(r"/bulk/1$"))  # the POST answered with the progress page
    assert page.locator("h1").inner_text() == "Bulk decision #1"
    # waiting or running, the page reloads itself until the worker thread is done
    page.locator('.bulk-task[data-state="done"]').wait_for(timeout=30_000)
    assert page.locator(".bulk-task__state").inner_text() == "Done."
    assert (
        "2 conflicts marked “Keep Commons' value”."
        in page.locator(".bulk-task__result").inner_text()
    )
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    page.get_by_role("link", name=re.compile("Queue:")).click()
    assert page.locator("a.row-link").count() == 0
    assert page.locator(".bulk-tasks").count() == 0
    page.goto(server + "/?status=keep_commons")
    assert page.locator("a.row-link").count() == 2
    assert errors == []
