"""Recipe + sections + site + details -> one HTML document (Jinja2, autoescape on)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from . import __version__
from .diagram import diagram_for
from .errors import ContentError, InputError, Problem, RenderError
from .i18n import DEFAULT_LANGUAGE, format_date, gettext_for, translations
from .library import Library, Recipe, SiteProfile, closest
from .locales import Locale
from .markdown import render_markdown
from .pictures import body_part, route_icon
from .project import Project
from .red_flags import FlagGroup, card_density, compile_red_flags
from .rules import BrokenRule, broken_rules
from .schema import AdHocLeaflet, Details, Drug, GlossaryTerm, SourceRef
from .sections import Section
from .translations import library_for
from .variants import PrintOptions

STYLESHEETS = ("leaflet.css", "pictures.css")
VARIANT_STYLESHEETS = {"large-print": "large-print.css", "booklet": "booklet.css", "easy-read": "easy-read.css"}
SITE_STYLESHEET = "site.css"
"""An organisation's own stylesheet (styles/site.css in its project), applied after the built-in ones."""


@dataclass(frozen=True)
class LeafletPlan:
    """Everything a template needs for one leaflet; plain data, no I/O."""

    id: str
    title: str
    subtitle: str | None
    audience: str | None
    intro: str | None
    sections: list[Section]
    site: SiteProfile
    details: Details
    options: PrintOptions
    glossary: list[GlossaryTerm]
    drugs: list[Drug]
    locale: Locale
    red_flags: list[FlagGroup] = field(default_factory=list)
    broken_rules: list[BrokenRule] = field(default_factory=list)
    input_files: list[Path] = field(default_factory=list)
    urgent_first: bool = False
    """Put the urgent box before the contents list (always in large print and booklets; see build.py)."""
    stale: tuple[str, ...] = ()
    """Translated files whose English changed since they were translated (the PDF says so on every page)."""

    @property
    def language(self) -> str:
        return self.options.language

    @property
    def card_density(self) -> str:
        return card_density(self.red_flags)

    @property
    def team_phone(self) -> str | None:
        """The daytime number: typed for this patient, else the site's."""
        return self.details.team_phone or self.site.file.team_phone

    @property
    def emergency_line(self) -> str | None:
        """The 24-hour number, day or night, from the site profile."""
        return self.site.file.out_of_hours_phone

    @property
    def is_draft(self) -> bool:
        return any(s.meta.status != "approved" for s in self.sections)

    @property
    def last_reviewed(self) -> date | None:
        dates = [s.meta.last_reviewed for s in self.sections if s.meta.last_reviewed]
        return min(dates) if dates else None

    @property
    def next_review(self) -> date | None:
        dates = [s.meta.next_review for s in self.sections if s.meta.next_review]
        return min(dates) if dates else None

    @property
    def sources(self) -> list[SourceRef]:
        seen: dict[tuple[str, str, int], SourceRef] = {}
        for section in self.sections:
            for source in section.meta.sources:
                seen.setdefault((source.publisher, source.title, source.year), source)
        return sorted(seen.values(), key=lambda s: (s.publisher.lower(), s.title.lower(), s.year))

    @cached_property
    def content_version(self) -> str:
        """A short hash of everything that shapes the edition (never the personal details)."""
        digest = hashlib.sha256(f"leaflets {__version__}\n{self.options.as_key()}\n".encode())
        for path in self.input_files:
            data = self._site_profile_bytes() if path == self.site.path else path.read_bytes()
            digest.update(str(path.name).encode() + b"\0" + data + b"\0")
        return digest.hexdigest()[:10]

    def _site_profile_bytes(self) -> bytes:
        """The site profile as it shapes the leaflet: its hand-out record settings do not change the edition."""
        return self.site.file.model_dump_json(exclude={"record"}).encode()


def _terms_used(terms: list[GlossaryTerm], text: str) -> list[GlossaryTerm]:
    used = []
    for term in terms:
        words = [term.term, *term.also]
        pattern = r"\b(" + "|".join(re.escape(w) for w in words) + r")\b"
        if re.search(pattern, text, re.IGNORECASE):
            used.append(term)
    return sorted(used, key=lambda t: t.term.lower())


def slugify(title: str) -> str:
    """A safe file name from a title: lowercase ASCII letters, digits and hyphens."""
    import unicodedata

    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    return slug or "leaflet"


def _asset_files(project: Project) -> list[Path]:
    """The templates, styles and fonts a leaflet can use; the web page's own files are not among them."""
    files = []
    for folder in (*project.folders("templates"), *project.folders("styles")):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            parts = path.relative_to(folder).parts
            if path.is_file() and "__pycache__" not in parts and parts[0] != "web" and not path.name.startswith("web"):
                files.append(path)
    return files


def checked_ad_hoc(library: Library, section_ids: list[str] | None, title: str | None) -> AdHocLeaflet:
    """An ad hoc leaflet's sections and title, checked; an unknown section id is the user's mistake."""
    ad_hoc = AdHocLeaflet.checked(section_ids or [], title)
    unknown = [sid for sid in ad_hoc.sections if sid not in library.section_ids]
    if unknown:
        hint = closest(unknown[0], library.section_ids)
        raise InputError(Problem(f"unknown section '{unknown[0][:80]}'{hint}", field="sections"))
    return ad_hoc


