"""Accessibility of the PDFs as WeasyPrint's PDF/UA-1 mode writes them: tags, language, title, bookmarks,
alt text, running heads kept out of the reading order, and reading order itself.

What WeasyPrint 70 does and does not do is written down in the tests' comments; the module builds each
variant once.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from pypdf import PdfReader

from leaflets.build import BuildRequest, build
from leaflets.details import load_details
from leaflets.library import SiteProfile
from leaflets.qr import qr_img, qr_target
from leaflets.schema import SiteFile
from leaflets.variants import PrintOptions
from tests.conftest import section_text, write_tree

MM = 72 / 25.4
TITLE = "Living with a test condition"
LOCALE = "en-CA"  # not the default, so the test shows /Lang follows the site profile
ONLINE = "https://example.org/leaflets/{leaflet}"
PATIENT = "Sam Jones"
SECTIONS = ["Alpha section", "Beta section"]
FILES = {
    "content/sections/alpha.md": section_text(
        "Alpha section", "Alpha words come first.\n\n### Alpha detail\n\nMore alpha words about your care."
    ),
    "content/sections/beta.md": section_text("Beta section", "Beta words.\n\n- one item\n- two items"),
    "content/glossary.yaml": "terms:\n  - term: alpha\n    meaning: The first letter.\n",
    "content/leaflets/tagged.yaml": f"title: {TITLE}\nsubtitle: For tests\naudience: For testers.\n"
    "intro: Intro words explain what this leaflet is for.\nsections: [alpha, beta]\n",
    "content/sites/clinic.yaml": f"name: Test Clinic\nteam_phone: 0118 496 0000\nlocale: {LOCALE}\n"
    f"online_url: {ONLINE}\n",
}
# The tagged files people read (the imposed booklet is a print file, checked separately).
TAGGED = ["tagged.pdf", "tagged-large-print.pdf", "tagged-a5.pdf"]
# Top and bottom page margins in mm (leaflet.css, large-print.css, booklet.css): running heads sit outside.
MARGINS = {"tagged.pdf": (22, 24), "tagged-large-print.pdf": (18, 22), "tagged-a5.pdf": (15, 17)}


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_tree(tmp_path_factory.mktemp("a11y"), FILES)
    details = load_details(None, [f"patient_name={PATIENT}", "prepared_by=Nurse Lee"])
    for variant in ("standard", "large-print", "booklet"):
        request = BuildRequest(leaflets=("tagged",), site="clinic", details=details, options=PrintOptions(variant))
        build(request, root / "out", root)
    return root / "out"


def struct_elements(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every structure element reachable from the StructTreeRoot, depth first."""
    found: list[pikepdf.Dictionary] = []

    def walk(node: object) -> None:
        if isinstance(node, pikepdf.Array):
            for kid in node:
                walk(kid)
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
            found.append(node)
            if "/K" in node:
                walk(node.K)

    walk(pdf.Root.StructTreeRoot.K)
    return found


# -- document level: tags, language, title -------------------------------------------------------------------


@pytest.mark.parametrize("name", TAGGED)
def test_tagged_with_language_and_title(out: Path, name: str) -> None:
    with pikepdf.open(out / name) as pdf:
        root = pdf.Root
        assert "/StructTreeRoot" in root
        assert root.MarkInfo.Marked is True
        assert str(root.Lang) == LOCALE
        assert str(pdf.docinfo.Title) == TITLE
        with pdf.open_metadata() as xmp:
            assert xmp["dc:title"] == TITLE
            assert xmp["pdfuaid:part"] == "1"
        # WeasyPrint's pdf/ua-1 variant sets /DisplayDocTitle, so viewers show the title, not the file name.
        assert root.ViewerPreferences.DisplayDocTitle is True
        for page in pdf.pages:
            assert page.obj.get("/Tabs") == "/S"  # tab order follows the structure


def test_imposed_booklet_keeps_title_and_language(out: Path) -> None:
    # The imposed booklet is a print file (pages merged two-up), so it carries no tags; it still says
    # what it is.
    with pikepdf.open(out / "tagged-booklet.pdf") as pdf:
        assert str(pdf.docinfo.Title) == TITLE
        assert str(pdf.Root.Lang) == LOCALE
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True


# -- bookmarks -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TAGGED)
def test_bookmarks_follow_the_headings(out: Path, name: str) -> None:
    outline = PdfReader(out / name).outline
    top = [item.title for item in outline if not isinstance(item, list)]
    assert top[0] == TITLE
    assert top[1] == "Get help straight away if…"  # the urgent box comes before the sections
    assert top[2 : 2 + len(SECTIONS)] == SECTIONS
    assert "Contact your team" in top
    assert top[-1] == "Cut out and keep"  # the card is last
    assert "In this leaflet" not in top  # the contents box is not a bookmark
    # an h3 is nested under its section's h2
    alpha = outline.index(next(i for i in outline if not isinstance(i, list) and i.title == "Alpha section"))
    assert [child.title for child in outline[alpha + 1]] == ["Alpha detail"]


# -- alt text --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TAGGED)
def test_every_figure_has_alt_text(out: Path, name: str) -> None:
    with pikepdf.open(out / name) as pdf:
        figures = [e for e in struct_elements(pdf) if e.S == "/Figure"]
        assert figures, "the QR code should be a Figure"
        assert all(str(e.get("/Alt", "")).strip() for e in figures)
        assert f"QR code linking to {ONLINE.format(leaflet='tagged')}" in [str(e.Alt) for e in figures]


