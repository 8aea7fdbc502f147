"""Pictures, the diagram and the Easy Read edition, read back from the PDFs and files a user gets."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pikepdf
import pytest

from leaflets.build import BuildRequest, build
from leaflets.checks import check_content
from leaflets.diagram import Diagram, diagram_for
from leaflets.library import Library
from leaflets.project import Project
from leaflets.variants import PrintOptions
from tests.conftest import REPO, write_tree

EASY_READ = ["immunotherapy", "living-with-advanced-kidney-cancer", "getting-help-straight-away"]


def figure_alts(path: Path) -> list[str]:
    """The /Alt of every Figure in the PDF's structure tree."""
    alts = []
    with pikepdf.open(path) as pdf:
        stack = [pdf.Root.StructTreeRoot]
        while stack:
            element = stack.pop()
            kids = element.get("/K")
            if element.get("/S") == "/Figure":
                alts.append(str(element.get("/Alt", "")))
            items = kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
            stack.extend(k for k in items if isinstance(k, pikepdf.Dictionary) and "/S" in k)
    return alts


@pytest.fixture
def standard(built_library: Path) -> Path:
    return built_library


@pytest.mark.parametrize("leaflet", sorted(p.stem for p in (REPO / "content" / "leaflets").glob("*.yaml")))
def test_every_standard_leaflet_has_its_diagram_with_alt_text(standard: Path, leaflet: str) -> None:
    library = Library(Project(REPO))
    expected = diagram_for(library.sections_of(library.recipe(leaflet))).alt
    alts = figure_alts(standard / f"{leaflet}.pdf")
    assert expected in alts
    # Icons (the urgent box's warning triangle too) are CSS backgrounds: artifacts, so the only Figure is the
    # diagram, with its alt text.
    assert all(alt.strip() for alt in alts)
    assert len(alts) == 1


@pytest.mark.parametrize("leaflet", sorted(p.stem for p in (REPO / "content" / "leaflets").glob("*.yaml")))
def test_page_one_has_the_diagram_then_the_box_and_the_whole_contents(standard: Path, leaflet: str) -> None:
    with pdfplumber.open(standard / f"{leaflet}.pdf") as pdf:
        pages = [" ".join((page.extract_text() or "").split()) for page in pdf.pages[:3]]
        height = pdf.pages[0].height
        body_words = [w for w in pdf.pages[0].extract_words() if w["top"] < 0.85 * height]  # not the footer
    assert "Where the cancer is" in pages[0]
    assert any("Get help straight away if" in text for text in pages[:2])
    # The contents list stays whole: after the box on page 2, or at the top of page 3 when the box is long.
    assert any("In this leaflet" in text for text in pages[:3])
    # Page 1 is not left half empty (the box and contents moved on): its text reaches well below the middle.
    assert max(w["bottom"] for w in body_words) > 0.55 * height


def test_bone_leaflet_diagram_says_bones() -> None:
    assert figure_alts_text("bone") == "Diagram of a body. The kidneys and the bones are highlighted."


def figure_alts_text(place: str) -> str:
    return Diagram((place,)).alt


def test_general_diagram_names_the_usual_places_and_is_greyscale_safe() -> None:
    diagram = Diagram(())
    assert diagram.alt == ("Diagram of a body. The kidneys are highlighted, and places kidney cancer can spread to: "
                           "the lungs, the liver, the bones and the brain.")
    assert diagram.caption.endswith("such as the lungs, liver, bones or brain.")
    svg = Diagram(("brain",)).svg()
    assert 'fill="url(#hatch)"' in svg  # a pattern, not only a colour, marks the places of spread
    assert svg.count('stroke-dasharray="3 2"') == 3  # lungs, liver, bones: quiet dashed outlines
    assert ">Brain</text>" in svg and ">Kidneys</text>" in svg and ">Lungs</text>" not in svg


def test_body_part_headings_and_drug_routes_get_icons(standard: Path, tmp_path: Path) -> None:
    [_, html] = build(BuildRequest(leaflets=("immunotherapy",), output_formats=("pdf",)), tmp_path, REPO, html=True)
    text = html.read_text("utf-8")
    assert 'class="given with-icon icon-drip"' in text
    [_, html] = build(BuildRequest(leaflets=("bone-metastases",)), tmp_path, REPO, html=True)
    assert 'class="with-icon icon-bone"' in html.read_text("utf-8")


# -- Easy Read -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def easy_read(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("easy")
    build(BuildRequest(leaflets=tuple(EASY_READ), options=PrintOptions("easy-read")), out, REPO, html=True)
    return out


