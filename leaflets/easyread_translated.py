"""Easy Read in another language: content/translations/<lang>/easy-read/, tied to the English Easy Read files.

A translated Easy Read section is an Easy Read file (same rows and pictures) whose front matter adds
`translation:` (source_hash of the English Easy Read file, translator); a translated Easy Read recipe is
easy-read/leaflets/<id>.yaml with the recipe's words, as for standard recipes. When the English changes, the
translation is stale: the PDF says so on every page and `--approved-only` refuses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .easyread import (
    FOLDER,
    EasyReadSection,
    easy_read_content,
    easy_read_folder,
    easy_read_ids,
    easy_read_recipe,
    icons_folder,
    load_easy_read,
)
from .errors import InputError
from .i18n import LANGUAGE_NAMES, typeset
from .layers import text_hash
from .plan import LeafletPlan, ad_hoc_head, asset_files
from .readers import load_yaml_mapping, read_text
from .schema import Details, validate
from .translations import RecipeTranslationFile, TranslatedLibrary, TranslatedSectionMeta, library_for
from .variants import PrintOptions

if TYPE_CHECKING:  # pragma: no cover
    from .library import Library


def _typeset_section(section: EasyReadSection, language: str) -> EasyReadSection:
    """French spacing in the title, headings and rows (the same rule as translated standard sections)."""
    from dataclasses import replace

    from .easyread import Group, Row

    groups = tuple(Group(typeset(g.heading, language) if g.heading else None, g.urgent,
                         tuple(Row(r.icon, typeset(r.text, language), r.line) for r in g.rows)) for g in section.groups)
    meta = section.meta.model_copy(update={"title": typeset(section.meta.title, language)})
    return replace(section, meta=meta, groups=groups)


def translated_sections(translated: TranslatedLibrary, ids: list[str]) -> tuple[list[EasyReadSection], list[str]]:
    """The translated Easy Read sections of IDS and the ids of the stale ones; a missing one is refused."""
    content = easy_read_content(translated.project)
    english, available = easy_read_folder(content), easy_read_ids(content)
    if missing := [sid for sid in ids if sid not in available]:  # as in English: no Easy Read version at all
        raise InputError(f"no Easy Read version of {', '.join(missing)}; Easy Read exists for: "
                         f"{', '.join(available) or 'none'}")
    paths = {sid: translated.translated_path(f"{FOLDER}/{sid}.md") for sid in ids}
    if missing := [sid for sid, path in paths.items() if not path.is_file()]:
        raise InputError(f"no {translated.name} Easy Read version of {', '.join(missing)} yet; translate "
                         f"content/easy-read/<id>.md into content/translations/{translated.language}/easy-read/")
    icons = icons_folder(translated.project)
    sections, stale = [], []
    for sid, path in paths.items():
        section = load_easy_read(path, icons, meta_model=TranslatedSectionMeta)
        if section.meta.translation.source_hash != text_hash(read_text(english / f"{sid}.md")):  # type: ignore[attr-defined]
            stale.append(f"easy-read/{sid}")
        sections.append(_typeset_section(section, translated.language))
    return sections, stale


def plan_translated_easy_read(
    library: Library, rid: str | None, section_ids: list[str] | None, title: str | None, site_id: str | None,
    details: Details | None, options: PrintOptions,
) -> LeafletPlan:
    """The Easy Read plan in OPTIONS.language: translated rows, the recipe's translated words, the locale's values."""
    translated = library_for(library, options.language)
    assert isinstance(translated, TranslatedLibrary)
    site = library.site(site_id)
    locale = translated.locale(site)  # refuses a language the site does not offer
    content = easy_read_content(library.project)
    stale: list[str] = []
    inputs: list[Path] = []
    if rid is None:
        rid, ids, head = ad_hoc_head(section_ids, title, options.language)
    else:
        own = easy_read_recipe(content, rid)
        if own is None:  # the standard recipe's sections, with its translated words
            recipe = translated.recipe(rid)
            ids, stale, inputs = list(recipe.file.sections), [f"leaflets/{rid}"] if recipe.stale else [], [recipe.path]
            file = recipe.file
            head = dict(title=file.title, subtitle=file.subtitle, audience=file.audience, intro=file.intro)
        else:
            path = translated.translated_path(f"{FOLDER}/leaflets/{rid}.yaml")
            if not path.is_file():
                raise InputError(f"leaflet '{rid}' has no {LANGUAGE_NAMES[options.language]} Easy Read words yet; "
                                 f"translate content/easy-read/leaflets/{rid}.yaml into {path.name} in "
                                 f"content/translations/{options.language}/easy-read/leaflets/")
            words = validate(RecipeTranslationFile, load_yaml_mapping(path))
            ids, inputs = list(own[1].sections), [path, own[0]]
            stale = [f"easy-read/leaflets/{rid}"] if words.source_hash != text_hash(read_text(own[0])) else []
            head = {key: typeset(getattr(words, key), options.language) if getattr(words, key) else None
                    for key in ("title", "subtitle", "audience", "intro")}
    sections, stale_sections = translated_sections(translated, ids)
    values = {k: str(v) for k, v in locale.values.items()}
    sections = [s.localised(values) for s in sections]
    inputs += [*(s.path for s in sections), *asset_files(library.project), *translated.shared_files()]
    if site.path is not None:
        inputs.append(site.path)
    return LeafletPlan(
        id=rid, sections=sections, site=site, details=details or Details(),  # type: ignore[arg-type]
        options=options.with_site_paper(site.file.paper), glossary=[], drugs=[], locale=locale,
        input_files=inputs, stale=tuple([*stale, *stale_sections]), **head,
    )
