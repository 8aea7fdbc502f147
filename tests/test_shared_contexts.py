"""Shared Pango contexts and font descriptions: the same PDF bytes as WeasyPrint's own Layout.setup."""

from __future__ import annotations

import pytest

from leaflets import personal
from leaflets.build import BuildRequest, get_renderer, plans_for
from leaflets.library import Library
from leaflets.project import Project
from leaflets.schema import Details
from leaflets.variants import PrintOptions
from tests.conftest import REPO, pdf_text

PROJECT = Project(REPO)
CASES = [
    ("bone-metastases", None, PrintOptions("standard", "a4"), "Nguyễn Thị Minh Khai"),
    ("treatment-after-surgery", "lakeshore-cancer-centre", PrintOptions("large-print", "letter", language="fr"),
     "محمد عبد الله"),
]


@pytest.mark.parametrize(("rid", "site", "options", "name"), CASES, ids=[c[0] for c in CASES])
def test_shared_contexts_give_the_same_bytes_as_new_ones(rid: str, site: str | None, options: PrintOptions,
                                                         name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from weasyprint.text.line_break import Layout

    renderer = get_renderer(PROJECT)
    assert getattr(Layout.setup, "shares_contexts", False), "the renderer installs the shared setup"
    [plan] = plans_for(Library(PROJECT), BuildRequest(leaflets=(rid,), site=site, details=Details(patient_name=name),
                                                      options=options))
    shared = personal.full_pdf(plan, PROJECT, renderer)
    contexts, descriptions = renderer.font_config._leaflets_pango
    known = (len(contexts), len(descriptions))
    assert known[0] <= 6, sorted(contexts, key=str)  # one per direction and language, not one per piece of text
    assert personal.full_pdf(plan, PROJECT, renderer) == shared
    assert (len(contexts), len(descriptions)) == known  # the second render made none: every one was shared
    monkeypatch.setattr(Layout, "setup", Layout.setup.original)  # WeasyPrint's own: a new context every time
    assert personal.full_pdf(plan, PROJECT, renderer) == shared
    assert name in pdf_text(shared)
