"""An organisation's project on top of the built-in library: init, origins, overrides, check, templates, styles."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from leaflets import project as project_module
from leaflets import render
from leaflets.layers import file_hash
from tests.conftest import REPO, pdf_text


@pytest.fixture
def builtin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the built-in library that a test may change, as a new release of the package would."""
    root = tmp_path / "builtin"
    for name in ("content", "templates", "styles"):
        shutil.copytree(REPO / name, root / name)
    monkeypatch.setattr(project_module, "BUILTIN_ROOT", root)
    return root


@pytest.fixture
def clinic(tmp_path: Path, builtin: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`leaflets init clinic`, then `cd clinic`."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init", "clinic", "--name", "Riverside Kidney Clinic", "--locale", "en-CA"])
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(tmp_path / "clinic")
    return tmp_path / "clinic"


def run(runner: CliRunner, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_init_makes_a_project_with_only_what_it_needs(clinic: Path) -> None:
    files = sorted(p.relative_to(clinic).as_posix() for p in clinic.rglob("*"))
    assert files == ["README.md", "content", "content/leaflets", "content/sections", "content/sites",
                     "content/sites/riverside-kidney-clinic.yaml", "leaflets-project.yaml"]
    site = (clinic / "content/sites/riverside-kidney-clinic.yaml").read_text("utf-8")
    assert 'name: "Riverside Kidney Clinic"' in site and "locale: en-CA" in site
    assert "paper: letter" in site, "a Canadian locale starts on US Letter"
    readme = (clinic / "README.md").read_text("utf-8")
    assert "status: approved" in readme and "leaflets adapt" in readme


def test_init_refuses_a_folder_in_use_and_bad_options(tmp_path: Path, runner: CliRunner) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine", "utf-8")
    output = run(runner, "init", str(tmp_path / "used"), code=2)
    assert "already exists and is not empty" in output
    assert (tmp_path / "used" / "notes.txt").read_text("utf-8") == "mine"
    output = run(runner, "init", str(tmp_path / "new"), "--paper", "a3", code=2)
    assert "Error: --paper:" in output and "a4, letter" in output
    output = run(runner, "init", str(tmp_path / "new"), "--locale", "english", code=2)
    assert "Error: --locale:" in output
    assert not (tmp_path / "new").exists()


def test_local_section_replaces_builtin_then_check_reports_it_behind(
    clinic: Path, builtin: Path, runner: CliRunner
) -> None:
    site = clinic / "content/sites/riverside-kidney-clinic.yaml"
    site.write_text(site.read_text("utf-8").replace("# team_phone: 0118 496 0123", "team_phone: 613-555-0142"),
                    "utf-8")
    output = run(runner, "adapt", "section", "bone-metastases")
    local = clinic / "content/sections/bone-metastases.md"
    assert "Wrote" in output and local.is_file()
    original_hash = file_hash(builtin / "content/sections/bone-metastases.md")
    text = local.read_text("utf-8")
    assert f"based_on: {original_hash}" in text
    local.write_text(text + "\nAt Riverside, the bone clinic is on the second floor.\n", "utf-8")

    listing = json.loads(run(runner, "list", "--json"))
    origins = {s["id"]: s["origin"] for s in listing["sections"]}
    assert origins["bone-metastases"] == "local replacing built-in"
    assert origins["what-advanced-means"] == "built-in"
    assert {s["id"]: s["origin"] for s in listing["sites"]}["riverside-kidney-clinic"] == "local"
    assert len(listing["leaflets"]) >= 10, "the built-in leaflets are all there"
    table = run(runner, "list")
    assert "local replacing built-in" in table and "built-in" in table
    assert [o["state"] for o in listing["overrides"]] == ["up to date"]

    run(runner, "build", "bone-metastases", "-o", "out")
    pdf = clinic / "out" / "bone-metastases-letter.pdf"  # the project's site prints on US Letter
    text = " ".join(pdf_text(pdf).split())
    assert "the bone clinic is on the second floor" in text, "the build uses the local section"
    assert "Riverside Kidney Clinic" in text and "613-555-0142" in text, "and the project's own site profile"

    assert "behind" not in run(runner, "check")
    original = builtin / "content/sections/bone-metastases.md"
    original.write_text(original.read_text("utf-8") + "\nA correction from the shared library.\n", "utf-8")
    result = runner.invoke(app, ["check", "--strict"])
    assert result.exit_code == 1, result.output
    new_hash = file_hash(original)
    line = next(ln for ln in result.output.splitlines() if "is behind the built-in original" in ln)
    assert line.startswith("section bone-metastases (content/sections/bone-metastases.md)")
    assert f"made from {original_hash}, the built-in one is now {new_hash}" in line
    assert f"set based_on: {new_hash}" in line
    assert json.loads(run(runner, "list", "--json"))["overrides"][0]["state"] == "behind"

    local.write_text(local.read_text("utf-8").replace(original_hash, new_hash), "utf-8")
    assert "behind" not in run(runner, "check")


def test_local_items_add_and_replace_glossary_drugs_recipes(clinic: Path, runner: CliRunner) -> None:
    (clinic / "content/glossary.yaml").write_text(
        "terms:\n"
        "  - term: Calcium\n    meaning: Riverside meaning of calcium.\n"
        "  - term: riverside word\n    meaning: A word only this clinic uses.\n", "utf-8")
    (clinic / "content/leaflets/bone-care.yaml").write_text(
        "title: Your bone care at Riverside\n"
        "sections: [bone-metastases, spinal-cord-compression, high-calcium, getting-support]\n", "utf-8")
    from leaflets import open_library
    from leaflets.layers import entry_hash

    builtin_drug = next(d for d in open_library(clinic).drugs if d.generic == "nivolumab")
    (clinic / "content/drugs.yaml").write_text(
        f"drugs:\n  - generic: Nivolumab\n    type: immunotherapy\n    given: drip\n"
        f"    based_on: {entry_hash(builtin_drug)}\n", "utf-8")
    listing = json.loads(run(runner, "list", "--json"))
    assert {item["id"]: item["origin"] for item in listing["leaflets"]}["bone-care"] == "local"
    overrides = {(o["kind"], o["id"]): o["state"] for o in listing["overrides"]}
    assert overrides == {("glossary entry", "calcium"): "no based_on", ("drug", "nivolumab"): "up to date"}
    output = run(runner, "check")
    assert "glossary entry calcium (content/glossary.yaml) replaces a built-in item but has no based_on" in output
    assert "nivolumab" not in output

    library = open_library(clinic)
    meanings = {t.term: t.meaning for t in library.glossary}
    assert meanings["Calcium"] == "Riverside meaning of calcium."
    assert "riverside word" in meanings and "ablation" in meanings, "local entries add to the built-in ones"
    assert {d.generic: d.given for d in library.drugs}["Nivolumab"] == "drip"
    assert "nivolumab" not in {d.generic for d in library.drugs}, "the local entry replaces the built-in one"


def test_translations_are_layered_and_checked_against_the_english_in_use(clinic: Path, runner: CliRunner) -> None:
    """A clinic that rewrites a drug row in English, then translates it: French follows the English it prints."""
    from leaflets import open_library
    from leaflets.layers import entry_hash

    site = clinic / "content/sites/riverside-kidney-clinic.yaml"
    site.write_text(site.read_text("utf-8") + "languages: [en, fr]\n", "utf-8")
    builtin_drug = next(d for d in open_library(clinic).drugs if d.generic == "nivolumab")
    (clinic / "content/drugs.yaml").write_text(
        f"drugs:\n  - generic: Nivolumab\n    type: immunotherapy\n    given: Drip at the Riverside day unit\n"
        f"    based_on: {entry_hash(builtin_drug)}\n", "utf-8")
    build = ["build", "immunotherapy", "--lang", "fr", "-o", "out"]
    stale_mark = "Traduction en cours de mise à jour"

    # The built-in French row translates the built-in English, not the clinic's: stale, named, refused.
    output = run(runner, "check")
    assert re.search(r"translations/fr/drugs\.yaml: stale: Nivolumab: this project's own English", output)
    assert "translates entries the English does not have" not in output
    assert output.count(": stale:") == 1, "only that row: the built-in translation is checked against its own English"
    result = runner.invoke(app, build)
    assert result.exit_code == 0, result.output
    text = " ".join(pdf_text(clinic / "out/immunotherapy.fr-letter.pdf").split())
    assert stale_mark in text and "Perfusion dans une veine" in text
    report = json.loads(run(runner, "translations", "--json"))["languages"][0]
    assert report["drugs"]["stale"] == ["Nivolumab"] and report["sections"]["missing"] == []
    refused = runner.invoke(app, [*build, "--approved-only", "-o", "refused"])
    assert refused.exit_code == 2, refused.output

    # The clinic translates its row in its own translations folder: that one is used, the rest stay built-in.
    own = clinic / "content/translations/fr"
    own.mkdir(parents=True)
    (own / "drugs.yaml").write_text(
        "drugs:\n  - generic: Nivolumab\n    name: nivolumab\n    given: Perfusion à l'unité de jour de Riverside\n",
        "utf-8")
    output = run(runner, "check")
    assert "Nivolumab" not in output and "drugs.yaml: stale" not in output
    result = runner.invoke(app, [*build, "-o", "out2"])
    assert result.exit_code == 0, result.output
    text = " ".join(pdf_text(clinic / "out2/immunotherapy.fr-letter.pdf").split()).replace("\u2010 ", "")
    assert "Perfusion à l’unité de jour de Riverside" in text, "the clinic's own French row (hyphens joined)"
    assert "ipilimumab" in text and "Yervoy" in text, "the other rows from the built-in translation"
    assert stale_mark not in text
    report = json.loads(run(runner, "translations", "--json"))["languages"][0]
    assert report["drugs"]["stale"] == [] and report["drugs"]["missing"] == []
    assert report["sections"]["missing"] == [], "built-in translated sections are still found"


def test_local_template_and_site_css_apply_after_builtin(clinic: Path, builtin: Path, runner: CliRunner) -> None:
    (clinic / "styles").mkdir()
    (clinic / "styles/site.css").write_text('.content-section h2::after { content: " (Riverside)"; }\n'
                                            '@font-face { font-family: "Local"; src: url("fonts/NotoSans-Bold.ttf"); }'
                                            '\nh2 { font-family: "Local"; }\n', "utf-8")
    run(runner, "adapt", "template", "partials/contact.html")
    contact = clinic / "templates/partials/contact.html"
    contact.write_text(contact.read_text("utf-8") + "\n<p>Ask at the Riverside front desk.</p>\n", "utf-8")
    result = runner.invoke(app, ["build", "immunotherapy", "-o", "out", "--paper", "a4"])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output, "fonts/ in a local stylesheet come from the built-in styles"
    text = " ".join(pdf_text(clinic / "out/immunotherapy.pdf").split())
    assert "(Riverside)" in text, "styles/site.css is applied"
    assert "Ask at the Riverside front desk." in text, "the local template replaces the built-in one"
    kinds = {(o["kind"], o["id"]): o["state"] for o in json.loads(run(runner, "list", "--json"))["overrides"]}
    assert kinds == {("template", "partials/contact.html"): "up to date"}


def test_fetcher_serves_only_the_layers_asset_folders(tmp_path: Path) -> None:
    local, builtin = tmp_path / "clinic/styles", tmp_path / "builtin/styles"
    (builtin / "fonts").mkdir(parents=True)
    local.mkdir(parents=True)
    (builtin / "fonts/a.ttf").write_bytes(b"built-in font")
    (local / "own.css").write_text("p {}", "utf-8")
    (tmp_path / "secret.txt").write_text("secret", "utf-8")
    fetcher = render.make_fetcher(((local, builtin),))
    assert fetcher.fetch((local / "fonts/a.ttf").as_uri()).read() == b"built-in font"
    assert fetcher.fetch((local / "own.css").as_uri()).read() == b"p {}"
    for url in ((tmp_path / "secret.txt").as_uri(), f"{local.as_uri()}/../../secret.txt",
                (tmp_path / "builtin/other.txt").as_uri()):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_adapt_explains_mistakes(clinic: Path, runner: CliRunner, tmp_path: Path) -> None:
    assert "there is no built-in section 'bone-metastasis' (did you mean 'bone-metastases'?)" in run(
        runner, "adapt", "section", "bone-metastasis", code=2)
    assert "cannot adapt a 'poem'" in run(runner, "adapt", "poem", "x", code=2)
    run(runner, "adapt", "leaflet", "immunotherapy")
    assert "already exists" in run(runner, "adapt", "leaflet", "immunotherapy", code=2)
    standalone = tmp_path / "standalone"
    (standalone / "content").mkdir(parents=True)
    assert "made by 'leaflets init'" in run(runner, "adapt", "section", "pain", "--root", str(standalone), code=2)


def test_web_page_serves_the_project_with_its_site_and_builtin_assets(clinic: Path) -> None:
    from leaflets.web import create_app

    client = create_app(clinic).test_client()
    page = client.get("/leaflets/immunotherapy").get_data(as_text=True)
    assert re.search(r'<option value="riverside-kidney-clinic"[^>]*selected', page), "the project's site first"
    assert client.get("/api/sites").get_json()[0]["id"] == "riverside-kidney-clinic"
    assert client.get("/assets/styles/fonts/NotoSans-Regular.ttf").status_code == 200, "built-in assets are served"
    assert client.get("/assets/styles/../leaflets-project.yaml").status_code == 404
    answer = client.post("/api/leaflets/immunotherapy/pdf", json={"details": {}, "paper": "a4"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "Riverside Kidney Clinic" in " ".join(pdf_text(answer.data).split())


def test_batch_in_a_project_rebuilds_when_a_local_copy_appears(tmp_path: Path, runner: CliRunner,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run(runner, "init", "clinic", "--name", "Riverside Kidney Clinic")
    monkeypatch.chdir(tmp_path / "clinic")
    Path("content/sets").mkdir()
    Path("content/sets/ours.yaml").write_text("title: Ours\nleaflets: [immunotherapy]\n", "utf-8")
    from leaflets import build_set

    def counts() -> tuple[int, int]:
        result = build_set("ours", "rack", jobs=1)
        return result.count("built"), result.count("skipped")

    assert counts() == (1, 0)
    assert "Riverside Kidney Clinic" in pdf_text(Path("rack/immunotherapy.pdf")), "the project's site by default"
    assert counts() == (0, 1)
    run(runner, "adapt", "section", "immunotherapy")
    copy = Path("content/sections/immunotherapy.md")
    copy.write_text(copy.read_text("utf-8") + "\nRiverside runs an immunotherapy clinic on Tuesdays.\n", "utf-8")
    assert counts() == (1, 0)
    assert "clinic on Tuesdays" in " ".join(pdf_text(Path("rack/immunotherapy.pdf")).split())


def test_easy_read_and_the_html_edition_in_a_project_on_the_built_in_library(
    clinic: Path, builtin: Path, runner: CliRunner
) -> None:
    (clinic / "styles").mkdir()
    (clinic / "styles/site.css").write_text('@font-face { font-family: "Local"; src: url("fonts/NotoSans-Bold.ttf"); }'
                                            '\nh2 { font-family: "Local"; }\n', "utf-8")
    run(runner, "build", "immunotherapy", "--variant", "easy-read", "-o", "out", "--paper", "a4")
    text = " ".join(pdf_text(clinic / "out/immunotherapy-easy-read.pdf").split())
    assert "You have 2 kidneys." in text, "the Easy Read words come from the built-in library"
    run(runner, "build", "immunotherapy", "--variant", "easy-read", "--format", "html", "-o", "out", "--paper", "a4")
    html = (clinic / "out/immunotherapy-easy-read.html").read_text("utf-8")
    assert "You have 2 <strong>kidneys</strong>." in html
    assert 'font-family: "Local"; src: url("data:font/woff2;base64,' in html, "fonts/ come from the built-in layer"
    assert "file://" not in html and 'url("http' not in html
    listed = json.loads(run(runner, "list", "--json"))["easy_read"]
    assert "immunotherapy" in {item["id"] for item in listed}
