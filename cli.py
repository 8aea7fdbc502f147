"""The `leaflets` command: parse options, call one library function, turn errors into one line."""

from __future__ import annotations

import contextlib
import json
import re
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from leaflets.commands.errors import OneLineErrors, friendly_errors
from leaflets.commands.options import DbOption, DebugOption, JsonOption, RootOption, TeachBackOption
from leaflets.commands.record import record_app
from leaflets.commands.translations import translations_app

app = typer.Typer(
    cls=OneLineErrors,
    help="Build printable, accessible patient leaflets from reviewed content sections.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

@app.command("list")
@friendly_errors
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """List the leaflets (recipes) and content sections.

    Example: leaflets list --json
    """
    from leaflets.listing import listing, listing_tables

    data = listing(root)
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        typer.echo(listing_tables(data))


@app.command()
@friendly_errors
def build(
    leaflets: Annotated[Optional[list[str]], typer.Argument(help="Leaflet ids, as 'leaflets list' shows them.")] = None,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")] = Path("out"),
    site: Annotated[Optional[str], typer.Option("--site", help="Site profile id (content/sites/).")] = None,
    set_: Annotated[
        Optional[list[str]], typer.Option("--set", help="A personal detail, key=value (repeatable).")
    ] = None,
    details: Annotated[Optional[Path], typer.Option("--details", help="A YAML file of personal details.")] = None,
    sections: Annotated[
        Optional[str], typer.Option("--sections", help="Build an ad hoc leaflet from these section ids (comma list).")
    ] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="Title of an ad hoc --sections leaflet.")] = None,
    all_leaflets: Annotated[bool, typer.Option("--all", help="Build every leaflet.")] = False,
    variant: Annotated[
        Optional[list[str]],
        typer.Option(
            "--variant", help="standard, large-print, booklet or easy-read (repeatable: builds each; default standard)."
        ),
    ] = None,
    paper: Annotated[
        Optional[list[str]],
        typer.Option("--paper", help="a4 or letter (repeatable: builds each; default: the site's)."),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="pdf, or html: one self-contained accessible web page per leaflet.")
    ] = "pdf",
    print_ready: Annotated[bool, typer.Option("--print-ready", help="Add 3 mm bleed and crop marks.")] = False,
    approved_only: Annotated[
        bool, typer.Option("--approved-only", help="Refuse leaflets with draft (unapproved) sections.")
    ] = False,
    html: Annotated[bool, typer.Option("--html", help="Also write the assembled HTML.")] = False,
    teach_back: TeachBackOption = None,
    db: DbOption = None,
    lang: Annotated[
        Optional[str], typer.Option("--lang", help="Language: en or fr (default: the site profile's first).")
    ] = None,
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """Build leaflets as PDF files (and record the hand-out where the site profile asks).

    Example: leaflets build bone-metastases --set "patient_name=Sam Jones" -o out
    """
    from leaflets.build import build_from_options

    written = build_from_options(
        leaflets=leaflets or [], out_dir=out, site=site, pairs=set_ or [], details_file=details,
        sections=sections, title=title, all_leaflets=all_leaflets, variants=variant or [], papers=paper or [],
        print_ready=print_ready, approved_only=approved_only, html=html, root=root, db=db, teach_back=teach_back,
        language=lang, output_format=output_format,
    )
    for path in written:
        typer.echo(f"Wrote {path}")


