"""Plans for the Easy Read edition: the same plan shape as a standard leaflet, made of Easy Read sections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .assemble import LeafletPlan, _asset_files, slugify
from .easyread import easy_read_folder, easy_read_recipe, easy_read_recipe_ids, easy_read_sections, locale_values
from .errors import ContentError

if TYPE_CHECKING:  # pragma: no cover
    from .build import BuildRequest
    from .library import Library


def plan_easy_read(library: Library, request: BuildRequest) -> list[LeafletPlan]:
    """One Easy Read plan per leaflet asked for; sections without an Easy Read version are refused."""
    content = library.project.content
    icons = library.project.styles / "icons"
    site = library.site(request.site)
    if request.sections:
        jobs = [(slugify(request.title or "Information for you"), None, list(request.sections),
                 dict(title=(request.title or "").strip() or "Information for you", subtitle=None, audience=None,
                      intro=None))]
    else:
        ids = easy_read_recipe_ids(content) if request.all_leaflets else list(dict.fromkeys(request.leaflets))
        jobs = []
        for rid in ids:
            own = easy_read_recipe(content, rid)
            path, recipe = own if own else (library.recipe(rid).path, library.recipe(rid).file)
            head = dict(title=recipe.title, subtitle=recipe.subtitle, audience=recipe.audience, intro=recipe.intro)
            jobs.append((rid, path, list(recipe.sections), head))
    plans = []
    for rid, path, section_ids, head in jobs:
        values = locale_values(content, site.file.locale)
        sections = [s.localised(values) for s in easy_read_sections(content, icons, section_ids)]
        inputs = [*([path] if path else []), *(s.path for s in sections), *_asset_files(library.project)]
        if site.path is not None:
            inputs.append(site.path)
        plans.append(LeafletPlan(
            id=rid, sections=sections, site=site, details=request.details, options=request.options,  # type: ignore[arg-type]
            glossary=[], drugs=[], recipe_path=path, input_files=inputs, **head,
        ))
    if request.approved_only:
        for plan in plans:
            if plan.is_draft:
                raise ContentError(f"{plan.id}: not built with --approved-only: its Easy Read sections are drafts")
    return plans


__all__ = ["plan_easy_read", "easy_read_folder"]
