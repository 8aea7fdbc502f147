"""The `leaflets` command: parse options, call one library function, turn errors into one line."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer

from leaflets.errors import LeafletError

app = typer.Typer(
    help="Build printable, accessible patient leaflets from reviewed content sections.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

RootOption = Annotated[
    Optional[Path],
    typer.Option("--root", help="Project folder with content/ (default: this folder if it has one, else built-in)."),
]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show a traceback when something fails.")]

F = TypeVar("F", bound=Callable[..., Any])


class _WarningHandler(logging.Handler):
    """Print library warnings as 'Warning: ...' lines on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        level = "Warning" if record.levelno >= logging.WARNING else "Info"
        typer.echo(f"{level}: {record.getMessage()}", err=True)


def _setup_logging(verbose: bool = False) -> None:
    logger = logging.getLogger("leaflets")
    if not any(isinstance(h, _WarningHandler) for h in logger.handlers):
        logger.addHandler(_WarningHandler())
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


def friendly_errors(command: F) -> F:
    """Turn a LeafletError into one line per problem and its exit code; no tracebacks for user mistakes."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = kwargs.get("debug", False)
        _setup_logging()
        try:
            return command(*args, **kwargs)
        except LeafletError as exc:
            if debug:
                raise
            for problem in exc.problems:
                typer.echo(f"Error: {problem}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            typer.echo("Stopped: no partial files were left behind.", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:  # a bug, not a user mistake: still one line unless --debug
            if debug:
                raise
            name = exc.__class__.__name__
            typer.echo(f"Error: unexpected {name}; this is a bug: run again with --debug and report it", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


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
    variant: Annotated[str, typer.Option("--variant", help="standard, large-print or booklet.")] = "standard",
    paper: Annotated[Optional[str], typer.Option("--paper", help="a4 or letter (default: the site's).")] = None,
    print_ready: Annotated[bool, typer.Option("--print-ready", help="Add 3 mm bleed and crop marks.")] = False,
    approved_only: Annotated[
        bool, typer.Option("--approved-only", help="Refuse leaflets with draft (unapproved) sections.")
    ] = False,
    html: Annotated[bool, typer.Option("--html", help="Also write the assembled HTML.")] = False,
    lang: Annotated[
        Optional[str], typer.Option("--lang", help="Language: en or fr (default: the site profile's first).")
    ] = None,
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """Build leaflets as PDF files.

    Example: leaflets build bone-metastases --set "patient_name=Sam Jones" -o out
    """
    from leaflets.build import build_from_options

    written = build_from_options(
        leaflets=leaflets or [], out_dir=out, site=site, pairs=set_ or [], details_file=details,
        sections=sections, title=title, all_leaflets=all_leaflets, variant=variant, paper=paper,
        print_ready=print_ready, approved_only=approved_only, html=html, root=root, language=lang,
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


@app.command()
@friendly_errors
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on. Keep 127.0.0.1 so only this computer can use it.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """Start the leaflet web page on this computer: pick a leaflet, add details, print.

    Example: leaflets serve   (then open http://127.0.0.1:8000/ in a web browser)
    """
    from leaflets.web import serve as run_server

    run_server(host, port, root)


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
    root: RootOption = None,
    debug: DebugOption = False,
) -> None:
    """Build a set of leaflets in parallel, skipping those whose inputs have not changed.

    Example: leaflets batch content/sets/kidney-advanced.yaml -o out --data patients.csv --report report.json
    """
    from leaflets.batch import run_batch

    result = run_batch(set_file, out, jobs=jobs, data_csv=data, force=force, report_path=report, root=root)
    if result.interrupted:
        typer.echo("\n".join(result.finished_lines()))
    typer.echo(result.summary())
    for line in result.failure_lines():
        typer.echo(line, err=True)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


translations_app = typer.Typer(
    add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
)
app.add_typer(translations_app, name="translations")
LangOption = Annotated[str, typer.Option("--lang", help="The language, for example fr.")]


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


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    sys.exit(main())
