"""Hostile input, round two: hidden direction marks, missing glyphs, overflow, links, templates, SVGs, the CLI.

Each test reads back what a reader of the PDF (or of the terminal) would see. The input files live in
tests/hostile/ with the rest of the corpus.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from typer.testing import CliRunner

from leaflets import writers
from tests.conftest import section_text
from tests.test_cli_errors import LEAFLETS, assert_user_error, build_args, invoke
from tests.test_hostile import HOSTILE, TARGET, link_targets, own_templates, squash

PHONE = "0118 496 0123"


def layout_text(path: Path) -> str:
    """The PDF's text in the order it is laid out on the page (what a reader sees, right to left included)."""
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def embedded_fonts(path: Path) -> set[str]:
    """The names of the fonts embedded in a PDF, without their subset prefix."""
    names = set()
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and "/BaseFont" in obj:
                names.add(str(obj.BaseFont).lstrip("/").split("+", 1)[-1])
    return names


# -- 1. direction marks and phone numbers --------------------------------------------------------------------


def test_phone_numbers_print_left_to_right_even_in_right_to_left_text(runner: CliRunner, make_project) -> None:
    site = f"name: Ward 5\nteam_phone: {PHONE}\nout_of_hours_phone: 0118 496 0999\n"
    root = make_project({TARGET["site"]: site})
    own_templates(root, extra_head="<style>dd { direction: rtl; }</style>")  # a right-to-left page around them
    args = build_args(root, "--site", "hostile", "--set", "team_name=\u05e6\u05d5\u05d5\u05ea", "--html")
    result = invoke(runner, *args)
    assert result.exit_code == 0, result.output
    html = (root / "out" / "small.html").read_text("utf-8")
    for number in (PHONE, "0118 496 0999"):  # every time a number prints (box, card, urgent signs) it is isolated
        isolated = re.findall(rf'<bdi dir="ltr"[^>]*>{re.escape(number)}</bdi>', html)
        assert len(isolated) == html.count(number) >= 1
    text = layout_text(root / "out" / "small.pdf")
    assert PHONE in text and "0118 496 0999" in text, text
    assert "0123 496 0118" not in text


def test_a_typed_phone_number_on_the_cover_is_isolated_too(runner: CliRunner, project: Path) -> None:
    own_templates(project, extra_head="<style>dd { direction: rtl; }</style>")
    result = invoke(runner, *build_args(project, "--set", f"team_phone={PHONE}", "--set", "patient_name=Sam"))
    assert result.exit_code == 0, result.output
    text = layout_text(project / "out" / "small.pdf")
    assert text.count(PHONE) == 3, text  # the cover, the contact box and the cut-out card
    assert "0123 496 0118" not in text


@pytest.mark.parametrize("mark", ["\u200e", "\u200f", "\u061c", "\u202a", "\u202e", "\u2066", "\u2067", "\u2068",
                                  "\u2069", "\u200b", "\u2060", "\ufeff", "\U000e0020", "\x85", "\x9b"])
def test_every_invisible_mark_is_refused_in_every_detail(runner: CliRunner, project: Path, mark: str) -> None:
    for key in ("patient_name", "prepared_by", "team_name", "team_phone", "next_appointment", "notes"):
        result = invoke(runner, *build_args(project, "--set", f"{key}=0800{mark}123 456"))
        text = assert_user_error(result, f"{key}: contains")
        assert "0800" not in text, "the value is never echoed"
    assert not (project / "out").exists()


def test_joiners_that_scripts_need_are_kept(runner: CliRunner, project: Path) -> None:
    result = invoke(runner, *build_args(project, "--details", HOSTILE / "details-joiners-kept.yaml"))
    assert result.exit_code == 0, result.output
    pdf = project / "out" / "small.pdf"
    assert {"Noto-Sans-Devanagari", "Noto-Sans-Arabic"} <= embedded_fonts(pdf)
    assert "Sam" in layout_text(pdf)


# -- 3. glyphs: real letters or a clear refusal, never empty boxes -------------------------------------------------


