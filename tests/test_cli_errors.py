"""Every problem a user can cause ends in one line per problem, naming the file (and line) and what to do.

Exit codes: 0 built, 1 a leaflet could not be rendered, 2 a problem the user can fix (this file).
Every case runs through the real command (`cli.app`); a few also run as a real `leaflets` process.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli import app
from leaflets import writers
from tests.conftest import pdf_pages, section_text

LEAFLETS = shutil.which("leaflets", path=str(Path(sys.executable).parent)) or "leaflets"


def invoke(runner: CliRunner, *args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def build_args(root: Path, *extra: str | Path, leaflet: str = "small") -> list[str | Path]:
    return ["build", leaflet, "--root", root, "-o", root / "out", *extra]


def assert_user_error(
    result: Result, *fragments: str, path: str | None = None, line: int | None = None, problems: int = 1
) -> str:
    """Exit 2, no traceback, exactly PROBLEMS lines 'Error: ...' naming PATH (and LINE) with every fragment."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error: ")]
    assert len(errors) == problems, result.stderr
    assert all(ln.startswith(("Error: ", "Warning: ")) for ln in result.stderr.splitlines()), result.stderr
    text = errors[0]
    for fragment in fragments:
        assert fragment in text, text
    if path is not None:
        assert path in text, text
    if line is not None:
        assert f", line {line}: " in text, text
    return text


# -- content files --------------------------------------------------------------------------------------------

SECTION = "content/sections/alpha.md"
RECIPE = "content/leaflets/small.yaml"

