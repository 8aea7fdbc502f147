"""Find the project folder (content/, templates/, styles/) that a command works on, and its layers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .errors import InputError
from .layers import BUILT_IN, BUILTIN_ROOT, LOCAL, Layer

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
"""The folder that holds the leaflets package itself (its code; the built-in material is at BUILTIN_ROOT)."""
PROJECT_FILE = "leaflets-project.yaml"
"""Marks an organisation's project (made by `leaflets init`): its material is layered on the built-in library."""


@dataclass(frozen=True)
class Project:
    """A project folder: the only place content, templates, styles and fonts are read from.

    A folder with a leaflets-project.yaml adds to the built-in library (a local item with the same id
    replaces the built-in one). A folder with only content/ is a library of its own; without its own
    templates/ or styles/ it uses the built-in ones.
    """

    root: Path

    @cached_property
    def settings(self):  # noqa: ANN201 - ProjectFile, imported lazily (schema imports the YAML reader)
        """The project file's settings, or None for a folder without one."""
        path = self.root / PROJECT_FILE
        if not path.is_file():
            return None
        from .readers import load_yaml_mapping
        from .schema import ProjectFile, validate

        return validate(ProjectFile, load_yaml_mapping(path))

    @cached_property
    def layers(self) -> tuple[Layer, ...]:
        """The folders material is read from, the one that wins first."""
        if self.root.resolve() == BUILTIN_ROOT.resolve():
            return (Layer(BUILT_IN, self.root),)
        if (self.root / PROJECT_FILE).is_file():
            return (Layer(LOCAL, self.root), Layer(BUILT_IN, BUILTIN_ROOT))
        return (Layer(LOCAL, self.root),)

    @property
    def layered(self) -> bool:
        """True when this project adds to the built-in library rather than standing alone."""
        return len(self.layers) > 1

    @property
    def default_site(self) -> str | None:
        return self.settings.site if self.settings is not None else None

    def folders(self, kind: str) -> tuple[Path, ...]:
        """The content/, templates/ or styles/ folders in use, the one that wins first."""
        if self.layered:
            return tuple(layer.folder(kind) for layer in self.layers)
        own = self.root / kind
        if kind == "content" or own.is_dir():
            return (own,)
        return (BUILTIN_ROOT / kind,)

    def find(self, kind: str, name: str) -> Path | None:
        """The file NAME (relative, like 'sections/pain.md') from the first layer that has it."""
        for folder in self.folders(kind):
            path = folder / name
            if path.is_file():
                return path
        return None

    @property
    def content(self) -> Path:
        """The project's own content/ folder (the built-in one too, in a layered project: see folders)."""
        return self.root / "content"

    @property
    def templates(self) -> Path:
        """The templates/ folder that wins (see folders for all of them)."""
        return self.folders("templates")[0]

    @property
    def styles(self) -> Path:
        """The styles/ folder that wins (see folders for all of them)."""
        return self.folders("styles")[0]

    @property
    def asset_groups(self) -> tuple[tuple[Path, ...], ...]:
        """Templates, styles and content folders, each with its layers: WeasyPrint may read nothing else."""
        return tuple(self.folders(kind) for kind in ("templates", "styles", "content"))


def _project_above(folder: Path) -> Path | None:
    """The nearest folder at or above FOLDER with a project file (so commands work from content/sections too)."""
    for candidate in (folder, *folder.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate
    return None


def find_project(root: Path | str | None = None) -> Project:
    """Use ROOT if given; else the project this folder is in; else this folder if it has content/; else built-in."""
    if root is not None:
        candidate = Path(root).expanduser().resolve()
        if not (candidate / "content").is_dir() and not (candidate / PROJECT_FILE).is_file():
            raise InputError(f"--root {root}: there is no content/ folder there (nor a {PROJECT_FILE})")
        return Project(candidate)
    cwd = Path.cwd().resolve()
    if (cwd / "content").is_dir() and not (cwd / PROJECT_FILE).is_file():
        return Project(cwd)
    above = _project_above(cwd)
    if above is not None:
        return Project(above)
    return Project(BUILTIN_ROOT)