def _has_cjk_font() -> bool:
    listing = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout
    return bool(listing.strip())


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="needs fontconfig's fc-list")
def test_a_chinese_name_prints_or_is_refused_naming_the_field(runner: CliRunner, project: Path) -> None:
    result = invoke(runner, *build_args(project, "--set", "patient_name=王小明"))
    if _has_cjk_font():  # scripts/setup.sh installs fonts-noto-cjk
        assert result.exit_code == 0, result.output
        pdf = project / "out" / "small.pdf"
        assert "Prepared for 王小明" in layout_text(pdf)
        assert any("CJK" in name for name in embedded_fonts(pdf))
    else:
        text = assert_user_error(result, "patient_name: has Chinese, Japanese or Korean characters", "setup.sh")
        assert "王" not in text


def test_hebrew_and_devanagari_print_with_the_shipped_fonts(runner: CliRunner, project: Path) -> None:
    name = "\u05e9\u05e8\u05d4 \u0938\u0940\u0924\u093e"
    result = invoke(runner, *build_args(project, "--set", f"patient_name={name}"))
    assert result.exit_code == 0, result.output
    pdf = project / "out" / "small.pdf"
    assert {"Noto-Sans-Hebrew", "Noto-Sans-Devanagari"} <= embedded_fonts(pdf)
    assert "\u0938\u0940\u0924\u093e" in layout_text(pdf)


@pytest.mark.parametrize("value", ["\U00013000\U00013001", "Sam \U0001e900", "\ue000"], ids=["egyptian", "adlam",
                                                                                            "private-use"])
def test_characters_no_font_has_are_refused_naming_the_field(runner: CliRunner, project: Path, value: str) -> None:
    result = invoke(runner, *build_args(project, "--set", f"notes={value}"))
    text = assert_user_error(result, "notes: has ", "no font here can print them (they would show as empty boxes)")
    assert value not in text and "U+" not in text, "a patient's characters are never echoed"
    assert not (project / "out" / "small.pdf").exists()


# -- 4. long values wrap inside their box ----------------------------------------------------------------------


def test_long_values_without_break_points_stay_on_the_page(runner: CliRunner, project: Path) -> None:
    name, phone, notes = "A" * 120, "1" * 30, "N" * 2000
    args = ["--set", f"patient_name={name}", "--set", f"team_phone={phone}", "--set", f"notes={notes}"]
    assert invoke(runner, *build_args(project, *args)).exit_code == 0
    counts = {"A": 0, "1": 0, "N": 0}
    with pdfplumber.open(project / "out" / "small.pdf") as pdf:
        for page in pdf.pages:
            for char in page.chars:
                assert char["x0"] >= 0 and char["x1"] <= page.width - 40, (page.page_number, char["text"])
                assert char["top"] >= 0 and char["bottom"] <= page.height, (page.page_number, char["text"])
            text = squash(page.extract_text() or "")
            counts = {k: counts[k] + text.count(k * 40) * 40 for k in "AN"} | {"1": counts["1"] + text.count(phone)}
    assert counts["N"] >= 2000 - 40 and counts["A"] >= 120 - 40 and counts["1"] >= 3  # cover, contact box, card


# -- 9. links ----------------------------------------------------------------------------------------------------


def test_only_web_email_and_phone_links_are_clickable(runner: CliRunner, make_project) -> None:
    root = make_project({TARGET["section"]: (HOSTILE / "section-unsafe-links.md").read_bytes()})
    assert invoke(runner, *build_args(root)).exit_code == 0
    pdf = root / "out" / "small.pdf"
    targets = link_targets(pdf)
    assert set(targets) == {"https://example.org/kidney", "mailto:team@example.org", "tel:+441184960123"}
    text = squash(pdf_plain := layout_text(pdf))
    for words in ("page", "file:///etc/shadow", "notes", "share", "ftp", "cmd"):
        assert squash(words) in text, pdf_plain


# -- 10. project templates are sandboxed --------------------------------------------------------------------------

ESCAPES = {
    "globals": "{{ cycler.__init__.__globals__.os.popen('touch /tmp/leaflets-sandbox').read() }}",
    "mro": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "mutate": "{{ plan.sections.append(1) }}",
}


@pytest.mark.parametrize("escape", ESCAPES.values(), ids=ESCAPES.keys())
def test_project_templates_cannot_run_code(runner: CliRunner, project: Path, escape: str) -> None:
    marker = Path("/tmp/leaflets-sandbox")
    marker.unlink(missing_ok=True)
    own_templates(project, extra_body=escape)
    result = invoke(runner, *build_args(project))
    assert_user_error(result, "template error: ", "templates run in a sandbox", path="leaflet.html")
    assert not marker.exists() and not (project / "out" / "small.pdf").exists()


