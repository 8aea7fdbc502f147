"""End to end in a real browser: a nurse fills the form by its labels and downloads the PDF.

The browser is Debian's Chromium driven by Playwright. Without it the test is skipped on a developer's
computer, but it FAILS in CI (CI=true): there the browser test must run, never skip.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from leaflets.web import background_server, create_app
from tests.conftest import pdf_text

CHROMIUM = os.environ.get("LEAFLETS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> None:
    """Skip on a developer's computer; fail in CI, where the browser test must run."""
    if IN_CI:
        pytest.fail(f"browser test cannot run in CI: {reason}")
    pytest.skip(reason)


@contextlib.contextmanager
def launched_chromium() -> Iterator[Any]:
    """Headless Chromium through Playwright, or the test is skipped (failed in CI) with the reason."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except Error as exc:
            _unavailable(f"Chromium did not start: {str(exc).splitlines()[0]}")
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    with launched_chromium() as launched:
        yield launched


def test_nurse_fills_the_form_and_downloads_the_pdf(browser: Any, make_project: Callable[..., Path]) -> None:
    app = create_app(make_project())
    with background_server(app) as base:
        page = browser.new_page(accept_downloads=True)
        page.set_default_timeout(60_000)
        problems: list[str] = []  # script errors and CSP violations show up as console errors
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{base}/")
        page.get_by_role("link", name="A small leaflet").click()
        assert page.get_by_role("heading", level=1).inner_text() == "A small leaflet"

        page.get_by_label("Patient's name").fill("Zoë O'Brien")
        page.get_by_label("Team phone number").fill("01632 960 321")
        page.get_by_label("Notes for the patient").fill("Come back on Friday.")
        page.get_by_label("Large print").check()

        # The live preview (JavaScript) shows what was typed, escaped, without a page load.
        preview = page.frame_locator("#preview")
        preview.get_by_role("group", name="Prepared for you").get_by_text("Zoë O'Brien").wait_for()

        with page.expect_download() as info:
            page.get_by_role("button", name="Download", exact=True).click()
        download = info.value
        assert download.suggested_filename == "small-large-print.pdf"
        text = pdf_text(Path(download.path()))
        download.delete()  # the browser's copy holds the typed details
        assert "Zoë O'Brien" in text and "01632 960 321" in text and "Come back on Friday." in text
        assert problems == [], problems
        page.close()


def test_the_list_filters_by_diagnosis_code_best_first(browser: Any) -> None:
    from playwright.sync_api import expect

    from tests.conftest import REPO

    app = create_app(REPO)
    with background_server(app) as base:
        page = browser.new_page()
        page.set_default_timeout(60_000)
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{base}/")
        cards = page.locator("#leaflet-list > li:visible .card__link")
        assert cards.count() == 11
        page.get_by_label("Search leaflets").fill("C79.51")  # typed, not submitted: the JS filter
        expect(cards.first).to_have_text("When kidney cancer spreads to the bones")
        titles = cards.all_inner_texts()
        assert not {"When kidney cancer spreads to the lungs", "When kidney cancer spreads to the liver"} & set(titles)
        expect(page.locator("#result-count")).to_have_text(f"{len(titles)} of 11 leaflets "
                                                           + ("matches" if len(titles) == 1 else "match")
                                                           + " “C79.51”")  # as the page without JavaScript says
        assert page.url == f"{base}/"  # no page load
        page.get_by_label("Search leaflets").fill("C78.0")
        expect(cards).to_have_text(["When kidney cancer spreads to the lungs"])
        expect(page.locator("#result-count")).to_have_text("1 of 11 leaflets matches “C78.0”")
        page.get_by_label("Search leaflets").fill("")
        expect(cards).to_have_count(11)
        expect(page.locator("#result-count")).to_have_text("11 leaflets")
        assert problems == [], problems
        page.close()


def test_nurse_downloads_a_recorded_leaflet_then_records_teach_back(
    browser: Any, make_project: Callable[..., Path]
) -> None:
    import sqlite3

    root = make_project({
        "content/sites/clinic.yaml": "name: Test clinic\nrecord:\n  enabled: true\n  wait_seconds: 0.5\n",
        "content/leaflets/small.yaml": "title: A small leaflet\nicd10: [C64]\nteach_back:\n"
        "  - Which signs mean you should call your team?\n  - Who will you call at night?\nsections: [alpha, beta]\n",
    })
    with background_server(create_app(root)) as base:
        page = browser.new_page(accept_downloads=True)
        page.set_default_timeout(60_000)
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{base}/leaflets/small")
        questions = page.get_by_text("Which signs mean you should call your team?")
        assert not questions.is_visible()  # asked once the PDF is made
        page.get_by_label("Patient's name").fill("Zoë O'Brien")
        page.get_by_label("Printed for").select_option(label="Test clinic")
        with page.expect_download() as info:
            page.get_by_role("button", name="Download", exact=True).click()
        download = info.value
        assert download.suggested_filename == "small.pdf"
        assert "Zoë O'Brien" in pdf_text(Path(download.path()))
        download.delete()
        questions.wait_for()
        page.get_by_label("Understanding checked").check()
        page.get_by_label("Note for yourself (optional)").fill("Mixed up the numbers frobozz")
        page.get_by_role("button", name="Save in the hand-out record").click()
        page.get_by_text("Saved: understanding checked.").wait_for()
        conn = sqlite3.connect(root / "leaflets.db")
        try:
            assert conn.execute("SELECT teach_back, channel FROM handouts").fetchall() == [("done", "web")]
        finally:
            conn.close()
        assert b"frobozz" not in b"".join(p.read_bytes() for p in root.glob("leaflets.db*"))
        page.goto(f"{base}/record")
        assert page.get_by_role("cell", name="Yes").is_visible()

        assert problems == [], problems
        # A locked record: the page says so, and no PDF is handed out.
        page.goto(f"{base}/leaflets/small")
        page.get_by_label("Printed for").select_option(label="Test clinic")
        lock = sqlite3.connect(root / "leaflets.db", isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        try:
            downloads: list[Any] = []
            page.on("download", lambda download: downloads.append(download))
            page.get_by_role("button", name="Download", exact=True).click()
            page.get_by_role("heading", name="Sorry, there is a problem").wait_for()
            assert "was not handed out" in page.content() and "locked" in page.content()
            assert downloads == []
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        assert [p for p in problems if "status of 503" not in p] == [], problems  # the 503 itself is logged
        page.close()
