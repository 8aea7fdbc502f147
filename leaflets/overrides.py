"""Local copies of built-in items: which are up to date with their original, and making new ones.

A local item that replaces a built-in one records the content hash of the built-in original it was
made from: `based_on: <hash>` in a section's front matter or at the top level of a YAML file, in a
glossary or drug entry, or in a comment on the first lines of a template or stylesheet. When the
built-in original changes, its hash no longer matches and `leaflets check` says so.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import InputError
from .layers import BUILT_IN, REPLACING, file_hash, text_hash
from .library import Library, closest
from .project import Project

UP_TO_DATE = "up to date"
BEHIND = "behind"
UNRECORDED = "no based_on"
NO_ORIGINAL = "no built-in original"

_BASED_ON_COMMENT = re.compile(r"based_on:\s*([0-9a-f]{12})\b")
COPYABLE = {"section": ("sections", ".md"), "leaflet": ("leaflets", ".yaml"), "site": ("sites", ".yaml"),
            "set": ("sets", ".yaml"), "template": ("templates", ""), "style": ("styles", "")}
"""What `leaflets adapt` can copy: kind -> (folder, file suffix)."""


@dataclass(frozen=True)
class Override:
    """A local item that replaces (or claims to replace) a built-in one, and whether it is up to date."""

    kind: str
    id: str
    path: str
    based_on: str | None
    builtin_hash: str | None
    state: str

    def problem(self) -> str | None:
        """What `leaflets check` says about this override, or None when it is up to date."""
        where = f"{self.kind} {self.id} ({self.path})"
        if self.state == BEHIND:
            return (f"{where} is behind the built-in original: made from {self.based_on}, the built-in one is now "
                    f"{self.builtin_hash}; compare them, take the changes you need, then set based_on: "
                    f"{self.builtin_hash}")
        if self.state == UNRECORDED:
            return (f"{where} replaces a built-in item but has no based_on, so a change to the original would go "
                    f"unnoticed; compare it with the built-in one, then add based_on: {self.builtin_hash}")
        if self.state == NO_ORIGINAL:
            return f"{where} has based_on {self.based_on} but there is no built-in {self.kind} '{self.id}'; remove it"
        return None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


def shown(path: Path, project: Project) -> str:
    """A path as the user types it inside the project: content/sections/pain.md."""
    try:
        return Path(path).resolve().relative_to(project.root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _state(based_on: str | None, builtin_hash: str | None) -> str:
    if builtin_hash is None:
        return NO_ORIGINAL
    if based_on is None:
        return UNRECORDED
    return UP_TO_DATE if based_on == builtin_hash else BEHIND


def _override(kind: str, item_id: str, path: Path, based_on: str | None, builtin_hash: str | None,
              project: Project) -> Override:
    return Override(kind, item_id, shown(path, project), based_on, builtin_hash, _state(based_on, builtin_hash))


def find_overrides(library: Library) -> list[Override]:
    """Every local item that replaces a built-in one, or says it does (a based_on with nothing to replace)."""
    project = library.project
    if not project.layered:
        return []
    found: list[Override] = []
    loaders = {"section": lambda i: library.section(i).meta.based_on,
               "leaflet": lambda i: library.recipe(i).file.based_on,
               "site": lambda i: library.site(i).file.based_on}
    for kind, loader in loaders.items():
        folder, suffix = COPYABLE[kind]
        for item in library.items(folder, suffix).values():
            if item.origin == BUILT_IN:
                continue
            based_on = loader(item.id)
            if item.origin == REPLACING or based_on:
                builtin = file_hash(item.builtin_path) if item.builtin_path else None
                found.append(_override(kind, item.id, item.path, based_on, builtin, project))
    for item in library.items("sets", ".yaml").values():
        if item.origin != BUILT_IN:
            based_on = library.leaflet_set(item.path).file.based_on
            if item.origin == REPLACING or based_on:
                builtin = file_hash(item.builtin_path) if item.builtin_path else None
                found.append(_override("set", item.id, item.path, based_on, builtin, project))
    found.extend(_entry_overrides(library))
    found.extend(_layout_overrides(project))
    return found


def _entry_overrides(library: Library) -> list[Override]:
    from .layers import entry_hash

    found = []
    local_files = {"glossary entry": library.project.content / "glossary.yaml",
                   "drug": library.project.content / "drugs.yaml"}
    for kind, entries in (("glossary entry", library.glossary_origins), ("drug", library.drug_origins)):
        for key, (entry, origin, builtin) in entries.items():
            if origin == BUILT_IN or not (origin == REPLACING or entry.based_on):
                continue
            builtin_hash = entry_hash(builtin) if builtin is not None else None
            found.append(_override(kind, key, local_files[kind], entry.based_on, builtin_hash, library.project))
    return found


def _layout_overrides(project: Project) -> list[Override]:
    """Local templates and stylesheets (not fonts or images) that replace or claim to replace built-in ones."""
    found = []
    for kind, folder_name in (("template", "templates"), ("style", "styles")):
        local, builtin = project.folders(folder_name)
        for path in sorted(local.rglob("*")) if local.is_dir() else ():
            if not path.is_file() or path.suffix not in (".html", ".css"):
                continue
            relative = path.relative_to(local).as_posix()
            original = builtin / relative
            match = _BASED_ON_COMMENT.search(path.read_text("utf-8", errors="replace")[:2000])
            based_on = match.group(1) if match else None
            if original.is_file() or based_on:
                builtin_hash = file_hash(original) if original.is_file() else None
                found.append(_override(kind, relative, path, based_on, builtin_hash, project))
    return found


def adapt(project: Project, kind: str, item_id: str) -> Path:
    """Copy a built-in item into the project to change it there, recording the original's hash."""
    if not project.layered:
        raise InputError("'leaflets adapt' works in a project made by 'leaflets init': run it there, or use --root")
    if kind not in COPYABLE:
        raise InputError(f"cannot adapt a '{kind}': choose one of {', '.join(COPYABLE)}")
    folder, suffix = COPYABLE[kind]
    area, base = ("content", folder) if suffix else (folder, "")
    builtin = project.folders(area)[-1] / base
    original = (builtin / f"{item_id}{suffix}").resolve()
    if not original.is_relative_to(builtin.resolve()) or not original.is_file():
        choices = [p.relative_to(builtin).as_posix().removesuffix(suffix) for p in builtin.rglob(f"*{suffix}")]
        raise InputError(f"there is no built-in {kind} '{item_id}'{closest(item_id, choices)}")
    target = project.folders(area)[0] / base / f"{item_id}{suffix}"
    if target.exists():
        raise InputError(f"{shown(target, project)} already exists; edit it, or delete it first to copy again")
    target.parent.mkdir(parents=True, exist_ok=True)
    if original.suffix not in (".md", ".yaml", ".html", ".css"):  # a font or an image: copied as it is
        target.write_bytes(original.read_bytes())
        return target
    text = original.read_text("utf-8")
    target.write_text(with_based_on(text, text_hash(text), original.suffix), "utf-8")
    return target


def with_based_on(text: str, digest: str, suffix: str) -> str:
    """TEXT with a based_on record added where its kind of file keeps it."""
    line = f"based_on: {digest}  # the built-in original this copy was made from; see 'leaflets check'"
    if suffix == ".md":
        return re.sub(r"\A---[ \t]*\r?\n", lambda m: m.group() + line + "\n", text, count=1)
    if suffix in (".yaml", ".yml"):
        return line + "\n" + text
    if suffix == ".css":
        return f"/* based_on: {digest} (the built-in original this copy was made from) */\n" + text
    if suffix == ".html":
        return f"{{# based_on: {digest} (the built-in original this copy was made from) #}}\n" + text
    return text
