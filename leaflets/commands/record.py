"""`leaflets record ...`: read the hand-out record, export it, add a teach-back result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import friendly_errors
from .options import DbOption, DebugOption, JsonOption, RootOption

record_app = typer.Typer(
    help="Read the record of leaflets handed out (kept where a site profile switches it on).\n\n"
    "Example: leaflets record list --since 2026-12-01",
    no_args_is_help=True,
)


@record_app.command("list")
@friendly_errors
def record_list(
    since: Annotated[Optional[str], typer.Option("--since", help="Only from this date on (YYYY-MM-DD).")] = None,
    leaflet: Annotated[Optional[str], typer.Option("--leaflet", help="Only this leaflet id.")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """List the leaflets handed out, oldest first.

    Example: leaflets record list --since 2026-12-01 --leaflet bone-metastases
    """
    from leaflets.record.cli_text import list_text

    typer.echo(list_text(db, root, as_json, since=since, leaflet=leaflet))


@record_app.command("export")
@friendly_errors
def record_export(
    fmt: Annotated[str, typer.Option("--format", help="csv, or fhir (FHIR R4 NDJSON).")] = "csv",
    bundle: Annotated[bool, typer.Option("--bundle", help="With --format fhir: one transaction Bundle.")] = False,
    out: Annotated[Optional[Path], typer.Option("-o", "--out", help="Write to this file (default: print).")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Only from this date on (YYYY-MM-DD).")] = None,
    leaflet: Annotated[Optional[str], typer.Option("--leaflet", help="Only this leaflet id.")] = None,
    db: DbOption = None,
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """Export the record as CSV, or as FHIR Communication and DocumentReference resources.

    Example: leaflets record export --format fhir --bundle -o handouts.json
    """
    from leaflets.record.export import export_record, write_export

    text = export_record(fmt, bundle=bundle, db_path=db, root=root, since=since, leaflet=leaflet)
    if out is None:
        typer.echo(text, nl=False)
    else:
        typer.echo(f"Wrote {write_export(text, out)}")


@record_app.command("teach-back")
@friendly_errors
def record_teach_back(
    handout: Annotated[str, typer.Argument(help="The hand-out id ('leaflets record list --json' shows it).")],
    result: Annotated[str, typer.Argument(help="done or not-done.")],
    db: DbOption = None,
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """Record the teach-back result of an earlier hand-out.

    Example: leaflets record teach-back 3f9a1c2b7d4e4f0a9b8c7d6e5f4a3b2c done
    """
    from leaflets.record.handout import set_teach_back
    from leaflets.record.reading import record_path

    set_teach_back(record_path(db, root), handout, result)
    typer.echo(f"Teach-back recorded: {result.strip().lower()}")
