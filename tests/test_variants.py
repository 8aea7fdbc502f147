"""Every variant of every leaflet, read back from the PDFs: page sizes, booklet order, bleed, type sizes, layout.

Rendering is the slow part, so the module builds each variant and paper once (through the CLI's --all, as
people run it) and every test reads those files.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from pdfplumber.utils import extract_text
from pypdf import PdfReader
from typer.testing import CliRunner

from cli import app
from leaflets.imposition import impose_booklet, saddle_stitch_order
from leaflets.variants import PrintOptions
from tests.conftest import section_text, write_tree

MM = 72 / 25.4
BLEED = 3 * MM
TOLERANCE = 1.0  # points
A4, A5, LETTER = (595.28, 841.89), (419.53, 595.28), (612.0, 792.0)
HALF_LETTER = (396.0, 612.0)  # 5.5 x 8.5 in
SHEET = (841.89, 595.28)  # A4 landscape
LETTER_SHEET = (792.0, 612.0)  # US Letter landscape
FOOTER = re.compile(r"Page (\d+) of (\d+)")

LONG_TITLE = "Your first treatment for stage 4 kidney cancer"  # as long as the longest real title
PARAGRAPHS = "\n\n".join(
    f"Paragraph {i}. Your team will explain each step of your care, and you can ask them anything at any time."
    for i in range(14)
)
FILES: dict[str, str] = {
    "content/sections/alpha.md": section_text(
        "Alpha section", f"Alpha words come first.\n\n### Alpha detail\n\n{PARAGRAPHS}"
    ),
    "content/sections/beta.md": section_text("Beta section", "Beta words.\n\n- one item\n- two items\n\n" + PARAGRAPHS),
    "content/sections/gamma.md": section_text("Gamma section", "Medicines for your bones.", status="draft").replace(
        "tags: [test]", "tags: [test]\ndrug_table: [bone]"
    ),
    "content/drugs.yaml": "drugs:\n"
    + "".join(
        f"  - generic: {name}\n    type: bone\n    given: ask your team\n    use: Helps protect bones.\n"
        for name in ("zoledronic acid", "denosumab", "pamidronate")
    ),
    "content/glossary.yaml": "terms:\n  - term: bones\n    meaning: The frame of your body.\n",
    "content/leaflets/long.yaml": f"title: {LONG_TITLE}\nsubtitle: For tests\nintro: The intro.\n"
    "sections: [alpha, beta, gamma]\n",
    "content/leaflets/short.yaml": "title: A short leaflet\nsections: [gamma]\n",
}
LEAFLETS = ("long", "short")

# (variant, paper, print-ready): every layout people can ask for.
COMBOS = [
    ("standard", "a4", False),
    ("standard", "letter", False),
    ("large-print", "a4", False),
    ("large-print", "letter", False),
    ("booklet", "a4", False),
    ("booklet", "letter", False),
    ("standard", "a4", True),
    ("booklet", "a4", True),
]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build every leaflet in every combination with `leaflets build --all`, checking the files it names."""
    root = write_tree(tmp_path_factory.mktemp("variants"), FILES)
    folder = root / "out"
    runner = CliRunner()
    for variant, paper, print_ready in COMBOS:
        args = ["build", "--all", "--variant", variant, "--paper", paper, "--root", str(root), "-o", str(folder)]
        result = runner.invoke(app, args + (["--print-ready"] if print_ready else []))
        assert result.exit_code == 0, result.output
        options = PrintOptions(variant, paper, print_ready)
        expected = {f"{options.file_stem(name)}.pdf" for name in LEAFLETS}
        if variant == "booklet":
            expected |= {f"{options.booklet_stem(name)}.pdf" for name in LEAFLETS}
        written = {Path(line.removeprefix("Wrote ")).name for line in result.stdout.splitlines()}
        assert written == expected
    # Notes from the team push the writing lines down: the tightest page (Letter, large print) and the booklet.
    for variant, paper in (("large-print", "letter"), ("booklet", "a4")):
        notes = "notes=Take your tablets with food.\nCall us if your temperature is 38C or more."
        args = ["build", "long", "--variant", variant, "--paper", paper, "--set", notes]
        result = runner.invoke(app, [*args, "--root", str(root), "-o", str(folder / "notes")])
        assert result.exit_code == 0, result.output
    return folder


def read(path: Path) -> PdfReader:
    return PdfReader(BytesIO(path.read_bytes()))


def size(box: object) -> tuple[float, float]:
    return float(box.width), float(box.height)  # type: ignore[attr-defined]


