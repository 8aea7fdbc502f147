"""PDF objects serialised once per file and generic drawings compressed once: the same bytes as pydyf's own."""

from __future__ import annotations

import io

import pikepdf
import pydyf
import pytest

from leaflets import pdf_objects, personal
from leaflets.build import get_renderer
from leaflets.library import Library
from leaflets.plan import plan_leaflet
from leaflets.project import Project
from leaflets.schema import Details
from tests.conftest import REPO

PROJECT = Project(REPO)
LIBRARY = Library(PROJECT)


def test_kept_serialisation_writes_the_bytes_pydyf_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    renderer = get_renderer(PROJECT)
    plan = plan_leaflet(LIBRARY, LIBRARY.recipe("immunotherapy"), details=Details(patient_name="Zoë Ångström"))
    kept = personal.full_pdf(plan, PROJECT, renderer)
    originals = pydyf.PDF.write.originals
    monkeypatch.setattr(pydyf.PDF, "write", originals["write"])
    monkeypatch.setattr(pydyf.Stream, "data", originals["Stream"])
    monkeypatch.setattr(pydyf.Dictionary, "data", originals["Dictionary"])
    assert personal.full_pdf(plan, PROJECT, renderer) == kept


def test_only_drawings_of_generic_pages_are_kept_never_a_page_with_details() -> None:
    renderer = get_renderer(PROJECT)
    before = dict(pdf_objects.stats)
    pdfs = []
    for name in ("Siobhán Ó Briain", "Nguyễn Thị Minh Khai", "Ama Mensah"):
        plan = plan_leaflet(LIBRARY, LIBRARY.recipe("brain-metastases"),
                            details=Details(patient_name=name, next_appointment="Friday 8 January, 14:00"))
        pdfs.append(personal.personal_pdf(plan, PROJECT, renderer, reuse=True))
    assert pdf_objects.stats["reused"] > before["reused"]  # the third PDF's generic pages were not compressed again
    with pikepdf.open(io.BytesIO(pdfs[-1])) as pdf:
        contents = [page.Contents.read_bytes() for page in pdf.pages]
    kept = set(pdf_objects._compressed)
    assert contents[0] not in kept and contents[-1] not in kept  # the cover and the card show the name
    assert sum(content in kept for content in contents[1:-1]) >= len(contents) // 2