CONTENT_CASES = [
    # id, files, expected fragments, file named, line
    ("malformed-yaml", {SECTION: "---\ntitle: [oops\n---\nBody.\n"}, ["invalid YAML", "put quotes"], SECTION, 3),
    ("malformed-recipe", {RECIPE: "title: T\nsections: [alpha\n"}, ["invalid YAML"], RECIPE, 3),
    ("tab-indent", {RECIPE: "title: T\nsections:\n\t- alpha\n"}, ["indent with spaces"], RECIPE, 3),
    ("wrong-type-text", {SECTION: "---\ntitle: {a: 1}\n---\nBody.\n"}, ["title: must be text"], SECTION, 2),
    ("wrong-type-list", {RECIPE: "title: T\nsections: alpha\n"}, ["sections: must be a list"], RECIPE, 2),
    ("wrong-type-number", {SECTION: section_text().replace("year: 2026", "year: soon")},
     ["sources.0.year: must be a whole number"], SECTION, 7),
    ("wrong-choice", {SECTION: section_text(status="published")}, ["status: must be one of"], SECTION, 10),
    ("missing-required", {RECIPE: "subtitle: no title\nsections: [alpha]\n"}, ["title: required, but missing"],
     RECIPE, 1),
    ("unknown-key", {RECIPE: "title: T\nsections: [alpha]\nsubtitel: S\n"},
     ["subtitel: unknown key (check the spelling)"], RECIPE, 3),
    ("unknown-section", {RECIPE: "title: T\nsections: [alpha, betta]\n"}, ["unknown section 'betta'",
     "did you mean 'beta'"], RECIPE, 2),
    ("section-twice", {RECIPE: "title: T\nsections: [alpha, beta, alpha]\n"}, ["lists a section twice: alpha"],
     RECIPE, 2),
    ("empty-section", {SECTION: b""}, ["file is empty"], SECTION, None),
    ("empty-recipe", {RECIPE: "\n\n"}, ["file is empty"], RECIPE, None),
    ("not-utf8", {SECTION: section_text("Caf\u00e9").encode("latin-1")}, ["is not UTF-8", "save it as UTF-8"],
     SECTION, 2),
    ("oversized-section", {SECTION: section_text(body="word " * 14_000)}, ["the limit is 65,536 bytes"], SECTION,
     None),
    ("oversized-recipe", {RECIPE: "title: T\nsections: [alpha]\n" + "# padding\n" * 27_000},
     ["the limit is 262,144 bytes"], RECIPE, None),
    ("alias-bomb", {RECIPE: "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                    "title: T\nsections: [alpha]\n"}, ["aliases (*name) are not allowed", "write the value out"],
     RECIPE, 2),
    ("bad-date", {SECTION: section_text(next_review="2026-13-45")}, ["'2026-13-45' is not a real date",
     "YYYY-MM-DD"], SECTION, 9),
    ("bad-day", {SECTION: section_text(next_review="2027-02-30")}, ["not a real date"], SECTION, 9),
    ("dates-out-of-order", {SECTION: section_text(next_review="2025-06-01")}, ["next_review: is before last_reviewed"],
     SECTION, 9),
    ("duplicate-key", {RECIPE: "title: One\nsections: [alpha]\ntitle: Two\n"},
     ["the key 'title' appears twice (first on line 1)"], RECIPE, 3),
    ("python-tag", {RECIPE: "title: !!python/object/apply:os.system ['true']\nsections: [alpha]\n"},
     ["YAML tag !!python/object/apply:os.system is not allowed"], RECIPE, 1),
    ("control-char", {RECIPE: "title: Bad\x1b title\nsections: [alpha]\n"}, ["control character (#x001b)"], RECIPE,
     1),
    ("no-alt-text", {SECTION: section_text(body="Text.\n\n![](images/x.png)")}, ["every image needs alt text"],
     SECTION, 15),
]


@pytest.mark.parametrize(("files", "fragments", "where", "line"),
                         [pytest.param(*case[1:], id=case[0]) for case in CONTENT_CASES])
def test_content_problem_is_one_line_with_file_and_line(
    runner: CliRunner, make_project, files: dict, fragments: list[str], where: str, line: int | None
) -> None:
    root = make_project(files)
    result = invoke(runner, *build_args(root))
    assert_user_error(result, *fragments, path=where, line=line)
    assert not (root / "out").exists() or not list((root / "out").iterdir()), "nothing is written on errors"


def test_unknown_leaflet_suggests_the_closest(runner: CliRunner, project: Path) -> None:
    assert_user_error(invoke(runner, *build_args(project, leaflet="smal")), "unknown leaflet 'smal'",
                      "did you mean 'small'")


def test_unknown_section_on_the_command_line(runner: CliRunner, project: Path) -> None:
    result = invoke(runner, "build", "--sections", "alpha,gamma", "--root", project, "-o", project / "out")
    assert_user_error(result, "unknown section 'gamma'")


def test_sections_listed_twice_on_the_command_line(runner: CliRunner, project: Path) -> None:
    result = invoke(runner, "build", "--sections", "alpha,alpha", "--root", project, "-o", project / "out")
    assert_user_error(result, "sections: lists a section twice: alpha")


# Ids are lowercase letters, digits and hyphens, and a file's name is its id. A file whose name has capitals
# (Alpha.md, Small.yaml) is refused with the name to use: on Windows and macOS disks alpha.md and Alpha.md are
# the same file, and Small.pdf would overwrite small.pdf. `leaflets list` checks every file; a build checks
# the files it uses (all of them with --all).


def test_two_sections_differing_only_by_case_are_reported(runner: CliRunner, make_project) -> None:
    root = make_project({"content/sections/Alpha.md": section_text("Shadow")})
    result = invoke(runner, "list", "--root", root)
    assert_user_error(result, "alpha.md is also there", "differ only in capitals", path="Alpha.md")


def test_two_recipes_differing_only_by_case_never_overwrite_each_other(runner: CliRunner, make_project) -> None:
    root = make_project({"content/leaflets/Small.yaml": "title: Shadow\nsections: [alpha]\n"})
    result = invoke(runner, "build", "--all", "--root", root, "-o", root / "out")
    assert_user_error(result, "small.yaml is also there", path="Small.yaml")
    assert not (root / "out").exists() or not list((root / "out").glob("*.pdf"))


def test_a_file_name_with_capitals_gets_the_name_to_use(runner: CliRunner, make_project) -> None:
    root = make_project({"content/leaflets/Big Leaflet.yaml": "title: Big\nsections: [alpha]\n"})
    result = invoke(runner, "list", "--root", root)
    assert_user_error(result, "rename it to big-leaflet.yaml", path="Big Leaflet.yaml")


# -- personal details -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pairs", "fragment"),
    [
        (["patiant_name=Sam"], "unknown detail key 'patiant_name' (did you mean 'patient_name'?)"),
        (["patient_name"], "--set needs key=value"),
        (["=Sam"], "--set needs key=value"),
        (["patient_name=" + "x" * 121], "patient_name: is too long: at most 120 characters"),
        (["notes=" + "x" * 2001], "notes: is too long: at most 2000 characters"),
        (["patient_name=Sam\x07"], "patient_name: contains control characters"),
        (["patient_name=Zo\udceb"], "patient_name: contains characters that are not valid Unicode"),
        (["team_phone=\u202e0118 496 0000"], "team_phone: contains an invisible text-direction character (U+202E"),
    ],
    ids=["unknown-key", "no-equals", "no-key", "too-long", "notes-too-long", "control", "not-unicode", "bidi"],
)
def test_bad_set_option(runner: CliRunner, project: Path, pairs: list[str], fragment: str) -> None:
    args = [arg for pair in pairs for arg in ("--set", pair)]
    text = assert_user_error(invoke(runner, *build_args(project, *args)), fragment)
    assert "Sam" not in text.replace("--set patient_name=Sam", ""), "details are never echoed back"


