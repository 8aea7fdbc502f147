"""The plan as one HTML document: Jinja2 templates (sandboxed, autoescape on), stylesheets and the page rules."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from . import __version__
from .diagram import diagram_for
from .errors import ContentError, RenderError
from .i18n import DEFAULT_LANGUAGE, format_date, gettext_for, translations
from .markdown import render_markdown
from .pictures import body_part, route_icon
from .plan import LeafletPlan
from .project import Project
from .slots import CoverSlot, cover_slot
from .variants import PrintOptions

STYLESHEETS = ("leaflet.css", "pictures.css")
VARIANT_STYLESHEETS = {"large-print": "large-print.css", "booklet": "booklet.css", "easy-read": "easy-read.css"}
SITE_STYLESHEET = "site.css"
"""An organisation's own stylesheet (styles/site.css in its project), applied after the built-in ones."""


@lru_cache(maxsize=8)
def _environment(templates: tuple[Path, ...], language: str = DEFAULT_LANGUAGE) -> jinja2.Environment:
    """Templates run sandboxed: a project's own templates/ can shape the page but never run Python code."""
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(folder) for folder in templates]),  # a local template wins
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["markdown"] = lambda text: jinja2.utils.markupsafe.Markup(render_markdown(text or "", min_heading=3))
    env.filters["long_date"] = _long_date
    env.filters["css_string"] = css_string
    env.filters["body_part"] = body_part
    env.filters["route_icon"] = route_icon
    env.filters["column_split"] = column_split
    env.filters["contents_entries"] = lambda sections: [(f"s-{section.id}", section.title) for section in sections]
    return env


@jinja2.pass_context
def _long_date(context: jinja2.runtime.Context, day: date | None) -> str:
    """A date the way the leaflet's country and language write it (Babel: 2 décembre 2026)."""
    plan = context["plan"]
    if not day:
        return gettext_for(plan.language, "not recorded")
    return format_date(day, plan.locale.code, plan.locale.get("date_format") or "d MMMM yyyy")


def stylesheet_names(options: PrintOptions, project: Project | None = None) -> list[str]:
    """The stylesheet files (in styles/) for these options, in cascade order; a project's site.css comes last."""
    names = list(STYLESHEETS)
    if options.variant in VARIANT_STYLESHEETS:
        names.append(VARIANT_STYLESHEETS[options.variant])
    if options.paper == "letter" and options.variant == "standard":
        names.append("letter.css")
    if options.page_size == "half-letter":
        names.append("half-letter.css")
    if project is not None and project.find("styles", SITE_STYLESHEET):
        names.append(SITE_STYLESHEET)
    return names


PAGE_SIZES = {"a4": "A4", "letter": "letter", "a5": "A5", "half-letter": "5.5in 8.5in"}
PAGE_RULES = "partials/page-rules.css"
"""The per-leaflet page rules (size, marks, the draft and translation marks): a template, so a project can word them."""


def page_css(plan: LeafletPlan, env: jinja2.Environment) -> str:
    """The per-leaflet CSS from templates/partials/page-rules.css. Small, so parsed each time."""
    numbers = page_number_css(plan) if plan.language != DEFAULT_LANGUAGE else ""
    return env.get_template(PAGE_RULES).render(
        plan=plan, page_size=PAGE_SIZES[plan.options.page_size], page_number_rules=Markup(numbers),
    ).strip()


