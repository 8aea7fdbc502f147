"""Build leaflets: the one library call behind `leaflets build` and the web page."""

from __future__ import annotations

import dataclasses
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from .document import render_html, stylesheet_names
from .errors import ContentError, InputError, RenderError
from .i18n import DEFAULT_LANGUAGE, gettext_for
from .library import Library
from .plan import LeafletPlan, plan_leaflet
from .project import Project, find_project
from .qr import qr_img, qr_target
from .rules import ad_hoc_warning
from .schema import Details
from .slots import CoverSlot
from .variants import FORMATS, PrintOptions
from .writers import clean_partials, prepare_folder, write_files

log = logging.getLogger("leaflets")


@dataclass(frozen=True)
class BuildRequest:
    """What to build: recipes by id, or an ad hoc leaflet from chosen sections."""

    leaflets: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    title: str | None = None
    all_leaflets: bool = False
    site: str | None = None
    details: Details = field(default_factory=Details)
    options: PrintOptions = field(default_factory=PrintOptions)
    approved_only: bool = False
    formats: tuple[PrintOptions, ...] = ()
    """Every format to build (variant x paper); empty means just `options`."""
    output_formats: tuple[str, ...] = ("pdf",)
    """pdf, html (the self-contained HTML edition) or both, for every format."""

    def __post_init__(self) -> None:
        unknown = [f for f in self.output_formats if f not in FORMATS]
        if unknown or not self.output_formats:
            raise InputError(f"unknown format '{(unknown or [''])[0]}': choose one of {', '.join(FORMATS)}")

    def each_format(self) -> list[BuildRequest]:
        """One request per format, each format once (a booklet's files do not depend on --paper today)."""
        requests, stems = [], set()
        for options in self.formats or (self.options,):
            stem = (options.file_stem("leaflet"), options.variant == "booklet" and options.booklet_stem("leaflet"))
            if stem not in stems:
                stems.add(stem)
                requests.append(replace(self, options=options, formats=()))
        return requests


@dataclass(frozen=True)
class RenderedLeaflet:
    """The files one leaflet produced, as bytes, before they are written."""

    plan: LeafletPlan
    files: dict[str, bytes]


@lru_cache(maxsize=4)
def get_renderer(project: Project):  # noqa: ANN201 - the type lives in render.py, imported lazily
    """One warm renderer per project and process: fonts and stylesheets are loaded once."""
    from .render import Renderer

    return Renderer(project.asset_groups, project.folders("styles"))


def plans_for(library: Library, request: BuildRequest) -> list[LeafletPlan]:
    """Resolve a request into checked leaflet plans, before any rendering."""
    if request.options.variant == "easy-read":
        from .editions import plan_easy_read

        if request.sections and (request.leaflets or request.all_leaflets):
            raise InputError("use either leaflet names or --sections, not both")
        return plan_easy_read(library, request)
    if request.sections:
        if request.leaflets or request.all_leaflets:
            raise InputError("use either leaflet names or --sections, not both")
        plans = [
            plan_leaflet(library, None, list(request.sections), request.title, request.site, request.details,
                         request.options)
        ]
        if warning := ad_hoc_warning(plans[0].broken_rules):
            log.warning("%s", warning)
    else:
        ids = list(library.recipe_ids) if request.all_leaflets else list(dict.fromkeys(request.leaflets))
        if not ids:
            raise InputError("name a leaflet to build, or use --all or --sections; 'leaflets list' shows them")
        recipes = [library.recipe(i) for i in ids]
        plans = [plan_leaflet(library, r, site_id=request.site, details=request.details, options=request.options)
                 for r in recipes]
    if request.approved_only:
        for plan in plans:
            drafts = [s.id for s in plan.sections if s.meta.status != "approved"]
            if drafts:
                raise ContentError(
                    f"{plan.id}: not built with --approved-only: draft sections {', '.join(drafts)} "
                    "need clinical approval (status: approved)"
                )
            if plan.stale:
                raise ContentError(
                    f"{plan.id}: not built with --approved-only: the '{plan.language}' translation is out of date "
                    f"for {', '.join(plan.stale)} (the English changed; 'leaflets check' lists them)"
                )
    return plans


def leaflet_html(plan: LeafletPlan, project: Project, link_styles: bool, slot: CoverSlot | None | bool = True,
                 contents_cut: int | None = None) -> str:
    """The leaflet's HTML, with its QR code when the site profile gives an address; CONTENTS_CUT (for the PDF)
    makes the contents two lists side by side (`contents_columns`)."""
    target = qr_target(plan.site, plan.id)
    return render_html(plan, project, link_styles=link_styles, qr_svg=qr_img(target) if target else None, slot=slot,
                       contents_cut=contents_cut)


