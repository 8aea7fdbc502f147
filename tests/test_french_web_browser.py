"""The web page in French, in a real browser: a nurse picks French, fills the form by its French labels and
downloads the French PDF. Skipped without Chromium on a developer's computer; fails in CI (as test_web_browser)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from leaflets.web import background_server, create_app
from tests.conftest import REPO, pdf_text
from tests.test_web_browser import browser  # noqa: F401 - the fixture

SCREENSHOT = Path("/tmp/leaflets-french-web.png")


def test_nurse_picks_french_and_downloads_the_french_pdf(browser: Any) -> None:  # noqa: F811
    app = create_app(REPO)
    with background_server(app) as base:
        page = browser.new_page(accept_downloads=True)
        page.set_default_timeout(90_000)
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{base}/")
        assert page.get_by_role("heading", level=1).inner_text() == "Choose a leaflet"
        page.get_by_role("link", name="Français").click()

        assert page.locator("html").get_attribute("lang") == "fr-CA"
        assert page.get_by_role("heading", level=1).inner_text() == "Choisir un document"
        assert page.get_by_label("Rechercher un document").is_visible()
        page.get_by_role("link", name="Quand le cancer du rein se propage aux os").click()

        assert page.get_by_role("heading", level=1).inner_text() == "Quand le cancer du rein se propage aux os"
        assert page.get_by_label("Français (French)").is_checked()
        assert page.get_by_label("Imprimé pour").input_value() == "lakeshore-cancer-centre"
        page.get_by_label("Nom du patient").fill("Sam Tremblay")
        page.get_by_label("Prochain rendez-vous").fill("lundi 7 décembre")
        preview = page.frame_locator("#preview")
        preview.get_by_text("Sam Tremblay").first.wait_for()
        assert preview.locator("html").get_attribute("lang") == "fr-CA"
        body = page.locator("body").inner_text()
        for english in ("Patient details", "Layout and paper", "Download", "Preview", "Check understanding",
                        "Nothing you type here is saved", "All leaflets"):
            assert english not in body, english

        with page.expect_download() as info:
            page.get_by_role("button", name="Télécharger", exact=True).click()
        download = info.value
        assert download.suggested_filename == "bone-metastases.fr-letter.pdf"
        text = " ".join(pdf_text(Path(download.path())).split())
        download.delete()  # the browser's copy holds the typed details
        assert "Page 1 de" in text and "Joindre votre équipe de soins" in text and "911" in text
        assert "Sam Tremblay" in text and "lundi 7 décembre" in text
        assert not re.search(r"Page \d+ of|Contact your team|Words we use", text)
        page.get_by_text("Le document est prêt.").wait_for()  # then the teach-back questions, in French
        question = "Qu’est-ce que le traitement du cancer dans les os peut faire pour vous"
        assert question in page.locator("body").inner_text()
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        page.get_by_role("link", name="English").click()
        assert page.locator("html").get_attribute("lang") == "en-GB"  # back to English, the leaflet's page
        assert page.get_by_role("heading", level=1).inner_text() == "When kidney cancer spreads to the bones"
        assert problems == [], problems
        page.close()
