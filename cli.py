"""The `leaflets` command: parse options, call one library function, turn errors into one line."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer
from typer.core import TyperGroup

from leaflets.errors import LeafletError, one_line

# Typer bundles its own copy of Click: take Click's exception classes from one Typer exports.
_USAGE_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class _OneLineErrors(TyperGroup):
    """Click's own usage errors (an unknown option, a bad --port) as one 'Error:' line, like every other error."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except _USAGE_ERROR as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # plain 'leaflets': the help, as before
                exc.show()
            else:
                command = exc.ctx.command_path if exc.ctx is not None else "leaflets"
                typer.echo(one_line(f"Error: {exc.format_message().rstrip('.')}; see '{command} --help'"), err=True)
            sys.exit(exc.exit_code)
        except _CLICK_ERROR as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("Stopped.", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
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
DbOption = Annotated[
    Optional[Path], typer.Option("--db", help="The hand-out record (default: leaflets.db in the project folder).")
]
TeachBackOption = Annotated[
    Optional[str],
    typer.Option("--teach-back", help="done (the patient explained it back) or not-done; kept in the record."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]

F = TypeVar("F", bound=Callable[..., Any])


class _WarningHandler(logging.Handler):
    """Print library warnings as 'Warning: ...' lines on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        level = "Warning" if record.levelno >= logging.WARNING else "Info"
        typer.echo(f"{level}: {one_line(record.getMessage())}", err=True)  # never a terminal escape from input


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


record_app = typer.Typer(
    help="Read the record of leaflets handed out (kept where a site profile switches it on).\n\n"
    "Example: leaflets record list --since 2026-12-01",
    no_args_is_help=True,
)
app.add_typer(record_app, name="record")


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