def screen_html(plan: LeafletPlan, project: Project) -> str:
    """The self-contained HTML edition: styles, fonts and pictures inlined; a skip link; no base address."""
    from .htmlfile import SCREEN_STYLESHEET, data_uri, inline_stylesheets
    from .slots import LAST_FIT, cover_slot

    target = qr_target(plan.site, plan.id)
    site = plan.site
    logo = site.content_dir / site.file.logo if site.file.logo and site.content_dir else None
    names = [*stylesheet_names(plan.options, project), SCREEN_STYLESHEET]
    context = dict(link_styles=False, qr_svg=qr_img(target) if target else None, skip_link=True, base_href=None,
                   logo_href=data_uri(logo) if logo and logo.is_file() else None,
                   slot=cover_slot(plan.details, LAST_FIT))  # on a screen the details' boxes grow with the text
    shown = render_html(plan, project, inline_css="", **context)  # the text, so each font keeps only its letters
    return render_html(plan, project, inline_css=inline_stylesheets(names, project.folders("styles"), shown),
                       **context)


def _render_pdf(plan: LeafletPlan, project: Project, renderer, reuse: bool = False) -> tuple[LeafletPlan, bytes]:  # noqa: ANN001
    """The reading PDF, with the urgent box moved before the contents if it would land after page 2.

    REUSE (the batch and web workers) joins a personalised leaflet's pages with details to a cached
    generic layout; the bytes are the same as without it.
    """
    from .render import MissingGlyphs

    try:
        if reuse and plan.details.printed() and not plan.urgent_first and plan.options.variant == "standard":
            from .personal import urgent_box_moves

            if urgent_box_moves(plan, project, renderer):  # known before rendering: no render thrown away
                plan = dataclasses.replace(plan, urgent_first=True)
        pdf, urgent_page = _pdf(plan, project, renderer, reuse)
        if not plan.urgent_first and (urgent_page or 0) > 2:
            # The cover and contents filled page 1, so the box went to page 3: put it before the contents.
            plan = dataclasses.replace(plan, urgent_first=True)
            pdf, _ = _pdf(plan, project, renderer, reuse)
    except MissingGlyphs as exc:
        from .glyphs import missing_glyphs_error

        raise missing_glyphs_error(plan, project, exc.characters) from None
    return plan, pdf


def _pdf(plan: LeafletPlan, project: Project, renderer, reuse: bool) -> tuple[bytes, int | None]:  # noqa: ANN001
    """One render of PLAN as it stands (through the details' slot when it has details), and the page its
    urgent box starts on (None: already first, or no box)."""
    if plan.details.printed():
        from .personal import personal_pdf

        pdf = personal_pdf(plan, project, renderer, reuse=reuse)
        return pdf, None if plan.urgent_first else urgent_box_page(pdf, plan.language)
    from .contents_columns import lay_out
    from .render import RENDER_SECONDS, time_limit

    with time_limit(RENDER_SECONDS):
        document, _ = lay_out(plan, project, renderer, lambda cut: leaflet_html(plan, project, False, contents_cut=cut))
        urgent_page = None if plan.urgent_first else urgent_page_in(document, plan.language)
        return renderer.write(document), urgent_page


def render_plan(
    plan: LeafletPlan, project: Project, renderer=None, html: bool = False,  # noqa: ANN001
    output_formats: tuple[str, ...] = ("pdf",), reuse: bool = False,
) -> RenderedLeaflet:
    """Render one plan to the bytes of every file it produces (PDFs, the HTML edition, assembled HTML if asked).

    REUSE: see _render_pdf (same bytes, faster when a worker renders the same leaflet again).
    """
    options = plan.options
    if "pdf" not in output_formats:
        return RenderedLeaflet(plan, {f"{options.file_stem(plan.id)}.html": screen_html(plan, project).encode()})
    renderer = renderer or get_renderer(project)
    plan, pdf = _render_pdf(plan, project, renderer, reuse)
    files = {f"{options.file_stem(plan.id)}.pdf": pdf}
    if options.variant == "booklet":
        from .imposition import impose_booklet

        try:
            files[f"{options.booklet_stem(plan.id)}.pdf"] = impose_booklet(pdf, options.paper)
        except ValueError as exc:
            raise RenderError(f"{plan.id}: could not make the booklet: {exc}") from None
    if "html" in output_formats:
        files[f"{options.file_stem(plan.id)}.html"] = screen_html(plan, project).encode("utf-8")
    elif html:
        from .contents_columns import printed_cut

        cut = printed_cut(plan, project, renderer)  # the PDF's own lists, so plain weasyprint makes the same PDF
        files[f"{options.file_stem(plan.id)}.html"] = leaflet_html(plan, project, True, contents_cut=cut).encode()
    return RenderedLeaflet(plan, files)


