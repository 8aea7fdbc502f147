"""Property tests: whatever bytes or values come in, loaders either return or raise LeafletError.

A LeafletError is what the command line prints as one line per problem with exit code 2 (or 1);
anything else would be a traceback. Every problem must also print as a single line.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leaflets import details, readers
from leaflets.errors import LeafletError
from leaflets.library import Library
from leaflets.project import Project
from leaflets.schema import DETAIL_KEYS
from leaflets.sections import load_section
from tests.conftest import section_text, write_tree

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    derandomize=bool(os.environ.get("CI")))
"""Under CI the examples are the same on every run, so a red build is reproducible; locally they vary."""

# Pieces of YAML and Markdown that have broken parsers before: structure, tags, anchors, dates, odd characters.
FRAGMENTS = [
    "---\n", "title: ", "sections: ", "sources:\n  - publisher: P\n    title: T\n    year: ", "year: ",
    "last_reviewed: ", "next_review: ", "status: ", "tags: ", "patient_name: ", "notes: ", "terms:\n  - term: ",
    "meaning: ", "drugs:\n  - generic: ", "name: ", "logo: ", "leaflets: ", "variants: ", "x", "alpha", "beta",
    ": ", "\n", "  ", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "<<: ", "? ", "!!python/object:os.system ",
    "!!python/name:os.system", "!!binary ", "!!timestamp ", "!!int ", "!!float ", "!!set ", "!!omap ", "!!str ",
    "!foo ", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "...\n", "|\n", ">-\n", "'", '"', "\\x07", "\\ud800", "\\0",
    "#", "2026-13-45", "2026-02-30", "2026-01-01", "2026-01-01 25:00:00", "9" * 5000, "1e999", ".inf", ".nan",
    "0x_", "yes", "~", "null", "\t", "\r\n", "\r", "\ufeff", "\x00", "\x1b", "\x85", "\u2028", "\ud800",
    "![x](", "![](", ")", "<script>", "{{ 7*7 }}", "[" * 60, "{a: " * 60, "a" * 300,
]
yamlish = st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join)
texts = yamlish | st.text(max_size=300)


def encoded(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


raw_bytes = texts.map(encoded) | st.binary(max_size=300)


def problems_are_one_line(exc: LeafletError) -> None:
    assert exc.problems
    for problem in exc.problems:
        assert "\n" not in str(problem) and "\r" not in str(problem), str(problem)


def only_leaflet_errors(call: Callable[[], Any]) -> None:
    try:
        call()
    except LeafletError as exc:
        problems_are_one_line(exc)


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="leaflets-props-") as folder:
        yield Path(folder)


@pytest.fixture(scope="module")
def library_root(workdir: Path) -> Path:
    return write_tree(workdir / "project", {
        "content/sections/alpha.md": section_text("Alpha"),
        "content/sections/beta.md": section_text("Beta"),
        "content/leaflets/small.yaml": "title: Small\nsections: [alpha, beta]\n",
        "content/sets/all.yaml": "title: Everything\n",
    })


# -- readers.py ---------------------------------------------------------------------------------------------------


@SETTINGS
@given(text=texts, offset=st.integers(0, 20))
def test_parse_yaml_raises_only_leaflet_errors(text: str, offset: int) -> None:
    only_leaflet_errors(lambda: readers.parse_yaml(text, Path("x.yaml"), line_offset=offset))


@SETTINGS
@given(data=raw_bytes)
def test_read_text_raises_only_leaflet_errors(workdir: Path, data: bytes) -> None:
    path = workdir / "any.txt"
    path.write_bytes(data)
    only_leaflet_errors(lambda: readers.read_text(path, limit=200))


@SETTINGS
@given(data=raw_bytes)
def test_load_yaml_mapping_returns_a_mapping_or_a_leaflet_error(workdir: Path, data: bytes) -> None:
    path = workdir / "map.yaml"
    path.write_bytes(data)
    try:
        document = readers.load_yaml_mapping(path)
    except LeafletError as exc:
        problems_are_one_line(exc)
    else:
        assert isinstance(document.data, dict)


# -- content.py -------------------------------------------------------------------------------------------------


@SETTINGS
@given(front=texts, body=texts | st.just("Body text."))
def test_load_section_on_any_text(workdir: Path, front: str, body: str) -> None:
    path = workdir / "sections" / "alpha.md"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(encoded(f"---\n{front}\n---\n{body}"))
    only_leaflet_errors(lambda: load_section(path))


@SETTINGS
@given(data=raw_bytes)
def test_load_section_on_any_bytes(workdir: Path, data: bytes) -> None:
    path = workdir / "sections" / "beta.md"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    only_leaflet_errors(lambda: load_section(path))


# -- library.py: recipes, sites, glossary, drugs, sets -------------------------------------------------------------


@SETTINGS
@given(data=raw_bytes, kind=st.sampled_from(["recipe", "site", "glossary", "drugs", "set"]))
def test_library_loaders_on_any_bytes(library_root: Path, data: bytes, kind: str) -> None:
    content = library_root / "content"
    path = {
        "recipe": content / "leaflets" / "fuzz.yaml",
        "site": content / "sites" / "fuzz.yaml",
        "glossary": content / "glossary.yaml",
        "drugs": content / "drugs.yaml",
        "set": content / "sets" / "fuzz.yaml",
    }[kind]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    library = Library(Project(library_root))
    load = {
        "recipe": lambda: library.sections_of(library.recipe("fuzz")),
        "site": lambda: library.site("fuzz"),
        "glossary": lambda: library.glossary,
        "drugs": lambda: library.drugs,
        "set": lambda: library.set_leaflets(library.leaflet_set(path)),
    }[kind]
    try:
        only_leaflet_errors(load)
    finally:
        path.unlink()


# -- details.py --------------------------------------------------------------------------------------------------

detail_values = (
    st.none() | st.text(max_size=150) | st.integers() | st.floats() | st.booleans() | st.dates()
    | st.binary(max_size=10) | st.lists(st.text(max_size=5), max_size=3)
    | st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2)
)
detail_keys = st.sampled_from(DETAIL_KEYS) | st.text(max_size=20)


@SETTINGS
@given(values=st.dictionaries(detail_keys, detail_values, max_size=8))
def test_details_from_mapping(values: dict[str, Any]) -> None:
    try:
        parsed = details.details_from_mapping(values, "test")
    except LeafletError as exc:
        problems_are_one_line(exc)
    else:
        assert all(isinstance(v, str) for v in parsed.present().values())


@SETTINGS
@given(pairs=st.lists(st.text(max_size=40) | st.builds("{}={}".format, detail_keys, st.text(max_size=40)),
                      max_size=8))
def test_parse_set_options_and_load_details_from_pairs(pairs: list[str]) -> None:
    only_leaflet_errors(lambda: details.parse_set_options(pairs))
    only_leaflet_errors(lambda: details.load_details(None, pairs))


@SETTINGS
@given(data=raw_bytes, pairs=st.lists(st.builds("{}={}".format, detail_keys, st.text(max_size=20)), max_size=2))
def test_load_details_from_any_file(workdir: Path, data: bytes, pairs: list[str]) -> None:
    path = workdir / "details.yaml"
    path.write_bytes(data)
    only_leaflet_errors(lambda: details.load_details(path, pairs))


# -- batch.py: the CSV of personalised rows -------------------------------------------------------------------

CSV_FRAGMENTS = ["leaflet", "patient_name", "id", "variant", "paper", "notes", "Leaflet", "team-phone", ",", "\n",
                 "\r\n", '"', '""', "small", "alpha", "booklet", "letter", "a3", " ", "x" * 200, "\x00", "\ufeff",
                 "\x1b", "\ud800", "row-0001", "../x", "Zoë"]
csvish = st.lists(st.sampled_from(CSV_FRAGMENTS), max_size=40).map("".join)


@SETTINGS
@given(data=csvish.map(encoded) | st.binary(max_size=300))
def test_csv_reader_on_any_bytes(library_root: Path, workdir: Path, data: bytes) -> None:
    batch = pytest.importorskip("leaflets.batch")
    library = Library(Project(library_root))
    leaflet_set = library.leaflet_set(library_root / "content" / "sets" / "all.yaml")
    path = workdir / "rows.csv"
    path.write_bytes(data)
    only_leaflet_errors(lambda: batch.jobs_from_data(path, leaflet_set, library, workdir / "out"))