def plan_leaflet(
    library: Library,
    recipe: Recipe | None,
    section_ids: list[str] | None = None,
    title: str | None = None,
    site_id: str | None = None,
    details: Details | None = None,
    options: PrintOptions | None = None,
) -> LeafletPlan:
    """Gather and check everything one leaflet needs, before any rendering starts."""
    details = details or Details()
    options = options or PrintOptions()
    if options.variant == "easy-read":  # its own words: content/easy-read/ (see easyread.py)
        from .editions import plan_easy_read_one

        return plan_easy_read_one(library, recipe.id if recipe else None, section_ids, title, site_id, details,
                                  options)
    library = library_for(library, options.language)
    recipe = library.recipe(recipe.id) if recipe is not None else None
    site = library.site(site_id)
    options = options.with_site_paper(site.file.paper)
    locale = library.locale(site)
    if recipe is not None:
        sections = library.sections_of(recipe)
        rid, file = recipe.id, recipe.file
        head = dict(title=file.title, subtitle=file.subtitle, audience=file.audience, intro=file.intro)
        recipe_files = [recipe.path]
    else:
        ad_hoc = checked_ad_hoc(library, section_ids, title)
        sections = library.sections(ad_hoc.sections)
        title = ad_hoc.title or gettext_for(options.language, "Information for you")
        rid = slugify(title)
        head = dict(title=title, subtitle=None, audience=None, intro=None)
        recipe_files = []
    sections = [s.for_locale(locale) for s in sections]
    text = " ".join(s.plain_text for s in sections)
    drug_types = {t for s in sections for t in s.meta.drug_table}
    inputs = [*recipe_files, *(s.path for s in sections), *library.shared_files(), *_asset_files(library.project)]
    inputs += [p for p in (recipe.source_path if recipe else None, *(s.source_path for s in sections)) if p]
    stale = [f"leaflets/{rid}" for _ in [1] if recipe is not None and recipe.stale]
    stale += [f"sections/{s.id}" for s in sections if s.stale] + library.stale_shared()
    if site.path is not None:
        inputs.append(site.path)
    return LeafletPlan(
        id=rid,
        sections=sections,
        site=site,
        details=details,
        options=options,
        glossary=_terms_used(library.glossary, text),
        drugs=[d for d in library.drugs_for(locale) if d.type in drug_types],
        locale=locale,
        red_flags=compile_red_flags(sections),
        broken_rules=broken_rules([s.id for s in sections], library.rules),
        input_files=inputs,
        stale=tuple(stale),
        **head,
    )


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
    env.filters["body_part"] = body_part
    env.filters["route_icon"] = route_icon
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


def page_css(plan: LeafletPlan) -> str:
    """The per-leaflet CSS: page size, bleed and marks, the draft mark. Small, so parsed each time."""
    size = {"a4": "A4", "letter": "letter", "a5": "A5", "half-letter": "5.5in 8.5in"}[plan.options.page_size]
    rules = [f"@page {{ size: {size}; }}"]
    if plan.options.print_ready:
        rules.append("@page { bleed: 3mm; marks: crop; }")
    marks = []
    if plan.is_draft:
        marks.append(gettext_for(plan.language, "Draft: not yet clinically approved"))
    if plan.stale:
        marks.append(gettext_for(plan.language, "Translation being updated: check with your team"))
    if marks:
        mark = css_string("\n".join(marks))
        lines = " white-space: pre-line;" if len(marks) > 1 else ""
        rules.append(
            f'@page {{ @top-right {{ content: {mark};{lines} }} }}'
            f'@page :first {{ @top-right {{ content: {mark};{lines} }} }}'
        )
    if plan.stale:  # the warning needs the whole header: the running title gives way
        rules.append("@page { @top-left { content: none; } }")
    if plan.language != DEFAULT_LANGUAGE:
        rules.append(page_number_css(plan))
    return "\n".join(rules)


def css_string(text: str) -> str:
    """TEXT as a quoted CSS string; a line break in TEXT breaks the line (with white-space: pre-line)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace("\n", "\\A ")
    return f'"{escaped}"'


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
    plan: LeafletPlan, project: Project, link_styles: bool = True, qr_svg: str | None = None, **screen: object
) -> str:
    """Render the leaflet's HTML; with LINK_STYLES it renders alone (the plain weasyprint command).

    SCREEN overrides the context for the self-contained HTML edition (inline_css, skip_link, base_href, logo_href).
    """
    try:
        template_name = "easy-read.html" if plan.options.variant == "easy-read" else "leaflet.html"
        template = _environment(project.folders("templates"), plan.language).get_template(template_name)
        stylesheets = [project.find("styles", name) for name in stylesheet_names(plan.options, project)]
        context = dict(
            plan=plan,
            site=plan.site.file,
            details=plan.details,
            base_href=project.root.as_uri() + "/",
            stylesheet_hrefs=[path.as_uri() for path in stylesheets if path is not None] if link_styles else [],
            page_css=page_css(plan),
            generator=f"leaflets {__version__}",
            qr_svg=qr_svg,
            diagram=diagram_for(plan.sections, plan.language),
            logo_href=(plan.site.content_dir / plan.site.file.logo).as_uri()
            if plan.site.file.logo and plan.site.content_dir else None,
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

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".html")]
    return (frames[-1].filename, frames[-1].lineno) if frames else (None, None)
