"""Options several commands share, declared once so their names and help stay the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

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
LangOption = Annotated[str, typer.Option("--lang", help="The language, for example fr.")]
