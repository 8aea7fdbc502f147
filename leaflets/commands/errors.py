"""One line per problem and an exit code for every command: no tracebacks for user mistakes."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from typer.core import TyperGroup

from ..errors import LeafletError, one_line

# Typer bundles its own copy of Click: take Click's exception classes from one Typer exports.
_USAGE_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class OneLineErrors(TyperGroup):
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
