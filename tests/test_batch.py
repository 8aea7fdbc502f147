"""`leaflets batch`: parallel builds that match single builds, skip what is unchanged and never leak a name."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from leaflets import batch
from leaflets.batch import BatchJob, JobOutcome, run_batch, run_job
from leaflets.errors import InputError
from leaflets.incremental import CACHE_NAME
from leaflets.project import PACKAGE_ROOT
from leaflets.writers import TEMP_PREFIX, TEMP_SUFFIX
from tests.conftest import REPO, pdf_pages, pdf_text, section_text

MakeProject = Callable[..., Path]
NAMES = ("Zoë Ångström", "Nguyễn Thị Minh", "Siobhán Ó Briain")
NAME_PARTS = ("Zoë", "Ångström", "Nguyễn", "Siobhán", "Briain", "zoe", "angstrom", "nguyen", "siobhan", "briain")
SET_YAML = "title: Test set\nleaflets: all\nvariants: [{variants}]\npapers: [a4]\n"


def _set(variants: str = "standard") -> str:
    return SET_YAML.format(variants=variants)


def _two_leaflets(make_project: MakeProject, variants: str = "standard", **extra: str) -> Path:
    return make_project({
        "content/sections/gamma.md": section_text("Gamma section", "Gamma words stand alone. Ask your team."),
        "content/leaflets/other.yaml": "title: Another leaflet\nsections: [gamma]\n",
        "content/sets/test.yaml": _set(variants),
        **extra,
    })


def _statuses(result: batch.BatchResult) -> dict[str, str]:
    return {r.job.outputs[0]: r.status for r in result.records}


def test_batch_output_matches_single_builds(make_project: MakeProject) -> None:
    from leaflets.build import render_plan
    from leaflets.library import Library
    from leaflets.plan import plan_leaflet
    from leaflets.project import Project
    from leaflets.variants import PrintOptions

    root = _two_leaflets(make_project, **{"content/sets/test.yaml": "title: T\nleaflets: [small]\n"
                                          "variants: [standard, booklet]\npapers: [a4, letter]\n"})
    out = root / "out"
    result = run_batch(root / "content/sets/test.yaml", out, jobs=2, root=root)
    assert result.exit_code == 0, result.failure_lines()
    assert result.pool_started and result.count("built") == 4  # Letter booklets are half-letter on Letter sheets
    project = Project(root)
    library = Library(project)
    for leaflet in ("small",):
        for variant in ("standard", "booklet"):
            plan = plan_leaflet(library, library.recipe(leaflet), options=PrintOptions(variant=variant))
            single = render_plan(plan, project).files
            for name, data in single.items():
                made = out / name
                assert made.is_file(), name
                assert pdf_pages(made) == pdf_pages(data)
                assert pdf_text(made) == pdf_text(data)
                assert made.read_bytes() == data  # rendering is deterministic, so even the bytes agree
    assert sorted(p.name for p in out.iterdir()) == sorted([
        CACHE_NAME, "small.pdf", "small-letter.pdf", "small-a5.pdf", "small-booklet.pdf",
        "small-half-letter.pdf", "small-booklet-letter.pdf",
    ])


def test_rerun_skips_without_workers_and_force_rebuilds(make_project: MakeProject,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = _two_leaflets(make_project)
    out, report = root / "out", root / "report.json"
    first = run_batch(root / "content/sets/test.yaml", out, jobs=2, root=root)
    assert first.count("built") == 2
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")}

    def no_pool(*args: object) -> None:
        raise AssertionError("a run with nothing to do must not start workers")

    def no_planning(*args: object, **kwargs: object) -> None:
        raise AssertionError("unchanged leaflets are recognised from their files' digests, without parsing")

    monkeypatch.setattr(batch.pool, "make_pool", no_pool)
    monkeypatch.setattr(batch.run, "plan_leaflet", no_planning)
    (root / "content/sections/alpha.md").touch()  # a newer time alone is not a change
    second = run_batch(root / "content/sets/test.yaml", out, jobs=2, root=root, report_path=report)
    assert not second.pool_started and second.workers == 0
    assert set(_statuses(second).values()) == {"skipped"}
    data = json.loads(report.read_text("utf-8"))
    assert [j["status"] for j in data["jobs"]] == ["skipped", "skipped"]
    assert data["totals"]["skipped"] == 2 and data["pool_started"] is False
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")} == before

    monkeypatch.undo()
    forced = run_batch(root / "content/sets/test.yaml", out, jobs=2, force=True, root=root)
    assert set(_statuses(forced).values()) == {"built"}


def test_changed_inputs_rebuild_only_affected_leaflets(make_project: MakeProject) -> None:
    root = _two_leaflets(make_project)
    set_file, out = root / "content/sets/test.yaml", root / "out"
    run_batch(set_file, out, jobs=2, root=root)

    (root / "content/sections/gamma.md").write_text(section_text("Gamma section", "New gamma words."), "utf-8")
    result = run_batch(set_file, out, jobs=2, root=root)
    assert _statuses(result) == {"small.pdf": "skipped", "other.pdf": "built"}
    assert "New gamma words" in pdf_text(out / "other.pdf")

    (out / "small.pdf").unlink()  # a deleted output is rebuilt even though its key matches
    result = run_batch(set_file, out, jobs=2, root=root)
    assert _statuses(result) == {"small.pdf": "built", "other.pdf": "skipped"}

    (root / "content/glossary.yaml").write_text("terms:\n  - term: alpha\n    meaning: Changed.\n", "utf-8")
    result = run_batch(set_file, out, jobs=2, root=root)
    assert set(_statuses(result).values()) == {"built"}, result.failure_lines()  # shared files change every leaflet

    (root / "content/drugs.yaml").write_text("drugs: []\n", "utf-8")  # a file that matters by appearing
    result = run_batch(set_file, out, jobs=2, root=root)
    assert set(_statuses(result).values()) == {"built"}

    shutil.copytree(PACKAGE_ROOT / "styles", root / "styles")  # the project now uses its own (equal) styles
    result = run_batch(set_file, out, jobs=2, root=root)
    assert set(_statuses(result).values()) == {"built"}


def test_failing_leaflets_are_reported_while_the_others_build(make_project: MakeProject, runner: CliRunner) -> None:
    styles = PACKAGE_ROOT / "styles"
    root = _two_leaflets(make_project, "standard, large-print", **{
        "content/sections/broken.md": "---\ntitle: [unclosed\n---\nText.\n",
        "content/leaflets/broken.yaml": "title: Broken leaflet\nsections: [broken]\n",
    })
    shutil.copytree(styles, root / "styles", ignore=shutil.ignore_patterns("large-print.css"))
    report = root / "report.json"
    result = runner.invoke(app, ["batch", str(root / "content/sets/test.yaml"), "-o", str(root / "out"),
                                 "--jobs", "2", "--root", str(root), "--report", str(report)])
    assert result.exit_code == 1, result.output
    failures = [line for line in result.stderr.splitlines() if line.startswith("Failed:")]
    assert len(failures) == 4  # broken x 2 variants at planning, small and other large-print at rendering
    assert any(line.startswith("Failed: broken (standard, a4):") and "broken.md, line 3: invalid YAML" in line
               for line in failures)
    assert any(line.startswith("Failed: small (large-print, a4):") and "large-print.css" in line for line in failures)
    assert sorted(p.name for p in (root / "out").glob("*.pdf")) == ["other.pdf", "small.pdf"]
    data = json.loads(report.read_text("utf-8"))
    assert data["totals"] == {"jobs": 6, "built": 2, "skipped": 0, "failed": 4, "stopped": 0,
                              "seconds": data["totals"]["seconds"]}
    assert {j["status"] for j in data["jobs"] if j["leaflet"] == "broken"} == {"failed"}
    assert all(set(j) >= {"output", "leaflet", "variant", "paper", "status", "seconds", "error"} for j in data["jobs"])


def _crash_on_other(job: BatchJob) -> JobOutcome:
    """A runner whose worker dies on one leaflet, as a segfault or the out-of-memory killer would."""
    if job.leaflet == "other":
        os._exit(3)
    return run_job(job)


def test_a_dying_worker_fails_its_job_instead_of_hanging(make_project: MakeProject) -> None:
    root = _two_leaflets(make_project)
    result = run_batch(root / "content/sets/test.yaml", root / "out", jobs=1, root=root, runner=_crash_on_other)
    assert _statuses(result) == {"small.pdf": "built", "other.pdf": "failed"}
    assert "stopped unexpectedly" in result.failure_lines()[0]


CSV = (
    "\ufeffid,Leaflet,patient_name,prepared_by,notes,variant\r\n"
    ',small,Zoë Ångström,"Lee, Specialist Nurse","Bring your list, and someone with you.",\r\n'
    'A-17,small,Nguyễn Thị Minh,,"Call us, any time",large-print\r\n'
    "\r\n"
    ',other,"Siobhán Ó Briain",,,\r\n'
)


def test_personalised_csv_names_in_pdfs_never_in_names_logs_or_cache(make_project: MakeProject,
                                                                    runner: CliRunner) -> None:
    root = _two_leaflets(make_project)
    data, out, report = root / "patients.csv", root / "out", root / "report.json"
    data.write_bytes(CSV.encode("utf-8"))
    args = ["batch", str(root / "content/sets/test.yaml"), "-o", str(out), "--data", str(data),
            "--root", str(root), "--report", str(report)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted([CACHE_NAME, "row-0001-small.pdf", "a-17-small-large-print.pdf", "row-0004-other.pdf"])
    assert NAMES[0] in pdf_text(out / "row-0001-small.pdf")
    assert "Bring your list, and someone with you." in pdf_text(out / "row-0001-small.pdf")
    assert "Lee, Specialist Nurse" in pdf_text(out / "row-0001-small.pdf")
    assert NAMES[1] in pdf_text(out / "a-17-small-large-print.pdf")
    assert NAMES[2] in pdf_text(out / "row-0004-other.pdf")

    again = runner.invoke(app, args)  # the skip path prints too
    assert again.exit_code == 0 and "Skipped" in again.stdout
    texts = [result.output, again.output, report.read_text("utf-8"), (out / CACHE_NAME).read_text("utf-8"),
             " ".join(files)]
    for text in texts:
        for part in NAME_PARTS:
            assert part.lower() not in text.lower(), (part, text[:200])
    jobs = json.loads(report.read_text("utf-8"))["jobs"]
    assert [(j["row"], j["output"], j["status"]) for j in jobs] == [
        (1, "row-0001-small.pdf", "skipped"), (2, "a-17-small-large-print.pdf", "skipped"),
        (4, "row-0004-other.pdf", "skipped"),
    ]


def test_csv_problems_name_rows_and_columns_never_values(make_project: MakeProject, runner: CliRunner) -> None:
    root = _two_leaflets(make_project)
    data, out = root / "patients.csv", root / "out"
    cli_args = ["batch", str(root / "content/sets/test.yaml"), "-o", str(out), "--data", str(data),
                "--root", str(root)]

    data.write_text("leaflet,patient_name,nhs_number,Favourite Colour\nsmall,Zoë Ångström,123,blue\n", "utf-8")
    result = runner.invoke(app, cli_args)
    assert result.exit_code == 2
    assert "unknown column 'nhs_number'" in result.stderr and "unknown column 'favourite_colour'" in result.stderr

    long_name = "Siobhán " * 20
    data.write_text(
        "id,leaflet,patient_name,variant\n"
        "p1,small,Zoë Ångström,huge\n"
        f"p2,smal,{long_name},\n"
        "p3,Zoë Ångström,,\n"
        "P1,other,Nguyễn Thị Minh,\n"
        "p5,small,\"Nguyễn\x07\",\n",
        "utf-8",
    )
    result = runner.invoke(app, cli_args)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert any("row 1: variant: must be one of" in line for line in lines)
    assert any("row 2: leaflet: not a leaflet in this set (did you mean 'small'?)" in line for line in lines)
    assert any("row 2: patient_name:" in line and "120" in line for line in lines)
    assert any("row 3: leaflet: not a leaflet id" in line for line in lines)
    assert any("row 5: patient_name: contains control characters" in line for line in lines)
    assert not out.exists() or not list(out.glob("*.pdf"))
    for part in NAME_PARTS:
        assert part.lower() not in result.output.lower()

    data.write_text("id,leaflet\nsame,small\nSame!,small\n", "utf-8")
    result = runner.invoke(app, cli_args)
    assert result.exit_code == 2 and "row 2: id: gives the same file name as row 1" in result.stderr


def test_scrub_masks_details_quoted_by_errors() -> None:
    details = {"patient_name": "Zoë Ångström", "team_phone": "0118 496 0000"}
    message = batch.worker.scrub_details("failed near 'Zoë Ångström' and Ångström, call 0118 496 0000", details)
    assert "Zoë" not in message and "Ångström" not in message and "0118" not in message


def _worker_facts(job: BatchJob) -> JobOutcome:
    """A runner that reports what the worker inherited, as its job's warning line."""
    from leaflets.pool.tasks import worker_facts

    facts = worker_facts()
    return JobOutcome(job.index, ok=True, seconds=0.0, warnings=(json.dumps(facts),), pid=facts["pid"])


