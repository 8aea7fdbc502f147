"""Errors a user can cause or meet, each printable as one line with the file and line where known."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def one_line(text: str) -> str:
    """TEXT safe to print as one terminal line: no line breaks, escape sequences or broken characters."""
    return _UNPRINTABLE.sub(lambda m: " " if m.group() in "\r\n\t" else repr(m.group())[1:-1], text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, located as precisely as we can."""

    message: str
    path: Path | str | None = None
    line: int | None = None
    field: str | None = None
    """The input field (YAML key, detail, form or JSON field) the problem belongs to, if one."""

    @property
    def text(self) -> str:
        """The problem without its file: 'field: message' when it belongs to a field."""
        return f"{self.field}: {self.message}" if self.field else self.message

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f", line {self.line}"
            where += ": "
        return one_line(where + self.text)


class LeafletError(Exception):
    """Base of every error the CLI turns into a message and an exit code instead of a traceback."""

    exit_code = 2

    def __init__(self, *problems: Problem | str) -> None:
        self.problems: tuple[Problem, ...] = tuple(
            p if isinstance(p, Problem) else Problem(p) for p in problems
        ) or (Problem("unknown error"),)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    @classmethod
    def at(cls, path: Path | str | None, message: str, line: int | None = None) -> LeafletError:
        """Build an error about one place in one file."""
        return cls(Problem(message, path, line))


class ContentError(LeafletError):
    """A content file (section, recipe, site, glossary, set) is missing or invalid."""


class InputError(LeafletError):
    """A command-line option, personal detail or data file is invalid."""


class OutputError(LeafletError):
    """The output folder cannot be written (permissions, full disk): the user can fix it."""


class RenderError(LeafletError):
    """Rendering a leaflet to PDF failed."""

    exit_code = 1


class RecordError(LeafletError):
    """The hand-out record cannot be written (locked, read-only): the leaflet is not handed out unrecorded."""

    exit_code = 1
