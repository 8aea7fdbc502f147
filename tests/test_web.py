"""Tests of the local web page: pages, API, CSRF, headers, and that no patient detail is kept anywhere."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from leaflets import web
from leaflets.web import create_app
from tests.conftest import REPO, pdf_text, section_text

NAME = "Zoë O'Brien <b>"
ESCAPED = "Zoë O&#39;Brien &lt;b&gt;"


@pytest.fixture
def project_root(make_project: Callable[..., Path]) -> Path:
    return make_project({
        "content/sections/gamma.md": section_text("Gamma section", "Gamma words are third."),
        "content/leaflets/other.yaml": "title: Bones and more\nsubtitle: Another summary line\nsections: [beta]\n",
        "content/sites/northfield.yaml": "name: Northfield Hospital\nteam_phone: 01632 960 000\npaper: letter\n",
    })


@pytest.fixture
def app(project_root: Path) -> Iterator[Flask]:
    app = create_app(project_root)
    yield app
    app.extensions["leaflets"].renders.close()  # its worker processes, if a test started them


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def token_from(client: FlaskClient, url: str = "/leaflets/small") -> str:
    """Open a form page as a browser would and read its CSRF token (the cookie stays in the client)."""
    page = client.get(url)
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.get_data(as_text=True))
    assert match, "the form has no CSRF token"
    return match.group(1)


def api_pdf(client: FlaskClient, rid: str = "small", **body: object) -> object:
    return client.post(f"/api/leaflets/{rid}/pdf", json=body)


# -- pages -------------------------------------------------------------------------------------------


def test_list_page_shows_every_leaflet_with_its_summary_and_a_picture(client: FlaskClient) -> None:
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A small leaflet" in html and "For tests" in html
    assert "Bones and more" in html and "Another summary line" in html
    assert "/leaflets/small/thumbnail.png" in html
    assert html.count("<h1") == 1
    assert 'class="skip-link" href="#main"' in html
    assert '<label class="label" for="q">' in html


def shown_titles(html: str) -> list[str]:
    """Titles of the cards a reader sees: hidden ones are on the page for the JS filter only."""
    cards = re.findall(r'<li class="card"[^>]*?( hidden)?>.*?class="card__link"[^>]*>([^<]+)</a>', html, re.DOTALL)
    return [title for hidden, title in cards if not hidden]


def test_search_filters_by_title_and_summary_without_javascript(client: FlaskClient) -> None:
    assert shown_titles(client.get("/").get_data(as_text=True)) == ["A small leaflet", "Bones and more"]
    by_title = client.get("/?q=bones").get_data(as_text=True)
    assert shown_titles(by_title) == ["Bones and more"]
    assert "1 of 2 leaflets matches" in by_title
    by_summary = client.get("/?q=SUMMARY+line").get_data(as_text=True)
    assert shown_titles(by_summary) == ["Bones and more"]
    nothing = client.get("/?q=zzzz").get_data(as_text=True)
    assert shown_titles(nothing) == []
    assert re.search(r'<div class="no-results" id="no-results">\s*<p>No leaflets match', nothing)


def test_leaflet_page_has_a_labelled_field_for_every_detail_and_the_options(client: FlaskClient) -> None:
    html = client.get("/leaflets/small").get_data(as_text=True)
    for key in ("patient_name", "prepared_by", "team_name", "team_phone", "next_appointment", "notes"):
        assert f'<label class="label" for="f-{key}">' in html
        assert f'id="f-{key}" name="{key}"' in html
    assert html.count("<h1") == 1
    assert 'name="site"' in html and "Northfield Hospital" in html
    for layout in ("standard", "large-print", "booklet", "booklet-print"):
        assert f'value="{layout}"' in html
    assert 'value="a4"' in html and 'value="letter"' in html
    assert 'autocomplete="off"' in html  # browsers do not keep typed details for autofill
    assert ">Download<" in html and ">Print<" in html
    assert '<iframe class="preview-frame" id="preview" name="preview"' in html
    assert "<script>" not in html  # no inline script: the CSP forbids it


def test_unknown_leaflet_page_is_404(client: FlaskClient) -> None:
    response = client.get("/leaflets/nope")
    assert response.status_code == 404
    assert "no leaflet called" in response.get_data(as_text=True)


def test_preview_escapes_details_and_links_styles_over_http(client: FlaskClient) -> None:
    token = token_from(client)
    response = client.post("/leaflets/small/preview", data={
        "csrf_token": token, "patient_name": NAME, "notes": "<script>alert(1)</script>", "layout": "standard",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ESCAPED in html
    assert NAME not in html and "<script>alert" not in html
    assert "file://" not in html
    assert 'href="/assets/styles/leaflet.css"' in html
    assert response.headers["Cache-Control"] == "no-store"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp and "'sha256-" in csp
    assert client.get("/assets/styles/leaflet.css").status_code == 200


def test_preview_get_shows_the_leaflet_without_details(client: FlaskClient) -> None:
    response = client.get("/leaflets/small/preview?variant=large-print")
    assert response.status_code == 200
    assert 'href="/assets/styles/large-print.css"' in response.get_data(as_text=True)


def test_build_page_lists_sections_with_checkboxes_and_order_numbers(client: FlaskClient) -> None:
    html = client.get("/build").get_data(as_text=True)
    for sid in ("alpha", "beta", "gamma"):
        assert f'type="checkbox" id="sec-{sid}" name="section" value="{sid}"' in html
        assert f'<label class="order__label" for="order-{sid}">' in html
    assert '<label class="label" for="f-title">' in html
    assert html.count("<h1") == 1


# -- API ---------------------------------------------------------------------------------------------


def test_api_lists_leaflets(client: FlaskClient) -> None:
    response = client.get("/api/leaflets")
    assert response.status_code == 200
    data = response.get_json()
    assert [item["id"] for item in data] == ["small", "other"]  # sorted by title
    small = next(item for item in data if item["id"] == "small")
    assert small["title"] == "A small leaflet" and small["subtitle"] == "For tests" and small["draft"] is True
    assert {s["id"] for s in client.get("/api/sections").get_json()} == {"alpha", "beta", "gamma"}
    assert [s["id"] for s in client.get("/api/sites").get_json()] == ["default", "northfield"]


def test_api_pdf_contains_the_details(client: FlaskClient) -> None:
    response = api_pdf(client, details={"patient_name": "Zoë O'Brien", "team_phone": "01632 960 555"})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == 'attachment; filename="small.pdf"'
    text = pdf_text(response.data)
    assert "Zoë O'Brien" in text and "01632 960 555" in text


def test_api_booklet_gives_reading_pages_or_the_print_file(client: FlaskClient) -> None:
    reading = api_pdf(client, variant="booklet")
    assert reading.headers["Content-Disposition"].endswith('filename="small-a5.pdf"')
    imposed = api_pdf(client, variant="booklet", file="booklet", paper="letter")
    assert imposed.status_code == 200
    assert imposed.headers["Content-Disposition"].endswith('filename="small-booklet-letter.pdf"')
    wrong = api_pdf(client, variant="standard", file="booklet")
    assert wrong.status_code == 400 and "booklet" in wrong.get_json()["error"]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"details": {"patient_nam": "Sam"}}, 400, "unknown detail key 'patient_nam'"),
        ({"details": {"patient_name": "x" * 121}}, 400, "at most 120 characters"),
        ({"details": {"notes": "a\x00b"}}, 400, "control characters"),
        ({"details": ["Sam"]}, 400, "details must be a JSON object"),
        ({"colour": "red"}, 400, "unknown key 'colour'"),
        ({"variant": "poster"}, 400, "unknown variant"),
        ({"paper": "a3"}, 400, "unknown paper"),
        ({"site": "nowhere"}, 400, "unknown site profile"),
        ({"print_ready": "yes"}, 400, "print_ready"),
    ],
)
def test_api_refuses_bad_requests_with_json_errors(client: FlaskClient, body: dict, status: int, words: str) -> None:
    response = client.post("/api/leaflets/small/pdf", json=body)
    assert response.status_code == status
    assert words in response.get_json()["error"]
    assert "x" * 121 not in response.get_json()["error"]  # messages name the key, never the value


def test_api_unknown_leaflet_is_404_json(client: FlaskClient) -> None:
    response = api_pdf(client, "smal")
    assert response.status_code == 404
    assert response.get_json()["error"] == "unknown leaflet 'smal' (did you mean 'small'?)"
    assert client.get("/api/nothing").get_json() == {"error": "there is no such page"}


def test_api_needs_a_json_body_of_reasonable_size(client: FlaskClient) -> None:
    not_json = client.post("/api/leaflets/small/pdf", data="{not json", content_type="application/json")
    assert not_json.status_code == 400 and not_json.get_json()["error"] == "the body is not valid JSON"
    plain = client.post("/api/leaflets/small/pdf", data='{"details": {}}', content_type="text/plain")
    assert plain.status_code == 400 and "application/json" in plain.get_json()["error"]
    form = client.post("/api/leaflets/small/pdf", data={"patient_name": "Sam"})
    assert form.status_code == 400
    array = client.post("/api/leaflets/small/pdf", json=["Sam"])
    assert array.status_code == 400
    huge = client.post("/api/leaflets/small/pdf", data=b'{"details": {"notes": "' + b"a" * 70_000 + b'"}}',
                       content_type="application/json")
    assert huge.status_code == 413 and "too large" in huge.get_json()["error"]


def test_api_refuses_posts_from_other_web_pages(client: FlaskClient) -> None:
    other = client.post("/api/leaflets/small/pdf", json={}, headers={"Origin": "http://evil.example"})
    assert other.status_code == 403 and "error" in other.get_json()
    null = client.post("/api/leaflets/small/pdf", json={}, headers={"Origin": "null"})
    assert null.status_code == 403
    site = client.post("/api/leaflets/small/pdf", json={}, headers={"Sec-Fetch-Site": "same-site"})
    assert site.status_code == 403
    own = client.post("/api/leaflets/small/pdf", json={}, headers={"Origin": "http://localhost"})
    assert own.status_code == 200


def test_api_build_your_own(client: FlaskClient) -> None:
    response = client.post("/api/build/pdf", json={
        "sections": ["beta", "alpha"], "title": "For Sam Jones", "details": {"patient_name": "Sam Jones"},
    })
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="custom-leaflet.pdf"'  # not the title
    text = pdf_text(response.data)
    assert text.index("Beta words") < text.index("Alpha words")
    assert client.post("/api/build/pdf", json={"sections": []}).status_code == 400
    assert client.post("/api/build/pdf", json={"sections": ["nope"]}).status_code == 400
    assert client.post("/api/build/pdf", json={"sections": ["alpha", "alpha"]}).status_code == 400


# -- forms and CSRF ------------------------------------------------------------------------------------


def test_form_post_without_a_valid_token_is_refused(client: FlaskClient) -> None:
    no_cookie = client.post("/leaflets/small/pdf", data={"patient_name": "Sam", "action": "download"})
    assert no_cookie.status_code == 403
    token_from(client)
    wrong = client.post("/leaflets/small/pdf", data={"csrf_token": "0" * 64, "patient_name": "Sam"})
    assert wrong.status_code == 403
    assert "expired" in wrong.get_data(as_text=True)
    assert "Sam" not in wrong.get_data(as_text=True)  # a forged post is never echoed back
    preview = client.post("/leaflets/small/preview", data={"patient_name": "Sam"})
    assert preview.status_code == 403


def test_form_post_with_token_downloads_or_prints_the_pdf(client: FlaskClient) -> None:
    token = token_from(client)
    data = {"csrf_token": token, "patient_name": "Sam Jones", "next_appointment": "Tuesday 3 March",
            "notes": "Bring your tablets.\nCall us any time.", "layout": "large-print", "paper": "a4"}
    download = client.post("/leaflets/small/pdf", data={**data, "action": "download"})
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == 'attachment; filename="small-large-print.pdf"'
    assert download.headers["Cache-Control"] == "no-store"
    text = pdf_text(download.data)
    assert "Sam Jones" in text and "Bring your tablets." in text
    printed = client.post("/leaflets/small/pdf", data={**data, "action": "print", "layout": "booklet-print"})
    assert printed.headers["Content-Disposition"] == 'inline; filename="small-booklet.pdf"'


def test_form_post_from_another_site_is_refused_even_with_a_token(client: FlaskClient) -> None:
    token = token_from(client)
    response = client.post("/leaflets/small/pdf", data={"csrf_token": token},
                           headers={"Origin": "http://127.0.0.1:9999"})
    assert response.status_code == 403


def test_form_errors_show_on_the_page_without_saving_anything(client: FlaskClient) -> None:
    token = token_from(client)
    response = client.post("/leaflets/small/pdf", data={"csrf_token": token, "patient_name": "Sam",
                                                        "team_phone": "1" * 31, "layout": "standard"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html
    assert '<a href="#f-team_phone">Team phone number is too long: at most 30 characters</a>' in html
    assert 'aria-invalid="true"' in html
    assert 'value="Sam"' in html  # what was typed comes back so the nurse need not type it again
    assert response.headers["Cache-Control"] == "no-store"


def test_build_form_orders_sections_by_the_numbers_typed(client: FlaskClient) -> None:
    token = token_from(client, "/build")
    response = client.post("/build/pdf", data={
        "csrf_token": token, "title": "Your plan", "section": ["alpha", "beta", "gamma"],
        "order-gamma": "1", "order-alpha": "3", "order-beta": "", "layout": "standard", "action": "download",
    })
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert text.index("Gamma words") < text.index("Alpha words") < text.index("Beta words")
    assert "Your plan" in text
    nothing = client.post("/build/pdf", data={"csrf_token": token, "title": "Empty"})
    assert nothing.status_code == 400 and "choose at least one section" in nothing.get_data(as_text=True)
    preview = client.post("/build/preview", data={"csrf_token": token, "section": ["beta"], "patient_name": NAME})
    assert preview.status_code == 200 and ESCAPED in preview.get_data(as_text=True)


# -- headers, hosts and files ------------------------------------------------------------------------


def test_every_page_has_a_csp_and_no_store(client: FlaskClient) -> None:
    cookie = client.get("/").headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    for url in ("/", "/leaflets/small", "/build"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-src 'self'" in csp and "img-src 'self' data:" in csp
        assert "unsafe-inline" not in csp and "frame-ancestors 'self'" in csp
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_only_this_computers_own_names_are_answered(client: FlaskClient) -> None:
    assert client.get("/", headers={"Host": "rebind.example:8000"}).status_code == 400
    assert client.get("/", headers={"Host": "127.attacker.example"}).status_code == 400
    for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000"):
        assert client.get("/", headers={"Host": host}).status_code == 200


def test_static_and_asset_routes_serve_only_their_own_files(client: FlaskClient) -> None:
    assert client.get("/static/web.css").status_code == 200
    assert client.get("/static/web.js").mimetype == "text/javascript"
    assert client.get("/static/fonts/AtkinsonHyperlegible_400Regular.ttf").status_code == 200
    assert client.get("/assets/styles/fonts/AtkinsonHyperlegible_700Bold.ttf").status_code == 200
    for url in ("/static/../leaflets/web.py", "/static/%2e%2e/cli.py", "/assets/content/sections/alpha.md",
                "/assets/content/leaflets/small.yaml", "/assets/templates/leaflet.html",
                "/assets/styles/../../cli.py"):
        assert client.get(url).status_code == 404, url


def test_thumbnail_is_a_placeholder_until_page_one_is_drawn(client: FlaskClient) -> None:
    first = client.get("/leaflets/small/thumbnail.png")
    assert first.status_code == 200
    if first.headers.get("X-Thumbnail") == "pending":
        assert first.mimetype == "image/svg+xml"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = client.get("/leaflets/small/thumbnail.png")
        if response.headers.get("X-Thumbnail") != "pending":
            break
        time.sleep(0.2)
    assert response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")
    assert client.get("/leaflets/nope/thumbnail.png").status_code == 404


def test_renders_from_several_threads_each_get_their_own_details(app: Flask) -> None:
    names = ["Ann Able", "Ben Baker", "Cat Cole"]
    results: dict[str, bytes] = {}

    def fetch(name: str) -> None:
        response = app.test_client().post("/api/leaflets/small/pdf", json={"details": {"patient_name": name}})
        results[name] = response.data

    threads = [threading.Thread(target=fetch, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for name in names:
        text = pdf_text(results[name])
        assert name in text and not any(other in text for other in names if other != name)


# -- nothing kept --------------------------------------------------------------------------------------


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


@pytest.fixture
def empty_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    yield folder


def test_no_detail_is_written_to_disk_or_logs(
    client: FlaskClient, project_root: Path, empty_tempdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "Quentin Zzyzx-Secret"
    client.get("/api/leaflets")  # loads the library once, so the listing below is steady
    before = _tree(project_root)
    token = token_from(client)
    details = {"patient_name": secret, "notes": f"{secret} notes", "team_phone": "01632 960 999"}
    assert client.post("/leaflets/small/pdf", data={"csrf_token": token, "layout": "booklet-print",
                                                    **details}).status_code == 200
    assert client.post("/leaflets/small/preview", data={"csrf_token": token, **details}).status_code == 200
    assert api_pdf(client, details=details).status_code == 200
    assert api_pdf(client, details={**details, "patient_name": secret * 10}).status_code == 400
    assert client.post("/leaflets/small/pdf", data={"csrf_token": token, **details,
                                                    "team_phone": secret * 10}).status_code == 400
    assert _tree(project_root) == before
    # WeasyPrint copies the stylesheets' @font-face fonts into one temp folder: fonts, nothing typed.
    leftovers = [p for p in empty_tempdir.rglob("*") if p.is_file()]
    assert all(p.relative_to(empty_tempdir).parts[0].startswith("weasyprint-") for p in leftovers), leftovers
    for path in leftovers:
        data = path.read_bytes()
        assert secret.encode() not in data and secret.encode("utf-16-be") not in data
    assert caplog.records, "the server logs something (so the check below means something)"
    assert secret not in caplog.text and "01632 960 999" not in caplog.text


# -- the module and the command --------------------------------------------------------------------------


def test_importing_the_web_module_does_not_load_weasyprint() -> None:
    code = "import sys, leaflets.web; sys.exit('weasyprint' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0


def test_loopback_addresses() -> None:
    for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"):
        assert web.is_loopback(host), host
    for host in ("0.0.0.0", "192.168.1.5", "::", "example.org"):
        assert not web.is_loopback(host), host


@pytest.mark.parametrize("rasteriser", ["pypdfium2", "pdftoppm"])
def test_first_page_png_with_either_rasteriser(
    client: FlaskClient, rasteriser: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    pdf = api_pdf(client).data
    if rasteriser == "pdftoppm":
        if shutil.which("pdftoppm") is None:
            pytest.skip("pdftoppm is not installed")
        monkeypatch.setitem(sys.modules, "pypdfium2", None)  # import fails: the fallback runs
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    png = web.first_page_png(pdf, width=200)
    assert png.startswith(b"\x89PNG")
    assert list(workdir.iterdir()) == []  # drawn in memory or through pipes only


def test_serve_warns_loudly_off_loopback_and_explains_a_busy_port(
    project_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from leaflets.errors import InputError

    def busy(*_args: object, **_kwargs: object) -> None:
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(web.server, "make_server", busy)  # nothing is bound: only the messages are checked
    with pytest.raises(InputError, match="cannot listen on 0.0.0.0:8000"):
        web.serve("0.0.0.0", 8000, project_root)
    assert capsys.readouterr().err.count("WARNING") >= 4
    with pytest.raises(InputError, match="try another --port"):
        web.serve("127.0.0.1", 8000, project_root)
    assert "WARNING" not in capsys.readouterr().err


def test_a_leaflet_whose_picture_fails_keeps_the_placeholder(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_pdf: bytes, width: int = 0) -> bytes:
        raise RuntimeError("no rasteriser")

    monkeypatch.setattr(web.rendering, "first_page_png", broken)
    deadline = time.monotonic() + 60
    state = "pending"
    while state == "pending" and time.monotonic() < deadline:
        response = client.get("/leaflets/other/thumbnail.png")
        state = response.headers.get("X-Thumbnail", "ready")
        time.sleep(0.2)
    assert state == "failed" and response.mimetype == "image/svg+xml"


def test_one_ad_hoc_model_names_fields_on_the_command_line_and_in_the_api(
    client: FlaskClient, project_root: Path
) -> None:
    from typer.testing import CliRunner

    from cli import app as cli_app

    control = "title: contains control characters (invisible characters pasted from another program); retype it"
    api = client.post("/api/build/pdf", json={"sections": ["alpha"], "title": "Bad\x07title"})
    assert api.status_code == 400 and api.get_json() == {"error": control}
    result = CliRunner().invoke(cli_app, ["build", "--sections", "alpha", "--title", "Bad\x07title",
                                          "--root", str(project_root), "-o", str(project_root / "out")])
    assert result.exit_code == 2 and result.stderr.strip() == f"Error: {control}"
    too_many = client.post("/api/build/pdf", json={"sections": [f"s{i}" for i in range(61)]})
    assert too_many.get_json() == {"error": "sections: choose at most 60 sections"}
    twice = client.post("/api/build/pdf", json={"sections": ["alpha", "alpha"]})
    assert twice.get_json() == {"error": "sections: lists a section twice: alpha"}


def test_form_problems_are_matched_to_fields_by_problem_field_not_by_text() -> None:
    from leaflets.errors import InputError, Problem
    from leaflets.web.forms import detail_problems

    # A message that looks like another field's must not move the problem to that field.
    exc = InputError(Problem("patient_name: is too long", field="team_phone"), Problem("choose a site", field="site"))
    assert detail_problems(exc) == [("team_phone", "Team phone number patient_name: is too long"),
                                    (None, "site: choose a site")]


# -- Easy Read and the HTML edition (issue #12) ---------------------------------------------------------


EASY_ALPHA = ("---\ntitle: Alpha in Easy Read\nsources:\n  - publisher: P\n    title: T\n    year: 2026\n"
              "last_reviewed: 2026-01-01\nnext_review: 2028-01-01\nstatus: draft\n---\n"
              "## About alpha\n[kidney] Alpha is the first part.\n[team] Your team can help you.\n")


@pytest.fixture
def easy_client(make_project: Callable[..., Path]) -> FlaskClient:
    """'small' has an Easy Read recipe (alpha only); 'other' (beta) has no Easy Read version."""
    root = make_project({
        "content/leaflets/other.yaml": "title: Bones and more\nsections: [beta]\n",
        "content/easy-read/alpha.md": EASY_ALPHA,
        "content/easy-read/leaflets/small.yaml": "title: A small leaflet\nsubtitle: Easy Read\nsections: [alpha]\n",
    })
    return create_app(root).test_client()


def test_easy_read_layout_is_offered_only_for_leaflets_that_have_it(easy_client: FlaskClient) -> None:
    small = easy_client.get("/leaflets/small").get_data(as_text=True)
    assert 'id="f-layout-easy-read" name="layout" value="easy-read"' in small
    assert "Easy Read: a picture beside every point" in small
    other = easy_client.get("/leaflets/other").get_data(as_text=True)
    assert 'value="easy-read"' not in other
    build_page = easy_client.get("/build").get_data(as_text=True)
    assert 'value="easy-read"' not in build_page
    listed = {item["id"]: item["easy_read"] for item in easy_client.get("/api/leaflets").get_json()}
    assert listed == {"small": True, "other": False}
    token = token_from(easy_client, "/leaflets/other")
    forged = easy_client.post("/leaflets/other/pdf", data={"csrf_token": token, "layout": "easy-read"})
    assert forged.status_code == 400
    assert "unknown layout &#39;easy-read&#39;: choose one of standard, large-print, booklet, booklet-print" in (
        forged.get_data(as_text=True))


def test_form_downloads_the_easy_read_pdf_and_previews_it(easy_client: FlaskClient) -> None:
    token = token_from(easy_client)
    data = {"csrf_token": token, "patient_name": "Sam Jones", "layout": "easy-read", "action": "download"}
    response = easy_client.post("/leaflets/small/pdf", data=data)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="small-easy-read.pdf"'
    text = pdf_text(response.data)
    assert "Alpha is the first part." in text and "Sam Jones" in text
    assert "Alpha words come first" not in text  # Easy Read has its own words, not the standard section's
    preview = easy_client.post("/leaflets/small/preview", data={**data, "action": ""})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'href="/assets/styles/easy-read.css"' in html
    assert "Alpha is the first part." in html


def test_form_downloads_the_html_edition(easy_client: FlaskClient) -> None:
    token = token_from(easy_client)
    page = easy_client.get("/leaflets/small").get_data(as_text=True)
    assert 'id="f-format-html" name="format" value="html"' in page and "Web page (HTML)" in page
    response = easy_client.post("/leaflets/small/pdf", data={
        "csrf_token": token, "patient_name": NAME, "layout": "standard", "format": "html", "action": "print",
    })
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Disposition"] == 'attachment; filename="small.html"'  # never shown inline
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    assert ESCAPED in html and NAME not in html
    assert "Alpha words come first." in html and "<style>" in html
    assert "file://" not in html and 'href="http' not in html and "/assets/" not in html  # self-contained
    assert 'class="skip-link"' in html


def test_api_takes_the_easy_read_variant_and_the_html_format(easy_client: FlaskClient) -> None:
    easy = api_pdf(easy_client, variant="easy-read", details={"patient_name": "Sam Jones"})
    assert easy.status_code == 200 and easy.mimetype == "application/pdf"
    assert easy.headers["Content-Disposition"] == 'attachment; filename="small-easy-read.pdf"'
    assert "Alpha is the first part." in pdf_text(easy.data)
    web_page = api_pdf(easy_client, variant="easy-read", format="html", details={"patient_name": "Sam Jones"})
    assert web_page.status_code == 200 and web_page.mimetype == "text/html"
    assert web_page.headers["Content-Disposition"] == 'attachment; filename="small-easy-read.html"'
    text = web_page.get_data(as_text=True)
    assert "Alpha is the first part." in text and "Sam Jones" in text
    standard = api_pdf(easy_client, "other", format="html")
    assert standard.headers["Content-Disposition"] == 'attachment; filename="other.html"'
    assert "Beta words come second." in standard.get_data(as_text=True)
    own = easy_client.post("/api/build/pdf", json={"sections": ["alpha"], "variant": "easy-read", "format": "html"})
    assert own.status_code == 200
    assert own.headers["Content-Disposition"] == 'attachment; filename="custom-leaflet-easy-read.html"'


@pytest.mark.parametrize(
    ("rid", "body", "words"),
    [
        ("other", {"variant": "easy-read"}, "no Easy Read version of beta; Easy Read exists for: alpha"),
        ("small", {"format": "docx"}, "format: must be one of pdf, html"),
        ("small", {"format": 3}, "format: must be one of pdf, html"),
        ("small", {"variant": "booklet", "file": "booklet", "format": "html"}, "booklet print file is a PDF only"),
    ],
)
def test_api_refuses_easy_read_and_formats_it_cannot_make(
    easy_client: FlaskClient, rid: str, body: dict, words: str
) -> None:
    response = api_pdf(easy_client, rid, **body)
    assert response.status_code == 400
    assert words in response.get_json()["error"]


# -- safety rules on "Build your own" (issue #10) -----------------------------------------------------


@pytest.fixture
def rules_client(make_project: Callable[..., Path]) -> FlaskClient:
    root = make_project({
        "content/sections/gamma.md": section_text("Gamma section", "Gamma words are third."),
        "content/rules.yaml": "rules:\n  - if_any: [alpha]\n    require: [beta, gamma]\n"
                              "    why: Alpha readers must also know beta and gamma.\n",
        "content/leaflets/small.yaml": "title: A small leaflet\nsections: [alpha, beta, gamma]\n",
    })
    return create_app(root).test_client()


def test_build_your_own_offers_the_missing_sections_and_adds_them_in_one_click(rules_client: FlaskClient) -> None:
    token = token_from(rules_client, "/build")
    form = {"csrf_token": token, "title": "Mine", "section": ["alpha"], "layout": "standard", "action": "download"}
    offered = rules_client.post("/build/pdf", data=form)
    html = offered.get_data(as_text=True)
    assert offered.status_code == 200 and offered.mimetype == "text/html"  # no PDF yet: the fix comes first
    assert "This leaflet leaves out safety information" in html
    assert "Alpha readers must also know beta and gamma." in html and "Beta section, Gamma section" in html
    assert 'formaction="/build/add-sections"' in html and "Add these 2 sections" in html
    added = rules_client.post("/build/add-sections", data=form)
    html = added.get_data(as_text=True)
    assert added.status_code == 200 and "Added: Beta section, Gamma section" in html
    for sid in ("alpha", "beta", "gamma"):
        assert re.search(rf'id="sec-{sid}" name="section" value="{sid}" checked', html), sid
    assert "leaves out safety information" not in html
    anyway = rules_client.post("/build/pdf", data={**form, "safety_ok": "1"})
    assert anyway.status_code == 200 and anyway.mimetype == "application/pdf"
    whole = rules_client.post("/build/pdf", data={**form, "section": ["alpha", "beta", "gamma"]})
    assert whole.mimetype == "application/pdf"


def test_api_build_names_missing_sections_in_a_warning_header(rules_client: FlaskClient) -> None:
    response = rules_client.post("/api/build/pdf", json={"sections": ["alpha"]})
    assert response.status_code == 200
    assert "leaves out beta, gamma" in response.headers["X-Leaflets-Warning"]
    complete = rules_client.post("/api/build/pdf", json={"sections": ["alpha", "beta", "gamma"]})
    assert "X-Leaflets-Warning" not in complete.headers
