"""Time booklet imposition before (pypdf page merging) and now (pikepdf form XObjects) on the real leaflets.

Run from the repository:  python benchmarks/bench_imposition.py [--repeat 7] [--write]

It renders the booklet pages of every recipe once (A5, plain and print-ready), then imposes each with both
versions, interleaved, REPEAT times, and reports the median CPU and wall time per booklet. It also renders
every sheet of both print files with pdftoppm and checks that they are pixel-identical. The pypdf version is
read from git history (OLD_COMMIT), so this needs a git checkout and pypdf (installed with the test extras).
--write puts the figures in the "Booklet imposition" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from PIL import Image, ImageChops

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from leaflets.build import BuildRequest, plans_for, render_plan  # noqa: E402
from leaflets.imposition import impose_booklet  # noqa: E402
from leaflets.library import Library  # noqa: E402
from leaflets.project import find_project  # noqa: E402
from leaflets.variants import PrintOptions  # noqa: E402

RESULTS = REPO / "benchmarks" / "RESULTS.md"
SECTION = "## Booklet imposition"
OLD_COMMIT = "d7808fa"
"""The last commit whose leaflets/imposition.py merged pages with pypdf."""
DPI = 100


def old_impose() -> Callable[[bytes], bytes]:
    """The pypdf imposition as it was at OLD_COMMIT, loaded as a module from git history."""
    source = subprocess.run(["git", "show", f"{OLD_COMMIT}:leaflets/imposition.py"], cwd=REPO, check=True,
                            capture_output=True, text=True).stdout
    module = types.ModuleType("pypdf_imposition")
    exec(compile(source, f"{OLD_COMMIT}:leaflets/imposition.py", "exec"), module.__dict__)  # noqa: S102
    return module.impose_booklet


def booklet_pages() -> dict[str, bytes]:
    """The reading-order booklet pages of every recipe, plain and print-ready, rendered once."""
    project = find_project(REPO)
    library = Library(project)
    pages: dict[str, bytes] = {}
    for print_ready in (False, True):
        options = PrintOptions("booklet", "a4", print_ready)
        for plan in plans_for(library, BuildRequest(all_leaflets=True, options=options)):
            name = options.file_stem(plan.id)
            pages[name] = render_plan(plan, project).files[f"{name}.pdf"]
    return pages


def timed(impose: Callable[[bytes], bytes], data: bytes) -> tuple[float, float, bytes]:
    """CPU and wall seconds of one imposition, and its output."""
    cpu, wall = time.process_time(), time.perf_counter()
    out = impose(data)
    return time.process_time() - cpu, time.perf_counter() - wall, out


def rasters(pdf: bytes, folder: Path, stem: str) -> list[Image.Image]:
    """Every sheet side rendered by pdftoppm at DPI."""
    path = folder / f"{stem}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), str(path), str(folder / stem)], check=True)
    return [Image.open(png).convert("RGB") for png in sorted(folder.glob(f"{stem}-*.png"))]


def identical(old: bytes, new: bytes) -> bool:
    """Whether the two print files look the same, pixel for pixel, sheet for sheet."""
    with tempfile.TemporaryDirectory() as scratch:
        before, after = rasters(old, Path(scratch), "old"), rasters(new, Path(scratch), "new")
        return len(before) == len(after) and all(
            a.size == b.size and ImageChops.difference(a, b).getbbox() is None
            for a, b in zip(before, after, strict=True)
        )


def write_section(text: str) -> None:
    """Replace (or add) the Booklet imposition section of RESULTS.md, leaving the others as they are."""
    lines = RESULTS.read_text("utf-8").rstrip("\n").split("\n") if RESULTS.exists() else ["# Benchmark results"]
    if SECTION in lines:
        start = lines.index(SECTION)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(("# ", "## "))), len(lines))
        lines[start:end] = [*text.split("\n"), ""]
    else:
        lines += ["", *text.split("\n")]
    RESULTS.write_text("\n".join(lines).rstrip("\n") + "\n", "utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="impositions per booklet and version")
    parser.add_argument("--write", action="store_true", help="write the figures into benchmarks/RESULTS.md")
    args = parser.parse_args()

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    old = old_impose()
    pages = booklet_pages()
    cpu: dict[str, list[float]] = {"old": [], "new": []}
    wall: dict[str, list[float]] = {"old": [], "new": []}
    sizes: dict[str, list[int]] = {"old": [], "new": []}
    same = 0
    for name, data in pages.items():
        runs: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
        outputs: dict[str, bytes] = {}
        for _ in range(args.repeat):  # interleaved, so a busy moment on the shared machine hits both
            for version, impose in (("old", old), ("new", impose_booklet)):
                spent_cpu, spent_wall, outputs[version] = timed(impose, data)
                runs[version].append((spent_cpu, spent_wall))
        for version in runs:
            cpu[version].append(statistics.median(c for c, _ in runs[version]))
            wall[version].append(statistics.median(w for _, w in runs[version]))
            sizes[version].append(len(outputs[version]))
        same += identical(outputs["old"], outputs["new"])
        print(f"{name}: pypdf {cpu['old'][-1] * 1000:.1f} ms, pikepdf {cpu['new'][-1] * 1000:.1f} ms CPU")

    mean = {v: statistics.mean(cpu[v]) * 1000 for v in cpu}
    mean_wall = {v: statistics.mean(wall[v]) * 1000 for v in wall}
    kb = {v: statistics.mean(sizes[v]) / 1024 for v in sizes}
    text = "\n".join([
        SECTION,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python benchmarks/bench_imposition.py "
        f"--repeat {args.repeat}`: the booklet pages of all {len(pages) // 2} recipes, plain and print-ready "
        f"({len(pages)} booklets), each imposed {args.repeat} times with each version, interleaved; medians per "
        f"booklet, averaged over the booklets. pypdf {metadata.version('pypdf')} (the code at {OLD_COMMIT}), "
        f"pikepdf {metadata.version('pikepdf')}. Load average when it started: {load} on {os.cpu_count()} CPUs "
        "(a busy shared machine inflates wall time far more than CPU time).",
        "",
        "| imposition | CPU per booklet | wall per booklet | print file |",
        "|---|---|---|---|",
        f"| before: pypdf page merging | {mean['old']:.0f} ms | {mean_wall['old']:.0f} ms | {kb['old']:.0f} KB |",
        f"| now: pikepdf form XObjects | **{mean['new']:.1f} ms** | {mean_wall['new']:.1f} ms | {kb['new']:.0f} KB |",
        f"| ratio | **{mean['old'] / mean['new']:.0f}x** less CPU | | |",
        "",
        f"Sheets pixel-identical (every side, pdftoppm at {DPI} dpi): {same} of {len(pages)} print files.",
        "",
        "pypdf parses every page's content stream, rewrites it with the placement and writes it again for each "
        "sheet; a form XObject only references the page's content and resources (fonts shared once), so "
        "imposition now costs a few percent of the render instead of more than the render itself.",
    ])
    print(text)
    if args.write:
        write_section(text)
        print(f"Wrote {RESULTS}")
    return 0 if same == len(pages) else 1


if __name__ == "__main__":
    raise SystemExit(main())
