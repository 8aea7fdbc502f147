"""The shipped content library: every section validates, every recipe builds, targets are met."""

from __future__ import annotations

from pathlib import Path

import pytest

from leaflets.checks import MAX_GRADE, MAX_MEAN_GRADE, check_content
from leaflets.library import Library
from leaflets.project import PACKAGE_ROOT, Project
from tests.conftest import REPO, pdf_pages, pdf_text

SOURCES = PACKAGE_ROOT.parent / "shared" / "sources"
MAX_PAGES = 28  # the immunotherapy leaflet, with both side-effect sections the clinical review asks for, is 27 A4 pages
RECIPES = ["bone-metastases", "lung-metastases", "brain-metastases", "liver-metastases", "recurrence-after-surgery",
           "stage-4-first-treatment", "immunotherapy", "targeted-therapy", "local-treatments",
           "living-with-advanced-kidney-cancer"]


@pytest.fixture(scope="module")
def library() -> Library:
    return Library(Project(PACKAGE_ROOT))


def test_required_recipes_exist(library: Library) -> None:
    assert set(RECIPES) <= set(library.recipe_ids)


def test_every_file_validates(library: Library) -> None:
    assert library.validate_all() == []


def test_check_meets_reading_and_governance_targets() -> None:
    report = check_content(PACKAGE_ROOT, SOURCES if SOURCES.is_dir() else None)
    assert all(s.grade <= MAX_GRADE for s in report.sections)
    assert report.mean_grade <= MAX_MEAN_GRADE
    assert report.passed, [p for s in report.sections for p in s.problems] + report.problems


def test_sections_are_governed(library: Library) -> None:
    for sid in library.section_ids:
        meta = library.section(sid).meta
        assert meta.sources and meta.last_reviewed and meta.next_review, sid
        assert meta.status == "draft", f"{sid}: shipped content stays draft until a clinician approves it"


def test_drug_table_comes_from_drugs_yaml(library: Library) -> None:
    names = {d.generic.lower() for d in library.drugs}
    for drug in ("nivolumab", "ipilimumab", "pembrolizumab", "avelumab", "sunitinib", "pazopanib", "sorafenib",
                 "axitinib", "cabozantinib", "tivozanib", "lenvatinib", "everolimus", "temsirolimus", "belzutifan"):
        assert drug in names
    assert any(library.section(s).meta.drug_table for s in library.section_ids)


@pytest.fixture
def built_all(built_library: Path) -> Path:
    assert PACKAGE_ROOT == REPO
    return built_library


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_recipe_builds_to_a_leaflet_of_sensible_length(built_all: Path, recipe: str, library: Library) -> None:
    pdf = built_all / f"{recipe}.pdf"
    # Issue #10 made the safety sections, the urgent box and the cut-out card part of every leaflet:
    # the leaflets with all the safety content they need run to about 16 to 23 A4 pages.
    assert 2 <= pdf_pages(pdf) <= MAX_PAGES
    text = pdf_text(pdf)
    assert library.recipe(recipe).file.title.split()[0] in text
    assert "Draft: not yet clinically approved" in text
