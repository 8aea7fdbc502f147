"""Plans for the Easy Read edition: the same plan shape as a standard leaflet, made of Easy Read sections."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .easyread import (
    easy_read_content,
    easy_read_recipe,
    easy_read_recipe_ids,
    easy_read_sections,
    icons_folder,
    locale_values,
)
from .errors import ContentError
from .i18n import DEFAULT_LANGUAGE
from .plan import LeafletPlan, ad_hoc_head, asset_files
from .schema import Details
from .variants import PrintOptions

if TYPE_CHECKING:  # pragma: no cover
    from .build import BuildRequest
    from .library import Library


def plan_easy_read(library: Library, request: BuildRequest) -> list[LeafletPlan]:
    """One Easy Read plan per leaflet asked for; sections without an Easy Read version are refused."""
    common = dict(site_id=request.site, details=request.details, options=request.options)
    if request.sections:
        plans = [plan_easy_read_one(library, None, list(request.sections), request.title, **common)]
    else:
        content = easy_read_content(library.project)
        ids = easy_read_recipe_ids(content) if request.all_leaflets else list(dict.fromkeys(request.leaflets))
        plans = [plan_easy_read_one(library, rid, **common) for rid in ids]
    if request.approved_only:
        for plan in plans:
            if plan.is_draft:
                raise ContentError(f"{plan.id}: not built with --approved-only: its Easy Read sections are drafts")
            if plan.stale:
                raise ContentError(
                    f"{plan.id}: not built with --approved-only: the '{plan.language}' translation is out of date "
                    f"for {', '.join(plan.stale)} (the English changed; 'leaflets check' lists them)"
                )
    return plans


def plan_easy_read_one(
    library: Library, rid: str | None, section_ids: list[str] | None = None, title: str | None = None,
    site_id: str | None = None, details: Details | None = None, options: PrintOptions | None = None,
) -> LeafletPlan:
    """The Easy Read plan for leaflet RID (its own Easy Read recipe, else the standard one) or for SECTION_IDS."""
    options = options or PrintOptions("easy-read")
    if options.language != DEFAULT_LANGUAGE:
        from .easyread_translated import plan_translated_easy_read

        return plan_translated_easy_read(library, rid, section_ids, title, site_id, details, options)
    content = easy_read_content(library.project)
    site = library.site(site_id)
    path: Path | None = None
    if rid is None:  # checked by the same model as every other ad hoc leaflet
        rid, ids, head = ad_hoc_head(section_ids, title, options.language)
    else:
        own = easy_read_recipe(content, rid)
        path, recipe = own if own else (library.recipe(rid).path, library.recipe(rid).file)
        ids = list(recipe.sections)
        head = dict(title=recipe.title, subtitle=recipe.subtitle, audience=recipe.audience, intro=recipe.intro)
    locale = library.locale(site)  # the country facts the standard leaflets use win over the built-in numbers
    values = {**locale_values(content, site.file.locale), **{k: str(v) for k, v in locale.values.items()}}
    sections = [s.localised(values) for s in easy_read_sections(content, icons_folder(library.project), ids)]
    inputs = [*([path] if path else []), *(s.path for s in sections), *asset_files(library.project)]
    if site.path is not None:
        inputs.append(site.path)
    return LeafletPlan(
        id=rid, sections=sections, site=site, details=details or Details(),  # type: ignore[arg-type]
        options=options.with_site_paper(site.file.paper), glossary=[], drugs=[],
        locale=locale, input_files=inputs, **head,
    )
