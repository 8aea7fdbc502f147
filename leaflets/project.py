"""Find the project folder (content/, templates/, styles/) that a command works on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Project:
    """A project folder: the only place content, templates, styles and fonts are read from.

    A project without its own templates/ or styles/ uses the package's, so a content-only
    folder is a complete project.
    """

    root: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def templates(self) -> Path:
        return _own_or_package(self.root, "templates")

    @property
    def styles(self) -> Path:
        return _own_or_package(self.root, "styles")

    @property
    def asset_folders(self) -> tuple[Path, ...]:
        """The folders WeasyPrint may read from; nothing else on disk is reachable."""
        return (self.templates, self.styles, self.content)


def _own_or_package(root: Path, name: str) -> Path:
    own = root / name
    return own if own.is_dir() else PACKAGE_ROOT / name


def find_project(root: Path | str | None = None) -> Project:
    """Use ROOT if given, else the current folder if it has content/, else the package's own project."""
    if root is not None:
        candidate = Path(root).expanduser().resolve()
        if not (candidate / "content").is_dir():
            raise InputError(f"--root {root}: there is no content/ folder there")
        return Project(candidate)
    cwd = Path.cwd().resolve()
    if (cwd / "content").is_dir():
        return Project(cwd)
    return Project(PACKAGE_ROOT)