def close(actual: tuple[float, float], expected: tuple[float, float]) -> bool:
    return all(abs(a - e) <= TOLERANCE for a, e in zip(actual, expected, strict=True))


@dataclass(frozen=True)
class Page:
    """What the tests need of one page, read once with pdfplumber (coordinates are pdfplumber's: y down)."""

    trim: tuple[float, float, float, float]  # x0, top, x1, bottom
    width: float
    chars: tuple[dict, ...]
    lines: tuple[dict, ...]
    rects: tuple[dict, ...]
    full_text: str

    def text(self, x0: float | None = None, x1: float | None = None) -> str:
        """The page's text, or the text of the characters between x0 and x1."""
        if x0 is None and x1 is None:
            return self.full_text
        low, high = -1e9 if x0 is None else x0, 1e9 if x1 is None else x1
        return extract_text([c for c in self.chars if low <= (c["x0"] + c["x1"]) / 2 < high])

    def body(self, top_mm: float, bottom_mm: float) -> list[dict]:
        """Characters between the page margins: the running header and footer are left out."""
        x0, top, x1, bottom = self.trim
        return [c for c in self.chars if top + top_mm * MM < c["top"] and c["bottom"] < bottom - bottom_mm * MM]


def pages_of(data: bytes) -> list[Page]:
    result = []
    with pdfplumber.open(BytesIO(data)) as pdf:
        for page in pdf.pages:
            result.append(Page(
                trim=tuple(getattr(page, "trimbox", None) or page.bbox),  # type: ignore[arg-type]
                width=float(page.width),
                chars=tuple(page.chars),
                full_text=page.extract_text() or "",
                lines=tuple({k: line[k] for k in ("x0", "x1", "top", "bottom", "width", "height")}
                            for line in page.lines),
                rects=tuple({k: rect[k] for k in ("x0", "x1", "top", "bottom", "width", "height")}
                            for rect in page.rects),
            ))
    return result


@cache
def layout(path: Path) -> list[Page]:
    return pages_of(path.read_bytes())


def common_size(path: Path, top_mm: float, bottom_mm: float) -> float:
    """The most common character size of the body text, over the whole document."""
    sizes: Counter[float] = Counter(round(c["size"], 1) for page in layout(path) for c in page.body(top_mm, bottom_mm))
    return sizes.most_common(1)[0][0]


# -- every variant builds, with the right page sizes ------------------------------------------------------


@pytest.mark.parametrize("leaflet", LEAFLETS)
def test_every_variant_builds_with_a_sensible_page_count(out: Path, leaflet: str) -> None:
    standard = len(read(out / f"{leaflet}.pdf").pages)
    assert 2 <= standard <= 8
    for variant, paper, print_ready in COMBOS:
        options = PrintOptions(variant, paper, print_ready)
        assert len(read(out / f"{options.file_stem(leaflet)}.pdf").pages) >= 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("long.pdf", A4),
        ("long-letter.pdf", LETTER),
        ("long-large-print.pdf", A4),
        ("long-large-print-letter.pdf", LETTER),
        ("long-a5.pdf", A5),
        ("long-booklet.pdf", SHEET),
        ("short.pdf", A4),
        ("short-a5.pdf", A5),
        ("short-booklet.pdf", SHEET),
        ("long-half-letter.pdf", HALF_LETTER),
        ("long-booklet-letter.pdf", LETTER_SHEET),
        ("short-half-letter.pdf", HALF_LETTER),
        ("short-booklet-letter.pdf", LETTER_SHEET),
    ],
)
def test_page_sizes(out: Path, name: str, expected: tuple[float, float]) -> None:
    reader = read(out / name)
    for page in reader.pages:
        assert close(size(page.mediabox), expected), (name, size(page.mediabox))
        assert float(page.mediabox.left) == 0 and float(page.mediabox.bottom) == 0


@pytest.mark.parametrize(("name", "trim"), [("long-print.pdf", A4), ("long-a5-print.pdf", A5)])
def test_print_ready_pages_have_bleed_and_trim_boxes(out: Path, name: str, trim: tuple[float, float]) -> None:
    # WeasyPrint's `bleed: 3mm` grows the MediaBox by 3 mm on every side and sets TrimBox to the page size.
    for page in read(out / name).pages:
        assert close(size(page.trimbox), trim)
        assert close(size(page.mediabox), (trim[0] + 2 * BLEED, trim[1] + 2 * BLEED))
        assert close(size(page.bleedbox), size(page.mediabox))
        assert abs(float(page.trimbox.left) - float(page.mediabox.left) - BLEED) <= TOLERANCE
        assert abs(float(page.trimbox.bottom) - float(page.mediabox.bottom) - BLEED) <= TOLERANCE