def test_workers_fork_from_the_warm_fork_server_and_never_load_a_renderer(make_project: MakeProject) -> None:
    root = _two_leaflets(make_project)
    code = (
        "import json, os, sys, logging\n"
        "from leaflets.batch import run_batch\n"
        "from tests.test_batch import _worker_facts\n"
        "seen = []\n"
        "class Keep(logging.Handler):\n"
        "    def emit(self, record): seen.append(record.getMessage())\n"
        "logging.getLogger('leaflets').addHandler(Keep())\n"
        f"r = run_batch({str(root / 'content/sets/test.yaml')!r}, {str(root / 'out')!r}, jobs=2, root={str(root)!r},"
        " runner=_worker_facts)\n"
        "print(json.dumps({'parent': os.getpid(), 'weasyprint': 'weasyprint' in sys.modules, 'facts': seen}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["weasyprint"] is False  # the batch process itself never loads WeasyPrint
    facts = [json.loads(line) for line in report["facts"]]
    assert facts, "the workers said nothing"
    assert len({fact["parent"] for fact in facts}) == 1  # one fork server for the whole batch
    for fact in facts:
        assert fact["parent"] != report["parent"] and fact["pid"] != report["parent"]
        assert fact["renderers_made"] == 1  # the fork server's warm renderer, inherited; none made in the worker
        assert fact["frozen"] > 1000  # gc.freeze() ran in the fork server before the fork


MANY = 6
"""Leaflets in the stopped-batch test besides the small one: more than can finish while the signal lands."""


def _many_leaflets(make_project: MakeProject, count: int = MANY) -> Path:
    files = {"content/sets/test.yaml": _set()}
    for i in range(count):
        files[f"content/leaflets/leaflet-{i}.yaml"] = f"title: Leaflet number {i}\nsections: [alpha, beta]\n"
    return make_project(files)


def _start_batch(root: Path) -> subprocess.Popen[str]:
    # A shell's background job (and some test runners) start with Ctrl-C ignored, and children inherit that;
    # a user's terminal never does, so the batch starts with Python's usual Ctrl-C handler.
    start = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); import cli; cli.main()"
    command = [sys.executable, "-c", start, "batch", str(root / "content/sets/test.yaml"),
               "-o", str(root / "out"), "--jobs", "1", "--root", str(root)]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _wait_for_first_pdf(folder: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while not list(folder.glob("*.pdf")):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no PDF appeared"
        time.sleep(0.05)


def _check_complete(folder: Path) -> list[str]:
    names = sorted(p.name for p in folder.glob("*.pdf"))
    for name in names:
        number = name.removeprefix("leaflet-").removesuffix(".pdf")
        title = "A small leaflet" if name == "small.pdf" else f"Leaflet number {number}"
        assert title in pdf_text(folder / name), name
    return names


@pytest.mark.parametrize("how", ["sigint", "sigkill"])
def test_a_stopped_batch_leaves_only_complete_pdfs_and_the_next_run_finishes(make_project: MakeProject,
                                                                             how: str) -> None:
    root = _many_leaflets(make_project)
    out = root / "out"
    process = _start_batch(root)
    try:
        _wait_for_first_pdf(out, process)
        time.sleep(0.3)  # let the worker report the file (a file it had no time to report is just rebuilt)
        if how == "sigint":
            process.send_signal(signal.SIGINT)
        else:
            os.killpg(process.pid, signal.SIGKILL)  # the parent and its workers, mid-write
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    finished = _check_complete(out)
    assert 1 <= len(finished) < MANY + 1
    if how == "sigint":
        assert process.returncode == 130, stderr
        assert "Stopped:" in stdout and "Finished" in stdout
        assert not list(out.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"))
        recorded = json.loads((out / CACHE_NAME).read_text("utf-8"))["outputs"]
        assert set(recorded) <= set(finished) and recorded

    result = run_batch(root / "content/sets/test.yaml", out, jobs=2, root=root)
    assert result.exit_code == 0, result.failure_lines()
    assert not list(out.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"))
    assert _check_complete(out) == sorted([f"leaflet-{i}.pdf" for i in range(MANY)] + ["small.pdf"])
    assert result.count("built") + result.count("skipped") == MANY + 1
    if how == "sigint":
        assert result.count("skipped") >= len(recorded)


def test_the_kidney_advanced_set_is_valid() -> None:
    from leaflets.library import Library
    from leaflets.project import Project

    leaflet_set = Library(Project(REPO)).leaflet_set(REPO / "content/sets/kidney-advanced.yaml")
    assert leaflet_set.file.title == "Advanced kidney cancer leaflet set"
    assert leaflet_set.file.leaflets == "all" and leaflet_set.file.papers == ["a4"]
    assert leaflet_set.file.variants == ["standard", "large-print", "booklet"]


def test_a_set_can_be_named_by_id_and_bad_jobs_value_is_refused(make_project: MakeProject,
                                                                runner: CliRunner) -> None:
    root = _two_leaflets(make_project)
    result = runner.invoke(app, ["batch", "test", "-o", str(root / "out"), "--root", str(root), "--jobs", "0"])
    assert result.exit_code == 2
    (root / "out").mkdir()
    (root / "out" / f"{TEMP_PREFIX}old{TEMP_SUFFIX}").write_bytes(b"half a pdf")
    with pytest.raises(InputError, match="there is no content/ folder there"):
        run_batch("test", root / "out", root=root / "nowhere")
    result = run_batch("test", root / "out", jobs=1, root=root)
    assert result.count("built") == 2
    assert not list((root / "out").glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"))


def test_worker_warnings_are_printed_once(make_project: MakeProject, runner: CliRunner) -> None:
    root = make_project({
        "content/sections/alpha.md": section_text("Alpha section", "See ![a chart](https://example.com/chart.png)."),
        "content/sets/test.yaml": _set("standard, large-print"),
    })
    result = runner.invoke(app, ["batch", "test", "-o", str(root / "out"), "--root", str(root)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "example.com/chart.png" in line]
    assert len(warnings) == 1 and warnings[0].startswith("Warning:")


def test_personalised_batch_files_are_readable_by_their_owner_only(make_project: MakeProject,
                                                                   runner: CliRunner) -> None:
    root = _two_leaflets(make_project)
    data, out = root / "patients.csv", root / "out"
    data.write_text("leaflet,patient_name\nsmall,Ann Example\n", "utf-8")
    args = ["batch", str(root / "content/sets/test.yaml"), "-o", str(out), "--data", str(data), "--root", str(root)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert oct((out / "row-0001-small.pdf").stat().st_mode & 0o777) == oct(0o600)
    plain = root / "plain"
    assert runner.invoke(app, ["batch", str(root / "content/sets/test.yaml"), "-o", str(plain),
                               "--root", str(root)]).exit_code == 0
    assert oct((plain / "small.pdf").stat().st_mode & 0o777) == oct(0o644)


def test_the_cache_hashes_every_module_but_a_tested_exclusion_list() -> None:
    from leaflets import incremental

    package = PACKAGE_ROOT / "leaflets"
    hashed = {p.relative_to(package).as_posix() for p in incremental.output_modules()}
    every = {p.relative_to(package).as_posix() for p in package.rglob("*.py")}
    excluded = every - hashed
    # Each exclusion names something that exists, and excludes only what it says.
    for entry in incremental.NOT_OUTPUT_MODULES:
        assert any(m == entry or (entry.endswith("/") and m.startswith(entry)) for m in excluded), entry
    assert {"readers.py", "project.py", "sections.py", "details.py", "variants.py", "writers.py", "render.py",
            "plan.py", "document.py", "markdown.py", "imposition.py", "schema.py", "library.py"} <= hashed
    assert not any(m.startswith(("web/", "batch/")) for m in hashed)
