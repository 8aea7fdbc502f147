"""Names in many scripts print with real glyphs from the bundled fonts, never empty boxes.

styles/leaflet.css declares Atkinson Hyperlegible, then Noto Sans (Greek, Cyrillic, Vietnamese) and
Noto Sans Arabic; a name must read back exactly from the PDF, every font must be embedded, and no
glyph may be .notdef (glyph 0, or a glyph the embedded font does not have).
"""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from typer.testing import CliRunner

from cli import app

NAMES = {
    "latin-accents": "Zoë Ångström",
    "irish": "Siobhán Ó Briain",
    "greek": "Νίκος Παπαδόπουλος",
    "cyrillic": "Анна Иванова",
    "vietnamese": "Nguyễn Thị Minh",
    "arabic": "محمد عبد الله",
}
BUNDLED = ("Atkinson-Hyperlegible", "Noto-Sans", "Noto-Sans-Arabic")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One project, one PDF per name (the renderer stays warm between them)."""
    from tests.conftest import section_text, write_tree

    root = write_tree(tmp_path_factory.mktemp("scripts"), {
        "content/sections/alpha.md": section_text("Alpha section", "Alpha words come first."),
        "content/leaflets/small.yaml": "title: A small leaflet\nsections: [alpha]\n",
    })
    runner = CliRunner()
    pdfs = {}
    for key, name in NAMES.items():
        out = root / "out" / key
        result = runner.invoke(app, ["build", "small", "--root", str(root), "-o", str(out), "--set",
                                     f"patient_name={name}"])
        assert result.exit_code == 0, result.output
        assert "Warning" not in result.stderr, result.stderr
        pdfs[key] = out / "small.pdf"
    return pdfs


def normal(text: str) -> str:
    """Compare text as a reader sees it: NFKC (Arabic presentation forms -> letters), no white space."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def prepared_for(pdf: Path) -> str:
    text = PdfReader(pdf).pages[0].extract_text() or ""
    line = next(ln for ln in text.splitlines() if ln.startswith("Prepared for"))
    return line.removeprefix("Prepared for").strip()


@pytest.mark.parametrize("key", NAMES)
def test_name_reads_back_exactly(built: dict[str, Path], key: str) -> None:
    name, shown = NAMES[key], prepared_for(built[key])
    assert "\ufffd" not in shown
    if key == "arabic" and normal(shown) != normal(name):
        # Some extractors give right-to-left text in visual order: words or letters reversed.
        assert normal(shown) in (normal(" ".join(reversed(name.split()))), normal(name)[::-1]), shown
    else:
        assert normal(shown) == normal(name)
        assert shown == name


@pytest.mark.parametrize("key", NAMES)
def test_every_letter_comes_from_a_bundled_font(built: dict[str, Path], key: str) -> None:
    with pdfplumber.open(built[key]) as pdf:
        chars = pdf.pages[0].chars
    for letter in set(NAMES[key].replace(" ", "")):
        fonts = {c["fontname"].split("+", 1)[-1] for c in chars if normal(c["text"]) == normal(letter)}
        assert fonts, f"{letter!r} is not in the PDF text"
        assert all(f.startswith(BUNDLED) for f in fonts), (letter, fonts)


def _glyph_problems(pdf_path: Path) -> list[str]:
    """Fonts that are not embedded, and glyphs that are .notdef or missing from their embedded font."""
    problems = []
    with pikepdf.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            glyph_counts: dict[str, int] = {}
            for resource, font in page.resources.get("/Font", {}).items():
                descriptor = (font.DescendantFonts[0] if "/DescendantFonts" in font else font).get("/FontDescriptor")
                embedded = descriptor is not None and any(
                    k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                if not embedded:
                    problems.append(f"page {number}: {font.get('/BaseFont')} is not embedded")
                    continue
                if font.get("/Subtype") == "/Type0" and "/FontFile2" in descriptor:
                    ttf = TTFont(io.BytesIO(descriptor.FontFile2.read_bytes()))
                    glyph_counts[str(resource)] = ttf["maxp"].numGlyphs
            current = None
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) == "Tf":
                    current = str(operands[0])
                elif str(operator) in ("Tj", "TJ") and current in glyph_counts:
                    strings = operands[0] if str(operator) == "TJ" else [operands[0]]
                    for item in strings:
                        if isinstance(item, pikepdf.String):
                            raw = bytes(item)
                            for i in range(0, len(raw), 2):
                                gid = int.from_bytes(raw[i : i + 2], "big")
                                if gid == 0 or gid >= glyph_counts[current]:
                                    problems.append(f"page {number}: glyph {gid} of {current} is an empty box")
    return problems


@pytest.mark.parametrize("key", NAMES)
def test_fonts_embedded_and_no_empty_boxes(built: dict[str, Path], key: str) -> None:
    assert _glyph_problems(built[key]) == []
    text = "".join(page.extract_text() or "" for page in PdfReader(built[key]).pages)
    assert "\ufffd" not in text and "\u25a1" not in text


def test_the_empty_box_check_can_fail(tmp_path: Path) -> None:
    """A character no font has would be drawn as a box: the build refuses it, and the check above notices one."""
    import weasyprint

    from tests.conftest import section_text, write_tree

    root = write_tree(tmp_path / "p", {
        "content/sections/alpha.md": section_text("Alpha section", "Alpha words."),
        "content/leaflets/small.yaml": "title: A small leaflet\nsections: [alpha]\n",
    })
    result = CliRunner().invoke(app, ["build", "small", "--root", str(root), "-o", str(root / "out"), "--set",
                                      "patient_name=A\U000f0001B"])  # a private-use character: no font has it
    assert result.exit_code == 2 and "patient_name: has private-use or unassigned characters" in result.output
    boxes = tmp_path / "boxes.pdf"
    weasyprint.HTML(string="<p style='font-family: sans-serif'>A\U000f0001B</p>").write_pdf(boxes)
    assert _glyph_problems(boxes)