@pytest.mark.parametrize(
    ("content", "fragment", "line"),
    [
        ("patient_name: Sam\nnhs_number: 943 476 5919\n", "unknown detail key 'nhs_number'", 2),
        ("patient_name: [Sam, Jones]\n", "patient_name: must be plain text", 1),
        ("patient_name: yes\n", "put the value in quotes", 1),
        ("patient_name: 'Sam\n", "invalid YAML", 2),
        ("- Sam\n", "expected YAML keys and values", 1),
        ("patient_name: &n Sam\nprepared_by: *n\n", "aliases", 2),
    ],
    ids=["unknown-key", "list", "boolean", "malformed", "top-level-list", "alias"],
)
def test_bad_details_file_names_file_and_line(
    runner: CliRunner, project: Path, tmp_path: Path, content: str, fragment: str, line: int
) -> None:
    details = tmp_path / "details.yaml"
    details.write_text(content, encoding="utf-8")
    result = invoke(runner, *build_args(project, "--details", details, "--set", "team_name=Ward 4"))
    assert_user_error(result, fragment, path="details.yaml", line=line)


def test_details_file_missing_oversized_or_special(runner: CliRunner, project: Path, tmp_path: Path) -> None:
    assert_user_error(invoke(runner, *build_args(project, "--details", tmp_path / "nope.yaml")),
                      "file not found", path="nope.yaml")
    big = tmp_path / "big.yaml"
    big.write_text("notes: " + "x" * 70_000 + "\n", encoding="utf-8")
    assert_user_error(invoke(runner, *build_args(project, "--details", big)), "the limit is 65,536 bytes",
                      path="big.yaml")
    # A device never ends: it must be refused, not read until memory runs out.
    assert_user_error(invoke(runner, *build_args(project, "--details", "/dev/zero")), "is not a regular file")
    assert_user_error(invoke(runner, *build_args(project, "--details", tmp_path)), "is a folder")


# -- options --------------------------------------------------------------------------------------------------


def test_bad_options(runner: CliRunner, project: Path, tmp_path: Path) -> None:
    assert_user_error(invoke(runner, *build_args(project, "--variant", "huge")), "unknown variant 'huge'")
    assert_user_error(invoke(runner, *build_args(project, "--paper", "a3")), "unknown paper 'a3'")
    assert_user_error(invoke(runner, *build_args(project, "--site", "nowhere")), "unknown site profile 'nowhere'")
    assert_user_error(invoke(runner, "build", "small", "--root", tmp_path / "empty"), "no content/ folder")


