"""Hostile files, hostile content and interruptions: never a crash, a leaked file or a lost leaflet.

tests/hostile/ holds the corpus: section-*.md go in as content/sections/alpha.md, recipe-*.yaml as
content/leaflets/small.yaml and details-*.yaml as --details; EXPECTED says what each must do.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from typer.testing import CliRunner

from leaflets import render, sections, writers
from leaflets.errors import RenderError
from tests.conftest import REPO, pdf_pages, pdf_text, section_text
from tests.test_cli_errors import LEAFLETS, assert_user_error, build_args, invoke

HOSTILE = Path(__file__).resolve().parent / "hostile"

DIR = "contains an invisible text-direction character"
INV = "contains an invisible character"
# file -> (exit code, fragment of the one error line or of stdout, line named or None)
EXPECTED: dict[str, tuple[int, str, int | None]] = {
    "details-alias.yaml": (2, "YAML aliases (*name) are not allowed", 2),
    "details-arabic-letter-mark.yaml": (2, f"prepared_by: {DIR} (U+061C arabic letter mark)", 1),
    "details-bidi-isolate.yaml": (2, f"patient_name: {DIR} (U+2067 right-to-left isolate)", 1),
    "details-bidi-override-escaped.yaml": (2, f"next_appointment: {DIR} (U+202E right-to-left override)", 1),
    "details-bidi-rlm-phone.yaml": (2, f"team_phone: {DIR} (U+200F right-to-left mark)", 2),
    "details-binary.yaml": (2, "patient_name: must be plain text", 1),
    "details-bool.yaml": (2, "put the value in quotes", 1),
    "details-c1-control.yaml": (2, "patient_name: contains control characters", 1),
    "details-control.yaml": (2, "patient_name: contains control characters", 1),
    "details-hangul-filler.yaml": (2, "patient_name: contains an invisible character (U+3164 hangul filler)", 1),
    "details-joiners-kept.yaml": (0, "Wrote", None),
    "details-nested.yaml": (2, "patient_name: must be plain text", 1),
    "details-next-line-escaped.yaml": (2, "prepared_by: contains control characters", 1),
    "details-not-utf8.yaml": (2, "is not UTF-8 text", 1),
    "details-python-object.yaml": (2, "YAML tag !!python/object:os.system is not allowed", 1),
    "details-rtl-letters-in-phone.yaml": (2, "team_phone: contains right-to-left letters or Arabic-Indic digits", 1),
    "details-tag-characters.yaml": (2, "notes: contains an invisible character (U+E0069 tag latin small letter i)", 1),
    "details-too-long.yaml": (2, "patient_name: is too long: at most 120 characters", 1),
    "details-top-level-list.yaml": (2, "expected YAML keys and values", 1),
    "details-unknown-key.yaml": (2, "unknown detail key 'nhs_number'", 2),
    "details-zero-width-space.yaml": (2, "team_phone: contains an invisible character (U+200B zero width space)", 2),
    "recipe-alias-bomb.yaml": (2, "YAML aliases (*name) are not allowed", 2),
    "recipe-bad-section-id.yaml": (2, "sections.0: must be lowercase letters, digits and hyphens", 2),
    "recipe-bidi-title.yaml": (2, f"title: {DIR} (U+202E right-to-left override)", 1),
    "recipe-binary-tag.yaml": (2, "sections: must be a list", 2),
    "recipe-bom-crlf.yaml": (0, "Wrote", None),
    "recipe-c1-intro.yaml": (2, "intro: contains control characters", 2),
    "recipe-control-char.yaml": (2, "contains a control character (#x001b)", 1),
    "recipe-deep-block-nesting.yaml": (2, "nested more than 50 levels deep", None),
    "recipe-deep-nesting.yaml": (2, "nested more than 50 levels deep", 3),
    "recipe-duplicate-key.yaml": (2, "the key 'title' appears twice (first on line 1)", 3),
    "recipe-lone-surrogate.yaml": (2, "title: contains characters that are not valid Unicode", 1),
    "recipe-long-title.yaml": (2, "title: is too long: at most 300 characters", 1),
    "recipe-missing-title.yaml": (2, "title: required, but missing", 1),
    "recipe-multi-document.yaml": (2, "a second YAML document starts here", 3),
    "recipe-no-sections.yaml": (2, "sections: needs at least 1 item", 2),
    "recipe-python-name.yaml": (2, "YAML tag !!python/name:os.system is not allowed", 1),
    "recipe-section-twice.yaml": (2, "sections: lists a section twice: alpha", 2),
    "recipe-top-level-list.yaml": (2, "expected YAML keys and values", 1),
    "recipe-unclosed-bracket.yaml": (2, "invalid YAML", 3),
    "recipe-unknown-tag.yaml": (2, "YAML tag !include is not allowed", 1),
    "recipe-unquoted-colon.yaml": (2, "put quotes around text that contains ': '", 1),
    "recipe-whitespace-only.yaml": (2, "file is empty", None),
    "recipe-zero-width-subtitle.yaml": (2, "subtitle: contains an invisible character (U+2060 word joiner)", 2),
    "section-alias-bomb.md": (2, "YAML aliases (*name) are not allowed", 4),
    "section-bad-date.md": (2, "'2026-13-45' is not a real date", 9),
    "section-bidi-body.md": (2, "contains an invisible text-direction character (U+2067 right-to-left isolate)", 13),
    "section-bom.md": (0, "Wrote", None),
    "section-c1-body.md": (2, "contains an invisible control character (#x85)", 13),
    "section-control-chars-body.md": (2, "invisible control character (#x07)", 11),
    "section-crlf.md": (0, "Wrote", None),
    "section-dates-out-of-order.md": (2, "next_review: is before last_reviewed", 9),
    "section-deep-nesting.md": (2, "nested more than 50 levels deep", 3),
    "section-empty-front-matter.md": (2, "front matter must be YAML keys and values", 2),
    "section-empty.md": (2, "file is empty", None),
    "section-escaped-control.md": (2, "title: contains control characters", 2),
    "section-front-matter-list.md": (2, "front matter must be YAML keys and values", 2),
    "section-huge-int.md": (2, "is not a number that can be used here", 7),
    "section-huge-line.md": (0, "Wrote", None),
    "section-huge-word.md": (0, "Wrote", None),
    "section-image-escapes.md": (0, "Wrote", None),
    "section-image-no-alt.md": (2, "every image needs alt text", 13),
    "section-latin1.md": (2, "is not UTF-8 text", 11),
    "section-no-body.md": (2, "has no text after the front matter", None),
    "section-no-closing-fence.md": (2, "the front matter has no closing '---' line", 1),
    "section-no-front-matter.md": (2, "must start with front matter", 1),
    "section-missing-glyph.md": (2, "text: has characters (U+13000, Egyptian); no font here can print them", None),
    "section-nul-byte.md": (2, "contains a NUL byte", 11),
    "section-python-object.md": (2, "YAML tag !!python/object/apply:os.system is not allowed", 2),
    "section-raw-html.md": (0, "Wrote", None),
    "section-script-links.md": (0, "Wrote", None),
    "section-tabs.md": (2, "indent with spaces", 4),
    "section-tag-characters-body.md": (2, "contains an invisible character (U+E0068 tag latin small letter h)", 11),
    "section-timestamp.md": (2, "last_reviewed: must be a date without a time", 8),
    "section-unsafe-links.md": (0, "Wrote", None),
    "section-unknown-key.md": (2, "sumary: unknown key (check the spelling)", 3),
    "section-utf16.md": (2, "is not UTF-8 text", 1),
    "section-wrong-types.md": (2, "title: must be text", 2),
    "section-zero-width-source.md": (2, f"sources.0.publisher: {INV} (U+200B zero width space)", 5),
    "site-bidi-phone.yaml": (2, f"team_phone: {DIR} (U+202E right-to-left override)", 2),
    "site-isolate-name.yaml": (2, f"name: {DIR} (U+2066 left-to-right isolate)", 1),
    "site-rtl-phone.yaml": (2, "out_of_hours_phone: contains right-to-left letters or Arabic-Indic digits", 2),
    "site-zero-width-website.yaml": (2, "website: contains an invisible character (U+200B zero width space)", 2),
}
PROBLEMS = {"section-wrong-types.md": 3}  # files with more than one problem, all reported at once
TARGET = {"section": "content/sections/alpha.md", "recipe": "content/leaflets/small.yaml",
          "site": "content/sites/hostile.yaml"}


def test_every_corpus_file_has_an_expectation() -> None:
    assert sorted(p.name for p in HOSTILE.iterdir() if p.suffix in (".md", ".yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file(runner: CliRunner, make_project, name: str) -> None:
    code, fragment, line = EXPECTED[name]
    kind = name.split("-", 1)[0]
    source = HOSTILE / name
    root = make_project({TARGET[kind]: source.read_bytes()} if kind in TARGET else {})
    extra = {"details": ["--details", source], "site": ["--site", "hostile"]}.get(kind, [])
    args = build_args(root, *extra)
    result = invoke(runner, *args)
    if code == 0:
        assert result.exit_code == 0, result.output
        assert fragment in result.stdout and pdf_pages(root / "out" / "small.pdf") >= 1
        assert "Traceback" not in result.output
    else:
        where = source.name if kind == "details" else TARGET[kind]
        assert_user_error(result, fragment, path=where, line=line, problems=PROBLEMS.get(name, 1))


def test_python_tags_never_run_code(runner: CliRunner, make_project) -> None:
    marker = Path("/tmp/leaflets-pwned")
    marker.unlink(missing_ok=True)
    root = make_project({TARGET["section"]: (HOSTILE / "section-python-object.md").read_bytes()})
    invoke(runner, *build_args(root))
    assert not marker.exists()


def test_a_section_that_links_to_a_device_is_not_read(runner: CliRunner, make_project) -> None:
    root = make_project()
    (root / "content/sections/zero.md").symlink_to("/dev/zero")
    result = invoke(runner, "build", "--sections", "zero", "--root", root, "-o", root / "out")
    assert_user_error(result, "unknown section 'zero'")  # not a regular file: never listed, never read


def test_markdown_that_is_slow_to_parse_is_stopped(
    runner: CliRunner, make_project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sections, "MARKDOWN_SECONDS", 0.05)
    root = make_project({TARGET["section"]: section_text(body="![" * 20_000)})
    assert_user_error(invoke(runner, *build_args(root)), "takes too long to read", path="alpha.md")


# -- helpers for looking inside PDFs ----------------------------------------------------------------------------


def pdf_images(path: Path) -> int:
    """How many images the PDF draws (XObjects of subtype Image, in pages and in forms)."""
    count = 0
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image":
                count += 1
    return count


def pdf_names(path: Path) -> set[str]:
    """Every dictionary key and name used anywhere in the PDF."""
    names: set[str] = set()
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                names.update(obj.keys())
                names.update(str(v) for v in obj.values() if isinstance(v, pikepdf.Name))
    return names


def link_targets(path: Path) -> list[str]:
    targets = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for annot in page.get("/Annots", []):
                action = annot.get("/A")
                if action is not None and "/URI" in action:
                    targets.append(str(action.URI))
    return targets


def squash(text: str) -> str:
    """TEXT without any white space: PDF text extraction breaks lines wherever the layout did."""
    return "".join(text.split())


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (width, height), 1).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Any attempt to open a connection or look up a host is recorded and fails."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network access attempted in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def own_templates(root: Path, extra_head: str = "", extra_body: str = "") -> None:
    """Give a --root project its own copy of the templates folder (the web page's too), with extra markup."""
    templates = root / "templates"
    for source in (REPO / "templates").rglob("*"):
        target = templates / source.relative_to(REPO / "templates")
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    page = templates / "leaflet.html"
    html = page.read_text("utf-8").replace("</head>", extra_head + "\n</head>").replace("<main>", "<main>" + extra_body)
    page.write_text(html, encoding="utf-8")


# -- hostile content ----------------------------------------------------------------------------------------------


def test_raw_html_in_markdown_is_printed_as_text(runner: CliRunner, make_project) -> None:
    body = ("Look <script>alert(1)</script> and <b>not bold</b> <style>p{display:none}</style>\n\n"
            "<iframe src=x></iframe>")
    root = make_project({TARGET["section"]: section_text("Raw", body)})
    assert invoke(runner, *build_args(root)).exit_code == 0
    text = squash(pdf_text(root / "out" / "small.pdf"))
    for literal in ("<script>alert(1)</script>", "<b>not bold</b>", "<style>p{display:none}</style>",
                    "<iframe src=x></iframe>"):
        assert squash(literal) in text
    assert not {"/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch"} & pdf_names(root / "out" / "small.pdf")


def test_script_links_are_not_links(runner: CliRunner, make_project) -> None:
    root = make_project({TARGET["section"]: (HOSTILE / "section-script-links.md").read_bytes()})
    assert invoke(runner, *build_args(root)).exit_code == 0
    assert not [t for t in link_targets(root / "out" / "small.pdf") if "script" in t.lower()]


DETAIL_KEYS = ("patient_name", "prepared_by", "team_name", "team_phone", "next_appointment", "notes")
PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "template": "{{ 7*7 }} {% raw %} ${7*7}",
    "style": "</style><h1>Big</h1><!--",
    "javascript": "javascript:alert(2)",
    "image": "<img src=file:///etc/passwd>",
    "entities": "&lt;b&gt; &amp; &#60;",
}


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_personal_details_are_always_plain_text(runner: CliRunner, project: Path, payload: str) -> None:
    args = [arg for key in DETAIL_KEYS for arg in ("--set", f"{key}={payload}")]
    result = invoke(runner, *build_args(project, *args))
    assert result.exit_code == 0, result.output
    pdf = project / "out" / "small.pdf"
    text = squash(pdf_text(pdf))
    # Cover: name, prepared by, team, phone, appointment; contact: team, phone; notes: notes.
    assert text.count(squash(payload)) >= len(DETAIL_KEYS), text
    assert "Preparedfor49" not in text and "Preparedby49" not in text, "a detail is never a template"
    assert "root:x:0:0" not in text and pdf_images(pdf) == 0
    assert not [t for t in link_targets(pdf) if "script" in t.lower() or t.startswith("file:")]


