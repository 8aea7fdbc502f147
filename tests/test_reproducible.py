"""Reproducible output: the same inputs give byte-identical PDFs in every variant, and the content version
printed in each leaflet changes with the content, never with a patient's details."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from leaflets.build import BuildRequest, build, get_renderer
from leaflets.details import load_details
from leaflets.library import Library
from leaflets.plan import plan_leaflet
from leaflets.project import Project
from leaflets.variants import PrintOptions
from tests.conftest import REPO, pdf_text, section_text, write_tree

FILES = {
    "content/sections/alpha.md": section_text("Alpha section", "Alpha words.\n\n### More\n\nYour team can help."),
    "content/sections/beta.md": section_text("Beta section", "Beta words.\n\n- one item\n- two items"),
    "content/glossary.yaml": "terms:\n  - term: alpha\n    meaning: The first letter.\n",
    "content/leaflets/small.yaml": "title: A small leaflet\nsubtitle: For tests\nsections: [alpha, beta]\n",
    "content/sites/clinic.yaml": "name: Test Clinic\nlocale: en-GB\nonline_url: https://example.org/{leaflet}\n",
}
OPTIONS = [
    PrintOptions("standard"),
    PrintOptions("standard", "letter"),
    PrintOptions("large-print"),
    PrintOptions("booklet"),
    PrintOptions("standard", print_ready=True),
    PrintOptions("booklet", print_ready=True),
]
DETAILS = ["patient_name=Sam Jones", "next_appointment=Monday 3pm"]
VERSION = re.compile(r"Content version\s+([0-9a-f]{10})")


def build_all(root: Path, out: Path, details: list[str] = DETAILS) -> list[Path]:
    written = []
    for options in OPTIONS:
        request = BuildRequest(leaflets=("small",), site="clinic", details=load_details(None, details), options=options)
        written.extend(build(request, out, root))
    return written


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("repro"), FILES)


@pytest.fixture(scope="module")
def first(root: Path) -> list[Path]:
    return build_all(root, root / "first")


@pytest.fixture(scope="module")
def second(root: Path, first: list[Path]) -> list[Path]:
    get_renderer.cache_clear()  # a fresh renderer: new font configuration, empty caches
    return build_all(root, root / "second")


def test_every_variant_is_byte_identical_across_builds(first: list[Path], second: list[Path]) -> None:
    names = sorted(p.name for p in first)
    assert names == sorted(p.name for p in second)
    assert {"small-booklet.pdf", "small-booklet-print.pdf", "small-print.pdf", "small-a5-print.pdf"} <= set(names)
    for a, b in zip(sorted(first), sorted(second), strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_another_process_gives_the_same_bytes(root: Path, first: list[Path]) -> None:
    # A separate interpreter with a different hash seed: nothing may depend on set order or process state.
    out = root / "process"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    args = [sys.executable, str(REPO / "cli.py"), "build", "small", "--site", "clinic", "--variant", "booklet",
            "--print-ready", "--root", str(root), "-o", str(out)]
    args += [item for pair in DETAILS for item in ("--set", pair)]
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    made = sorted(out.glob("*.pdf"))
    assert [p.name for p in made] == ["small-a5-print.pdf", "small-booklet-print.pdf"]
    by_name = {p.name: p for p in first}
    for path in made:
        assert path.read_bytes() == by_name[path.name].read_bytes(), path.name


def plan_for(root: Path, options: PrintOptions = OPTIONS[0], details: list[str] = DETAILS):  # noqa: ANN201
    library = Library(Project(root))
    return plan_leaflet(library, library.recipe("small"), site_id="clinic", details=load_details(None, details),
                        options=options)


def test_content_version_is_printed_in_every_variant(root: Path, first: list[Path]) -> None:
    by_name = {p.name: p for p in first}
    for options in OPTIONS:
        version = plan_for(root, options).content_version
        names = [f"{options.file_stem('small')}.pdf"]
        if options.variant == "booklet":
            names.append(f"{options.booklet_stem('small')}.pdf")
        for name in names:
            assert VERSION.findall(pdf_text(by_name[name])) == [version], name


def test_patient_details_do_not_change_the_content_version(root: Path, first: list[Path]) -> None:
    other = build(
        BuildRequest(leaflets=("small",), site="clinic", details=load_details(None, ["patient_name=Alex Smith"])),
        root / "other-patient", root,
    )
    standard = next(p for p in first if p.name == "small.pdf")
    assert other[0].read_bytes() != standard.read_bytes()
    assert VERSION.findall(pdf_text(other[0])) == VERSION.findall(pdf_text(standard))
    assert plan_for(root, details=[]).content_version == plan_for(root).content_version


def test_content_version_changes_when_content_changes(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", FILES)
    before = plan_for(root).content_version
    (root / "content/sections/beta.md").write_text(section_text("Beta section", "Beta words, revised."), "utf-8")
    after_section = plan_for(root).content_version
    assert after_section != before
    (root / "content/leaflets/small.yaml").write_text(
        "title: A small leaflet\nsubtitle: For tests\nsections: [beta, alpha]\n", "utf-8"
    )
    after_recipe = plan_for(root).content_version
    assert after_recipe not in (before, after_section)
    (root / "content/glossary.yaml").write_text("terms:\n  - term: beta\n    meaning: The second letter.\n", "utf-8")
    assert plan_for(root).content_version != after_recipe
    # a section the leaflet does not use is not part of its edition
    unchanged = plan_for(root).content_version
    (root / "content/sections/unused.md").write_text(section_text("Unused", "Elsewhere."), "utf-8")
    assert plan_for(root).content_version == unchanged