def crop_marks(page: Page) -> list[dict]:
    """Straight lines drawn entirely outside the trim box, i.e. in the bleed."""
    x0, top, x1, bottom = page.trim

    def outside(line: dict) -> bool:
        left, right = line["x1"] <= x0 + 0.5, line["x0"] >= x1 - 0.5
        return left or right or line["bottom"] <= top + 0.5 or line["top"] >= bottom - 0.5

    return [line for line in page.lines if outside(line)]


@pytest.mark.parametrize("name", ["long-print.pdf", "long-a5-print.pdf"])
def test_print_ready_pages_have_crop_marks_at_every_corner(out: Path, name: str) -> None:
    for page in layout(out / name):
        x0, top, x1, bottom = page.trim
        marks = crop_marks(page)
        assert len(marks) == 8  # two short lines at each corner, in the outer half of the bleed
        for mark in marks:
            # each mark continues a trim edge: its x (vertical) or y (horizontal) is on the trim line
            vertical = mark["width"] < 0.1 and min(abs(mark["x0"] - x0), abs(mark["x0"] - x1)) < 0.5
            horizontal = mark["height"] < 0.1 and min(abs(mark["top"] - top), abs(mark["top"] - bottom)) < 0.5
            assert vertical or horizontal
            assert abs(max(mark["width"], mark["height"]) - BLEED / 2) < 0.5


@pytest.mark.parametrize("name", ["long.pdf", "long-a5.pdf", "long-booklet.pdf"])
def test_plain_pages_have_no_bleed_or_marks(out: Path, name: str) -> None:
    for page in read(out / name).pages:
        assert size(page.trimbox) == size(page.mediabox)
    assert not any(crop_marks(page) for page in layout(out / name))


# -- the booklet folds into reading order -------------------------------------------------------------------


def halves(pages: list[Page]) -> list[tuple[str, str]]:
    """The text of the left and right half of every sheet side, split at the fold."""
    sides = []
    for page in pages:
        fold = (page.trim[0] + page.trim[2]) / 2
        sides.append((page.text(x1=fold), page.text(x0=fold)))
    return sides


def footer_numbers(pages: list[Page]) -> list[tuple[int | None, int | None]]:
    """The X of "Page X of Y" in each half sheet; None for a blank padding page."""

    def number(text: str) -> int | None:
        if not text.strip():
            return None
        found = FOOTER.findall(text)
        assert len(found) == 1, text
        return int(found[0][0])

    return [(number(left), number(right)) for left, right in halves(pages)]


def expected_numbers(count: int) -> list[tuple[int | None, int | None]]:
    return [(left if left <= count else None, right if right <= count else None)
            for left, right in saddle_stitch_order(count)]


