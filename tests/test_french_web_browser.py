"""The web page in French, in a real browser: a nurse picks French, fills the form by its French labels and
downloads the French PDF. Skipped without Chromium on a developer's computer; fails in CI (as test_web_browser)."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from leaflets.web import background_server, create_app
from tests.conftest import REPO, pdf_text
from tests.test_web_browser import browser  # noqa: F401 - the fixture

SCREENSHOT = Path("/tmp/leaflets-french-web.png")
RECORD_SCREENSHOT = Path("/tmp/leaflets-french-record.png")
BUILD_SCREENSHOT = Path("/tmp/leaflets-french-build.png")
SITE = "lakeshore-cancer-centre"


def _recording_copy(tmp_path: Path) -> Path:
    """The shipped content, with the Canadian site keeping a hand-out record (so teach-back can be saved)."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "content", root / "content")
    profile = root / "content/sites" / f"{SITE}.yaml"
    profile.write_text(profile.read_text("utf-8") + "record:\n  enabled: true\n", "utf-8")
    return root


def test_nurse_picks_french_and_downloads_the_french_pdf(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    root = _recording_copy(tmp_path)
    app = create_app(root)
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
        search = page.get_by_label("Rechercher un document")
        assert search.is_visible()
        # Typed, not submitted: web.js writes the count in French, in French plural forms.
        count = page.locator("#result-count")
        expect(count).to_have_text(re.compile(r"^\d+ documents$"))
        total = int(count.inner_text().split()[0])
        search.fill("C78.0")
        expect(count).to_have_text(f"1 document sur {total} correspond à «\u00a0C78.0\u00a0»")
        search.fill("C79")  # bones, brain, and more: the plural
        expect(count).to_have_text(re.compile(rf"^[2-9] documents sur {total} correspondent à «\u00a0C79\u00a0»$"))
        search.fill("zzzz")
        expect(count).to_have_text(f"0 document sur {total} correspond à «\u00a0zzzz\u00a0»")
        search.fill("")
        expect(count).to_have_text(f"{total} documents")
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
        # Teach-back: the answer is saved and the page says so in French.
        page.get_by_label("Compréhension vérifiée").check()
        page.get_by_role("button", name="Enregistrer dans le registre des remises").click()
        expect(page.locator("[data-teach-back-status]")).to_have_text("Enregistré\u00a0: compréhension vérifiée.")
        conn = sqlite3.connect(root / "leaflets.db")
        try:
            assert conn.execute("SELECT teach_back, language FROM handouts").fetchall() == [("done", "fr-CA")]
        finally:
            conn.close()
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        page.get_by_role("link", name="English").click()
        assert page.locator("html").get_attribute("lang") == "en-GB"  # back to English, the leaflet's page
        assert page.get_by_role("heading", level=1).inner_text() == "When kidney cancer spreads to the bones"
        page.get_by_role("link", name="Français").click()
        page.get_by_role("link", name="Registre des remises").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Registre des remises"
        row = page.locator(".record-table tbody tr")
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(1)).to_have_text("Quand le cancer du rein se propage aux os")
        expect(row.locator("td").nth(6)).to_have_text("Oui")
        page.screenshot(path=str(RECORD_SCREENSHOT), full_page=True)
        page.get_by_role("link", name="Créer le vôtre").click()
        page.get_by_label("Trouver une partie").fill("os")
        expect(page.locator("#section-count")).to_have_text(re.compile(r"^\d+ parties? sur \d+ correspond"))
        page.screenshot(path=str(BUILD_SCREENSHOT), full_page=True)
        assert problems == [], problems
        page.close()