def site(**fields: str) -> SiteProfile:
    return SiteProfile("clinic", None, SiteFile(name="Test Clinic", **fields))


def test_qr_code_opens_online_version_or_web_feedback_form_only() -> None:
    assert qr_target(site(online_url=ONLINE), "bones") == "https://example.org/leaflets/bones"
    assert qr_target(site(feedback="https://example.org/feedback"), "bones") == "https://example.org/feedback"
    assert qr_target(site(feedback="feedback@example.org"), "bones") is None
    assert qr_target(site(), "bones") is None


def test_qr_image_has_escaped_alt_text() -> None:
    img = str(qr_img('https://example.org/a?b=1&c="2"'))
    assert img.startswith('<img class="qr-code" src="data:image/svg+xml;base64,')
    assert 'alt="QR code linking to https://example.org/a?b=1&amp;c=&#34;2&#34;"' in img


# -- running heads and reading order ---------------------------------------------------------------------------


def reachable_mcids(page: pdfplumber.page.Page) -> set[int]:
    found: set[int] = set()

    def walk(nodes: list[dict]) -> None:
        for node in nodes:
            found.update(node.get("mcids") or [])
            walk(node.get("children") or [])

    walk(page.structure_tree)
    return found


@pytest.mark.parametrize("name", TAGGED)
def test_running_heads_are_kept_out_of_the_structure(out: Path, name: str) -> None:
    # WeasyPrint 70 does NOT mark margin-box text (running title, organisation, "Page X of Y", draft mark)
    # as /Artifact: it gets marked-content ids and structure elements that are left out of the tree
    # (weasyprint/pdf/tags.py: "could be included in tree as Artifact, but that's only allowed in PDF 2.0").
    # Assistive technology that follows the structure tree never reads them. Backgrounds and borders are
    # /Artifact marked content. This test accepts either form for the running heads.
    top_mm, bottom_mm = MARGINS[name]
    with pdfplumber.open(out / name) as pdf:
        for page in pdf.pages:
            x0, top, x1, bottom = getattr(page, "trimbox", None) or page.bbox
            reachable = reachable_mcids(page)
            heads = [c for c in page.chars if c["bottom"] < top + top_mm * MM or c["top"] > bottom - bottom_mm * MM]
            body = [c for c in page.chars if c not in heads]
            assert heads and body
            assert all(c.get("tag") == "Artifact" or c.get("mcid") not in reachable for c in heads)
            assert all(c.get("mcid") in reachable for c in body)  # all the page's own text is tagged
    with pikepdf.open(out / name) as pdf:
        operators = pikepdf.parse_content_stream(pdf.pages[0])
        assert any(op == pikepdf.Operator("BMC") and operands[0] == "/Artifact" for operands, op in operators)


@pytest.mark.parametrize("name", TAGGED)
def test_first_page_reads_in_visual_order(out: Path, name: str) -> None:
    # The content stream order (what text extraction and older readers follow) ...
    text = PdfReader(out / name).pages[0].extract_text()
    positions = [text.find(s) for s in (TITLE, "Prepared for", PATIENT, "Intro words", "In this leaflet")]
    assert -1 not in positions[:4], text
    assert positions[:4] == sorted(positions[:4]), text
    # ... and the structure tree order (what screen readers follow) agree.
    with pdfplumber.open(out / name) as pdf:
        page = pdf.pages[0]
        by_mcid: dict[int, str] = {}
        for char in page.chars:
            if char.get("mcid") is not None:
                by_mcid[char["mcid"]] = by_mcid.get(char["mcid"], "") + char["text"]
        order: list[str] = []

        def walk(nodes: list[dict]) -> None:
            for node in nodes:
                order.extend(by_mcid.get(m, "") for m in node.get("mcids") or [])
                walk(node.get("children") or [])

        walk(page.structure_tree)
        spoken = "".join(order).replace(" ", "")
        marks = [spoken.find(s.replace(" ", "")) for s in (TITLE, "Preparedfor", PATIENT, "Introwords")]
        assert -1 not in marks and marks == sorted(marks), spoken[:300]


def test_pdf_ua_identification_and_single_h1(out: Path) -> None:
    with pikepdf.open(out / "tagged.pdf") as pdf:
        kinds = [str(e.S) for e in struct_elements(pdf)]
        assert kinds.count("/H1") == 1
        assert kinds.count("/H2") >= len(SECTIONS)
        assert "/Table" not in kinds or "/TH" in kinds


def test_links_carry_a_description(out: Path) -> None:
    # PDF/UA wants /Contents on every link annotation. WeasyPrint 70 writes the link target there (for
    # the contents list: the anchor id, e.g. "s-alpha"), which is present but not a friendly description.
    with pikepdf.open(out / "tagged.pdf") as pdf:
        links = [a for page in pdf.pages for a in page.obj.get("/Annots", []) if a.Subtype == "/Link"]
        assert links
        assert all(str(a.get("/Contents", "")).strip() for a in links)
        assert all("/StructParent" in a for a in links)


def test_all_files_read_back(out: Path) -> None:
    for name in [*TAGGED, "tagged-booklet.pdf"]:
        assert PdfReader(BytesIO((out / name).read_bytes())).pages