@pytest.mark.parametrize("leaflet", LEAFLETS)
@pytest.mark.parametrize(("paper", "print_ready"), [("a4", False), ("a4", True), ("letter", False)])
def test_booklet_sheets_fold_into_reading_order(out: Path, leaflet: str, paper: str, print_ready: bool) -> None:
    options = PrintOptions("booklet", paper, print_ready)
    a5 = layout(out / f"{options.file_stem(leaflet)}.pdf")
    count = len(a5)
    sheets = layout(out / f"{options.booklet_stem(leaflet)}.pdf")
    assert len(sheets) == -(-count // 4) * 2  # padded to a multiple of four pages, two per sheet side
    assert footer_numbers(sheets) == expected_numbers(count)
    assert [FOOTER.search(page.text()).groups() for page in a5] == [(str(n), str(count)) for n in range(1, count + 1)]


def test_blank_padding_pages_stay_blank(out: Path) -> None:
    # Whatever the page count of the test leaflets, impose the first five real A5 pages too, so that
    # blank padding pages (6, 7 and 8, on both halves of a sheet) are always exercised.
    source = pikepdf.open(BytesIO((out / "long-a5.pdf").read_bytes()))
    del source.pages[5:]
    buffer = BytesIO()
    source.save(buffer)
    sheets = pages_of(impose_booklet(buffer.getvalue()))
    assert footer_numbers(sheets) == [(None, 1), (2, None), (None, 3), (4, 5)]
    assert expected_numbers(5) == [(None, 1), (2, None), (None, 3), (4, 5)]


def test_print_ready_sheets_put_trimmed_pages_against_the_fold(out: Path) -> None:
    # The sheet's TrimBox is the spread of two trimmed A5 pages; the bleed shows only around it.
    for page in read(out / "long-booklet-print.pdf").pages:
        assert close(size(page.trimbox), (2 * A5[0], A5[1]))
        assert close(size(page.mediabox), (2 * A5[0] + 2 * BLEED, A5[1] + 2 * BLEED))
        assert close((float(page.trimbox.left), float(page.trimbox.bottom)), (BLEED, BLEED))
    first = layout(out / "long-booklet-print.pdf")[0]
    fold = (first.trim[0] + first.trim[2]) / 2
    # page 1 (the right half) starts at the fold: its text begins one A5 margin (14 mm) right of it
    assert abs(min(c["x0"] for c in first.chars if c["x0"] > fold) - fold - 14 * MM) < 2


def bleed_pdf(count: int, rotate: bool) -> bytes:
    """Pages of A5 trim with 3 mm bleed, "Pk" written 10 pt inside the trim's lower-left corner (as shown)."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    width, height = (595, 420) if rotate else (420, 595)  # rotated: landscape media shown upright
    for k in range(1, count + 1):
        # turned a quarter anticlockwise on the media, the text reads upright once /Rotate 90 turns it back
        matrix = f"0 1 -1 0 {width - 10} 10" if rotate else "1 0 0 1 10 10"
        text = f"BT /F1 12 Tf {matrix} Tm (P{k}) Tj ET"
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page, MediaBox=[-BLEED, -BLEED, width + BLEED, height + BLEED],
            TrimBox=[0, 0, width, height], Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
            Contents=pdf.make_stream(text.encode()),
        )
        if rotate:
            page.Rotate = 90
        pdf.pages.append(pikepdf.Page(page))
    buffer = BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("rotate", [False, True])
def test_bleed_pages_are_imposed_trim_against_the_fold(rotate: bool) -> None:
    imposed = impose_booklet(bleed_pdf(4, rotate))
    for page in PdfReader(BytesIO(imposed)).pages:
        assert close(size(page.mediabox), (840 + 2 * BLEED, 595 + 2 * BLEED))
        assert close((float(page.trimbox.left), float(page.trimbox.bottom)), (BLEED, BLEED))
        assert close(size(page.trimbox), (840, 595))
    fold = BLEED + 420
    for side, (left, right) in zip(pages_of(imposed), [(4, 1), (2, 3)], strict=True):
        starts = {c["text"]: c["x0"] for c in side.chars if c["text"] != "P"}
        # the left page's trim ends at the fold and the right page's trim starts there
        assert set(starts) == {str(left), str(right)}
        assert starts[str(right)] - starts[str(left)] == pytest.approx(420, abs=0.5)
        assert min(starts.values()) < fold < max(starts.values())


def test_booklet_page_numbers_sit_on_the_outer_edge(out: Path) -> None:
    for number, page in enumerate(layout(out / "long-a5.pdf"), start=1):
        on_left = bool(FOOTER.search(page.text(x1=page.width / 2)))
        assert on_left == (number % 2 == 0), number  # even pages are left-hand pages in a booklet


# -- type sizes and layout -------------------------------------------------------------------------------------

# top and bottom page margins in mm: the running header and footer sit outside them
MARGINS = {"standard": (22, 24), "large-print": (18, 22), "booklet": (15, 17)}


@pytest.mark.parametrize(
    ("name", "variant", "minimum", "target"),
    [
        ("long.pdf", "standard", 12, 14),
        ("long-letter.pdf", "standard", 12, 14),
        ("long-large-print.pdf", "large-print", 16, 18),
        ("long-large-print-letter.pdf", "large-print", 16, 18),
        ("long-a5.pdf", "booklet", 12, 12),
        ("long-half-letter.pdf", "booklet", 12, 12),
    ],
)
def test_body_text_size(out: Path, name: str, variant: str, minimum: float, target: float) -> None:
    body = common_size(out / name, *MARGINS[variant])
    assert body >= minimum
    assert body == pytest.approx(target, abs=0.1)


@pytest.mark.parametrize("name", ["long-large-print.pdf", "long-large-print-letter.pdf"])
def test_large_print_has_no_small_text_and_larger_headings(out: Path, name: str) -> None:
    chars = [c for page in layout(out / name) for c in page.body(*MARGINS["large-print"])]
    small = {c["text"] for c in chars if c["size"] < 16 - 0.05}
    assert not small, f"text below 16pt in large print: {''.join(sorted(small))[:80]}"
    assert max(c["size"] for c in chars) >= 1.8 * 18  # the title
    sizes = Counter(round(c["size"], 1) for c in chars)
    assert any(s >= 1.3 * 18 and n > 20 for s, n in sizes.items() if s < 1.8 * 18)  # section headings


def test_large_print_is_reflowed_not_scaled(out: Path) -> None:
    standard, large = read(out / "long.pdf"), read(out / "long-large-print.pdf")
    assert size(large.pages[0].mediabox) == size(standard.pages[0].mediabox)
    assert len(large.pages) > len(standard.pages)
    lines = [line for page in layout(out / "long-large-print.pdf") for line in page.text().splitlines()]
    wrapped = [line for line in lines if "explain each step" in line or "anything at any time" in line]
    assert wrapped and max(len(line) for line in wrapped) <= 70  # about 55 characters a line at 18pt


@pytest.mark.parametrize(
    "name",
    ["long.pdf", "long-letter.pdf", "long-large-print.pdf", "long-large-print-letter.pdf", "long-a5.pdf",
     "long-half-letter.pdf"],
)
def test_notes_page_holds_all_its_writing_lines(out: Path, name: str) -> None:
    # The notes start a page and the contact box starts the next: writing lines that spill over would
    # leave a page of a few lines between them.
    texts = [page.text() for page in layout(out / name)]
    notes = next(i for i, text in enumerate(texts) if "My questions and notes" in text)
    assert "Contact your team" in texts[notes + 1]


# writing lines on the notes page: (height in mm, how many) in each variant
WRITING_LINES = {"standard": (11, 12), "large-print": (14, 7), "booklet": (8.5, 10)}


@pytest.mark.parametrize(
    ("name", "variant"),
    [
        ("long.pdf", "standard"),
        ("long-letter.pdf", "standard"),
        ("long-large-print.pdf", "large-print"),
        ("long-large-print-letter.pdf", "large-print"),
        ("long-a5.pdf", "booklet"),
        ("long-half-letter.pdf", "booklet"),
        ("notes/long-large-print-letter.pdf", "large-print"),
        ("notes/long-a5.pdf", "booklet"),
    ],
)
def test_writing_lines_are_never_split_across_pages(out: Path, name: str, variant: str) -> None:
    height, count = WRITING_LINES[variant]

    def is_line(rect: dict, page: Page) -> bool:
        return abs(rect["height"] - height * MM) < 0.3 and rect["width"] > page.width / 2

    found = [
        sorted({round(r["top"]) for r in page.rects if is_line(r, page)})
        for page in layout(out / name)
    ]
    pages = [lines for lines in found if lines]
    assert [len(lines) for lines in pages] == [count], found
    if name.startswith("notes/"):
        assert any("Take your tablets with food." in page.text() for page in layout(out / name))


@pytest.mark.parametrize(
    ("name", "variant"),
    [
        ("long.pdf", "standard"),
        ("long-letter.pdf", "standard"),
        ("long-large-print.pdf", "large-print"),
        ("long-large-print-letter.pdf", "large-print"),
        ("long-a5.pdf", "booklet"),
        ("long-half-letter.pdf", "booklet"),
    ],
)
def test_running_title_and_draft_mark_do_not_touch(out: Path, name: str, variant: str) -> None:
    for page in layout(out / name)[1:]:
        head = [c for c in page.chars if c["bottom"] < page.trim[1] + MARGINS[variant][0] * MM]
        title = [c for c in head if "Bold" not in c["fontname"]]
        draft = [c for c in head if "Bold" in c["fontname"]]
        assert title and draft
        for line_top in {round(c["top"]) for c in draft}:  # on any line they share, a clear gap
            same = [c["x1"] for c in title if abs(c["top"] - line_top) < 2]
            if same:
                assert min(c["x0"] for c in draft if abs(c["top"] - line_top) < 2) - max(same) >= 3 * MM


@pytest.mark.parametrize("name", ["long.pdf", "long-large-print.pdf", "long-a5.pdf", "long-half-letter.pdf"])
def test_drug_table_caption_stays_with_its_table(out: Path, name: str) -> None:
    texts = [page.text() for page in layout(out / name) if "Medicines in this section" in page.text()]
    assert texts and re.search(r"\bMedicine\s+Brand\b", texts[0].split("Medicines in this section", 1)[1])