def test_outside_images_in_markdown_are_left_out_without_network(
    runner: CliRunner, make_project, no_network: list[object]
) -> None:
    root = make_project({TARGET["section"]: (HOSTILE / "section-image-escapes.md").read_bytes()})
    result = invoke(runner, *build_args(root))
    assert result.exit_code == 0, result.output
    for url in ("file:///etc/passwd", "https://example.com/x.png", "//example.com/x.png", "ftp://example.com/x.png"):
        assert f"image {url} is outside the project" in result.stderr
    assert "not fetched: file:///etc/passwd" in result.stderr  # ../../../../etc/passwd, refused by the fetcher
    pdf = root / "out" / "small.pdf"
    assert pdf_images(pdf) == 0 and "root:x:0:0" not in pdf_text(pdf)
    assert no_network == []


def test_url_fetcher_refuses_everything_outside_the_asset_folders(
    runner: CliRunner, make_project, tmp_path: Path, no_network: list[object]
) -> None:
    outside = tmp_path / "outside.png"
    outside.write_bytes(png(20, 20))
    root = make_project({"content/images/ok.png": png(20, 20)})
    (root / "content/images/link.png").symlink_to(outside)
    urls = ["file:///etc/passwd", "http://127.0.0.1:9/x.png", "https://example.com/x.png", "ftp://example.com/x.png",
            "//example.com/x.png", "../../../../../../../../../etc/hostname", "content/images/link.png",
            f"file://{outside}"]
    own_templates(root, extra_body="".join(f'<img src="{u}" alt="x{i}">' for i, u in enumerate(urls))
                  + '<img src="content/images/ok.png" alt="fine">')
    result = invoke(runner, *build_args(root))
    assert result.exit_code == 0, result.output
    refused = [ln for ln in result.stderr.splitlines() if ln.startswith("Warning: not fetched: ")]
    for expected in ("file:///etc/passwd (outside", "http://127.0.0.1:9/x.png (only the project's own files",
                     "https://example.com/x.png", "ftp://example.com/x.png", "file://example.com/x.png (a file on "
                     "another computer", "file:///etc/hostname (outside", "link.png (outside", "outside.png (outside"):
        assert any(expected in ln for ln in refused), (expected, result.stderr)
    assert pdf_images(root / "out" / "small.pdf") == 1, "only the image inside content/ is used"
    assert no_network == []


