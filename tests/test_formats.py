"""Several --variant and --paper values in one build: every combination, each file once, or nothing."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from cli import app

A4, LETTER = (595, 842), (612, 792)


def page_size(path: Path) -> tuple[int, int]:
    box = PdfReader(BytesIO(path.read_bytes())).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


def test_every_variant_and_paper_is_built(project: Path, runner: CliRunner) -> None:
    out = project / "out"
    result = runner.invoke(app, ["build", "small", "--root", str(project), "-o", str(out), "--variant", "standard",
                                 "--variant", "large-print", "--paper", "a4", "--paper", "letter"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["small-large-print-letter.pdf", "small-large-print.pdf", "small-letter.pdf", "small.pdf"]
    assert page_size(out / "small.pdf") == A4 and page_size(out / "small-large-print.pdf") == A4
    assert page_size(out / "small-letter.pdf") == LETTER and page_size(out / "small-large-print-letter.pdf") == LETTER
    assert result.output.count("Wrote ") == 4


def test_comma_lists_and_repeats_build_each_file_once(project: Path, runner: CliRunner) -> None:
    out = project / "out"
    result = runner.invoke(app, ["build", "small", "--root", str(project), "-o", str(out),
                                 "--variant", "standard,booklet", "--variant", "standard", "--paper", "a4"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["small-a5.pdf", "small-booklet.pdf", "small.pdf"]
    assert result.output.count("Wrote ") == 3


def test_one_bad_value_builds_nothing(project: Path, runner: CliRunner) -> None:
    out = project / "out"
    result = runner.invoke(app, ["build", "small", "--root", str(project), "-o", str(out),
                                 "--variant", "standard", "--variant", "huge"])
    assert result.exit_code == 2
    assert "Error: unknown variant 'huge': choose one of standard, large-print, booklet" in result.output
    assert not out.exists()


def test_a_booklet_on_each_paper(project: Path, runner: CliRunner) -> None:
    out = project / "out"
    result = runner.invoke(app, ["build", "small", "--root", str(project), "-o", str(out), "--variant", "booklet",
                                 "--paper", "a4,letter"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "small-a5.pdf", "small-booklet-letter.pdf", "small-booklet.pdf", "small-half-letter.pdf"]
    assert page_size(out / "small-booklet-letter.pdf") == (792, 612)