# -- output folder and disk -----------------------------------------------------------------------------------


def test_output_folder_that_is_a_file(runner: CliRunner, project: Path) -> None:
    target = project / "taken"
    target.write_text("not a folder", encoding="utf-8")
    assert_user_error(invoke(runner, "build", "small", "--root", project, "-o", target), "is a file, not a folder",
                      "-o", path="taken")
    assert_user_error(invoke(runner, "build", "small", "--root", project, "-o", target / "sub"),
                      "cannot create the output folder", "-o")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_output_folder_under_proc(runner: CliRunner, project: Path) -> None:
    # Tests run as root, so permissions cannot stop a write; /proc refuses even root.
    assert_user_error(invoke(runner, "build", "small", "--root", project, "-o", "/proc/leaflets-out"),
                      "cannot create the output folder", "choose another")


def test_output_folder_that_refuses_writes(runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(writers.tempfile, "mkstemp", refuse)
    result = invoke(runner, *build_args(project))
    assert_user_error(result, "could not write the file: permission denied", "-o", path="small.pdf")


class _FullDisk:
    """A file object that takes a little data, then fails the way a full disk does."""

    def __init__(self, fd: int, *args: object, **kwargs: object) -> None:
        self.fd = fd

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, data: bytes) -> int:
        os.write(self.fd, data[:1000])  # a partial file really exists on disk when the error comes
        raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_says_so_and_leaves_the_old_file(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = project / "out"
    assert invoke(runner, *build_args(project)).exit_code == 0
    before = (out / "small.pdf").read_bytes()
    monkeypatch.setattr(writers.os, "fdopen", _FullDisk)
    result = invoke(runner, *build_args(project, "--set", "patient_name=Sam"))
    assert_user_error(result, "the disk is full", "free some space", path="small.pdf")
    assert (out / "small.pdf").read_bytes() == before, "the previous complete leaflet is kept"
    assert sorted(p.name for p in out.iterdir()) == ["small.pdf"], "no partial file remains"
    assert pdf_pages(out / "small.pdf") >= 1


# -- templates and fonts (a --root project with its own templates/ and styles/) --------------------------------


def test_missing_template_names_it(runner: CliRunner, make_project) -> None:
    root = make_project({"templates/other.html": "<p>not the leaflet</p>"})
    assert_user_error(invoke(runner, *build_args(root)), "template not found", path="templates/leaflet.html")


def test_template_syntax_error_names_file_and_line(runner: CliRunner, make_project) -> None:
    root = make_project({"templates/leaflet.html": "<html>\n{% if %}\n</html>"})
    assert_user_error(invoke(runner, *build_args(root)), "template error", path="leaflet.html", line=2)


def test_missing_font_falls_back_with_a_warning(runner: CliRunner, make_project) -> None:
    root = make_project()
    shutil.copytree(Path(__file__).resolve().parent.parent / "styles", root / "styles")
    (root / "styles" / "fonts" / "AtkinsonHyperlegible_400Regular.ttf").unlink()
    result = invoke(runner, *build_args(root))
    assert result.exit_code == 0, result.output
    assert "Warning: not found:" in result.stderr and "AtkinsonHyperlegible_400Regular.ttf" in result.stderr
    assert "font file not found" in result.stderr
    assert pdf_pages(root / "out" / "small.pdf") >= 1


# -- as a real process: stderr has the message, never a traceback ---------------------------------------------


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LEAFLETS, *map(str, args)], capture_output=True, text=True, timeout=120, cwd=cwd,
                          check=False)


@pytest.mark.parametrize(
    ("files", "extra", "fragment"),
    [
        ({RECIPE: "title: T\nsections: [alpha\n"}, [], "small.yaml, line 3: invalid YAML"),
        ({}, ["--set", "nhs_number=1"], "unknown detail key 'nhs_number'"),
        ({"taken": "a file"}, ["-o", "taken"], "is a file, not a folder"),
    ],
    ids=["malformed-yaml", "unknown-detail", "output-is-a-file"],
)
def test_real_process_prints_one_line_and_exits_2(make_project, files: dict, extra: list[str], fragment: str) -> None:
    root = make_project(files)
    result = _run("build", "small", "--root", root, *extra, cwd=root)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0], result.stderr


