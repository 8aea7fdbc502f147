"""Shared fixtures: throwaway content trees built from dicts, and PDF readers."""

from __future__ import annotations

import fcntl
import gc
import io
import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent


def pytest_collection_finish(session: pytest.Session) -> None:
    """Render in this process with the garbage-collection settings of the render workers: the modules and test
    objects loaded so far are frozen out of every later collection, and young collections come less often."""
    from leaflets.pool.child import GC_THRESHOLD

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)

SECTION = """\
---
title: {title}
summary: A test section.
sources:
  - publisher: Test Publisher
    title: Test source
    year: 2026
last_reviewed: 2026-01-01
next_review: {next_review}
status: {status}
tags: [test]
---
{body}
"""


def section_text(
    title: str = "A section", body: str = "Your team will help you. Ask them anything.", status: str = "draft",
    next_review: str = "2028-01-01",
) -> str:
    return SECTION.format(title=title, body=body, status=status, next_review=next_review)


TEST_LOCALES = {
    # Small, fictional-free country facts for test projects: the same keys in each, as the engine requires.
    "content/locales/en-GB.yaml": 'country: United Kingdom\nemergency_number: "999"\n'
    'emergency_department_short: "A&E"\nnon_emergency_line: "NHS 111"\nfever_high: "37.5"\n'
    'driving_authority: "DVLA (or DVA in Northern Ireland)"\ndate_format: "d MMMM yyyy"\n',
    "content/locales/en-CA.yaml": 'country: Canada\nemergency_number: "911"\n'
    'emergency_department_short: "the emergency department"\nnon_emergency_line: ""\nfever_high: "38.3"\n'
    'driving_authority: "your provincial or territorial licensing office"\ndate_format: "MMMM d, yyyy"\n',
}


def write_tree(root: Path, files: dict[str, str | bytes], locales: bool = True) -> Path:
    """Write a content tree; it gets the test locales (en-GB, en-CA) unless it has its own or LOCALES is off."""
    if locales and not any(name.startswith("content/locales/") for name in files):
        files = {**TEST_LOCALES, **files}
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data) if not data.startswith("---") else data, encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Build a small content tree (content/...) and return its root; templates and styles are the package's."""

    def make(files: dict[str, str | bytes] | None = None) -> Path:
        base = {
            "content/sections/alpha.md": section_text("Alpha section", "Alpha words come first. **Bold** text here."),
            "content/sections/beta.md": section_text(
                "Beta section", "Beta words come second.\n\n- one item\n- two items"
            ),
            "content/leaflets/small.yaml": "title: A small leaflet\nsubtitle: For tests\naudience: For testers.\n"
            "sections: [alpha, beta]\n",
            "content/glossary.yaml": "terms:\n  - term: alpha\n    meaning: The first letter.\n"
            "  - term: gamma\n    meaning: Not used anywhere.\n",
        }
        base.update(files or {})
        return write_tree(tmp_path / "project", base)

    return make


@pytest.fixture(scope="session")
def built_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every built-in leaflet, standard A4, built once per run and shared by the xdist workers (read it, never
    write to it): several test files read the same PDFs, and each build of the library takes seconds."""
    from leaflets.build import BuildRequest, build

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the folder all workers share
    out, done = shared / "built-library", shared / "built-library.done"
    with (shared / "built-library.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker builds; the others wait, then read the same files
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)
            build(BuildRequest(all_leaflets=True), out, REPO)
            done.touch()
    return out


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    return make_project()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def pdf_text(data: bytes | Path) -> str:
    """All the text of a PDF, as a reader would copy it."""
    from pypdf import PdfReader

    raw = data.read_bytes() if isinstance(data, Path) else data
    reader = PdfReader(io.BytesIO(raw))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def pdf_pages(data: bytes | Path) -> int:
    from pypdf import PdfReader

    raw = data.read_bytes() if isinstance(data, Path) else data
    return len(PdfReader(io.BytesIO(raw)).pages)