def css_string(text: str) -> Markup:
    """TEXT as a quoted CSS string; a line break in TEXT breaks the line (with white-space: pre-line)."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace("\n", "\\A ")
    return Markup(f'"{escaped}"')


def page_number_css(plan: LeafletPlan) -> str:
    """"Page 1 of 8" in the leaflet's language; on the outer edge of booklet pages, as booklet.css places it.

    The stylesheets are user stylesheets, so these rules (in the document) win over their English words.
    """
    words = gettext_for(plan.language, "Page %(page)s of %(pages)s")
    parts = re.split(r"(%\((?:page|pages)\)s)", words)
    counters = {"%(page)s": "counter(page)", "%(pages)s": "counter(pages)"}
    number = " ".join(counters.get(part) or css_string(part) for part in parts if part)
    if plan.options.variant == "booklet":
        return (f"@page :right {{ @bottom-right {{ content: {number}; }} }}"
                f"@page :left {{ @bottom-left {{ content: {number}; }} }}")
    return f"@page {{ @bottom-right {{ content: {number}; }} }}"


def render_html(
    plan: LeafletPlan, project: Project, link_styles: bool = True, qr_svg: str | None = None,
    slot: CoverSlot | None | bool = True, template: str | None = None, **screen: object,
) -> str:
    """Render the leaflet's HTML; with LINK_STYLES it renders alone (the plain weasyprint command).

    SLOT is the details' slot shape; True means the one the details need at the normal text size.
    TEMPLATE replaces the leaflet's own (the contents list alone, to measure it).
    SCREEN overrides the context: the self-contained HTML edition's inline_css, skip_link, base_href, logo_href;
    contents_cut, where the contents list is cut into two side-by-side lists (none: one list in CSS columns);
    contents_pages, the page numbers to measure the list with.
    """
    if slot is True:
        slot = cover_slot(plan.details)
    try:
        template_name = template or ("easy-read.html" if plan.options.variant == "easy-read" else "leaflet.html")
        env = _environment(project.folders("templates"), plan.language)
        template = env.get_template(template_name)
        stylesheets = [project.find("styles", name) for name in stylesheet_names(plan.options, project)]
        context = dict(
            plan=plan,
            site=plan.site.file,
            details=plan.details,
            base_href=project.root.as_uri() + "/",
            stylesheet_hrefs=[path.as_uri() for path in stylesheets if path is not None] if link_styles else [],
            page_css=page_css(plan, env),
            generator=f"leaflets {__version__}",
            qr_svg=qr_svg,
            slots=slot or None,
            diagram=diagram_for(plan.sections, plan.language),
            logo_href=(plan.site.content_dir / plan.site.file.logo).as_uri()
            if plan.site.file.logo and plan.site.content_dir else None,
            contents_cut=None,
            contents_pages=None,
            contents_measure=False,
        )
        return template.render({**context, **screen})
    except jinja2.TemplateNotFound as exc:
        raise ContentError.at(project.templates / str(exc.name), "template not found") from None
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or "template"
        raise ContentError.at(where, f"template error: {exc.message}", exc.lineno) from None
    except SecurityError as exc:
        where, line = _template_frame(exc)
        raise ContentError.at(where, f"template error: {exc}; templates run in a sandbox that keeps them away from "
                              "Python's internals, files and commands", line) from None
    except jinja2.TemplateError as exc:
        where, line = _template_frame(exc)
        raise RenderError.at(where, f"template error: {exc}", line) from None


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """The template file and line where a runtime template error happened, from its traceback."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".html", ".css"))]
    return (frames[-1].filename, frames[-1].lineno) if frames else (None, None)


COLUMN_CHARACTERS = 32
"""About how many characters fit on a line of the urgent box's two-column lists on a standard page."""


def column_split(texts: list[str]) -> int:
    """Where to cut a list into two side-by-side columns so the taller one is as short as can be (CSS columns
    balance by height too, but make WeasyPrint lay the list out again and again)."""
    if len(texts) < 2:
        return len(texts)
    lines = [-(-(len(text) + 1) // COLUMN_CHARACTERS) for text in texts]  # + 1: the bullet's room
    heights = {cut: max(sum(lines[:cut]), sum(lines[cut:])) for cut in range(1, len(texts))}
    shortest = min(heights.values())
    return max(cut for cut, height in heights.items() if height == shortest)  # the first column the longer, as CSS