URGENT_BOOKMARK = "Get help straight away if…"


def _urgent_bookmark(language: str) -> str:
    """The urgent box's bookmark title in LANGUAGE without its ellipsis: titles are matched by how they start."""
    return gettext_for(language, URGENT_BOOKMARK).rstrip("…")


def urgent_box_page(pdf: bytes, language: str = DEFAULT_LANGUAGE) -> int | None:
    """The page (from 1) where the "Get help straight away if..." box starts, from the PDF's bookmarks."""
    import pikepdf

    bookmark = _urgent_bookmark(language)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        pages = {page.obj.objgen: number for number, page in enumerate(document.pages, 1)}
        for item in document.open_outline().root:
            destination = item.destination
            if str(item.title).startswith(bookmark) and isinstance(destination, pikepdf.Array):
                return pages.get(destination[0].objgen)
    return None


def urgent_page_in(document: Any, language: str = DEFAULT_LANGUAGE) -> int | None:
    """The page (from 1) where the urgent box starts, from a laid-out Document's bookmarks: what
    urgent_box_page reads back from the PDF's outline, without writing and parsing it."""
    bookmark = _urgent_bookmark(language)
    for number, page in enumerate(document.pages, start=1):
        if any(label.startswith(bookmark) for _level, label, _target, _state in page.bookmarks):
            return number
    return None


def write_rendered(rendered: RenderedLeaflet, out_dir: Path, name: Callable[[str], str] = str) -> list[Path]:
    """Write a rendered leaflet's files atomically; personalised ones readable by their owner only."""
    return write_files(rendered.files, out_dir, personal=rendered.plan.details.present(), name=name)


def build(
    request: BuildRequest, out_dir: Path | str = "out", root: Path | str | None = None, html: bool = False,
    *, db: Path | str | None = None, teach_back: str | None = None,
) -> list[Path]:
    """Build the requested leaflets into OUT_DIR and return the files written (recorded where the site asks)."""
    from .record.handout import prepare_recording, write_recorded

    project = find_project(root)
    library = Library(project)
    plans = [plan for one in request.each_format() for plan in plans_for(library, one)]  # all checked first
    target = prepare_recording(library, request.site, db, [(None, request.details)], teach_back)
    folder = prepare_folder(Path(out_dir))
    clean_partials(folder)
    written: list[Path] = []
    for plan in plans:
        rendered = render_plan(plan, project, html=html, output_formats=request.output_formats)
        written.extend(write_recorded(rendered, folder, target, teach_back=teach_back))
        log.info("built %s", plan.id)
    return written


def build_from_options(
    *,
    leaflets: list[str],
    out_dir: Path,
    site: str | None,
    pairs: list[str],
    details_file: Path | None,
    sections: str | None,
    title: str | None,
    all_leaflets: bool,
    variants: list[str],
    papers: list[str],
    print_ready: bool,
    approved_only: bool,
    html: bool,
    root: Path | None,
    output_format: str = "pdf",
    db: Path | None = None,
    teach_back: str | None = None,
    language: str | None = None,
) -> list[Path]:
    """Build from command-line style options (shared by the CLI and scripts)."""
    from .details import load_details
    from .translations import check_site_language

    details = load_details(details_file, pairs)
    profile = Library(find_project(root)).site(site)
    language = language or profile.file.languages[0]
    check_site_language(profile, language)
    variants = split_choices(variants) or ["standard"]
    papers: list[str | None] = [*split_choices(papers)] or [None]  # None: the site profile's paper
    formats = tuple(PrintOptions(variant=v, paper=p, print_ready=print_ready, language=language)
                    for v in variants for p in papers)
    request = BuildRequest(
        leaflets=tuple(leaflets),
        sections=tuple(s.strip() for s in (sections or "").split(",") if s.strip()),
        title=title,
        all_leaflets=all_leaflets,
        site=site,
        details=details,
        options=formats[0],
        approved_only=approved_only,
        formats=formats,
        output_formats=(output_format,),
    )
    if sections is not None and not request.sections:
        raise InputError("--sections needs at least one section id, for example --sections what-advanced-means")
    return build(request, out_dir, root, html=html, db=db, teach_back=teach_back)


def split_choices(values: list[str] | None) -> list[str]:
    """Repeated options, each of which may also be a comma list: --variant standard,large-print --variant booklet."""
    chosen = [part.strip() for value in values or [] for part in value.split(",") if part.strip()]
    return list(dict.fromkeys(chosen))
