"""Issue 16 benchmark, side by side and interleaved: python benchmarks/bench_speed.py [--rounds 2] [--renders 1000].

(a) the kidney-advanced set with `leaflets batch --force` against one `weasyprint` process per leaflet,
    one at a time and two at a time;
(b) a 200-row CSV run against the same naive way (on a sample of rows: 200 naive processes take minutes);
(c) the warm server: median and p95 of personalised PDFs, one at a time and 50 at once, against a cold
    `leaflets build`, with the CPU each PDF costs in the workers;
(d) resident memory of each worker over many renders.
The machine is shared, so every figure comes with its CPU time and the load average; ratios of CPU time
are the ones to trust. Prints a Markdown report (also written to benchmarks/work/speed.md).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import csv
import functools
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
WORK = REPO / "benchmarks" / "work" / "speed"
BIN = Path(sys.executable).parent
DETAILS = {"patient_name": "Sam Example", "team_phone": "01632 960 123", "next_appointment": "Tuesday 3 March, 10:30"}
FIRST = ["Zoë", "Nguyễn", "Siobhán", "Amara", "Jónas", "Priya", "Kwame", "Marta", "Yusuf", "Aoife"]
LAST = ["Ångström", "Thị Minh", "Ó Briain", "Okafor", "Sigurðsson", "Patel", "Mensah", "Nowak", "Demir", "Byrne"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) of a command and everything it started and waited for."""
    cpu, wall = children_cpu(), time.perf_counter()
    subprocess.run(command, check=True, cwd=REPO, capture_output=True)
    return time.perf_counter() - wall, children_cpu() - cpu


def naive(html_files: list[Path], parallel: int) -> tuple[float, float]:
    """One `weasyprint --pdf-variant pdf/ua-1` process per HTML file, PARALLEL at a time."""
    cpu, wall = children_cpu(), time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        list(pool.map(lambda p: subprocess.run([str(BIN / "weasyprint"), "--pdf-variant", "pdf/ua-1", str(p),
                                                str(p.with_suffix(".naive.pdf"))], check=True, capture_output=True),
                      html_files))
    return time.perf_counter() - wall, children_cpu() - cpu


def set_html(folder: Path) -> list[Path]:
    """The HTML of every job of the kidney-advanced set (each renders alone, as the naive way needs)."""
    from leaflets.batch.jobs import jobs_from_set
    from leaflets.build import leaflet_html
    from leaflets.library import Library
    from leaflets.plan import plan_leaflet
    from leaflets.project import Project

    project = Project(REPO)
    library = Library(project)
    leaflet_set = library.leaflet_set(REPO / "content/sets/kidney-advanced.yaml")
    files = []
    for job in jobs_from_set(leaflet_set, library, folder):
        plan = plan_leaflet(library, library.recipe(job.leaflet), site_id=job.site, options=job.options)
        path = folder / f"{job.leaflet}-{job.variant}-{job.paper}.html"
        path.write_text(leaflet_html(plan, project, link_styles=True), "utf-8")
        files.append(path)
    return files


def csv_rows(path: Path, rows: int) -> list[dict[str, str]]:
    from leaflets.library import Library
    from leaflets.project import Project

    recipes = sorted(Library(Project(REPO)).recipe_ids)
    data = [{"leaflet": recipes[i % len(recipes)], "patient_name": f"{FIRST[i % 10]} {LAST[(i // 10) % 10]}",
             "prepared_by": "Sam Lee, Clinical Nurse Specialist", "team_phone": "0118 496 0000",
             "next_appointment": f"Tuesday {1 + i % 28} March, 10:30"} for i in range(rows)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(data[0]))
        writer.writeheader()
        writer.writerows(data)
    return data


def personal_html(folder: Path, rows: list[dict[str, str]]) -> list[Path]:
    from leaflets.build import leaflet_html
    from leaflets.library import Library
    from leaflets.plan import plan_leaflet
    from leaflets.project import Project
    from leaflets.schema import Details

    project = Project(REPO)
    library = Library(project)
    files = []
    for number, row in enumerate(rows):
        details = Details(**{k: v for k, v in row.items() if k != "leaflet"})
        plan = plan_leaflet(library, library.recipe(row["leaflet"]), details=details)
        path = folder / f"row-{number:03d}.html"
        path.write_text(leaflet_html(plan, project, link_styles=True), "utf-8")
        files.append(path)
    return files


