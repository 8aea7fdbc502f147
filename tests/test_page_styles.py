"""Pages matching the same @page rules share their computed styles, and margin boxes' widths are worked out
once: the same PDF bytes as WeasyPrint's own."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from leaflets import page_styles, personal
from leaflets.build import BuildRequest, get_renderer, leaflet_html, plans_for
from leaflets.document import stylesheet_names
from leaflets.library import Library
from leaflets.project import Project
from leaflets.variants import PrintOptions
from tests.conftest import REPO, pdf_text

PROJECT = Project(REPO)
CASES = [
    ("bone-metastases", None, PrintOptions("standard", "a4")),
    ("immunotherapy", None, PrintOptions("booklet", "a4")),  # left and right pages: two sets of rules
    ("treatment-after-surgery", "lakeshore-cancer-centre", PrintOptions("large-print", "letter", language="fr")),
]


@pytest.mark.parametrize(("rid", "site", "options"), CASES, ids=[c[0] for c in CASES])
def test_shared_page_styles_give_the_same_bytes_as_a_style_per_page(
        rid: str, site: str | None, options: PrintOptions, monkeypatch: pytest.MonkeyPatch) -> None:
    from weasyprint.layout import page as page_layout

    renderer = get_renderer(PROJECT)
    assert getattr(page_layout.set_page_type_computed_styles, "shares_page_styles", False)
    [plan] = plans_for(Library(PROJECT), BuildRequest(leaflets=(rid,), site=site, options=options))
    shared = personal.full_pdf(plan, PROJECT, renderer)
    for name in ("set_page_type_computed_styles", "min_content_width", "max_content_width"):
        monkeypatch.setattr(page_layout, name, getattr(page_layout, name).original)  # WeasyPrint's own
    assert personal.full_pdf(plan, PROJECT, renderer) == shared
    text = pdf_text(shared)
    pages = int(re.search(r"(?:Page|Page) 1 (?:of|de) (\d+)", text).group(1))
    for number in range(1, pages + 1):  # every page counted once: the shared style's counter is not doubled
        assert re.search(rf"Page {number} (?:of|de) {pages}\b", text), number


def test_later_pages_take_the_styles_of_the_first_page_with_the_same_rules() -> None:
    renderer = get_renderer(PROJECT)
    [plan] = plans_for(Library(PROJECT), BuildRequest(leaflets=("immunotherapy",),
                                                      options=PrintOptions("booklet", "a4")))
    document = renderer.layout(leaflet_html(plan, PROJECT, False), PROJECT.root.as_uri() + "/",
                               stylesheet_names(plan.options, PROJECT))
    boxes = [page._page_box for page in document.pages]
    assert len(boxes) > 8
    assert all(box.style is not boxes[0].style for box in boxes[1:])  # the first keeps its own (:first, vw/vh)
    by_kind: dict[tuple[str, str], set[int]] = {}
    for box in boxes[1:]:  # a booklet's left and right pages, and named pages, match different rules
        by_kind.setdefault((box.page_type.side, box.page_type.name), set()).add(id(box.style))
    assert {kind[0] for kind in by_kind} == {"left", "right"}
    assert all(len(styles) == 1 for styles in by_kind.values()), by_kind
    assert len({next(iter(styles)) for styles in by_kind.values()}) == len(by_kind)


def test_a_margin_box_width_is_worked_out_once_per_text_and_style(monkeypatch: pytest.MonkeyPatch) -> None:
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import page as page_layout

    renderer = get_renderer(PROJECT)
    [plan] = plans_for(Library(PROJECT), BuildRequest(leaflets=("bone-metastases",)))
    worked_out: list[str] = []
    original = page_layout.max_content_width.original

    def counting(context, box, outer=True):  # noqa: ANN001, ANN202
        worked_out.append(box.at_keyword)
        return original(context, box, outer)

    plain = (boxes.MarginBox, boxes.LineBox, boxes.TextBox, boxes.InlineBox, boxes.BlockBox)
    monkeypatch.setattr(page_layout, "max_content_width", page_styles._margin_width_once(counting, boxes.MarginBox,
                                                                                          plain))
    document = renderer.layout(leaflet_html(plan, PROJECT, False), PROJECT.root.as_uri() + "/",
                               stylesheet_names(plan.options, PROJECT))
    pages = len(document.pages)
    assert pages > 10
    # The running title, organisation and draft mark: once per style (the first page has its own); the page
    # number's text differs on every page, so it is worked out for each.
    for keyword in ("@top-left", "@top-right", "@bottom-left"):
        assert 1 <= worked_out.count(keyword) <= 2, (keyword, worked_out.count(keyword))
    assert worked_out.count("@bottom-right") >= pages


EDGE_CSS = """
@page { size: A5; margin: 20mm 15mm; @top-center { content: "Page " counter(page) " / " counter(pages); }
        @bottom-left { content: "left note"; width: 30vw; } @bottom-right { content: string(part); } }
@page :first { @top-center { content: "Cover"; } }
@page :left { margin-left: 25mm; @top-left { content: "even"; } }
@page :nth(3) { @top-left { content: "third"; font-weight: bold; } }
@page :blank { @top-center { content: none; } }
@page wide { size: A5 landscape; @top-right { content: "wide"; } }
h1 { string-set: part content(); break-before: right; }
.wide { page: wide; }
"""
EDGE_HTML = "".join(
    f"<h1>Part {n}</h1>" + "<p>Some words to fill the page a little. </p>" * 12
    + ("<div class='wide'><p>A wide page.</p></div>" if n == 2 else "") for n in range(1, 6))


def test_page_rules_that_tell_pages_apart_give_the_same_bytes_as_a_style_per_page(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """:first, :left and :right, :nth(), :blank and named pages, vw units and running strings in a project's
    own stylesheet: each page still gets the styles of its own rules."""
    from weasyprint import CSS, HTML
    from weasyprint.layout import page as page_layout

    get_renderer(PROJECT)  # installs the shared styles and widths
    render = lambda: HTML(string=EDGE_HTML).write_pdf(stylesheets=[CSS(string=EDGE_CSS)])  # noqa: E731
    shared = render()
    for name in ("set_page_type_computed_styles", "min_content_width", "max_content_width"):
        monkeypatch.setattr(page_layout, name, getattr(page_layout, name).original)
    assert render() == shared
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(shared)).pages]
    assert "Cover" in pages[0] and "third" in pages[2] and "third" not in pages[4]
    assert any("wide" in page for page in pages) and any("even" in page for page in pages[1::2])
