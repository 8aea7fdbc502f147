"""The contents list on a standard page: two lists side by side, cut exactly where CSS columns would cut it."""

from __future__ import annotations

import io

import pdfplumber
import pytest

from leaflets.build import BuildRequest, get_renderer, leaflet_html, plans_for
from leaflets.contents_columns import balanced_cut, contents_cut, lay_out
from leaflets.document import stylesheet_names
from leaflets.library import Library
from leaflets.project import Project
from leaflets.variants import PrintOptions
from tests.conftest import REPO

PROJECT = Project(REPO)
CASES = [
    ("bone-metastases", None, PrintOptions("standard", "a4")),
    ("recurrence-after-surgery", None, PrintOptions("standard", "letter", print_ready=True)),
    ("treatment-after-surgery", "lakeshore-cancer-centre", PrintOptions("standard", "letter", language="fr")),
]


def _contents_words(pdf: bytes) -> list[tuple[str, float, float]]:
    """Every word on the page that has the contents list, with where it is printed."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            text = page.extract_text() or ""
            if "In this leaflet" in text or "Dans ce dépliant" in text or "Dans ce document" in text:
                return [(w["text"], round(w["x0"], 1), round(w["top"], 1)) for w in page.extract_words()]
    raise AssertionError("no contents page")


@pytest.mark.parametrize(("rid", "site", "options"), CASES, ids=[c[0] for c in CASES])
def test_two_lists_sit_where_css_columns_put_the_entries(rid: str, site: str | None, options: PrintOptions) -> None:
    [plan] = plans_for(Library(PROJECT), BuildRequest(leaflets=(rid,), site=site, options=options))
    renderer = get_renderer(PROJECT)
    base, sheets = PROJECT.root.as_uri() + "/", stylesheet_names(plan.options, PROJECT)
    document, cut = lay_out(plan, PROJECT, renderer, lambda c: leaflet_html(plan, PROJECT, False, contents_cut=c))
    assert cut is not None
    two_lists = leaflet_html(plan, PROJECT, link_styles=False, contents_cut=cut)
    css_columns = leaflet_html(plan, PROJECT, link_styles=False)  # one list, balanced by WeasyPrint
    assert 'class="contents-columns"' in two_lists and 'class="contents-columns"' not in css_columns
    assert f'style="counter-reset: list-item {cut}"' in two_lists  # the second list's numbers go on
    measured = _contents_words(renderer.write(document))
    balanced = _contents_words(renderer.render(css_columns, base, sheets))
    assert [word for word, _, _ in measured] == [word for word, _, _ in balanced]  # same lines, same order
    for (word, x, y), (_, css_x, css_y) in zip(measured, balanced, strict=True):
        assert abs(x - css_x) <= 0.2 and abs(y - css_y) <= 0.2, word  # each list 0.01 mm narrower than half
    assert f"{cut + 1}." in [word for word, _, _ in measured]


def test_large_print_keeps_one_list() -> None:
    [plan] = plans_for(Library(PROJECT), BuildRequest(leaflets=("bone-metastases",),
                                                      options=PrintOptions("large-print", "a4")))
    renderer = get_renderer(PROJECT)
    assert contents_cut(plan, PROJECT, renderer) is None
    _, cut = lay_out(plan, PROJECT, renderer, lambda c: leaflet_html(plan, PROJECT, False, contents_cut=c))
    assert cut is None


@pytest.mark.parametrize(("spans", "cut"), [
    ([], 0),
    ([(0, 10)], 1),
    ([(0, 10), (12, 22), (24, 34), (36, 46)], 2),  # even
    ([(0, 10), (12, 22), (24, 34), (36, 46), (48, 58)], 3),  # odd: the first column the longer, as CSS
    ([(0, 40), (42, 52), (54, 64), (66, 76)], 1),  # a tall first entry stands alone
    ([(0, 10), (12, 22), (24, 34), (36, 76)], 3),  # a tall last entry stands alone
])
def test_balanced_cut(spans: list[tuple[float, float]], cut: int) -> None:
    assert balanced_cut(spans) == cut
