"""The page the urgent box starts on, read from the layout before the PDF is written: the same page the
PDF's outline gives, so the check that moves the box before the contents needs no PDF parsed back."""

from __future__ import annotations

import dataclasses

import pytest

from leaflets.build import BuildRequest, get_renderer, leaflet_html, plans_for, urgent_box_page, urgent_page_in
from leaflets.document import stylesheet_names
from leaflets.library import Library
from leaflets.project import Project
from leaflets.variants import PrintOptions
from tests.conftest import REPO

PROJECT = Project(REPO)
CASES = [
    ("bone-metastases", None, PrintOptions("standard", "a4"), False),
    ("immunotherapy", None, PrintOptions("large-print", "a4"), False),
    ("immunotherapy", None, PrintOptions("large-print", "a4"), True),
    ("treatment-after-surgery", "lakeshore-cancer-centre", PrintOptions("booklet", "letter", language="fr"), False),
]


@pytest.mark.parametrize(("rid", "site", "options", "urgent_first"), CASES)
def test_the_urgent_box_page_from_the_layout_is_the_one_in_the_pdf_outline(
        rid: str, site: str | None, options: PrintOptions, urgent_first: bool) -> None:
    [plan] = plans_for(Library(PROJECT), BuildRequest(leaflets=(rid,), site=site, options=options))
    plan = dataclasses.replace(plan, urgent_first=urgent_first)
    renderer = get_renderer(PROJECT)
    document = renderer.layout(leaflet_html(plan, PROJECT, False), PROJECT.root.as_uri() + "/",
                               stylesheet_names(plan.options, PROJECT))
    page = urgent_page_in(document, plan.language)
    assert page is not None and page == urgent_box_page(renderer.write(document), plan.language)
