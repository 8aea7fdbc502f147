"""How much faster the warm web server makes a leaflet than a cold `leaflets build`: python benchmarks/bench_web.py.

One run measures both on the same leaflet and the same made-up details: the median of several PDF
requests to the running server (after its first, which loads WeasyPrint and the fonts) against the
median of cold `leaflets build` subprocesses, taken in turns. Target: the server at least 3x faster.
With --append the figures are added to the "Web server" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from leaflets.library import Library  # noqa: E402
from leaflets.project import find_project  # noqa: E402
from leaflets.web import background_server, create_app  # noqa: E402

RESULTS = REPO / "benchmarks" / "RESULTS.md"
SECTION = "## Web server"
DETAILS = {"patient_name": "Sam Example", "team_phone": "01632 960 123", "next_appointment": "Tuesday 3 March, 10:30",
           "notes": "Bring your list of medicines."}  # made up: never a real patient
TARGET = 3.0


def post_pdf(base: str, rid: str) -> float:
    """One PDF request, timed from sending to the last byte."""
    body = json.dumps({"details": DETAILS}).encode()
    request = urllib.request.Request(f"{base}/api/leaflets/{rid}/pdf", data=body,
                                     headers={"Content-Type": "application/json"}, method="POST")
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback only
        data = response.read()
    elapsed = time.perf_counter() - started
    if not data.startswith(b"%PDF"):
        raise SystemExit("the server did not return a PDF")
    return elapsed


def cold_build(rid: str) -> float:
    """`leaflets build` in a new process: Python start, imports, WeasyPrint, fonts, render, write."""
    command = Path(sys.executable).with_name("leaflets")
    argv = [str(command)] if command.exists() else [sys.executable, str(REPO / "cli.py")]
    pairs = [arg for key, value in DETAILS.items() for arg in ("--set", f"{key}={value}")]
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run([*argv, "build", rid, "-o", out, "--root", str(REPO), *pairs], check=True, cwd=REPO,
                       capture_output=True)
        return time.perf_counter() - started


def append_results(text: str) -> None:
    """Add TEXT at the end of the Web server section, creating the section (or the file) if needed."""
    existing = RESULTS.read_text("utf-8") if RESULTS.exists() else "# Benchmark results\n"
    lines = existing.rstrip("\n").split("\n")
    if SECTION not in lines:
        RESULTS.write_text("\n".join(lines) + f"\n\n{SECTION}\n\n{text}\n", "utf-8")
        return
    start = lines.index(SECTION)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    lines[end:end] = ["", *text.split("\n")]
    RESULTS.write_text("\n".join(lines) + "\n", "utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaflet", help="leaflet id (default: bone-metastases, else the first)")
    parser.add_argument("--requests", type=int, default=9, help="warm PDF requests to time")
    parser.add_argument("--builds", type=int, default=3, help="cold builds to time")
    parser.add_argument("--append", action="store_true", help=f"add the figures to {RESULTS.relative_to(REPO)}")
    args = parser.parse_args()

    ids = Library(find_project(REPO)).recipe_ids
    if not ids:
        raise SystemExit("the project has no leaflets to time")
    rid = args.leaflet or ("bone-metastases" if "bone-metastases" in ids else ids[0])

    app = create_app(REPO)
    warm: list[float] = []
    cold: list[float] = []
    with background_server(app) as base:
        first = post_pdf(base, rid)
        # Interleaved, so a busy moment on the machine slows both sides alike.
        per_build = max(1, args.requests // args.builds)
        for round_ in range(args.builds):
            cold.append(cold_build(rid))
            count = per_build if round_ < args.builds - 1 else args.requests - len(warm)
            warm.extend(post_pdf(base, rid) for _ in range(max(count, 0)))

    server = statistics.median(warm)
    build = statistics.median(cold)
    speedup = build / server
    verdict = "meets" if speedup >= TARGET else "MISSES"
    load = f", load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores" if hasattr(os, "getloadavg") else ""
    text = "\n".join([
        f"### {dt.date.today().isoformat()}: leaflet `{rid}`, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}{load}",
        "",
        "| measure | seconds |",
        "| --- | --- |",
        f"| server, first PDF request (loads WeasyPrint and fonts) | {first:.2f} |",
        f"| server, median of {len(warm)} later PDF requests | {server:.2f} (min {min(warm):.2f}, "
        f"max {max(warm):.2f}) |",
        f"| cold `leaflets build`, median of {len(cold)} | {build:.2f} (min {min(cold):.2f}, max {max(cold):.2f}) |",
        "",
        f"Warm server is {speedup:.1f}x faster than a cold build: {verdict} the {TARGET:.0f}x target.",
    ])
    print(text)
    if args.append:
        append_results(text)
        print(f"\nAdded to {RESULTS}")
    return 0 if speedup >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
