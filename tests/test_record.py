"""The hand-out record: recorded with every hand-out where a site asks, never otherwise, never a name or a note."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat
import subprocess
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from leaflets.batch import run_batch
from leaflets.library import Library
from leaflets.project import Project
from tests.conftest import pdf_text, section_text

MakeProject = Callable[..., Path]
NAMES = ("Zoë Quillfeather", "Barnaby Oddsock", "Priya Wintermoon")
NOTES = ("Bring the purple folder xyzzy", "Fasting from midnight plugh")
SITE = """\
name: Test clinic
locale: en-GB
record:
  enabled: true
  store_patient_reference: {store}
  patient_reference_system: https://example.org/test-clinic/mrn
  wait_seconds: {wait}
"""


def _project(make_project: MakeProject, store: bool = True, enabled: bool = True, wait: float = 0.5) -> Path:
    site = SITE.format(store=str(store).lower(), wait=wait).replace("enabled: true", f"enabled: {str(enabled).lower()}")
    return make_project({
        "content/sites/clinic.yaml": site,
        "content/sections/gamma.md": section_text("Gamma section", "Gamma words stand alone. Ask your team."),
        "content/leaflets/other.yaml": "title: Another leaflet\nsections: [gamma]\n",
        "content/sets/clinic.yaml": "title: Clinic list\nsite: clinic\nleaflets: all\n",
    })


def _build(runner: CliRunner, root: Path, *args: str) -> object:
    return runner.invoke(app, ["build", "--root", str(root), "-o", str(root / "out"), *args])


def _rows(db: Path) -> list[dict[str, object]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM handouts ORDER BY handed_out_at, rowid")]
    finally:
        conn.close()


def _clinic_csv(path: Path, rows: int, references: bool = True) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["leaflet", "patient_name", "notes", "prepared_by", "patient_reference"])
        for i in range(rows):
            reference = f"H{1000 + i}" if references else ""
            writer.writerow(["small" if i % 2 else "other", NAMES[i % 3], NOTES[i % 2], "Nurse Kay", reference])
    return path


# -- find by diagnosis ----------------------------------------------------------------------------------------


def test_suggest_lists_bone_metastases_first_for_c79_51(runner: CliRunner) -> None:
    result = runner.invoke(app, ["suggest", "C79.51"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("bone-metastases ")
    data = json.loads(runner.invoke(app, ["suggest", "c7951", "--json"]).output)
    assert data[0]["id"] == "bone-metastases" and data[0]["matched"] == ["C79.5"]


def test_suggest_ranks_more_codes_first_and_matches_broader_codes(runner: CliRunner) -> None:
    both = json.loads(runner.invoke(app, ["suggest", "C64", "C78.0", "--json"]).output)
    every_leaflet = len(list((Path(__file__).parents[1] / "content/leaflets").glob("*.yaml")))  # all are C64
    assert both[0]["id"] == "lung-metastases" and len(both) == every_leaflet
    broad = [s["id"] for s in json.loads(runner.invoke(app, ["suggest", "C79", "--json"]).output)]
    assert broad[:2] == ["bone-metastases", "brain-metastases"] and "lung-metastases" not in broad


def test_suggest_refuses_what_is_not_a_code(runner: CliRunner) -> None:
    result = runner.invoke(app, ["suggest", "bones"])
    assert result.exit_code == 2
    assert "'bones' is not an ICD-10 code" in result.output
    none = runner.invoke(app, ["suggest", "C50"])
    assert none.exit_code == 0 and "No leaflet is marked with C50" in none.output


def test_search_by_word_or_code_for_the_web_page() -> None:
    from leaflets.project import PACKAGE_ROOT
    from leaflets.record.codes import search_leaflets, teach_back_questions

    library = Library(Project(PACKAGE_ROOT))
    assert [s.id for s in search_leaflets(library, "bone")] == ["bone-metastases"]
    # Title order: "Immunotherapy after kidney surgery", then "Immunotherapy for advanced kidney cancer".
    assert [s.id for s in search_leaflets(library, "Immuno")] == ["treatment-after-surgery", "immunotherapy"]
    assert [s.id for s in search_leaflets(library, "C78.7")] == ["liver-metastases"]
    assert len(search_leaflets(library, "")) == len(library.recipe_ids)
    assert "Which signs mean you should get help the same day?" in teach_back_questions(library, "bone-metastases")


def test_every_recipe_has_codes_and_two_to_four_teach_back_questions() -> None:
    from leaflets.project import PACKAGE_ROOT

    library = Library(Project(PACKAGE_ROOT))
    for rid in library.recipe_ids:
        recipe = library.recipe(rid).file
        assert recipe.icd10, rid
        assert 2 <= len(recipe.teach_back) <= 4, rid
        assert all(q.endswith("?") for q in recipe.teach_back), rid
        text = (library.project.content / "leaflets" / f"{rid}.yaml").read_text("utf-8").splitlines()
        assert text[0].startswith("title:") and text[1].startswith("icd10:"), rid


def test_a_recipe_with_one_teach_back_question_is_refused(make_project: MakeProject, runner: CliRunner) -> None:
    root = make_project({"content/leaflets/small.yaml": "title: A small leaflet\nicd10: [C64, bone]\n"
                         "teach_back:\n  - Is this the only question?\nsections: [alpha]\n"})
    result = runner.invoke(app, ["list", "--root", str(root)])
    assert result.exit_code == 2
    assert "icd10.1: must be an ICD-10 code written like C64" in result.output
    assert "teach_back: needs at least 2 item(s)" in result.output


# -- recording off --------------------------------------------------------------------------------------------


def test_recording_off_writes_no_database(make_project: MakeProject, runner: CliRunner) -> None:
    root = _project(make_project, enabled=False)
    elsewhere = root / "records" / "handouts.db"
    result = _build(runner, root, "small", "--site", "clinic", "--teach-back", "done", "--db", str(elsewhere))
    assert result.exit_code == 0, result.output
    assert "teach-back result is not kept" in result.output
    batch = run_batch(root / "content/sets/clinic.yaml", root / "batch", jobs=1, root=root,
                      data_csv=_clinic_csv(root / "list.csv", 2, references=False), db=elsewhere)
    assert batch.exit_code == 0 and len(list((root / "batch").glob("*.pdf"))) == 2
    assert not (root / "leaflets.db").exists() and not elsewhere.parent.exists()
    assert not list(root.rglob("*.db*"))


def test_recording_off_refuses_a_hospital_number(make_project: MakeProject, runner: CliRunner) -> None:
    root = _project(make_project, enabled=False)
    result = _build(runner, root, "small", "--site", "clinic", "--set", "patient_reference=H12345")
    assert result.exit_code == 2
    assert "keeps no hand-out record, so a hospital number is not used" in result.output
    assert "H12345" not in result.output and not (root / "out").exists()


def test_record_settings_do_not_change_the_content_version(make_project: MakeProject) -> None:
    from leaflets.plan import plan_leaflet

    versions = []
    for enabled in (True, False):
        root = _project(make_project, enabled=enabled)
        library = Library(Project(root))
        versions.append(plan_leaflet(library, library.recipe("small"), site_id="clinic").content_version)
    assert versions[0] == versions[1]


# -- recording on ---------------------------------------------------------------------------------------------


def test_three_builds_and_a_twenty_row_batch_give_23_rows_without_names_or_notes(
    make_project: MakeProject, runner: CliRunner
) -> None:
    root = _project(make_project, wait=60)  # two batch workers write at once on a loaded machine
    for i, leaflet in enumerate(("small", "other", "small")):
        result = _build(runner, root, leaflet, "--site", "clinic", "--set", f"patient_name={NAMES[i]}",
                        "--set", f"notes={NOTES[i % 2]}", "--set", "prepared_by=Ann Lee, nurse",
                        "--set", f"patient_reference=RX{i}9", "--teach-back", "done")
        assert result.exit_code == 0, result.output
    assert NAMES[2] in pdf_text(root / "out" / "small.pdf")  # the leaflet itself is personalised
    assert "RX29" not in pdf_text(root / "out" / "small.pdf")  # the hospital number is never printed
    result = run_batch(root / "content/sets/clinic.yaml", root / "batch", jobs=2, root=root,
                       data_csv=_clinic_csv(root / "clinic.csv", 20))
    assert result.exit_code == 0, result.failure_lines()
    db = root / "leaflets.db"
    rows = _rows(db)
    assert len(rows) == 23
    assert [r["channel"] for r in rows].count("batch") == 20
    assert {r["patient_reference"] for r in rows} >= {"RX09", "H1000", "H1019"}
    assert rows[0]["teach_back"] == "done" and rows[0]["prepared_by"] == "Ann Lee, nurse"
    assert rows[0]["site"] == "clinic" and rows[0]["language"] == "en-GB" and rows[0]["variant"] == "standard"
    assert len(rows[0]["pdf_sha256"]) == 64 and len(rows[0]["content_version"]) == 10
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    stored = b"".join(p.read_bytes() for p in root.glob("leaflets.db*"))
    for secret in (*NAMES, *NOTES, "Quillfeather", "Oddsock", "Wintermoon", "xyzzy", "plugh"):
        assert secret.encode("utf-8") not in stored, secret
        assert secret.encode("utf-16-le") not in stored, secret
    built = sorted(p.name for p in (root / "batch").glob("*.pdf"))
    assert len(built) == 20
    assert all(stat.S_IMODE((root / "batch" / name).stat().st_mode) == 0o600 for name in built)


def test_the_record_is_never_asked_to_store_a_reference_unless_allowed(
    make_project: MakeProject, runner: CliRunner
) -> None:
    root = _project(make_project, store=False)
    refused = _build(runner, root, "small", "--site", "clinic", "--set", "patient_reference=H777")
    assert refused.exit_code == 2 and "does not allow storing hospital numbers" in refused.output
    assert not (root / "out" / "small.pdf").exists()
    ok = _build(runner, root, "small", "--site", "clinic")
    assert ok.exit_code == 0, ok.output
    assert _rows(root / "leaflets.db")[0]["patient_reference"] is None
    named = _build(runner, root, "small", "--site", "clinic", "--set", "patient_reference=Sam Jones")
    assert named.exit_code == 2 and "never a name" in named.output and "Sam Jones" not in named.output


def test_recall_finds_the_handouts_of_an_edition(make_project: MakeProject, runner: CliRunner) -> None:
    root = _project(make_project)
    db = root / "elsewhere.db"
    for _ in range(2):
        assert _build(runner, root, "small", "--site", "clinic", "--db", str(db)).exit_code == 0
    old = _rows(db)[0]["content_version"]
    (root / "content/sections/alpha.md").write_text(section_text("Alpha section", "Corrected alpha words."), "utf-8")
    assert _build(runner, root, "small", "--site", "clinic", "--db", str(db)).exit_code == 0
    assert _build(runner, root, "other", "--site", "clinic", "--db", str(db)).exit_code == 0
    rows = _rows(db)
    assert len({r["content_version"] for r in rows if r["leaflet"] == "small"}) == 2
    result = runner.invoke(app, ["recall", "--leaflet", "small", "--version", old, "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    recalled = json.loads(result.output)
    assert [r["id"] for r in recalled] == [r["id"] for r in rows[:2]]
    text = runner.invoke(app, ["recall", "--leaflet", "small", "--version", old[:6], "--db", str(db)]).output
    assert "2 hand-outs." in text and "corrected edition" in text
    before = runner.invoke(app, ["recall", "--leaflet", "small", "--before", "2000-01-01", "--db", str(db)])
    assert before.exit_code == 0 and "No hand-outs of that edition" in before.output
    both = runner.invoke(app, ["recall", "--leaflet", "small", "--db", str(db)])
    assert both.exit_code == 2 and "--version HASH" in both.output


def test_record_list_filters_and_teach_back_later(make_project: MakeProject, runner: CliRunner) -> None:
    root = _project(make_project)
    assert _build(runner, root, "small", "other", "--site", "clinic").exit_code == 0
    listed = json.loads(runner.invoke(app, ["record", "list", "--root", str(root), "--json"]).output)
    assert [r["leaflet"] for r in listed] == ["small", "other"] and listed[0]["teach_back"] is None
    only = runner.invoke(app, ["record", "list", "--root", str(root), "--leaflet", "other", "--since", "2026-01-01"])
    assert "1 hand-out." in only.output and "small" not in only.output
    future = json.loads(runner.invoke(app, ["record", "list", "--root", str(root), "--json",
                                            "--since", "2999-01-01"]).output)
    assert future == []
    done = runner.invoke(app, ["record", "teach-back", listed[0]["id"], "not-done", "--root", str(root)])
    assert done.exit_code == 0, done.output
    assert _rows(root / "leaflets.db")[0]["teach_back"] == "not-done"
    wrong = runner.invoke(app, ["record", "teach-back", listed[0]["id"], "maybe", "--root", str(root)])
    assert wrong.exit_code == 2 and "done, not-done" in wrong.output
    bad_date = runner.invoke(app, ["record", "list", "--root", str(root), "--since", "yesterday"])
    assert bad_date.exit_code == 2 and "is not a date" in bad_date.output


def test_no_record_yet_is_a_clear_message(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["record", "list", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "there is no hand-out record here" in result.output
    assert not (tmp_path / "none.db").exists()


# -- failures ---------------------------------------------------------------------------------------------------


def test_a_locked_record_fails_the_handout_and_leaves_no_pdf(make_project: MakeProject, runner: CliRunner) -> None:
    root = _project(make_project)
    assert _build(runner, root, "other", "--site", "clinic").exit_code == 0
    holder = sqlite3.connect(root / "leaflets.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = _build(runner, root, "small", "--site", "clinic")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {root / 'leaflets.db'}: cannot write the hand-out record: it is locked by another program; "
        "close it (or wait) and try again"
    ]
    assert not (root / "out" / "small.pdf").exists()
    assert len(_rows(root / "leaflets.db")) == 1


def _make_read_only(path: Path) -> Callable[[], None]:
    """Make PATH read-only even for root (immutable), or skip where that cannot be done."""
    if os.geteuid() != 0:
        path.chmod(0o400)
        return lambda: path.chmod(0o600)
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot make a file read-only for root here (chattr +i)")
    return lambda: subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_record_fails_the_handout_and_leaves_no_pdf(make_project: MakeProject, runner: CliRunner) -> None:
    root = _project(make_project)
    assert _build(runner, root, "other", "--site", "clinic").exit_code == 0
    undo = _make_read_only(root / "leaflets.db")
    try:
        result = _build(runner, root, "small", "--site", "clinic")
    finally:
        undo()
    assert result.exit_code == 1
    assert "cannot write the hand-out record: it is read-only" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (root / "out" / "small.pdf").exists()


def test_a_pdf_that_cannot_be_written_is_not_recorded(make_project: MakeProject, runner: CliRunner) -> None:
    root = _project(make_project)
    (root / "out" / "small.pdf").mkdir(parents=True)  # a folder where the PDF should go
    result = _build(runner, root, "small", "--site", "clinic")
    assert result.exit_code == 2
    assert _rows(root / "leaflets.db") == []


# -- concurrency ------------------------------------------------------------------------------------------------


def _record_many(root: str, count: int) -> int:
    """Record COUNT hand-outs from this process (a worker of the concurrency test)."""
    from leaflets.plan import plan_leaflet
    from leaflets.record.handout import record_handout, record_target
    from leaflets.schema import Details

    library = Library(Project(Path(root)))
    target = record_target(library, "clinic")
    assert target is not None
    target = type(target)(target.db_path, target.site_id, target.settings.model_copy(update={"wait_seconds": 30}))
    plan = plan_leaflet(library, library.recipe("small"), site_id="clinic",
                        details=Details(patient_name=NAMES[0], notes=NOTES[0]))
    for i in range(count):
        record_handout(target, plan, f"%PDF-1.7 fake {os.getpid()} {i}".encode())
    return count


def test_concurrent_writers_lose_nothing(make_project: MakeProject) -> None:
    root = _project(make_project)
    with ProcessPoolExecutor(max_workers=4) as processes, ThreadPoolExecutor(max_workers=8) as threads:
        jobs = [processes.submit(_record_many, str(root), 15) for _ in range(4)]
        jobs += [threads.submit(_record_many, str(root), 5) for _ in range(8)]
        assert sum(job.result() for job in jobs) == 100
    rows = _rows(root / "leaflets.db")
    assert len(rows) == 100 and len({r["id"] for r in rows}) == 100
    assert {r["channel"] for r in rows} == {"web"}


# -- exports ----------------------------------------------------------------------------------------------------


def test_fhir_export_validates_and_round_trips(make_project: MakeProject, runner: CliRunner) -> None:
    from fhir.resources.R4B.bundle import Bundle

    from leaflets.record import fhir

    root = _project(make_project)
    for i, leaflet in enumerate(("small", "other")):
        assert _build(runner, root, leaflet, "--site", "clinic", "--set", "prepared_by=Ann Lee",
                      "--set", f"patient_reference=H{i}00", "--set", f"patient_name={NAMES[i]}",
                      "--teach-back", "done").exit_code == 0
    assert _build(runner, root, "small", "--site", "clinic").exit_code == 0
    rows = _rows(root / "leaflets.db")
    result = runner.invoke(app, ["record", "export", "--format", "fhir", "--root", str(root)])
    assert result.exit_code == 0, result.output
    parsed = fhir.parse_ndjson(result.output)
    kinds = [r.get_resource_type() for r in parsed]
    assert kinds.count("Communication") == 3 and kinds.count("DocumentReference") == 3
    back = fhir.rows_from_resources(parsed)
    for original, copy in zip(rows, back, strict=True):
        assert copy == {k: original[k] for k in copy}
    first = parsed[kinds.index("Communication")]
    assert first.status == "completed" and first.sender.display == "Ann Lee"
    assert first.subject.identifier.system == "https://example.org/test-clinic/mrn"
    assert first.subject.identifier.value == "H000"
    assert first.payload[0].contentReference.reference == f"DocumentReference/{rows[0]['pdf_sha256']}"
    assert [line for line in result.output.splitlines() if line] == [r.model_dump_json() for r in parsed]

    out = root / "bundle.json"
    made = runner.invoke(app, ["record", "export", "--format", "fhir", "--bundle", "-o", str(out), "--root", str(root)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    bundle = Bundle.model_validate_json(out.read_text("utf-8"))
    assert bundle.type == "transaction" and len(bundle.entry) == 6
    assert {e.request.method for e in bundle.entry} == {"PUT"}
    assert json.loads(bundle.model_dump_json()) == json.loads(out.read_text("utf-8"))
    for secret in NAMES[:2]:
        assert secret not in out.read_text("utf-8")


def test_csv_export_has_a_header_and_one_line_per_handout(make_project: MakeProject, runner: CliRunner) -> None:
    root = _project(make_project)
    assert _build(runner, root, "small", "--site", "clinic", "--set", "prepared_by==SUM(A1)").exit_code == 0
    result = runner.invoke(app, ["record", "export", "--root", str(root)])
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.output)))
    assert len(table) == 1 and table[0]["leaflet"] == "small" and table[0]["prepared_by"] == "'=SUM(A1)"
    assert runner.invoke(app, ["record", "export", "--format", "xml", "--root", str(root)]).exit_code == 2


def test_a_typed_title_with_the_patients_name_is_not_recorded(make_project: MakeProject, runner: CliRunner) -> None:
    root = _project(make_project)
    result = _build(runner, root, "--sections", "alpha", "--title", "Plan for Barnaby", "--site", "clinic",
                    "--set", f"patient_name={NAMES[1]}")
    assert result.exit_code == 0, result.output
    kept = runner.invoke(app, ["build", "--root", str(root), "-o", str(root / "out"), "--sections", "beta",
                               "--title", "Your bone treatment", "--site", "clinic"])
    assert kept.exit_code == 0, kept.output
    rows = _rows(root / "leaflets.db")
    assert [(r["leaflet"], r["title"]) for r in rows] == [
        ("custom", "Leaflet made from chosen sections"), ("your-bone-treatment", "Your bone treatment")]
    assert b"Barnaby" not in b"".join(p.read_bytes() for p in root.glob("leaflets.db*"))


def test_a_locked_record_stops_a_batch_before_any_pdf(make_project: MakeProject) -> None:
    from leaflets.errors import RecordError
    from leaflets.record.db import check_writable

    root = _project(make_project)
    db = root / "leaflets.db"
    check_writable(db, 1)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(RecordError, match="locked by another program"):
            run_batch(root / "content/sets/clinic.yaml", root / "batch", jobs=1, root=root,
                      data_csv=_clinic_csv(root / "clinic.csv", 3))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not list(root.glob("batch/*.pdf"))
