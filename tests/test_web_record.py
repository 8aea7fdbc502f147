"""The hand-out record on the web page: find by code, recording each PDF, teach-back, the record page, concurrency."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from typer.testing import CliRunner

from cli import app as cli_app
from leaflets.batch import run_batch
from leaflets.web import background_server, create_app
from tests.conftest import REPO, pdf_text, section_text
from tests.test_record import _rows

MakeProject = Callable[..., Path]
NAMES = ("Zoë Quillfeather", "Barnaby Oddsock", "Priya Wintermoon")
NOTES = ("Bring the purple folder xyzzy", "Fasting from midnight plugh")
TEACH_NOTE = "Mixed up the phone numbers frobozz"
SITE = """\
name: Test clinic
locale: en-GB
record:
  enabled: true
  store_patient_reference: {store}
  wait_seconds: {wait}
"""
RECIPE = """\
title: A small leaflet
subtitle: For tests
icd10: [C79.5, C64]
teach_back:
  - Which signs mean you should call your team?
  - Who will you call at night?
sections: [alpha, beta]
"""


def _project(make_project: MakeProject, store: bool = True, wait: float = 0.5) -> Path:
    """A clinic that keeps a record; WAIT is how long a writer waits for a busy record (short: the lock tests)."""
    return make_project({
        "content/sites/clinic.yaml": SITE.format(store=str(store).lower(), wait=wait),
        "content/leaflets/small.yaml": RECIPE,
        "content/sections/gamma.md": section_text("Gamma section", "Gamma words stand alone. Ask your team."),
        "content/leaflets/other.yaml": "title: Lung leaflet\nicd10: [C78.0]\nsections: [gamma]\n",
        "content/sets/clinic.yaml": "title: Clinic list\nsite: clinic\nleaflets: all\n",
    })


def _token(client: FlaskClient, url: str = "/leaflets/small") -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', client.get(url).get_data(as_text=True))
    assert match
    return match.group(1)


def _form_pdf(client: FlaskClient, **fields: str) -> object:
    data = {"csrf_token": _token(client), "layout": "standard", "paper": "a4", "site": "clinic",
            "action": "download", **fields}
    return client.post("/leaflets/small/pdf", data=data)


def _shown(html: str) -> list[str]:
    """The ids of the cards a reader sees, in page order."""
    return [m.group(1) for m in re.finditer(r'<li class="card" data-id="([^"]+)"[^>]*?(?<! hidden)>', html)]


# -- find by code or word ---------------------------------------------------------------------------------------


def test_list_filters_by_code_best_first_without_javascript() -> None:
    client = create_app(REPO).test_client()
    html = client.get("/?q=C79.51").get_data(as_text=True)
    shown = _shown(html)
    assert shown[0] == "bone-metastases"
    assert "lung-metastases" not in shown and "liver-metastases" not in shown
    assert f"{len(shown)} of 11 leaflets" in html
    assert 'data-filter-url="/api/leaflets"' in html and "ICD-10</abbr> C79.5, C64" in html
    by_word = _shown(client.get("/?q=lung").get_data(as_text=True))
    assert by_word == ["lung-metastases"]
    assert _shown(client.get("/?q=C78.0+lungs").get_data(as_text=True)) == ["lung-metastases"]


def test_api_code_lists_the_leaflets_that_fit_best_first() -> None:
    client = create_app(REPO).test_client()
    found = client.get("/api/leaflets?code=C79.51").get_json()
    assert found[0]["id"] == "bone-metastases" and found[0]["matched"] == ["C79.5"]
    assert found[0]["icd10"] == ["C79.5", "C64"] and "draft" in found[0] and "sections" in found[0]
    both = client.get("/api/leaflets?code=C79.51,C64").get_json()
    assert both[0]["id"] == "bone-metastases" and both[0]["matched"] == ["C79.5", "C64"]
    assert [f["id"] for f in client.get("/api/leaflets?q=brain").get_json()] == ["brain-metastases"]
    assert len(client.get("/api/leaflets").get_json()) == 11
    bad = client.get("/api/leaflets?code=banana")
    assert bad.status_code == 400 and "'banana' is not an ICD-10 code" in bad.get_json()["error"]
    assert client.get("/api/leaflets?code=").status_code == 400
    many = client.get("/api/leaflets?code=" + ",".join(["C64"] * 21))
    assert many.status_code == 400 and "at most 20 codes" in many.get_json()["error"]


# -- recording each PDF handed out ------------------------------------------------------------------------------


def test_a_form_pdf_is_recorded_without_name_or_note_and_teach_back_is_saved(make_project: MakeProject) -> None:
    root = _project(make_project)
    client = create_app(root).test_client()
    page = client.get("/leaflets/small").get_data(as_text=True)
    assert '<label class="label" for="f-patient_reference">Hospital number</label>' in page
    assert "Which signs mean you should call your team?" in page and "Check understanding" in page
    assert '"Prepared by" and the hospital number, which go in the hand-out record' in page
    note = re.search(r'<textarea[^>]*id="tb-note"[^>]*>', page)
    assert note and "name=" not in note.group()  # the note has no name: the browser never sends it
    response = _form_pdf(client, patient_name=NAMES[0], notes=NOTES[0], prepared_by="Ann Lee, nurse",
                         patient_reference="H123")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert NAMES[0] in pdf_text(response.data) and "H123" not in pdf_text(response.data)
    handout = response.headers["X-Handout-Id"]
    [row] = _rows(root / "leaflets.db")
    assert row["id"] == handout and row["channel"] == "web" and row["site"] == "clinic"
    assert row["patient_reference"] == "H123" and row["prepared_by"] == "Ann Lee, nurse" and row["teach_back"] is None

    token = _token(client)
    refused = client.post(f"/api/handouts/{handout}/teach-back", data={"checked": "yes"})
    assert refused.status_code == 403
    saved = client.post(f"/api/handouts/{handout}/teach-back", data={"csrf_token": token, "checked": "yes",
                                                                    "note": TEACH_NOTE})
    assert saved.status_code == 200 and saved.get_json() == {"id": handout, "teach_back": "done"}
    assert _rows(root / "leaflets.db")[0]["teach_back"] == "done"
    unticked = client.post(f"/api/handouts/{handout}/teach-back", data={"csrf_token": token})
    assert unticked.get_json()["teach_back"] == "not-done"
    missing = client.post(f"/api/handouts/{'0' * 32}/teach-back", data={"csrf_token": token})
    assert missing.status_code == 404 and "no such hand-out" in missing.get_json()["error"]
    stored = b"".join(p.read_bytes() for p in root.glob("leaflets.db*"))
    for secret in (NAMES[0], "Quillfeather", "xyzzy", "frobozz"):
        assert secret.encode() not in stored, secret


def test_recording_off_writes_no_database_and_names_no_handout(make_project: MakeProject) -> None:
    root = _project(make_project)
    client = create_app(root).test_client()
    response = _form_pdf(client, site="default", patient_name=NAMES[1])
    assert response.status_code == 200 and "X-Handout-Id" not in response.headers
    api = client.post("/api/leaflets/small/pdf", json={"details": {"patient_name": NAMES[1]}})
    assert api.status_code == 200 and "X-Handout-Id" not in api.headers
    assert not list(root.glob("leaflets.db*"))
    refused = _form_pdf(client, site="default", patient_reference="H123")
    assert refused.status_code == 400
    assert re.search(r'id="f-patient_reference-error">.*keeps no hand-out record', refused.get_data(as_text=True))


def test_a_site_that_keeps_no_hospital_numbers_refuses_one_and_hides_the_field(make_project: MakeProject) -> None:
    root = _project(make_project, store=False)
    client = create_app(root).test_client()
    assert 'id="f-patient_reference"' not in client.get("/leaflets/small").get_data(as_text=True)
    refused = client.post("/api/leaflets/small/pdf", json={"site": "clinic", "details": {"patient_reference": "H9"}})
    assert refused.status_code == 400 and "does not allow storing hospital numbers" in refused.get_json()["error"]
    assert not (root / "leaflets.db").exists()


def test_a_locked_record_means_no_pdf_is_handed_out(make_project: MakeProject) -> None:
    root = _project(make_project)
    client = create_app(root).test_client()
    assert _form_pdf(client).status_code == 200
    lock = sqlite3.connect(root / "leaflets.db", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        response = _form_pdf(client, patient_name=NAMES[2])
        api = client.post("/api/leaflets/small/pdf", json={"site": "clinic"})
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert b"%PDF" not in response.data and NAMES[2] not in response.get_data(as_text=True)
    assert "was not handed out" in response.get_data(as_text=True) and "locked" in response.get_data(as_text=True)
    assert api.status_code == 503 and "locked" in api.get_json()["error"]
    assert len(_rows(root / "leaflets.db")) == 1


def test_serve_db_option_sends_the_record_elsewhere(make_project: MakeProject, tmp_path: Path) -> None:
    root = _project(make_project)
    elsewhere = tmp_path / "elsewhere.db"
    client = create_app(root, db_path=elsewhere).test_client()
    handout = client.post("/api/leaflets/small/pdf", json={"site": "clinic"}).headers["X-Handout-Id"]
    assert [r["id"] for r in _rows(elsewhere)] == [handout] and not (root / "leaflets.db").exists()
    assert "--db" in CliRunner().invoke(cli_app, ["serve", "--help"]).output


# -- the record page ---------------------------------------------------------------------------------------------


def test_record_page_lists_handouts_without_names_and_downloads_csv(make_project: MakeProject) -> None:
    root = _project(make_project)
    client = create_app(root).test_client()
    empty = client.get("/record").get_data(as_text=True)
    assert "Nothing recorded yet" in empty
    assert client.get('/record.csv?since="2026').status_code == 400  # checked even before there is a record
    _form_pdf(client, patient_name=NAMES[0], notes=NOTES[0], prepared_by="=Ann Lee", patient_reference="H42")
    client.post("/api/leaflets/other/pdf", json={"site": "clinic", "details": {"patient_name": NAMES[1]}})
    html = client.get("/record").get_data(as_text=True)
    assert "2 hand-outs since" in html and "Hospital number" in html and "H42" in html
    assert "<td>Test clinic</td>" in html
    assert html.index("Lung leaflet") < html.index("A small leaflet")  # newest first
    assert NAMES[0] not in html and NAMES[1] not in html and "xyzzy" not in html
    only = client.get("/record?leaflet=other").get_data(as_text=True)
    assert "1 hand-out since" in only and "A small leaflet</td>" not in only
    future = client.get("/record?since=2999-01-01").get_data(as_text=True)
    assert "0 hand-outs since 2999-01-01" in future
    bad = client.get("/record?since=yesterday")
    assert bad.status_code == 400 and "is not a date" in bad.get_data(as_text=True)
    download = client.get("/record.csv?since=2020-01-01")
    assert download.mimetype == "text/csv" and "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [r["leaflet"] for r in rows] == ["small", "other"] and rows[0]["prepared_by"] == "'=Ann Lee"
    assert rows[0]["patient_reference"] == "H42" and "patient_name" not in rows[0]


def test_the_page_says_what_is_saved_when_a_site_keeps_a_record(make_project: MakeProject) -> None:
    from leaflets.web.server import saved_line

    recording = create_app(_project(make_project))
    html = recording.test_client().get("/").get_data(as_text=True)
    assert "Patient names and notes are never saved" in html and "Nothing you type here is saved" not in html
    assert saved_line(recording).startswith("Names and notes are never saved")
    plain = create_app(REPO)
    assert "Nothing you type here is saved" in plain.test_client().get("/").get_data(as_text=True)
    assert saved_line(plain) == "Nothing typed into the page is saved."


def test_record_page_hides_the_hospital_number_column_when_none_is_stored(make_project: MakeProject) -> None:
    root = _project(make_project, store=False)
    client = create_app(root).test_client()
    client.post("/api/leaflets/small/pdf", json={"site": "clinic"})
    html = client.get("/record").get_data(as_text=True)
    assert "1 hand-out since" in html and "Hospital number" not in html


# -- acceptance: 3 builds, a 20-row batch and 50 parallel web requests give exactly 73 rows ------------------------


def _clinic_csv(path: Path, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["leaflet", "patient_name", "notes", "patient_reference"])
        for i in range(rows):
            writer.writerow(["small" if i % 2 else "other", NAMES[i % 3], NOTES[i % 2], f"H{1000 + i}"])
    return path


def _post_pdf(base: str, i: int) -> tuple[int, str]:
    body = {"site": "clinic", "details": {"patient_name": NAMES[i % 3], "notes": NOTES[i % 2],
                                          "patient_reference": f"W{i}"}}
    request = urllib.request.Request(f"{base}/api/leaflets/{'small' if i % 2 else 'other'}/pdf",
                                     data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        assert response.read(5) == b"%PDF-"
        return response.status, response.headers["X-Handout-Id"]


def test_three_builds_a_batch_of_20_and_50_parallel_web_requests_give_73_rows(make_project: MakeProject) -> None:
    root = _project(make_project, wait=60)  # many writers at once on a loaded machine: each waits its turn
    runner = CliRunner()
    for i, leaflet in enumerate(("small", "other", "small")):
        result = runner.invoke(cli_app, ["build", leaflet, "--root", str(root), "-o", str(root / "out"),
                                         "--site", "clinic", "--set", f"patient_name={NAMES[i]}"])
        assert result.exit_code == 0, result.output
    batch = run_batch(root / "content/sets/clinic.yaml", root / "batch", jobs=2, root=root,
                      data_csv=_clinic_csv(root / "clinic.csv", 20))
    assert batch.exit_code == 0, batch.failure_lines()
    with background_server(create_app(root)) as base, ThreadPoolExecutor(max_workers=50) as threads:
        answers = list(threads.map(lambda i: _post_pdf(base, i), range(50)))
    assert {status for status, _id in answers} == {200}
    rows = _rows(root / "leaflets.db")
    assert len(rows) == 73 and len({r["id"] for r in rows}) == 73
    channels = [r["channel"] for r in rows]
    assert (channels.count("build"), channels.count("batch"), channels.count("web")) == (3, 20, 50)
    assert {r["id"] for r in rows if r["channel"] == "web"} == {handout for _s, handout in answers}
    assert {r["patient_reference"] for r in rows if r["channel"] == "web"} == {f"W{i}" for i in range(50)}
    stored = b"".join(p.read_bytes() for p in root.glob("leaflets.db*"))
    for secret in (*NAMES, *NOTES, "Oddsock", "plugh"):
        assert secret.encode() not in stored, secret


@pytest.mark.parametrize("path", ["/record", "/record.csv"])
def test_record_pages_are_never_cached(make_project: MakeProject, path: str) -> None:
    client = create_app(_project(make_project)).test_client()
    assert client.get(path).headers["Cache-Control"] == "no-store"
