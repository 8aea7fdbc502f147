"""Incremental batches: one key per output file from everything that shapes it, kept beside the PDFs."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__
from .errors import InputError, LeafletError
from .layers import served_file
from .markdown import images
from .plan import LeafletPlan
from .project import PACKAGE_ROOT, Project
from .readers import read_text
from .schema import Details
from .writers import write_atomic

log = logging.getLogger("leaflets")

CACHE_NAME = ".leaflets-cache.json"
"""The manifest in the output folder: output file name -> key. Never holds personal details."""
CACHE_FORMAT = 1
MAX_INPUT_BYTES = 10 * 1024 * 1024
"""No input a leaflet uses is bigger (render.MAX_ASSET_BYTES): a bigger one is not read, only marked."""
MAX_CACHE_BYTES = 16 * 1024 * 1024
"""A manifest bigger than this is not read: the folder is rebuilt instead."""
MAX_CACHE_FILES = 10_000
"""Input files remembered for one leaflet; a longer list in a manifest is damage."""
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_RENDER_PACKAGES = ("weasyprint", "pydyf", "pikepdf", "segno", "jinja2", "markdown-it-py")
"""Libraries whose upgrade can change the bytes of a PDF, so their versions are part of every key."""
NOT_OUTPUT_MODULES = (
    "checks.py", "listing.py", "incremental.py", "init_project.py", "overrides.py", "api.py", "batch/", "web/",
)
"""Modules (paths under leaflets/) that cannot change a PDF's bytes. Every other module is hashed, so a new
module shapes the cache key until it is listed here (tests/test_batch.py checks this list)."""


def output_modules() -> list[Path]:
    """Every module whose source is part of the cache key: all of leaflets/ but NOT_OUTPUT_MODULES."""
    package = PACKAGE_ROOT / "leaflets"
    return [
        path for path in sorted(package.rglob("*.py"))
        if not path.relative_to(package).as_posix().startswith(NOT_OUTPUT_MODULES)
    ]


class FileDigests:
    """SHA-256 of files, each read once per run: many leaflets share templates, styles and fonts.

    Read like build reads them: only regular files inside the folders a leaflet may use, never more
    than MAX_INPUT_BYTES. Anything else (a device, a pipe, a folder, a file outside the project, a
    huge file) gets a marker instead of a digest, so it changes the key and never hangs the batch.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int, int], str] = {}

    def digest(self, path: Path, allowed: Sequence[Path] = ()) -> str:
        """The file's digest, or a marker saying why it has none (so creating or fixing it changes the key)."""
        try:
            path = path.resolve()
        except (OSError, RuntimeError, ValueError):
            return "unusable name"
        if allowed and not any(path.is_relative_to(folder.resolve()) for folder in allowed):
            return "outside the project"
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            return "missing"
        except (OSError, ValueError):
            return "unreadable"
        try:
            return self._digest_open(fd, path)
        except OSError:
            return "unreadable"
        finally:
            os.close(fd)

    def _digest_open(self, fd: int, path: Path) -> str:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file"
        if info.st_size > MAX_INPUT_BYTES:
            return f"too big: {info.st_size}"
        token = (str(path), info.st_mtime_ns, info.st_size)
        if token not in self._seen:
            sha, remaining = hashlib.sha256(), MAX_INPUT_BYTES + 1
            while remaining > 0 and (block := os.read(fd, min(remaining, 1 << 20))):
                sha.update(block)
                remaining -= len(block)
            self._seen[token] = sha.hexdigest() if remaining > 0 else "too big: still growing"
        return self._seen[token]


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The package version, the source that shapes output and the render libraries' versions."""
    sha = hashlib.sha256(f"leaflets {__version__}\n".encode())
    for path in output_modules():
        sha.update(path.relative_to(PACKAGE_ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for name in _RENDER_PACKAGES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        sha.update(f"{name} {version}\n".encode())
    return sha.hexdigest()


def extra_inputs(plan: LeafletPlan, project: Project) -> list[Path]:
    """Files a leaflet reads that plan.input_files does not list: the site logo and section images."""
    found: list[Path] = []
    if plan.site.file.logo and plan.site.content_dir:
        found.append(plan.site.content_dir / plan.site.file.logo)
    groups = tuple(tuple(f.resolve() for f in group) for group in project.asset_groups)
    for section in plan.sections:
        if "![" not in section.body:
            continue  # no image syntax at all: skip the parse, which is most of the cost of a no-change run
        # Images outside the project are never fetched, so they cannot change the PDF (nor can a name with a
        # NUL byte, which the URL fetcher refuses); a layered one is the file that wins (the project's copy,
        # else the built-in one).
        for image in images(section.body):
            if image.local_path and "\0" not in image.local_path:
                wanted = (project.root / image.local_path).resolve()
                found.append(served_file(wanted, groups) or wanted)
    return found


def optional_inputs(project: Project, site_id: str) -> list[Path]:
    """Files that change a leaflet by appearing: plan.input_files lists them only when they exist."""
    names = ("glossary.yaml", "drugs.yaml", "rules.yaml", f"sites/{site_id}.yaml")
    return [folder / name for folder in project.folders("content") for name in names]


def inputs_digest(names: Iterable[str], digests: FileDigests, project: Project) -> str:
    """One digest for a leaflet's input files (by input_name), so a moved project folder still hits.

    Which templates and styles folders are in use is part of it: a project that gains its own
    styles/ switches away from the package's files without any of them changing.
    """
    sha = hashlib.sha256(code_digest().encode())
    layout = f"templates={input_name(project.templates, project)} styles={input_name(project.styles, project)}"
    layout += local_files_digest(project)
    sha.update(layout.encode() + b"\n")
    for name in names:
        digest = digests.digest(input_path(name, project), [f for group in project.asset_groups for f in group])
        sha.update(name.encode() + b"\0" + digest.encode() + b"\n")
    return sha.hexdigest()


def local_files_digest(project: Project) -> str:
    """In a project over the built-in library, the names of its own files: a new local copy of a built-in
    section, template or stylesheet changes what a leaflet reads without any known input changing."""
    if not project.layered:
        return ""
    names = sorted(
        path.relative_to(project.root).as_posix()
        for kind in ("content", "templates", "styles")
        for path in (project.root / kind).rglob("*")
        if path.is_file()
    )
    return " local=" + hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()


def input_name(path: Path, project: Project) -> str:
    """How the manifest names an input file: relative to the project or the package where possible."""
    for base, tag in ((project.root, "project"), (PACKAGE_ROOT, "package")):
        try:
            return f"{tag}:{path.resolve().relative_to(base.resolve())}"
        except ValueError:
            continue
    return str(path)


def input_path(name: str, project: Project) -> Path:
    """The file an input_name stands for."""
    tag, _, rest = name.partition(":")
    if tag == "project" and rest:
        return project.root / rest
    if tag == "package" and rest:
        return PACKAGE_ROOT / rest
    return Path(name)


def details_digest(details: Details) -> str:
    """A one-way digest of the personal details: they change the key but are never stored."""
    canonical = json.dumps(details.present(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def job_key(
    *, inputs: str, leaflet: str, site: str, options_key: str, outputs: Sequence[str], details: Details
) -> str:
    """The key of one job: equal keys mean byte-for-byte the same files, so the job can be skipped."""
    parts = [f"format {CACHE_FORMAT}", inputs, leaflet, site, options_key, "\0".join(outputs), details_digest(details)]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _output_name(name: object) -> bool:
    """An output file name as the batch writes them: a plain name in the output folder."""
    return isinstance(name, str) and 0 < len(name) <= 255 and not name.startswith(".") and not set(name) & set("/\\\0")


def _known_entry(entry: object) -> bool:
    """Whether a manifest's remembered inputs for one leaflet have exactly the shape save() writes."""
    if not isinstance(entry, dict) or set(entry) != {"files", "digest", "weight"}:
        return False
    files, digest, weight = entry["files"], entry["digest"], entry["weight"]
    return (
        isinstance(files, list) and len(files) <= MAX_CACHE_FILES
        and all(isinstance(name, str) and 0 < len(name) <= 4096 for name in files)
        and isinstance(digest, str) and bool(_DIGEST.match(digest))
        and type(weight) is int and 0 <= weight <= 10**9
    )


@dataclass
class BuildCache:
    """The manifest of what is in an output folder and the key each file was built from."""

    folder: Path
    entries: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per leaflet and site: the input files of its last plan and their digest, so an unchanged leaflet is
    recognised by hashing those files alone, without parsing any content (a no-change run stays cheap)."""
    dirty: bool = False

    @property
    def path(self) -> Path:
        return self.folder / CACHE_NAME

    @classmethod
    def load(cls, folder: Path) -> BuildCache:
        """Read the manifest; a missing one, or any damage to it, just means everything is rebuilt."""
        path = folder / CACHE_NAME
        if not path.exists() and not path.is_symlink():
            return cls(folder)
        try:
            data = json.loads(read_text(path, InputError, MAX_CACHE_BYTES))
        except (LeafletError, ValueError, RecursionError):
            log.warning("%s: unreadable build cache, rebuilding everything", path)
            return cls(folder, dirty=True)
        outputs = data.get("outputs") if isinstance(data, dict) and data.get("format") == CACHE_FORMAT else None
        if not isinstance(outputs, dict):
            return cls(folder, dirty=True)
        inputs = data.get("inputs")
        entries = {k: v for k, v in outputs.items() if _output_name(k) and isinstance(v, str) and _DIGEST.match(v)}
        known = {str(k): v for k, v in (inputs.items() if isinstance(inputs, dict) else ()) if _known_entry(v)}
        if len(entries) != len(outputs) or not isinstance(inputs, dict) or len(known) != len(inputs):
            log.warning("%s: damaged build cache, rebuilding everything", path)
            return cls(folder, dirty=True)  # one damaged entry and none of it can be trusted
        return cls(folder, entries, known)

    def known_inputs(self, leaflet: str, site: str, digests: FileDigests, project: Project) -> dict[str, Any] | None:
        """The stored inputs of LEAFLET if none of its files changed since, else None (plan it again)."""
        known = self.inputs.get(f"{leaflet}@{site}")
        if known is None:
            return None
        if inputs_digest(known["files"], digests, project) != known["digest"]:
            return None
        return known

    def remember_inputs(self, leaflet: str, site: str, files: list[str], digest: str, weight: int) -> None:
        self.inputs[f"{leaflet}@{site}"] = {"files": files, "digest": digest, "weight": weight}
        self.dirty = True

    def is_current(self, outputs: Sequence[str], key: str) -> bool:
        """True when every output exists and was built from exactly these inputs."""
        return all(self.entries.get(name) == key and (self.folder / name).is_file() for name in outputs)

    def record(self, outputs: Sequence[str], key: str) -> None:
        for name in outputs:
            self.entries[name] = key
        self.dirty = True

    def forget(self, outputs: Sequence[str]) -> None:
        for name in outputs:
            if self.entries.pop(name, None) is not None:
                self.dirty = True

    def save(self) -> None:
        """Write the manifest atomically, so a killed run leaves the old one or the new one."""
        if not self.dirty:
            return
        data = {
            "format": CACHE_FORMAT,
            "generator": f"leaflets {__version__}",
            "outputs": dict(sorted(self.entries.items())),
            "inputs": dict(sorted(self.inputs.items())),
        }
        write_atomic(self.path, (json.dumps(data, indent=1) + "\n").encode("utf-8"), personal=False)
        self.dirty = False