def proc_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by live processes PIDS (from /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def post(base: str, rid: str, details: dict[str, str]) -> float:
    body = json.dumps({"details": details}).encode()
    request = urllib.request.Request(f"{base}/api/leaflets/{rid}/pdf", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 - loopback only
        data = response.read()
    if not data.startswith(b"%PDF"):
        raise SystemExit("the server did not return a PDF")
    return time.perf_counter() - started


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def bench_server(rounds: int, report: list[str]) -> dict[str, float]:
    """(c): single requests interleaved with cold builds, then 50 at once."""
    from leaflets.web import background_server, create_app

    app = create_app(REPO)
    renders = app.extensions["leaflets"].renders
    renders.warm()
    rid = "bone-metastases"
    singles, cpus, colds, cold_cpus = [], [], [], []
    leaflets_cli = [str(BIN / "leaflets")]
    pairs = [arg for key, value in DETAILS.items() for arg in ("--set", f"{key}={value}")]
    with background_server(app) as base:
        post(base, rid, DETAILS)  # each worker's first: its generic layout
        post(base, rid, DETAILS)
        for n in range(rounds * 5):
            pids = [pid for pid, _, _ in renders.pool.stats()]
            before = proc_cpu(pids)
            singles.append(post(base, rid, {**DETAILS, "patient_name": f"{FIRST[n % 10]} {LAST[n % 10]}"}))
            cpus.append(proc_cpu(pids) - before)
            if n % 2 == 0:
                out = WORK / "cold"
                shutil.rmtree(out, ignore_errors=True)
                wall, cpu = timed([*leaflets_cli, "build", rid, "-o", str(out), "--root", str(REPO), *pairs])
                colds.append(wall)
                cold_cpus.append(cpu)
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            futures = [pool.submit(post, base, rid, {**DETAILS, "patient_name": f"{FIRST[n % 10]} {LAST[n // 5]}"})
                       for n in range(50)]
            concurrent_times, failures = [], 0
            for future in futures:
                try:
                    concurrent_times.append(future.result())
                except (urllib.error.URLError, OSError, SystemExit):
                    failures += 1
        burst = time.perf_counter() - started
    renders.close()
    result = {
        "single_median": statistics.median(singles), "single_p95": p95(singles),
        "single_cpu_median": statistics.median(cpus), "cold_median": statistics.median(colds),
        "cold_cpu_median": statistics.median(cold_cpus),
        "burst_median": statistics.median(concurrent_times) if concurrent_times else float("nan"),
        "burst_p95": p95(concurrent_times) if concurrent_times else float("nan"), "burst_failures": failures,
        "burst_wall": burst,
    }
    report.append(f"- (c) server singles: {len(singles)}, cold builds: {len(colds)}, concurrent: 50 "
                  f"({failures} failed); burst wall {burst:.1f} s")
    return result


def bench_hostile(limit: float = 10.0) -> dict[str, float]:
    """(c) continued: a section with a slow SVG fails its own request within LIMIT while others are answered."""
    import tempfile
    import threading

    from leaflets.web import background_server, create_app
    from tests.conftest import section_text, write_tree
    from tests.test_web_pool import slow_svg

    folder = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    root = write_tree(folder / "project", {
        "content/images/slow.svg": slow_svg(),
        "content/sections/slow.md": section_text("Slow", "Dots.\n\n![Dots](content/images/slow.svg)"),
        "content/sections/alpha.md": section_text("Alpha section", "Alpha words come first."),
        "content/leaflets/slow.yaml": "title: A slow leaflet\nsections: [slow]\n",
        "content/leaflets/small.yaml": "title: A small leaflet\nsections: [alpha]\n",
        "content/glossary.yaml": "terms:\n  - term: alpha\n    meaning: The first letter.\n",
    })
    app = create_app(root, workers=2, render_seconds=limit)
    app.extensions["leaflets"].renders.warm()
    slow: dict[str, float] = {}

    def post_slow() -> None:
        started = time.perf_counter()
        try:
            post(base, "slow", DETAILS)
            slow["status"] = 200
        except urllib.error.HTTPError as exc:
            slow["status"] = exc.code
        slow["seconds"] = time.perf_counter() - started

    try:
        with background_server(app) as base:
            thread = threading.Thread(target=post_slow)
            thread.start()
            time.sleep(0.5)
            others = [post(base, "small", DETAILS) for _ in range(5)]
            thread.join(timeout=10 * limit)
    finally:
        app.extensions["leaflets"].renders.close()
        shutil.rmtree(folder, ignore_errors=True)
    return {"slow_status": slow.get("status", 0), "slow_seconds": slow.get("seconds", float("nan")),
            "limit": limit, "others_max_seconds": max(others), "others_answered": len(others)}


def worker_memory(pid: int) -> tuple[float, float]:
    """(resident, anonymous) MB of a worker: anonymous memory is its heap (Python and native), without the
    font and library files it maps, so growth there is what a leak would look like."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) >= 3 and parts[-1] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return fields.get("Rss", 0.0), fields.get("Anonymous", 0.0)


def bench_memory(renders_count: int, max_tasks: int) -> list[tuple[int, int, float, float]]:
    """(d): (renders done, worker pid, RSS MB, anonymous MB) of each worker after every 20 personalised renders
    through the pool; MAX_TASKS is when a worker is replaced (more than RENDERS_COUNT: never)."""
    from leaflets.library import Library
    from leaflets.plan import plan_leaflet
    from leaflets.pool import RenderPool
    from leaflets.pool.tasks import render_in_worker, warm_renderer
    from leaflets.project import Project
    from leaflets.schema import Details

    project = Project(REPO)
    library = Library(project)
    recipes = sorted(library.recipe_ids)[:3]
    series: list[tuple[int, int, float, float]] = []
    warm = functools.partial(warm_renderer, project)  # runs in the fork server, so it must pickle
    with RenderPool(seconds=120, max_tasks=max_tasks, warm=warm) as pool:
        for start in range(0, renders_count, 20):
            futures = []
            for n in range(start, min(renders_count, start + 20)):
                details = Details(patient_name=f"{FIRST[n % 10]} {LAST[(n // 10) % 10]}", team_phone="0118 496 0000")
                plan = plan_leaflet(library, library.recipe(recipes[n % len(recipes)]), details=details)
                futures.append(pool.submit(render_in_worker, plan, project))
            for future in futures:
                future.result()
            for pid, _, _ in pool.stats():
                with contextlib.suppress(OSError):  # a worker replaced meanwhile
                    series.append((start + 20, pid, *worker_memory(pid)))
    return series


def memory_lines(renders: int, kept: list[tuple[int, int, float, float]],
                 recycled: list[tuple[int, int, float, float]]) -> list[str]:
    """(d) as Markdown: each never-recycled worker's trend, and the pool as it runs in `serve` and `batch`."""
    from leaflets.pool.workers import MAX_TASKS_PER_WORKER

    lines = [f"(d) {renders} personalised renders (3 recipes, 100 different names) through a pool of 2 workers.", "",
             "Workers never replaced: resident and anonymous (heap) MB per worker after 100, then every 200 "
             "renders, and the trend after the first 100:"]
    by_worker: dict[int, list[tuple[int, float, float]]] = {}
    for done, pid, rss, anon in kept:
        by_worker.setdefault(pid, []).append((done, rss, anon))
    for pid, points in by_worker.items():
        shown = [f"{rss:.0f}/{anon:.0f}" for done, rss, anon in points if done == 100 or done % 200 == 0]
        rss_slope = slope_per_100([(d, r) for d, r, _ in points if d >= 100])
        anon_slope = slope_per_100([(d, a) for d, _, a in points if d >= 100])
        lines.append(f"- worker {pid}: {', '.join(shown)} MB (resident/heap); {rss_slope:+.2f} MB resident and "
                     f"{anon_slope:+.2f} MB heap per 100 renders")
    windows: dict[int, float] = {}
    for done, _pid, rss, _anon in recycled:
        window = (done - 1) // 200
        windows[window] = max(windows.get(window, 0.0), rss)
    peaks = [(200 * (w + 1), mb) for w, mb in sorted(windows.items())]
    lines += ["", f"As `serve` and `batch` run them (a worker replaced after {MAX_TASKS_PER_WORKER} renders): the "
              "largest worker in each 200 renders, MB: " + ", ".join(f"{mb:.0f}" for _, mb in peaks)
              + f"; trend {slope_per_100(peaks):+.2f} MB per 100 renders"]
    return lines


def slope_per_100(points: list[tuple[float, float]]) -> float:
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    return 100 * sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


def run_interleaved(args: argparse.Namespace) -> tuple[dict[str, list[tuple[float, float]]], int]:
    """(a) and (b), interleaved round by round: A B C, A B C ...; returns the runs and the set's job count."""
    html_dir = WORK / "set-html"
    html_dir.mkdir()
    set_files = set_html(html_dir)
    data = WORK / "patients.csv"
    rows = csv_rows(data, args.rows)
    row_dir = WORK / "row-html"
    row_dir.mkdir()
    sample = personal_html(row_dir, rows[: args.naive_rows])
    leaflets_cli = str(BIN / "leaflets")
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in ("batch", "naive1", "naive2", "csv", "rows1",
                                                                    "rows2")}
    for _ in range(args.rounds):
        runs["batch"].append(timed([leaflets_cli, "batch", "content/sets/kidney-advanced.yaml", "--force", "-o",
                                    str(WORK / "batch"), "--root", str(REPO)]))
        runs["naive1"].append(naive(set_files, 1))
        runs["naive2"].append(naive(set_files, 2))
        runs["csv"].append(timed([leaflets_cli, "batch", "content/sets/kidney-advanced.yaml", "--force", "-o",
                                  str(WORK / "csv"), "--data", str(data), "--root", str(REPO)]))
        runs["rows1"].append(naive(sample, 1))
        runs["rows2"].append(naive(sample, 2))
    (WORK.parent / "speed-runs.json").write_text(json.dumps(runs), "utf-8")  # kept if a later part fails
    return runs, len(set_files)


def report_lines(args: argparse.Namespace, runs: dict[str, list[tuple[float, float]]], jobs: int,
                 server: dict[str, float]) -> tuple[list[str], dict[str, float]]:
    """The Markdown tables and the ratios."""
    rows_n = args.rows

    def per(key: str, count: int, index: int) -> float:
        return min(run[index] for run in runs[key]) / count  # best of the rounds: least disturbed

    lines = ["| what | wall per leaflet | CPU per leaflet |", "|---|---|---|"]
    for key, label, count in (("batch", f"(a) batch --force, set of {jobs} jobs", jobs),
                              ("naive1", "(a) naive, one at a time", jobs),
                              ("naive2", "(a) naive, two at a time", jobs),
                              ("csv", f"(b) batch, {rows_n}-row CSV", rows_n),
                              ("rows1", f"(b) naive, {args.naive_rows} of the rows, one at a time", args.naive_rows),
                              ("rows2", f"(b) naive, {args.naive_rows} of the rows, two at a time", args.naive_rows)):
        lines.append(f"| {label} | {per(key, count, 0):.3f} s | {per(key, count, 1):.3f} s |")
    ratios = {
        "set_vs_naive1": per("naive1", jobs, 0) / per("batch", jobs, 0),
        "set_vs_naive2": per("naive2", jobs, 0) / per("batch", jobs, 0),
        "set_cpu": per("naive1", jobs, 1) / per("batch", jobs, 1),
        "csv_vs_naive1": per("rows1", args.naive_rows, 0) / per("csv", rows_n, 0),
        "csv_vs_naive2": per("rows2", args.naive_rows, 0) / per("csv", rows_n, 0),
        "csv_cpu": per("rows1", args.naive_rows, 1) / per("csv", rows_n, 1),
        "server_vs_cold": server["cold_median"] / server["single_median"],
        "server_cpu_vs_cold": server["cold_cpu_median"] / server["single_cpu_median"],
    }
    lines += ["", "| (c) server, personalised A4 bone-metastases | figure |", "|---|---|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in server.items()]
    lines += ["", "| ratio | value |", "|---|---|"] + [f"| {k} | {v:.2f}x |" for k, v in ratios.items()]
    return lines, ratios


def memory_report(renders: int) -> list[str]:
    """(d) twice: workers never replaced (a leak would show), then as the pool really runs."""
    from leaflets.pool.workers import MAX_TASKS_PER_WORKER

    kept = bench_memory(renders, renders + 1)
    recycled = bench_memory(renders, MAX_TASKS_PER_WORKER)
    (WORK.parent / "speed-memory.json").write_text(json.dumps({"kept": kept, "recycled": recycled}), "utf-8")
    return memory_lines(renders, kept, recycled)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--naive-rows", type=int, default=20)
    parser.add_argument("--renders", type=int, default=1000)
    parser.add_argument("--memory-only", action="store_true", help="only (d), the workers' memory")
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    if args.memory_only:
        print("\n".join(memory_report(args.renders)))
        return 0
    load = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    notes: list[str] = []
    runs, jobs = run_interleaved(args)
    load_ab = os.getloadavg()
    server = bench_server(args.rounds, notes)
    server.update(bench_hostile())
    (WORK.parent / "speed-server.json").write_text(json.dumps(server), "utf-8")
    load_c = os.getloadavg()
    memory = memory_report(args.renders)
    head = [f"Measured {started} with `python benchmarks/bench_speed.py --rounds {args.rounds} --rows {args.rows} "
            f"--naive-rows {args.naive_rows} --renders {args.renders}`. Machine: {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}. Load average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
            f"after (a)+(b): {load_ab[0]:.2f}; after (c): {load_c[0]:.2f}; at the end: {os.getloadavg()[0]:.2f}. "
            f"Best of {args.rounds} interleaved rounds per figure; CPU includes every worker process.", ""]
    lines, ratios = report_lines(args, runs, jobs, server)
    text = "\n".join([*head, *lines, "", *memory, *notes])
    (WORK.parent / "speed.md").write_text(text + "\n", "utf-8")
    (WORK.parent / "speed.json").write_text(json.dumps({"runs": runs, "server": server, "ratios": ratios},
                                                       indent=1), "utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
