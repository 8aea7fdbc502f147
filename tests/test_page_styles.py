"""Pages matching the same @page rules share their computed styles, and margin boxes' widths are worked out
once: the same PDF bytes as WeasyPrint's own."""

from __future__ import annotations

import re

import pytest

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