@pytest.mark.parametrize("leaflet", EASY_READ)
def test_easy_read_is_tagged_16pt_or_more_with_a_picture_beside_every_point(easy_read: Path, leaflet: str) -> None:
    pdf = easy_read / f"{leaflet}-easy-read.pdf"
    with pikepdf.open(pdf) as document:
        assert "/StructTreeRoot" in document.Root and document.Root.MarkInfo.Marked
    with pdfplumber.open(pdf) as document:
        sizes = {round(c["size"], 1) for page in document.pages for c in page.chars if c["text"].strip()}
        text = " ".join(page.extract_text() or "" for page in document.pages)
    assert min(sizes) >= 16
    assert "Easy Read" in text and "Call 999" in text
    html = (easy_read / f"{leaflet}-easy-read.html").read_text("utf-8")
    rows = html.count('<li class="er-row">')
    pictures = html.count('<li class="er-row"><span class="er-picture icon-')
    assert rows > 10 and pictures == rows
    drawn = artifact_images(pdf)
    assert len(drawn) >= rows and all(drawn)  # each row's picture is drawn, as an artifact


def artifact_images(path: Path) -> list[bool]:
    """For every image drawn (Do) in the PDF: is it inside /Artifact marked content?"""
    drawn = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            stack: list[str] = []
            for operands, operator in pikepdf.parse_content_stream(page):
                name = str(operator)
                if name in ("BMC", "BDC"):
                    stack.append(str(operands[0]))
                elif name == "EMC" and stack:
                    stack.pop()
                elif name == "Do":
                    drawn.append("/Artifact" in stack)
    return drawn


def test_easy_read_refuses_sections_without_an_easy_read_version(runner, tmp_path: Path) -> None:  # noqa: ANN001
    from cli import app

    result = runner.invoke(app, ["build", "bone-metastases", "--variant", "easy-read", "-o", str(tmp_path),
                                 "--root", str(REPO)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: no Easy Read version of bone-metastases")
    assert not list(tmp_path.glob("*.pdf"))


def test_easy_read_sections_pass_their_check() -> None:
    report = check_content(REPO)
    easy = {s.id: s for s in report.sections if s.id.startswith("easy-read/")}
    assert set(easy) == {"easy-read/immunotherapy", "easy-read/what-advanced-means",
                         "easy-read/when-to-call-your-team"}
    assert all(s.passed and s.grade <= 4 for s in easy.values()), [s.problems for s in easy.values()]


def test_check_holds_easy_read_to_short_sentences_and_explained_words(make_project, tmp_path: Path) -> None:  # noqa: ANN001
    front = ("---\ntitle: Hard\nsources:\n  - publisher: P\n    title: T\n    year: 2026\nlast_reviewed: 2026-01-01\n"
             "next_review: 2028-01-01\nstatus: draft\n---\n")
    rows = ("[info] This sentence has far too many words in it for anyone who finds reading quite hard to follow "
            "along.\n[tablet] You take immunotherapy.\n")
    root = make_project({"content/easy-read/alpha.md": front + rows})
    report = check_content(root)
    [alpha] = [s for s in report.sections if s.id == "easy-read/alpha"]
    assert any("line 11: a sentence of 19 words" in p for p in alpha.problems), alpha.problems
    assert any("'immunotherapy' is a hard word" in p for p in alpha.problems)
    assert any("Easy Read grade" in p for p in alpha.problems)


def test_easy_read_row_must_name_a_picture(make_project, tmp_path: Path) -> None:  # noqa: ANN001
    root = make_project({"content/easy-read/alpha.md": "---\ntitle: A\n---\n[no-such-icon] Hello.\n"})
    write_tree(root, {})
    from leaflets.errors import ContentError

    with pytest.raises(ContentError, match="no picture called 'no-such-icon'"):
        build(BuildRequest(sections=("alpha",), options=PrintOptions("easy-read")), tmp_path / "out", root)


# -- batch and API -----------------------------------------------------------------------------------------------


def test_batch_set_builds_easy_read_and_html_editions(tmp_path: Path) -> None:
    import shutil

    from leaflets.batch import run_batch

    root = tmp_path / "project"
    shutil.copytree(REPO / "content", root / "content")
    write_tree(root, {"content/sets/pictures.yaml": "title: Easy Read and web\nleaflets: [immunotherapy]\n"
                      "variants: [standard, easy-read]\nformats: [pdf, html]\n"}, locales=False)
    result = run_batch(root / "content/sets/pictures.yaml", tmp_path / "out", jobs=1, root=root)
    assert result.exit_code == 0, result.failure_lines()
    names = sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith("."))
    assert names == ["immunotherapy-easy-read.html", "immunotherapy-easy-read.pdf", "immunotherapy.html",
                     "immunotherapy.pdf"]
    html = (tmp_path / "out" / "immunotherapy-easy-read.html").read_text("utf-8")
    assert 'href="http' not in html and "file://" not in html and "<style>" in html


def test_batch_csv_rows_choose_variant_and_format(tmp_path: Path) -> None:
    import shutil

    from leaflets.batch import run_batch

    root = tmp_path / "project"
    shutil.copytree(REPO / "content", root / "content")
    write_tree(root, {"content/sets/pictures.yaml": "title: Rows\nleaflets: [immunotherapy]\n",
                      "rows.csv": "leaflet,variant,format,patient_name\nimmunotherapy,easy-read,html,Sam Jones\n"
                      "immunotherapy,easy-read,pdf,Ann Lee\nimmunotherapy,standard,web,Bo Li\n"}, locales=False)
    from leaflets.errors import InputError

    with pytest.raises(InputError, match="row 3: format: must be one of pdf, html"):
        run_batch(root / "content/sets/pictures.yaml", tmp_path / "out", jobs=1, data_csv=root / "rows.csv",
                  root=root)
    (root / "rows.csv").write_text("leaflet,variant,format,patient_name\nimmunotherapy,easy-read,html,Sam Jones\n"
                                   "immunotherapy,easy-read,pdf,Ann Lee\n", "utf-8")
    result = run_batch(root / "content/sets/pictures.yaml", tmp_path / "out", jobs=1, data_csv=root / "rows.csv",
                       root=root)
    assert result.exit_code == 0, result.failure_lines()
    names = sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith("."))
    assert names == ["row-0001-immunotherapy-easy-read.html", "row-0002-immunotherapy-easy-read.pdf"]
    assert "Sam Jones" in (tmp_path / "out" / names[0]).read_text("utf-8")


