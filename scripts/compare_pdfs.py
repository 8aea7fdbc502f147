#!/usr/bin/env python3
"""Prove a refactor changes no output: build every recipe in every variant, paper and site (plus a
personalised, an ad hoc, a print-ready, an HTML and a batch run) with the code of BASE and with the
code of this tree, and compare SHA-256 hashes. Both sides read the same content (this tree's, or
HEAD's) from the same folder; each side uses its own templates and styles, which belong to its code.

Usage:  scripts/compare_pdfs.py --base main        (exit 0: byte-identical; 1: a difference)
        scripts/compare_pdfs.py --base d7808fa --head HEAD   (two commits; the work tree may change meanwhile)
        scripts/compare_pdfs.py --hashes           (print this tree's hashes as JSON)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

RUNS: dict[str, list[str]] = {
    f"{variant}-{paper}": ["build", "--all", "--variant", variant, "--paper", paper]
    for variant in ("standard", "large-print", "booklet")
    for paper in ("a4", "letter")
}
RUNS["print-ready"] = ["build", "--all", "--print-ready"]
RUNS["html"] = ["build", "--all", "--html"]
RUNS["personal"] = ["build", "--all", "--set", "patient_name=Zoë Ångström", "--set", "team_phone=0118 496 0000",
                    "--set", "notes=Bring your list.\nAsk us anything."]
RUNS["ad-hoc"] = ["build", "--sections", "{two_sections}", "--title", "My own leaflet"]
CSV = "leaflet,patient_name\n{leaflet},Siobhán Ó Briain\n"


def hashes_with(code_root: Path, project: Path) -> dict[str, str]:
    """Run the CLI of CODE_ROOT over PROJECT for every run; map 'run/file' to its SHA-256."""
    result: dict[str, str] = {}
    env = {**os.environ, "PYTHONPATH": str(code_root), "SOURCE_DATE_EPOCH": "1767225600"}
    launcher = (  # the code under test, never the installed copy
        "import sys; root = sys.argv.pop(1); sys.path.insert(0, root); import leaflets, cli; "
        "assert leaflets.__file__.startswith(root) and cli.__file__.startswith(root), leaflets.__file__; cli.app()"
    )
    sections = sorted(p.stem for p in (project / "content/sections").glob("*.md"))[:2]
    recipes = sorted(p.stem for p in (project / "content/leaflets").glob("*.yaml"))
    with tempfile.TemporaryDirectory(prefix="compare-pdfs-") as tmp:
        runs = dict(RUNS)
        for site in sorted(p.stem for p in (project / "content/sites").glob("*.yaml")):
            runs[f"site-{site}"] = ["build", "--all", "--site", site]
        sets = sorted((project / "content/sets").glob("*.yaml"))
        if sets:
            data = Path(tmp) / "rows.csv"
            data.write_text(CSV.format(leaflet=recipes[0]), "utf-8")
            runs["batch"] = ["batch", str(sets[0]), "--data", str(data)]
        for name, args in runs.items():
            out = Path(tmp) / name
            args = [a.format(two_sections=",".join(sections)) for a in args]
            command = [sys.executable, "-c", launcher, str(code_root), *args, "-o", str(out), "--root", str(project)]
            # cwd: not this repo, or worker processes (which put the cwd first on sys.path) would import its code
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=tmp)
            if done.returncode != 0:
                raise SystemExit(f"{name}: {' '.join(args)} failed:\n{done.stderr[-3000:]}")
            print(f"{code_root.name}: {name} built", file=sys.stderr, flush=True)
            for path in sorted(out.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    result[f"{name}/{path.relative_to(out)}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


def project_for(code_root: Path, content_root: Path, folder: Path) -> Path:
    """FOLDER made a project: CONTENT_ROOT's content with CODE_ROOT's templates and styles (same path each side)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    shutil.copytree(content_root / "content", folder / "content")
    for name in ("templates", "styles"):
        shutil.copytree(code_root / name, folder / name)
    return folder


def export(rev: str, into: Path, name: str) -> Path:
    """The tree of REV unpacked into INTO/NAME: only its code is used."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], capture_output=True, check=True).stdout
    target = into / name
    target.mkdir()
    with tempfile.TemporaryFile() as handle:
        handle.write(archive)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            tar.extractall(target, filter="data")
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="git revision whose code must produce the same bytes")
    parser.add_argument("--head", help="git revision to compare with BASE instead of the work tree")
    parser.add_argument("--hashes", action="store_true", help="print this tree's hashes as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="compare-") as tmp:
        here = export(args.head, Path(tmp), "head") if args.head else REPO
        folder = Path(tmp) / "project"
        mine = hashes_with(here, project_for(here, here, folder))
        if args.hashes or not args.base:
            print(json.dumps(mine, indent=1, sort_keys=True))
            return 0
        base = export(args.base, Path(tmp), "base")
        theirs = hashes_with(base, project_for(base, here, folder))
    differ = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
    for key in differ:
        print(f"differs: {key}  base={theirs.get(key, 'missing')[:12]} here={mine.get(key, 'missing')[:12]}")
    print(f"{len(mine)} files compared with {args.base}: {'byte-identical' if not differ else f'{len(differ)} differ'}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
