"""What `leaflets list` shows: recipes and sections, as data and as plain tables."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ContentError

if TYPE_CHECKING:  # pragma: no cover
    from .checks import CheckReport
from .library import Library
from .project import find_project
from .translation_report import reading_table


def listing(root: Path | str | None = None) -> dict[str, list[dict[str, Any]]]:
    """The leaflets, sections and site profiles of a project, validated, each with where it comes from."""
    from .overrides import find_overrides

    library = Library(find_project(root))
    problems = library.validate_all()
    if problems:
        raise ContentError(*problems)
    recipes, section_items = library.items("leaflets", ".yaml"), library.items("sections", ".md")
    leaflets = [
        {"id": rid, "title": library.recipe(rid).file.title, "sections": list(library.recipe(rid).file.sections),
         "origin": recipes[rid].origin}
        for rid in library.recipe_ids
    ]
    sections = []
    for sid in library.section_ids:
        meta = library.section(sid).meta
        sections.append({
            "id": sid,
            "title": meta.title,
            "tags": list(meta.tags),
            "status": meta.status,
            "next_review": meta.next_review.isoformat() if meta.next_review else None,
            "origin": section_items[sid].origin,
        })
    sites = [{"id": item.id, "name": library.site(item.id).file.name, "origin": item.origin}
             for item in library.items("sites", ".yaml").values()]
    overrides = [override.as_dict() for override in find_overrides(library)]
    return {"leaflets": leaflets, "sections": sections, "sites": sites, "overrides": overrides,
            "easy_read": easy_read_listing(library)}


def easy_read_listing(library: Library) -> list[dict[str, Any]]:
    """The Easy Read leaflets (`--variant easy-read`): their own recipes, and standard ones fully covered."""
    from .easyread import easy_read_content, easy_read_ids, easy_read_recipe, easy_read_recipe_ids

    content = easy_read_content(library.project)
    covered = set(easy_read_ids(content))
    found = []
    for rid in dict.fromkeys([*easy_read_recipe_ids(content), *library.recipe_ids]):
        own = easy_read_recipe(content, rid)
        recipe = own[1] if own else library.recipe(rid).file
        if own or set(recipe.sections) <= covered:
            found.append({"id": rid, "title": recipe.title, "sections": list(recipe.sections)})
    return sorted(found, key=lambda item: item["id"])


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table that reads well in any terminal and in a log."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)
    return "\n".join(lines)


def listing_tables(data: dict[str, list[dict[str, Any]]]) -> str:
    """`leaflets list` as plain tables: leaflets, sections, site profiles, then local copies of built-in items."""
    leaflets = table(
        ["Leaflet", "Title", "Sections", "Origin"],
        [[item["id"], item["title"], str(len(item["sections"])), item["origin"]] for item in data["leaflets"]],
    )
    sections = table(
        ["Section", "Title", "Status", "Next review", "Origin", "Tags"],
        [[s["id"], s["title"], s["status"], s["next_review"] or "-", s["origin"], ", ".join(s["tags"])]
         for s in data["sections"]],
    )
    sites = table(["Site", "Name", "Origin"], [[s["id"], s["name"], s["origin"]] for s in data["sites"]])
    text = (f"Leaflets ({len(data['leaflets'])})\n{leaflets}\n\nSections ({len(data['sections'])})\n{sections}"
            f"\n\nSite profiles ({len(data['sites'])})\n{sites}")
    if data["overrides"]:
        rows = [[o["kind"], o["id"], o["path"], o["state"]] for o in data["overrides"]]
        text += f"\n\nLocal copies of built-in items ({len(rows)})\n" + table(["Kind", "Id", "File", "State"], rows)
    if data.get("easy_read"):
        easy = table(["Leaflet", "Title", "Sections"],
                     [[item["id"], item["title"], str(len(item["sections"]))] for item in data["easy_read"]])
        text += f"\n\nEasy Read (--variant easy-read) ({len(data['easy_read'])})\n{easy}"
    return text


def check_table(report: CheckReport) -> str:
    """The `leaflets check` table, then what failed and the overall verdict."""
    rows = [
        [s.id, f"{s.grade:.1f}", f"{s.words_per_sentence:.1f}", ", ".join(s.missing_terms) or "-", s.review,
         str(s.sources) if s.sources else "MISSING", "ok" if s.passed else "FAIL"]
        for s in report.sections
    ]
    lines = [table(["Section", "Grade", "Words/sentence", "Not in glossary", "Review", "Sources", "Result"], rows)]
    lines.append("")
    lines.append(f"Mean Flesch-Kincaid grade: {report.mean_grade:.2f} (target 6 or below; each section 8 or below)")
    for language in report.translations:
        lines.append("")
        lines.append(reading_table(language))
    for section in report.sections:
        lines.extend(f"{section.id}: {problem}" for problem in section.problems)
    lines.extend(report.problems)
    failed = sum(not s.passed for s in report.sections)
    verdict = (
        "All checks passed." if report.passed
        else f"{failed} section(s) failed; {len(report.problems)} other problem(s)."
    )
    lines.append(verdict)
    return "\n".join(lines)