def test_real_process_with_bytes_that_are_not_utf8_on_the_command_line(make_project) -> None:
    root = make_project()
    result = subprocess.run([LEAFLETS.encode(), b"build", b"small", b"--root", str(root).encode(), b"--set",
                             b"patient_name=Zo\xeb"], capture_output=True, timeout=120, cwd=root, check=False)
    assert result.returncode == 2, result.stderr
    assert b"Traceback" not in result.stderr and b"not valid Unicode" in result.stderr


# -- the limits users read about are the limits the code enforces ----------------------------------------------


def test_documented_limits_match_the_code() -> None:
    from leaflets import asset_checks, readers, render
    from leaflets.schema import Details
    from leaflets.sections import MARKDOWN_SECONDS, MAX_SECTION_BYTES

    doc = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    assert "## When things go wrong" in doc
    for number in (MAX_SECTION_BYTES, readers.MAX_CONTENT_BYTES, readers.MAX_DETAILS_BYTES, readers.MAX_DATA_BYTES,
                   render.MAX_ASSET_BYTES, asset_checks.MAX_IMAGE_PIXELS):
        assert f"{number:,}" in doc, number
    assert f"{readers.MAX_YAML_DEPTH} levels" in doc
    assert f"{render.RENDER_SECONDS} seconds" in doc and f"{MARKDOWN_SECONDS} seconds" in doc
    for key, field in Details.model_fields.items():
        limit = next(m.max_length for m in field.metadata if hasattr(m, "max_length"))
        assert f"| `{key}` | {limit:,} |" in doc, key


EXACT_ERRORS = [
    (["build", "nope"], "Error: unknown leaflet 'nope'; 'leaflets list' shows them all"),
    (["build", "--sections", "alpha,alpha"], "Error: sections: lists a section twice: alpha"),
    (["build", "--sections", "alpha,gamma"], "Error: sections: unknown section 'gamma'"),
    (["build", "--sections", "alpha", "--title", "x" * 301], "Error: title: is too long: at most 300 characters"),
    (["build", "small", "--set", "favourite=blue"],
     "Error: --set: unknown detail key 'favourite'; use one of patient_name, prepared_by, team_name, team_phone, "
     "next_appointment, notes, patient_reference"),
    (["build", "small", "--set", "team_phone=" + "1" * 31],
     "Error: --set: team_phone: is too long: at most 30 characters"),
    (["build", "small", "--variant", "huge"],
     "Error: unknown variant 'huge': choose one of standard, large-print, booklet, easy-read"),
    (["build", "small", "--format", "docx"], "Error: unknown format 'docx': choose one of pdf, html"),
    (["build", "small", "--variant", "easy-read"],
     "Error: no Easy Read version of alpha, beta; Easy Read exists for: none"),
    (["build", "small", "--site", "nowhere"], "Error: unknown site profile 'nowhere'"),
    (["check", "--sources", "{root}/missing"], "Error: {root}/missing: the sources folder does not exist"),
]


@pytest.mark.parametrize(("args", "line"), EXACT_ERRORS, ids=lambda v: v[0] if isinstance(v, list) else None)
def test_error_lines_exactly(runner: CliRunner, project: Path, args: list[str], line: str) -> None:
    """sqlite-utils style: the whole line a user sees, and nothing else on stderr or stdout."""
    args = [a.replace("{root}", str(project)) for a in args]
    extra = ["-o", str(project / "out")] if args[0] == "build" else []
    result = runner.invoke(app, [*args, "--root", str(project), *extra])
    assert result.exit_code == 2
    assert result.stderr == line.replace("{root}", str(project)) + "\n"
    assert result.stdout == ""
