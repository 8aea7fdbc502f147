"""Assembly and rendering: sections in order, escaping, PDF text, metadata and tags."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from leaflets.build import BuildRequest, build
from leaflets.details import load_details
from leaflets.document import render_html
from leaflets.library import Library
from leaflets.plan import plan_leaflet
from leaflets.project import Project
from tests.conftest import pdf_pages, pdf_text, section_text

NAME = "Zoë O'Brien <b>"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One real build shared by the rendering tests (rendering is the slow part)."""
    from tests.conftest import write_tree

    root = tmp_path_factory.mktemp("proj")
    body = "\n\n".join(f"Paragraph {i}. Your team will explain each step. You can ask questions." for i in range(40))
    write_tree(root, {
        "content/sections/alpha.md": section_text("Alpha section", body),
        "content/sections/beta.md": section_text("Beta section", "Beta words about a tumour."),
        "content/glossary.yaml": "terms:\n  - term: tumour\n    meaning: A lump.\n"
        "  - term: unused\n    meaning: Never in the text.\n",
        "content/leaflets/small.yaml": "title: A small leaflet\nsubtitle: For tests\nsections: [alpha, beta]\n",
        "content/sites/clinic.yaml": "name: Test Clinic\nteam_phone: 0118 496 0000\nlocale: en-GB\n",
    })
    out = root / "out"
    build(BuildRequest(leaflets=("small",), site="clinic", details=load_details(None, [f"patient_name={NAME}"])),
          out, root)
    return root, out / "small.pdf"


def test_sections_in_order_and_details_escaped(project: Path) -> None:
    library = Library(Project(project))
    plan = plan_leaflet(library, library.recipe("small"), details=load_details(None, [f"patient_name={NAME}"]))
    html = render_html(plan, Project(project))
    assert html.index("Alpha section") < html.index("Beta section")
    assert "Zoë O&#39;Brien &lt;b&gt;" in html
    assert "<b>" not in html


def test_glossary_lists_only_terms_used(project: Path) -> None:
    library = Library(Project(project))
    plan = plan_leaflet(library, library.recipe("small"))
    assert [t.term for t in plan.glossary] == ["alpha"]


def test_next_review_is_earliest_of_sections(make_project) -> None:
    root = make_project({"content/sections/beta.md": section_text("Beta", "Text.", next_review="2027-03-01")})
    library = Library(Project(root))
    plan = plan_leaflet(library, library.recipe("small"))
    assert plan.next_review.isoformat() == "2027-03-01"


def test_content_version_ignores_personal_details(project: Path) -> None:
    library = Library(Project(project))
    a = plan_leaflet(library, library.recipe("small"))
    b = plan_leaflet(library, library.recipe("small"), details=load_details(None, ["patient_name=Sam"]))
    assert a.content_version == b.content_version and len(a.content_version) == 10


def test_pdf_text_shows_details_exactly_and_the_governance_block(built: tuple[Path, Path]) -> None:
    _, pdf = built
    text = pdf_text(pdf)
    assert NAME in text
    for expected in ("A small leaflet", "Prepared for", "Questions to ask and my notes", "Contact your team",
                     "0118 496 0000", "Last reviewed", "Next review", "Content version",
                     "This leaflet is available in other formats, ask your team", "Test Publisher",
                     "Draft: not yet clinically approved"):
        assert expected in text, expected
    assert text.index("Alpha section") < text.index("Beta section")
    pages = pdf_pages(pdf)
    assert pages >= 3
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert text.count("Draft: not yet clinically approved") >= pages


def test_glossary_in_pdf_has_only_used_terms(built: tuple[Path, Path]) -> None:
    text = pdf_text(built[1])
    assert "Words we use" in text and "A lump." in text and "Never in the text." not in text


def test_pdf_metadata_language_tags_and_fonts(built: tuple[Path, Path]) -> None:
    with pikepdf.open(built[1]) as pdf:
        assert str(pdf.docinfo["/Title"]) == "A small leaflet"
        assert str(pdf.docinfo["/Author"]) == "Test Clinic"
        assert str(pdf.docinfo["/Subject"]) == "For tests"
        assert str(pdf.Root.Lang) == "en-GB"
        assert "/StructTreeRoot" in pdf.Root
        assert bool(pdf.Root.MarkInfo.Marked)
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                descriptor = descendant.FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), "font not embedded"


def test_html_output_renders_the_same_with_plain_weasyprint(built: tuple[Path, Path], tmp_path: Path) -> None:
    import subprocess
    import sys

    root, pdf = built
    build(BuildRequest(leaflets=("small",), site="clinic"), tmp_path, root, html=True)
    html_file = tmp_path / "small.html"
    assert html_file.exists()
    plain = tmp_path / "plain.pdf"
    subprocess.run([sys.executable, "-m", "weasyprint", str(html_file), str(plain)], check=True, capture_output=True)
    assert pdf_pages(plain) == pdf_pages(tmp_path / "small.pdf")
    assert pdf_text(plain).replace(" ", "") == pdf_text(tmp_path / "small.pdf").replace(" ", "")


def test_outside_images_are_not_fetched(make_project, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    body = "Look: ![secret](file:///etc/passwd) and ![remote](http://example.invalid/x.png) end."
    root = make_project({"content/sections/alpha.md": section_text("Alpha", body)})
    with caplog.at_level("WARNING", logger="leaflets"):
        written = build(BuildRequest(leaflets=("small",)), tmp_path / "out", root)
    assert written and "root:x:0:0" not in pdf_text(written[0])
    warnings = " ".join(r.getMessage() for r in caplog.records)
    assert "file:///etc/passwd" in warnings and "http://example.invalid/x.png" in warnings


def test_output_written_whole_no_temp_files_left(built: tuple[Path, Path]) -> None:
    out = built[1].parent
    assert not list(out.glob(".leaflets-*"))
