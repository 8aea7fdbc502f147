"""`leaflets translations ...`: what is translated, missing or stale; PO files for translators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import friendly_errors
from .options import DebugOption, LangOption, RootOption

translations_app = typer.Typer(
    add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
)


@translations_app.callback(invoke_without_command=True)
@friendly_errors
def translations(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Only this language.")] = None,
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """Report, per language, the sections, leaflets, glossary terms and drugs translated, missing, stale, approved.

    Example: leaflets translations --json
    """
    if ctx.invoked_subcommand:
        return
    from leaflets.translation_report import report_table, translation_reports

    reports = translation_reports(root, [lang] if lang else None, with_reading=False)
    if as_json:
        typer.echo(json.dumps({"languages": [r.as_json() for r in reports]}, indent=2, ensure_ascii=False))
    else:
        typer.echo(report_table(reports))


@translations_app.command("export")
@friendly_errors
def translations_export(
    lang: LangOption,
    out: Annotated[Optional[Path], typer.Option("-o", "--out", help="The PO file (default: <lang>.po).")] = None,
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """Write every text to translate, with its current translation, as a PO file for translators.

    Example: leaflets translations export --lang fr -o fr.po
    """
    from leaflets.translation_files import export_po

    path, count = export_po(lang, out or Path(f"{lang}.po"), root)
    typer.echo(f"Wrote {path} ({count} texts)")


@translations_app.command("import")
@friendly_errors
def translations_import(
    po_file: Annotated[Path, typer.Argument(help="A PO file from 'leaflets translations export'.")],
    lang: LangOption,
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """Read a translated PO file back: write its texts and record the English source hashes.

    Example: leaflets translations import fr.po --lang fr
    """
    from leaflets.translation_files import import_po

    changed = import_po(po_file, lang, root)
    for path in changed:
        typer.echo(f"Updated {path}")
    typer.echo(f"{len(changed)} file(s) changed.")