def test_url_fetcher_directly(tmp_path: Path, no_network: list[object]) -> None:
    assets = tmp_path / "content"
    assets.mkdir()
    (assets / "ok.png").write_bytes(png(4, 4))
    fetcher = render.make_fetcher((assets,))
    assert fetcher.fetch((assets / "ok.png").as_uri()).read() == (assets / "ok.png").read_bytes()
    for url in ("file:///etc/passwd", f"file://{assets}/../../etc/passwd", "http://example.com/",
                "https://example.com/", "ftp://example.com/x", "file://example.com/etc/passwd", "gopher://x/",
                f"file://{assets}/missing.png", f"file://{assets}/%00.png"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert no_network == []


def test_link_and_a_rel_attachment_never_embed_a_file(runner: CliRunner, make_project) -> None:
    root = make_project()
    own_templates(root, extra_head='<link rel="attachment" href="content/glossary.yaml" title="g">',
                  extra_body='<p><a rel="attachment" href="content/glossary.yaml">glossary</a>'
                  '<a rel="attachment" href="content/leaflets/small.yaml" download="r.yaml">recipe</a></p>')
    result = invoke(runner, *build_args(root))
    assert result.exit_code == 0, result.output
    pdf_path = root / "out" / "small.pdf"
    with pikepdf.open(pdf_path) as pdf:
        assert "/EmbeddedFiles" not in pdf.Root.get("/Names", {})
        assert not [a for page in pdf.pages for a in page.get("/Annots", []) if a.get("/Subtype") == "/FileAttachment"]
    assert not {"/EmbeddedFile", "/EmbeddedFiles", "/FileAttachment", "/Filespec"} & pdf_names(pdf_path)


def test_images_with_too_many_pixels_are_left_out(runner: CliRunner, make_project) -> None:
    import base64

    data = base64.b64encode(png(6000, 6000)).decode()
    body = ("![big](content/images/big.png)\n\n![small](content/images/small.png)\n\n"
            f"![inline](data:image/png;base64,{data})")
    root = make_project({"content/images/big.png": png(6000, 6000), "content/images/small.png": png(30, 30),
                         TARGET["section"]: section_text("Pictures", body)})
    result = invoke(runner, *build_args(root))
    assert result.exit_code == 0, result.output
    assert "big.png (6000x6000 pixels; the limit is 20,000,000 pixels" in result.stderr
    assert "data:image/png;base64,... (6000x6000 pixels" in result.stderr
    assert pdf_images(root / "out" / "small.pdf") == 1


# -- time limit ---------------------------------------------------------------------------------------------------


def test_time_limit_stops_a_slow_call() -> None:
    started = time.monotonic()
    with pytest.raises(RenderError) as info, render.time_limit(0.1):
        time.sleep(5)
    assert info.value.exit_code == 1 and "longer than 0.1 seconds" in str(info.value)
    assert time.monotonic() - started < 2


def test_time_limit_cannot_be_swallowed_by_library_code() -> None:
    def stubborn() -> None:  # WeasyPrint catches Exception in places: the timeout is not one
        for _ in range(50):
            with contextlib.suppress(Exception):
                time.sleep(0.1)

    with pytest.raises(RenderError), render.time_limit(0.05):
        stubborn()


def test_render_over_the_time_limit_exits_1(runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import weasyprint

    def slow_render(self: object, *args: object, **kwargs: object) -> None:
        time.sleep(10)

    monkeypatch.setattr(render, "RENDER_SECONDS", 0.2)
    monkeypatch.setattr(weasyprint.HTML, "render", slow_render)
    started = time.monotonic()
    result = invoke(runner, *build_args(project))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "rendering took longer than 0.2 seconds" in result.stderr
    assert time.monotonic() - started < 5
    assert not (project / "out" / "small.pdf").exists()


# -- interruptions --------------------------------------------------------------------------------------------


def _is_complete_pdf(path: Path, pages: int) -> bool:
    data = path.read_bytes()
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:] and pdf_pages(path) == pages


_PAUSING_BUILD = textwrap.dedent("""
    import os, sys, time
    stage, number = sys.argv.pop(1), int(sys.argv.pop(1))
    real = getattr(os, stage)
    calls = [0]

    def pause_at_number(*args, **kwargs):
        calls[0] += 1
        if calls[0] == number:
            print("paused", flush=True)
            time.sleep(120)
        return real(*args, **kwargs)

    setattr(os, stage, pause_at_number)
    import cli
    cli.main()
""")


def test_killing_a_build_never_leaves_a_truncated_pdf(make_project) -> None:
    """Killed at known points of the write (before the Nth fsync, before the Nth rename): never a broken PDF."""
    body = "\n\n".join(f"Paragraph {i}. Your team will explain each step and answer your questions." for i in range(12))
    files = {"content/sections/gamma.md": section_text("Gamma section", body)}
    for i in range(2):
        files[f"content/leaflets/leaflet-{i}.yaml"] = f"title: Leaflet {i}\nsections: [alpha, gamma, beta]\n"
    root = make_project(files)
    out = root / "out"
    args = ["build", "--all", "--root", str(root), "-o", str(out)]
    subprocess.run([LEAFLETS, *args], check=True, capture_output=True, timeout=120)
    pages = {p.name: pdf_pages(p) for p in out.glob("*.pdf")}
    assert len(pages) == 3

    for stage, number in (("fsync", 1), ("replace", 2), ("replace", 3)):  # mid-file; before 2nd, last rename
        process = subprocess.Popen([sys.executable, "-c", _PAUSING_BUILD, stage, str(number), *args], cwd=REPO,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert process.stdout is not None and process.stdout.readline().strip() == "paused", (stage, number)
        assert len(list(out.glob(".leaflets-*.partial"))) == 1, "killed while a file is being written"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert sorted(p.name for p in out.glob("*.pdf")) == sorted(pages)
        for pdf in out.glob("*.pdf"):
            assert _is_complete_pdf(pdf, pages[pdf.name]), f"{pdf.name} is truncated after a kill at {stage} {number}"

    result = subprocess.run([LEAFLETS, *args], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert not list(out.glob(".leaflets-*.partial"))
    assert {p.name: pdf_pages(p) for p in out.glob("*.pdf")} == pages


_HANGING_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from leaflets import writers

    def hang(fd):
        print("writing", flush=True)
        time.sleep(60)

    writers.os.fsync = hang
    writers.write_atomic(Path(sys.argv[1]), b"%PDF-1.7 new but never finished" * 1000, personal=False)
""")


def test_a_writer_killed_mid_file_keeps_the_old_leaflet_and_the_next_run_recovers(
    runner: CliRunner, project: Path
) -> None:
    out = project / "out"
    assert invoke(runner, *build_args(project)).exit_code == 0
    before = (out / "small.pdf").read_bytes()
    writer = subprocess.Popen([sys.executable, "-c", _HANGING_WRITER, str(out / "small.pdf")], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        partials = list(out.glob(".leaflets-*.partial"))
        assert len(partials) == 1 and partials[0].stat().st_size > 0
        assert writers.clean_partials(out) == 0, "a partial that is still being written is left alone"
        assert partials[0].exists()
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert (out / "small.pdf").read_bytes() == before
    assert invoke(runner, *build_args(project)).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["small.pdf"]


def test_ctrl_c_while_writing_leaves_no_partial_file(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Interrupted:
        def __init__(self, fd: int, *args: object, **kwargs: object) -> None:
            self.fd = fd

        def __enter__(self) -> Interrupted:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def write(self, data: bytes) -> int:
            os.write(self.fd, data[:100])
            raise KeyboardInterrupt

    monkeypatch.setattr(writers.os, "fdopen", Interrupted)
    result = invoke(runner, *build_args(project))
    assert result.exit_code == 130 and "no partial files were left behind" in result.stderr
    assert not list((project / "out").iterdir())
