"""The HTML edition in a real browser, offline: axe-core finds no WCAG 2.2 AA violations.

Debian's Chromium driven by Playwright, launched as in test_web_browser.py (skipped on a developer's computer
without it, FAILS in CI). Every request other than the file itself and data: addresses is aborted and counted,
so the test also proves the file is self-contained. axe-core is vendored in tests/vendor/axe-core/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leaflets.build import BuildRequest, build
from leaflets.details import load_details
from leaflets.variants import PrintOptions
from tests.conftest import REPO
from tests.test_web_browser import launched_chromium

AXE = REPO / "tests" / "vendor" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as launched:
        yield launched


def _html_edition(tmp_path: Path, leaflet: str, variant: str = "standard") -> Path:
    details = load_details(None, ["patient_name=Zoë O'Brien", "team_phone=01632 960 321", "notes=Bloods on Monday"])
    request = BuildRequest(leaflets=(leaflet,), details=details, options=PrintOptions(variant),
                           output_formats=("html",))
    [path] = build(request, tmp_path, REPO)
    return path


@pytest.mark.parametrize(("leaflet", "variant"), [("bone-metastases", "standard"), ("immunotherapy", "easy-read")])
def test_html_edition_has_no_axe_violations_offline(browser: Any, tmp_path: Path, leaflet: str, variant: str) -> None:
    path = _html_edition(tmp_path, leaflet, variant)
    context = browser.new_context(offline=True)
    page = context.new_page()
    fetched: list[str] = []

    def only_the_file(route: Any) -> None:
        url = route.request.url
        if url == path.as_uri() or url.startswith("data:"):
            route.continue_()
        else:
            fetched.append(url)
            route.abort()

    page.route("**/*", only_the_file)
    page.goto(path.as_uri())
    page.add_script_tag(content=AXE.read_text("utf-8"))
    result = page.evaluate("options => axe.run(document, options)", {"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    violations = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert violations == []
    assert fetched == []  # nothing outside the file was asked for
    # What a screen reader reaches: the skip link, one h1, the diagram's alt text (standard), the details.
    skip = page.get_by_role("link", name="Skip to the leaflet")
    assert skip.count() == 1 and page.locator(skip.get_attribute("href")).count() == 1
    assert page.locator("h1").count() == 1
    assert page.get_by_text("Zoë O'Brien").count() >= 1
    if variant == "standard":
        alt = page.locator("figure.where-diagram img").get_attribute("alt")
        assert alt == "Diagram of a body. The kidneys and the bones are highlighted."
        fonts = page.evaluate("document.fonts.check('16px \"Atkinson Hyperlegible\"')")
        assert fonts
    context.close()
