"""The review page in a real browser: Debian's Chromium driven by Playwright.

The app runs as ``TOOL_DEV_LOGIN=1 backfill review`` would run it (werkzeug on 127.0.0.1, a
temporary database with sample conflicts). Every request that leaves 127.0.0.1 is
blocked; the Commons thumbnail is answered with a local placeholder image so the
screenshot shows the page as a reviewer sees it. Saves tests/artifacts/conflict-page.png.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli_review import build_app
from bot.store import Store
from review_ui import sample

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
def page(chromium_path: Path, server: str, errors: list[str]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
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
