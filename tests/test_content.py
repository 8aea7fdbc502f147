"""Parsing and validation of sections, recipes, site profiles and details."""

from __future__ import annotations

from pathlib import Path

import pytest

from leaflets.details import load_details, parse_set_options
from leaflets.errors import ContentError, InputError, LeafletError
from leaflets.library import Library
from leaflets.project import Project
from leaflets.sections import load_section
from tests.conftest import section_text


def lib(root: Path) -> Library:
    return Library(Project(root))


def test_section_loads_front_matter_and_body(project: Path) -> None:
    section = lib(project).section("alpha")
    assert section.title == "Alpha section"
    assert section.meta.status == "draft"
    assert section.meta.sources[0].publisher == "Test Publisher"
    assert "<strong>Bold</strong>" in section.html


def test_raw_html_in_markdown_is_shown_as_text(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text(section_text(body="Hello <script>alert(1)</script> <b>bold</b>"), encoding="utf-8")
    html = load_section(path).html
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html


def test_headings_in_body_stay_below_the_section_title(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text(section_text(body="# Big\n\n## Medium\n\nText."), encoding="utf-8")
    html = load_section(path).html
    assert "<h1>" not in html and "<h2>" not in html
    assert html.count("<h3>") == 2


def test_all_problems_reported_at_once_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text("---\ntitle: ''\nstatus: maybe\ncolour: blue\n---\nText.\n", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_section(path)
    messages = [str(p) for p in info.value.problems]
    assert len(messages) == 3
    assert any("line 2" in m and "title" in m for m in messages)
    assert any("line 3" in m and "status" in m and "draft" in m for m in messages)
    assert any("line 4" in m and "colour" in m and "unknown key" in m for m in messages)


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text("---\ntitle: ok\ntags: [a, b\n---\nText.\n", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_section(path)
    problem = info.value.problems[0]
    assert problem.path == path and problem.line is not None and problem.line >= 3
    assert "invalid YAML" in problem.message


def test_missing_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "plain.md"
    path.write_text("Just text\n", encoding="utf-8")
    with pytest.raises(ContentError, match="front matter"):
        load_section(path)


def test_recipe_with_unknown_section_suggests_closest(make_project) -> None:
    root = make_project({"content/leaflets/small.yaml": "title: T\nsections: [alpha, betta]\n"})
    with pytest.raises(ContentError) as info:
        lib(root).recipe("small")
    assert "unknown section 'betta'" in str(info.value) and "did you mean 'beta'" in str(info.value)
    assert info.value.problems[0].line == 2


def test_recipe_listing_a_section_twice(make_project) -> None:
    root = make_project({"content/leaflets/small.yaml": "title: T\nsections: [alpha, alpha]\n"})
    with pytest.raises(ContentError, match="lists a section twice: alpha"):
        lib(root).recipe("small")


def test_unknown_leaflet_names_closest_match(project: Path) -> None:
    with pytest.raises(InputError, match="did you mean 'small'"):
        lib(project).recipe("smal")


def test_site_profile_validated(make_project) -> None:
    root = make_project({"content/sites/clinic.yaml": "name: Clinic\npaper: a3\n"})
    with pytest.raises(ContentError, match="paper"):
        lib(root).site("clinic")


def test_details_from_set_and_file(tmp_path: Path) -> None:
    details_file = tmp_path / "d.yaml"
    details_file.write_text("patient_name: Sam\nnotes: Drink water\n", encoding="utf-8")
    details = load_details(details_file, ["patient_name=Zoë O'Brien <b>", "team_phone=0123"])
    assert details.patient_name == "Zoë O'Brien <b>"
    assert details.notes == "Drink water"
    assert details.team_phone == "0123"


def test_unknown_detail_key_is_an_error() -> None:
    with pytest.raises(InputError, match="unknown detail key 'patient'.*did you mean 'patient_name'"):
        load_details(None, ["patient=Sam"])


def test_set_needs_key_value() -> None:
    with pytest.raises(InputError, match="key=value"):
        parse_set_options(["patient_name"])


def test_detail_errors_never_echo_the_value() -> None:
    secret = "Very Secret Name" * 20
    with pytest.raises(LeafletError) as info:
        load_details(None, [f"patient_name={secret}"])
    assert "Secret" not in str(info.value)