@app.command()
@friendly_errors
def check(
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 if any section fails a check.")] = False,
    sources: Annotated[
        Optional[Path], typer.Option("--sources", help="Folder of source pages: flag wording copied from them.")
    ] = None,
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """Check every section: reading level, glossary, review dates, sources.

    Example: leaflets check --strict --sources ../shared/sources
    """
    from leaflets.checks import check_content
    from leaflets.listing import check_table

    report = check_content(root, sources)
    typer.echo(check_table(report))
    if strict and not report.passed:
        raise typer.Exit(1)


_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$", re.IGNORECASE)


def _check_host(host: str) -> str:
    """--host is an IP address (v4 or v6, '0.0.0.0' for every network) or a host name; nothing else."""
    import ipaddress

    with contextlib.suppress(ValueError):
        return str(ipaddress.ip_address(host.removeprefix("[").removesuffix("]")))
    if _HOST_NAME.match(host):
        return host
    raise typer.BadParameter("must be an IP address such as 127.0.0.1 or a host name such as localhost")


@app.command()
@friendly_errors
def init(
    folder: Annotated[Path, typer.Argument(help="The new project folder (it must not exist, or be empty).")],
    name: Annotated[
        Optional[str], typer.Option("--name", help="Your organisation's name (default: from the folder name).")
    ] = None,
    locale: Annotated[str, typer.Option("--locale", help="en-GB, en-CA, en-US...: the site's locale.")] = "en-GB",
    paper: Annotated[
        Optional[str], typer.Option("--paper", help="a4 or letter (default: letter for en-US and en-CA, else a4).")
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Make a project for your organisation: its own site profile, sections and leaflets on top of the built-in ones.

    Example: leaflets init clinic --name "Riverside Kidney Clinic" --locale en-GB
    """
    from leaflets.init_project import init_project

    for path in init_project(folder, name=name, locale=locale, paper=paper):
        typer.echo(f"Wrote {path}")
    typer.echo(f"Next: cd {folder}, fill in the site profile, then run 'leaflets list'. README.md says more.")


@app.command()
@friendly_errors
def adapt(
    kind: Annotated[str, typer.Argument(help="section, leaflet, site, set, template or style.")],
    item: Annotated[str, typer.Argument(help="Its id (for a template or style: its file name, like leaflet.css).")],
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """Copy a built-in item into your project to change it there; 'check' tells you when the original changes.

    Example: leaflets adapt section bone-metastases
    """
    from leaflets.overrides import adapt as copy_builtin
    from leaflets.project import find_project

    path = copy_builtin(find_project(root), kind, item)
    typer.echo(f"Wrote {path}: edit it there; it replaces the built-in {kind} '{item}' in this project")


@app.command()
@friendly_errors
def serve(
    host: Annotated[
        str,
        typer.Option("--host", callback=_check_host,
                     help="Address to listen on. Keep 127.0.0.1 so only this computer can use it."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on (1-65535).")] = 8000,
    root: RootOption = None,
    db: DbOption = None,
    debug: DebugOption = False,
) -> None:
    """Start the leaflet web page on this computer: pick a leaflet, add details, print.

    Example: leaflets serve   (then open http://127.0.0.1:8000/ in a web browser)
    """
    from leaflets.web import serve as run_server

    run_server(host, port, root, db)


@app.command()
@friendly_errors
def batch(
    set_file: Annotated[Path, typer.Argument(help="A set manifest (content/sets/<id>.yaml), or a set id.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")] = Path("out"),
    jobs: Annotated[
        Optional[int], typer.Option("--jobs", "-j", min=1, help="Worker processes (default: one per CPU).")
    ] = None,
    data: Annotated[
        Optional[Path], typer.Option("--data", help="A UTF-8 CSV of personal details: one leaflet per row.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild every file, even those up to date.")] = False,
    report: Annotated[Optional[Path], typer.Option("--report", help="Write a JSON report of every job.")] = None,
    db: DbOption = None,
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """Build a set of leaflets in parallel, skipping those whose inputs have not changed.

    Example: leaflets batch content/sets/kidney-advanced.yaml -o out --data patients.csv --report report.json
    """
    from leaflets.batch import run_batch

    result = run_batch(set_file, out, jobs=jobs, data_csv=data, force=force, report_path=report, root=root, db=db)
    if result.interrupted:
        typer.echo("\n".join(result.finished_lines()))
    typer.echo(result.summary())
    for line in result.failure_lines():
        typer.echo(line, err=True)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@app.command()
@friendly_errors
def suggest(
    codes: Annotated[list[str], typer.Argument(help="ICD-10 codes, for example C79.51 (prefixes match).")],
    as_json: JsonOption = False,
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """Suggest leaflets for a diagnosis, best first.

    Example: leaflets suggest C79.51
    """
    from leaflets.record.cli_text import suggest_text

    typer.echo(suggest_text(codes, as_json, root))


@app.command()
@friendly_errors
def recall(
    leaflet: Annotated[str, typer.Option("--leaflet", help="The leaflet id that needs a correction.")],
    version: Annotated[
        Optional[str], typer.Option("--version", help="The content version printed on the faulty edition.")
    ] = None,
    before: Annotated[Optional[str], typer.Option("--before", help="Everything handed out before this date.")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """List who was handed an edition that needs correcting, for a correction notice.

    Example: leaflets recall --leaflet bone-metastases --version 3f9a1c2b7d
    """
    from leaflets.record.cli_text import recall_text

    typer.echo(recall_text(db, root, as_json, leaflet=leaflet, version=version, before=before))


app.add_typer(record_app, name="record")
app.add_typer(translations_app, name="translations")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    sys.exit(main())
