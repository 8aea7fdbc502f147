"""`leaflets check`: reading level, glossary coverage, review dates and sources."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from cli import app
from leaflets.checks import check_content, medical_words
from tests.conftest import section_text

HARD = ("Pharmacological immunomodulation necessitates comprehensive multidisciplinary consideration "
        "regarding individualised therapeutic administration considerations. ") * 3


def test_medical_words_detected() -> None:
    words = medical_words("A nephrectomy removes a tumour. Immunotherapy helps. Radiotherapy too. You feel fine.")
    assert {"nephrectomy", "tumour", "immunotherapy", "radiotherapy"} <= words
    assert "feel" not in words


def test_strict_check_fails_on_an_unused_glossary_term(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(app, ["check", "--strict", "--root", str(project)])
    assert "Mean Flesch-Kincaid grade" in result.stdout
    # the fixture glossary has an unused term ('gamma'), which strict mode reports
    assert result.exit_code == 1
    assert "glossary term 'gamma' is not used" in result.stdout


def test_hard_text_missing_terms_overdue_and_no_sources_fail(runner: CliRunner, make_project) -> None:
    no_sources = section_text("Beta", "A nephrectomy is an operation.", next_review="2020-01-01").replace(
        "sources:\n  - publisher: Test Publisher\n    title: Test source\n    year: 2026\n", ""
    ).replace("last_reviewed: 2026-01-01", "last_reviewed: 2019-01-01")
    root = make_project({
        "content/sections/alpha.md": section_text("Alpha", HARD),
        "content/sections/beta.md": no_sources,
        "content/glossary.yaml": "terms:\n  - term: alpha\n    meaning: First.\n",
    })
    report = check_content(root, on=dt.date(2026, 11, 22))
    alpha, beta = report.sections
    assert alpha.grade > 8 and any("grade" in p for p in alpha.problems)
    assert "nephrectomy" in beta.missing_terms
    assert beta.review == "overdue" and beta.sources == 0
    assert any("no sources" in p for p in beta.problems)
    result = runner.invoke(app, ["check", "--strict", "--root", str(root)])
    assert result.exit_code == 1 and "FAIL" in result.stdout
    assert runner.invoke(app, ["check", "--root", str(root)]).exit_code == 0


def test_review_due_soon_is_flagged(make_project) -> None:
    root = make_project({"content/sections/beta.md": section_text("Beta", "Words.", next_review="2027-01-10")})
    report = check_content(root, on=dt.date(2026, 11, 22))
    assert report.sections[1].review == "due soon"


def test_review_more_than_three_years_out_fails(make_project) -> None:
    root = make_project({"content/sections/beta.md": section_text("Beta", "Words.", next_review="2030-01-02")})
    report = check_content(root, on=dt.date(2026, 11, 22))
    assert any("more than 3 years" in p for p in report.sections[1].problems)


def test_copied_wording_is_flagged(make_project, tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "page.txt").write_text("The surgeon puts a probe through the skin and into the tumour today.")
    root = make_project({"content/sections/alpha.md": section_text(
        "Alpha", "Then the surgeon puts a probe through the skin and into the tumour.")})
    report = check_content(root, sources_dir=sources)
    assert report.sections[0].copied


def test_a_missing_sources_folder_is_an_input_error(runner: CliRunner, project: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder"
    result = runner.invoke(app, ["check", "--root", str(project), "--sources", str(missing)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {missing}: the sources folder does not exist"
    assert "All checks passed" not in result.stdout