def test_api_builds_the_easy_read_pdf() -> None:
    from leaflets.web import create_app

    client = create_app(REPO).test_client()
    response = client.post("/api/leaflets/immunotherapy/pdf", json={"variant": "easy-read"})
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    refused = client.post("/api/leaflets/bone-metastases/pdf", json={"variant": "easy-read"})
    assert refused.status_code == 400
    assert "no Easy Read version of" in refused.get_json()["error"]


def test_html_edition_carries_the_pdfs_content_version_and_details(tmp_path: Path) -> None:
    from leaflets.details import load_details
    from tests.conftest import pdf_text

    details = load_details(None, ["patient_name=Zoë <b>O'Brien</b>"])
    pdf, html = build(BuildRequest(leaflets=("bone-metastases",), details=details, output_formats=("pdf", "html")),
                      tmp_path, REPO)
    text = html.read_text("utf-8")
    version = text.split("<dt>Content version</dt><dd>")[1].split("<")[0]
    assert len(version) == 10 and f"Content version {version}" in pdf_text(pdf)
    assert "Zoë &lt;b&gt;O&#39;Brien&lt;/b&gt;" in text  # text, never markup
    assert 'class="callout"' in text and 'id="contact"' in text
    assert "file://" not in text and "url(\"data:font/woff2;base64," in text
    assert (html.stat().st_mode & 0o777) == 0o600  # it holds personal details
    assert html.stat().st_size < 400_000  # the fonts keep only the letters it shows (whole, they were 2.2 MB)
    for family, font in _inlined_fonts(text):
        if family in ("Atkinson Hyperlegible", "Noto Sans"):
            assert {"ë", "Z", "O", "'", "9"} <= font, family  # the name's letters and the text's digits are kept
        assert "Ж" not in font, family  # letters the file does not show are gone


def _inlined_fonts(html: str) -> list[tuple[str, set[str]]]:
    """Each @font-face of an HTML edition: its family and the characters its inlined font can draw."""
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    faces = re.findall(r'font-family: "([^"]+)"; src: url\("data:font/woff2;base64,([^"]+)"\)', html)
    assert faces
    return [(family, {chr(code) for code in TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap()})
            for family, data in faces]


def test_easy_read_uses_the_sites_emergency_number(tmp_path: Path) -> None:
    from tests.conftest import pdf_text

    request = BuildRequest(sections=("when-to-call-your-team",), title="Help now", site="lakeshore-cancer-centre",
                           options=PrintOptions("easy-read", "letter"))
    [pdf] = build(request, tmp_path, REPO)
    text = pdf_text(pdf)
    assert pdf.name == "help-now-easy-read-letter.pdf"
    assert "Call 911 for an ambulance" in text and "Call 999" not in text


def test_icons_are_drawn_as_artifacts(standard: Path) -> None:
    """Every icon (an image XObject drawn with Do) sits inside /Artifact marked content, never in a tag."""
    drawn = artifact_images(standard / "bone-metastases.pdf")
    assert len(drawn) >= 5  # body-part headings, the warning-box triangles, the contact phone and ambulance
    assert all(drawn)


def test_every_icon_file_has_its_easy_read_picture_rule() -> None:
    """A row may name any icon in styles/icons/; each needs its CSS rule, or the picture box would be empty."""
    css = (REPO / "styles" / "easy-read.css").read_text("utf-8")
    for icon in sorted((REPO / "styles" / "icons").glob("*.svg")):
        assert f'.er-picture.icon-{icon.stem} {{ background-image: url("icons/{icon.name}"); }}' in css, icon.name


def test_cli_format_html_writes_one_file_and_refuses_unknown_formats(runner, tmp_path: Path) -> None:  # noqa: ANN001
    from cli import app

    result = runner.invoke(app, ["build", "bone-metastases", "--format", "html", "-o", str(tmp_path), "--root",
                                 str(REPO)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bone-metastases.html"]
    bad = runner.invoke(app, ["build", "bone-metastases", "--format", "docx", "-o", str(tmp_path / "x"), "--root",
                              str(REPO)])
    assert bad.exit_code == 2
    assert bad.output.strip() == "Error: unknown format 'docx': choose one of pdf, html"