# -- 11. unreadable SVGs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in HOSTILE.glob("image-*.svg")))
def test_bad_svgs_are_left_out_with_a_warning(runner: CliRunner, make_project, name: str) -> None:
    body = f"![a diagram](content/images/{name})\n\n![a good one](content/images/good.svg)"
    good = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    root = make_project({TARGET["section"]: section_text("Pictures", body), f"content/images/{name}":
                         (HOSTILE / name).read_bytes(), "content/images/good.svg": good})
    result = invoke(runner, *build_args(root))
    assert result.exit_code == 0, result.output
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("Warning: ")]
    assert len(warnings) == 1 and f"{name} (not a readable image" in warnings[0], result.stderr
    assert "root:x" not in layout_text(root / "out" / "small.pdf")


# -- 8. the command line ----------------------------------------------------------------------------------------

USAGE_ERRORS = {
    "port-too-big": (["serve", "--port", "99999"], "--port"),
    "port-negative": (["serve", "--port", "-1"], "--port"),
    "port-zero": (["serve", "--port", "0"], "--port"),
    "port-not-a-number": (["serve", "--port", "eighty"], "--port"),
    "host-not-a-host": (["serve", "--host", "not a host"], "--host': must be an IP address"),
    "host-with-path": (["serve", "--host", "example.org/x"], "--host"),
    "unknown-option": (["build", "--colour"], "No such option: --colour"),
    "unknown-command": (["bild"], "No such command 'bild'"),
    "missing-argument": (["batch"], "Missing argument"),
}


@pytest.mark.parametrize("case", USAGE_ERRORS.values(), ids=USAGE_ERRORS.keys())
def test_usage_errors_are_one_line_and_exit_2(case: tuple[list[str], str]) -> None:
    args, fragment = case
    result = subprocess.run([LEAFLETS, *args], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: "), result.stderr
    assert fragment in result.stderr and "--help'" in result.stderr and "Traceback" not in result.stderr


def test_a_read_only_disk_is_reported_as_read_only(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = project / "out"
    out.mkdir()
    access, statvfs = os.access, os.statvfs

    class ReadOnly:
        f_flag = os.ST_RDONLY

    def no_writing(path: Path, mode: int, **kwargs: object) -> bool:
        return not (Path(path) == out and mode & os.W_OK) and access(path, mode, **kwargs)

    monkeypatch.setattr(writers.os, "access", no_writing)
    monkeypatch.setattr(writers.os, "statvfs", lambda path: ReadOnly() if Path(path) == out else statvfs(path))
    text = assert_user_error(invoke(runner, *build_args(project)), "cannot write to the output folder")
    assert "the disk is read-only" in text and "permission denied" not in text


# -- 6. CSV rows: problems name the row and column, never the patient -------------------------------------------

CSV_EXPECTED = {
    "csv-bidi-phone.csv": "row 1: team_phone: contains an invisible text-direction character (U+200F",
    "csv-c1-control.csv": "row 1: patient_name: contains control characters",
    "csv-name-in-leaflet-column.csv": "row 1: leaflet: not a leaflet in this set",
    "csv-no-header-row.csv": "line 1: the first row must name the columns (leaflet, patient_name, ...)",
    "csv-no-leaflet-column.csv": "needs a 'leaflet' column",
    "csv-zero-width-space.csv": "row 1: notes: contains an invisible character (U+200B zero width space)",
}


def test_every_csv_in_the_corpus_has_an_expectation() -> None:
    assert sorted(p.name for p in HOSTILE.glob("csv-*.csv")) == sorted(CSV_EXPECTED)


@pytest.mark.parametrize("name", sorted(CSV_EXPECTED))
def test_hostile_csv(runner: CliRunner, make_project, name: str) -> None:
    root = make_project({"content/sets/test.yaml": "title: Test\nleaflets: [small]\n"})
    source = HOSTILE / name
    result = invoke(runner, "batch", root / "content/sets/test.yaml", "-o", root / "out", "--data", source,
                    "--root", root)
    text = assert_user_error(result, CSV_EXPECTED[name], path=name)
    for word in ("Sam", "Jones", "Alex", "jones", "0800", "Bloods", "Monday"):
        assert word not in result.output, f"{word!r} echoed: {text}"
    assert not (root / "out").exists() or not list((root / "out").glob("*.pdf"))
