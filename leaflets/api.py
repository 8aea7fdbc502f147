"""The Python API: build leaflets and sets from scripts and other systems, with the CLI's checks and safety."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .build import BuildRequest, build, plans_for, render_plan, split_choices
from .details import details_from_mapping
from .library import Library
from .project import find_project
from .variants import PrintOptions

if TYPE_CHECKING:  # pragma: no cover
    from .batch import BatchResult


def _request(leaflet: str | None, sections: Iterable[str], title: str | None, site: str | None,
             details: Mapping[str, Any] | None, formats: tuple[PrintOptions, ...], approved_only: bool) -> BuildRequest:
    return BuildRequest(
        leaflets=(leaflet,) if leaflet else (), sections=tuple(sections), title=title, site=site,
        details=details_from_mapping(details or {}, "details"), options=formats[0], formats=formats,
        approved_only=approved_only,
    )


def build_leaflet(
    leaflet: str | None = None,
    out_dir: Path | str = "out",
    *,
    sections: Iterable[str] = (),
    title: str | None = None,
    site: str | None = None,
    details: Mapping[str, Any] | None = None,
    variants: Iterable[str] = ("standard",),
    papers: Iterable[str] = (),
    print_ready: bool = False,
    approved_only: bool = False,
    root: Path | str | None = None,
) -> list[Path]:
    """Build one leaflet (by id, or from SECTIONS with a TITLE) in every variant x paper; return the files written.

    DETAILS are the personal details (patient_name, prepared_by, team_name, team_phone, next_appointment,
    notes): printed as plain text, never logged. PAPERS defaults to the site profile's paper. ROOT is a
    project folder (default: the one the current folder is in, else the built-in library). Raises
    LeafletError (with .problems and .exit_code) for anything a user can fix.
    """
    request = _request(leaflet, sections, title, site, details, _formats(variants, papers, print_ready),
                       approved_only)
    return build(request, out_dir, root)


def leaflet_pdf(
    leaflet: str,
    *,
    site: str | None = None,
    details: Mapping[str, Any] | None = None,
    variant: str = "standard",
    paper: str | None = None,
    root: Path | str | None = None,
) -> bytes:
    """One leaflet's PDF as bytes, written nowhere: for a system that stores or sends it itself."""
    formats = _formats([variant], [paper] if paper else [], False)
    project = find_project(root)
    plan = plans_for(Library(project), _request(leaflet, (), None, site, details, formats, False))[0]
    rendered = render_plan(plan, project)
    return rendered.files[f"{plan.options.file_stem(plan.id)}.pdf"]


def build_set(
    set_file: Path | str,
    out_dir: Path | str = "out",
    *,
    data: Path | str | None = None,
    jobs: int | None = None,
    force: bool = False,
    report: Path | str | None = None,
    root: Path | str | None = None,
) -> BatchResult:
    """Build a set manifest (a path or a set id) like `leaflets batch`, in parallel and incrementally.

    DATA is a CSV with one personalised leaflet per row. The result's .records say what was built,
    skipped or failed; .exit_code is what the command would exit with.
    """
    from .batch import run_batch

    return run_batch(set_file, out_dir, jobs=jobs, data_csv=data, force=force, report_path=report, root=root,
                     show_progress=False)


def open_library(root: Path | str | None = None) -> Library:
    """The library of a project (its own items layered on the built-in ones), to list and read items."""
    return Library(find_project(root))


def _formats(variants: Iterable[str], papers: Iterable[str], print_ready: bool) -> tuple[PrintOptions, ...]:
    chosen_variants = split_choices(list(variants)) or ["standard"]
    chosen_papers: list[str | None] = [*split_choices(list(papers))] or [None]  # None: the site profile's paper
    return tuple(PrintOptions(variant=v, paper=p, print_ready=print_ready)
                 for v in chosen_variants for p in chosen_papers)
