"""End to end in a real browser: a nurse fills the form by its labels and downloads the PDF.

The browser is Debian's Chromium driven by Playwright. Without it the test is skipped on a developer's
computer, but it FAILS in CI (CI=true): there the browser test must run, never skip.
"""

from __future__ import annotations

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


@pytest.fixture
def browser() -> Iterator[Any]:
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
        preview.get_by_text("Zoë O'Brien").wait_for()

        with page.expect_download() as info:
            page.get_by_role("button", name="Download", exact=True).click()
        download = info.value
        assert download.suggested_filename == "small-large-print.pdf"
        text = pdf_text(Path(download.path()))
        download.delete()  # the browser's copy holds the typed details
        assert "Zoë O'Brien" in text and "01632 960 321" in text and "Come back on Friday." in text
        assert problems == [], problems
        page.close()
