"""The Canadian French edition, read back from the PDFs: language, words, numbers, stale translations, batch."""

from __future__ import annotations

import io
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pdfplumber
import pikepdf
import polib
import pytest
from typer.testing import CliRunner

from cli import app
from leaflets.i18n import catalog_path, format_date, french_spacing, number_problem
from leaflets.layers import text_hash
from leaflets.variants import PrintOptions
from tests.conftest import REPO

SITE = "lakeshore-cancer-centre"
STALE_MARK = "Traduction en cours de mise à jour"
ENGLISH_ALWAYS = [  # the fixed English words of a leaflet that must never reach a French one
    "Page 1 of", "Contact your team", "Words we use", "Questions to ask", "Prepared for", "About this leaflet",
    "Get help straight away", "Cut out and keep", "When to get help", "Draft: not yet", "In this leaflet",
    "24-hour line", "if you have", "Medicines in this section", "not recorded", "Written for",
    "Where the cancer is", "Kidney cancer starts in a kidney", "(striped)", "My team, daytime", "Your team, daytime",
    "Day or night", "write the number here", "How it is given",
]


def english_template_strings() -> list[str]:
    """Every English template string of the catalog, cut at its placeholders, that French does not share.

    Words with a context (the diagram's place names: "bones", "the liver") are left out: alone they are also
    words of source titles, which stay in English; test_french_diagram checks them in place.
    """
    catalog = polib.pofile(str(catalog_path("fr")))
    french = " ".join(e.msgstr for e in catalog).lower()
    pieces = {piece.strip(" .:") for e in catalog if not e.msgctxt for piece in re.split(r"%\(\w+\)s", e.msgid)}
    return sorted(p for p in pieces if len(p) >= 4 and p.lower() not in french)


def pdf_text(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [re.sub(r"\s+", " ", page.extract_text() or "") for page in pdf.pages]


def copy_project(tmp_path: Path) -> Path:
    """The shipped content in a folder of its own, to change without touching the repository."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "content", root / "content")
    return root


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def french_bone(tmp_path_factory: pytest.TempPathFactory, runner: CliRunner) -> Path:
    out = tmp_path_factory.mktemp("fr")
    result = runner.invoke(app, ["build", "bone-metastases", "--lang", "fr", "--site", SITE, "-o", str(out),
                                 "--set", "patient_name=Sam Tremblay", "--set", "next_appointment=lundi"])
    assert result.exit_code == 0, result.output
    return out / "bone-metastases.fr-letter.pdf"


def test_french_leaflet_is_fr_ca_in_the_document_and_the_pdf(french_bone: Path) -> None:
    with pikepdf.open(french_bone) as pdf:
        assert str(pdf.Root.Lang) == "fr-CA"
        assert "se propage aux os" in str(pdf.docinfo["/Title"])


def test_french_leaflet_has_french_words_numbers_and_dates(french_bone: Path) -> None:
    pages = pdf_text(french_bone)
    text = " ".join(pages)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} de {len(pages)}" in page
    assert "Joindre votre équipe de soins" in text  # the contact box
    assert "Ligne 24 heures sur 24" in text and "613-555-0199" in text
    assert "En cas d’urgence, appelez le 911" in text
    assert "38,3" in text and "38.3" not in text
    assert "Préparé pour Sam Tremblay" in text
    assert re.search(r"Dernière révision \d{1,2} décembre 2026", text)
    assert "Obtenez de l’aide tout de suite si" in text and "Les mots que nous employons" in text
    assert "évérolimus" in text or "dénosumab" in text  # drug names as French writes them


def test_no_english_template_string_in_the_french_leaflet(french_bone: Path) -> None:
    text = " ".join(pdf_text(french_bone))
    english = english_template_strings()
    assert len(english) > 60  # the catalog really was read
    leaks = [s for s in [*english, *ENGLISH_ALWAYS] if re.search(rf"\b{re.escape(s)}\b", text)]
    assert leaks == []


def test_french_diagram_caption_labels_and_alt_text(french_bone: Path) -> None:
    from tests.test_pictures import figure_alts

    first = pdf_text(french_bone)[0]
    assert "Où se trouve le cancer" in first
    assert "Le cancer du rein commence dans un rein (en foncé)" in first and "propagé aux os (en hachures)" in first
    assert "Reins" in first and re.search(r"\bOs\b", first)
    assert figure_alts(french_bone) == ["Schéma d’un corps. Les reins et les os sont mis en évidence."]


def test_french_typography_in_template_strings_and_sections(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["build", "bone-metastases", "--lang", "fr", "--site", SITE, "-o", str(tmp_path),
                                 "--html"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "bone-metastases.fr-letter.html").read_text("utf-8")
    assert '<html lang="fr-CA">' in html
    assert "si vous avez\u00a0:" in html  # a template string
    assert "Cela peut causer\u00a0:" in html  # a section
    assert not re.search(r"\w :", html.split("<body", 1)[1])  # never an ordinary space before a colon
    assert french_spacing('Il dit "oui" ! Quoi ? 38,3 °C : fin') == (
        "Il dit «\u00a0oui\u00a0»\u202f! Quoi\u202f? 38,3\u00a0°C\u00a0: fin"
    )
    assert french_spacing("https://example.com/a?b=1 | :--- |") == "https://example.com/a?b=1 | :--- |"
    assert french_spacing("l'aide") == "l’aide" and "Obtenez de l’aide" in html


def test_dates_and_decimal_marks_come_from_babel() -> None:
    assert format_date(date(2026, 12, 2), "fr-CA", "d MMMM yyyy") == "2 décembre 2026"
    assert format_date(date(2026, 12, 2), "en-CA", "MMMM d, yyyy") == "December 2, 2026"
    assert number_problem("38.3", "fr-CA") == "'38.3' is a number: fr-CA writes it with ',' (38,3)"
    assert number_problem("38,3", "fr-CA") is None and number_problem("38.3", "en-CA") is None


def test_output_names_carry_the_language_and_english_is_unchanged() -> None:
    french = PrintOptions(language="fr")
    assert french.file_stem("x") == "x.fr"
    assert PrintOptions("large-print", language="fr").file_stem("x") == "x.fr-large-print"
    assert PrintOptions("booklet", language="fr").booklet_stem("x") == "x.fr-booklet"
    assert PrintOptions("standard", "letter", language="fr").file_stem("x") == "x.fr-letter"
    assert PrintOptions().file_stem("x") == "x" and PrintOptions("large-print").file_stem("x") == "x-large-print"
    assert PrintOptions(paper="a4").as_key() == "standard/a4/0"


def test_a_language_the_site_does_not_offer_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", "bone-metastases", "--lang", "fr", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "does not offer français ('fr'); its languages are: en" in result.output
    result = runner.invoke(app, ["build", "bone-metastases", "--lang", "de", "--site", SITE, "-o", str(tmp_path)])
    assert result.exit_code == 2 and "unknown language 'de'" in result.output
    assert not list(tmp_path.glob("*.pdf"))


# -- a translation whose English changed ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def stale_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped content, every section approved, then one English section edited after its translation."""
    root = copy_project(tmp_path_factory.mktemp("stale"))
    for path in [*(root / "content").rglob("sections/*.md")]:
        path.write_text(path.read_text("utf-8").replace("status: draft", "status: approved"), "utf-8")
    for path in (root / "content/translations/fr/sections").glob("*.md"):  # checked again against the English
        english = text_hash((root / "content/sections" / path.name).read_text("utf-8"))
        path.write_text(re.sub(r'source_hash: "\w+"', f'source_hash: "{english}"', path.read_text("utf-8")), "utf-8")
    return root


def edit_english(root: Path) -> None:
    path = root / "content" / "sections" / "high-calcium.md"
    path.write_text(path.read_text("utf-8") + "\nYour team can check your calcium with a blood test.\n", "utf-8")


def test_an_english_edit_makes_its_translation_stale_everywhere(stale_project: Path, runner: CliRunner) -> None:
    out = stale_project / "out"
    build = ["build", "bone-metastases", "--lang", "fr", "--site", SITE, "--root", str(stale_project)]
    before = runner.invoke(app, [*build, "--approved-only", "-o", str(out)])
    assert before.exit_code == 0, before.output
    assert not any(STALE_MARK in page for page in pdf_text(out / "bone-metastases.fr-letter.pdf"))

    edit_english(stale_project)
    check = runner.invoke(app, ["check", "--strict", "--root", str(stale_project)])
    assert check.exit_code == 1
    assert re.search(r"translations/fr/sections/high-calcium\.md: stale: content/sections/high-calcium\.md changed",
                     check.output)
    assert check.output.count(": stale:") == 1

    refused = runner.invoke(app, [*build, "--approved-only", "-o", str(out / "refused")])
    assert refused.exit_code == 2
    assert "translation is out of date for sections/high-calcium" in refused.output
    assert not (out / "refused").exists() or not list((out / "refused").glob("*.pdf"))

    marked = runner.invoke(app, [*build, "-o", str(out / "marked")])
    assert marked.exit_code == 0, marked.output
    with pdfplumber.open(out / "marked" / "bone-metastases.fr-letter.pdf") as pdf:
        heads = [re.sub(r"\s+", " ", page.within_bbox((0, 0, page.width, 40)).extract_text()) for page in pdf.pages]
    assert len(heads) > 10
    assert all(head == f"{STALE_MARK} : vérifiez auprès de votre équipe" for head in heads), heads

    report = runner.invoke(app, ["translations", "--json", "--root", str(stale_project)])
    assert report.exit_code == 0, report.output
    french = json.loads(report.output)["languages"][0]
    assert french["language"] == "fr" and french["sections"]["stale"] == ["high-calcium"]
    assert french["sections"]["missing"] == [] and "high-calcium" not in french["sections"]["approved"]
    assert len(french["sections"]["approved"]) == french["sections"]["total"] - 1


def test_translations_report_counts_missing_files(tmp_path: Path, runner: CliRunner) -> None:
    root = copy_project(tmp_path)
    (root / "content/translations/fr/sections/steroids.md").unlink()
    result = runner.invoke(app, ["translations", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert re.search(r"sections\s+29/30\s+translated, 1 missing, 0 stale, 0 approved", result.output)
    assert "missing: steroids" in result.output
    build = runner.invoke(app, ["build", "brain-metastases", "--lang", "fr", "--site", SITE, "--root", str(root),
                                "-o", str(tmp_path / "out")])
    assert build.exit_code == 2 and "section 'steroids' has no français translation yet" in build.output


def test_french_sections_that_read_too_hard_are_reported(tmp_path: Path, runner: CliRunner) -> None:
    root = copy_project(tmp_path)
    path = root / "content/translations/fr/sections/steroids.md"
    front, _, _ = path.read_text("utf-8").partition("\n---\n")
    hard = ("L'administration concomitante d'immunosuppresseurs corticostéroïdiens nécessite systématiquement une "
            "surveillance hématologique, métabolique et endocrinologique particulièrement rigoureuse. ") * 6
    path.write_text(f"{front}\n---\n{hard}\n", "utf-8")
    result = runner.invoke(app, ["check", "--root", str(root)])
    assert re.search(r"translations/fr/sections/steroids\.md: reading ease -?\d+\.\d is below 60\.0 \(Kandel-Moles\)",
                     result.output), result.output
    assert re.search(r"steroids\s+-?\d+\.\d\s+FAIL", result.output)


# -- files for translators -------------------------------------------------------------------------------------


def test_export_then_import_of_an_unchanged_file_changes_nothing(tmp_path: Path, runner: CliRunner) -> None:
    root = copy_project(tmp_path)
    before = {p: p.read_bytes() for p in (root / "content").rglob("*") if p.is_file()}
    po_file = tmp_path / "fr.po"
    exported = runner.invoke(app, ["translations", "export", "--lang", "fr", "-o", str(po_file), "--root", str(root)])
    assert exported.exit_code == 0, exported.output
    imported = runner.invoke(app, ["translations", "import", str(po_file), "--lang", "fr", "--root", str(root)])
    assert imported.exit_code == 0, imported.output
    assert "0 file(s) changed." in imported.output
    assert {p: p.read_bytes() for p in (root / "content").rglob("*") if p.is_file()} == before

    po = polib.pofile(str(po_file))
    title = next(e for e in po if e.msgctxt == "sections/steroids:title")
    assert title.msgid.startswith("Steroids") and title.msgstr and not title.fuzzy
    assert re.search(r"source_hash: [0-9a-f]{12}", title.comment)
    title.msgstr = "Les stéroïdes, en bref"
    po.save(str(po_file))
    again = runner.invoke(app, ["translations", "import", str(po_file), "--lang", "fr", "--root", str(root)])
    assert again.exit_code == 0 and "1 file(s) changed." in again.output
    changed = (root / "content/translations/fr/sections/steroids.md").read_text("utf-8")
    assert "title: Les stéroïdes, en bref" in changed
    assert re.search(r"source_hash: '?" + title.comment.split(": ")[1], changed)


def test_a_stale_translation_is_exported_fuzzy_and_not_imported_until_checked(tmp_path: Path,
                                                                             runner: CliRunner) -> None:
    root = copy_project(tmp_path)
    edit_english(root)
    po_file = tmp_path / "fr.po"
    runner.invoke(app, ["translations", "export", "--lang", "fr", "-o", str(po_file), "--root", str(root)])
    po = polib.pofile(str(po_file))
    body = next(e for e in po if e.msgctxt == "sections/high-calcium:body")
    assert body.fuzzy and "blood test" in body.msgid
    assert not next(e for e in po if e.msgctxt == "sections/steroids:body").fuzzy
    imported = runner.invoke(app, ["translations", "import", str(po_file), "--lang", "fr", "--root", str(root)])
    assert "0 file(s) changed." in imported.output
    for entry in po:  # the translator checks the whole section and clears the flags
        if entry.msgctxt.startswith("sections/high-calcium:"):
            entry.flags.remove("fuzzy")
    po.save(str(po_file))
    runner.invoke(app, ["translations", "import", str(po_file), "--lang", "fr", "--root", str(root)])
    report = runner.invoke(app, ["translations", "--json", "--root", str(root)])
    assert json.loads(report.output)["languages"][0]["sections"]["stale"] == []


# -- batch ---------------------------------------------------------------------------------------------------


def test_batch_builds_a_set_in_both_languages(tmp_path: Path, runner: CliRunner) -> None:
    root = copy_project(tmp_path)
    (root / "content/sets/both.yaml").write_text(
        f"title: Both\nsite: {SITE}\nleaflets: [bone-metastases]\nvariants: [standard]\npapers: [letter]\n"
        "languages: [en, fr]\n", "utf-8")
    out = tmp_path / "rack"
    result = runner.invoke(app, ["batch", str(root / "content/sets/both.yaml"), "-o", str(out), "--jobs", "1",
                                 "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.pdf")) == ["bone-metastases-letter.pdf", "bone-metastases.fr-letter.pdf"]
    assert "Page 1 de" in pdf_text(out / "bone-metastases.fr-letter.pdf")[0]
    assert "Page 1 of" in pdf_text(out / "bone-metastases-letter.pdf")[0]

    csv_file = tmp_path / "clinic.csv"
    csv_file.write_text("leaflet,lang,patient_name\nbone-metastases,fr,Sam Tremblay\nbone-metastases,,Sam Jones\n"
                        "bone-metastases,de,Nobody\n", "utf-8")
    bad = runner.invoke(app, ["batch", str(root / "content/sets/both.yaml"), "-o", str(tmp_path / "clinic"),
                              "--data", str(csv_file), "--root", str(root)])
    assert bad.exit_code == 2 and "row 3: lang: must be one of this set's languages: en, fr" in bad.output
    csv_file.write_text("leaflet,lang,patient_name\nbone-metastases,fr,Sam Tremblay\n", "utf-8")
    good = runner.invoke(app, ["batch", str(root / "content/sets/both.yaml"), "-o", str(tmp_path / "clinic"),
                               "--data", str(csv_file), "--jobs", "1", "--root", str(root)])
    assert good.exit_code == 0, good.output
    pdf = tmp_path / "clinic" / "row-0001-bone-metastases.fr-letter.pdf"
    assert "Préparé pour Sam Tremblay" in " ".join(pdf_text(pdf))


# -- the web page and the API --------------------------------------------------------------------------------


def test_api_and_web_page_serve_french() -> None:
    from leaflets.web import create_app

    client = create_app(REPO).test_client()
    response = client.post("/api/leaflets/bone-metastases/pdf",
                           json={"site": SITE, "lang": "fr", "details": {"patient_name": "Sam Tremblay"}})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Disposition"] == 'attachment; filename="bone-metastases.fr-letter.pdf"'
    with pikepdf.open(io.BytesIO(response.data)) as pdf:
        assert str(pdf.Root.Lang) == "fr-CA"
    refused = client.post("/api/leaflets/bone-metastases/pdf", json={"lang": "fr"})
    # asked in French, refused in French (tests/test_french_web.py has the web page's and API's French errors)
    assert refused.status_code == 400 and "n’offre pas la langue français" in refused.get_json()["error"]
    sites = {s["id"]: s for s in client.get("/api/sites").get_json()}
    assert sites[SITE]["languages"] == ["en", "fr"]
    page = client.get("/leaflets/bone-metastases").get_data(as_text=True)
    assert 'name="lang" value="fr"' in page and "Français" in page


def test_french_canadian_leaflets_list_canadian_sources_and_drop_uk_only_ones() -> None:
    from leaflets.library import Library
    from leaflets.plan import plan_leaflet
    from leaflets.project import find_project

    library = Library(find_project(REPO))
    french = PrintOptions(language="fr")
    bone = plan_leaflet(library, library.recipe("bone-metastases"), site_id=SITE, options=french)
    brain = plan_leaflet(library, library.recipe("brain-metastases"), site_id=SITE, options=french)
    titles = {source.title for plan in (bone, brain) for source in plan.sources}
    assert "When to call 999" not in titles and "111" not in titles  # marked en-GB: a UK service
    assert any("CMA Driver's Guide" in title for title in titles)  # marked en-CA: fr-CA is Canada too
    assert all(source.locales == [] or any(code.endswith("-CA") for code in source.locales)
               for plan in (bone, brain) for source in plan.sources)


def test_the_hand_out_record_keeps_the_french_locale(tmp_path: Path, runner: CliRunner) -> None:
    root = copy_project(tmp_path)
    profile = root / "content/sites" / f"{SITE}.yaml"
    profile.write_text(profile.read_text("utf-8") + "record:\n  enabled: true\n", "utf-8")
    db = tmp_path / "handouts.db"
    built = runner.invoke(app, ["build", "bone-metastases", "--lang", "fr", "--site", SITE, "-o",
                                str(tmp_path / "out"), "--root", str(root), "--db", str(db)])
    assert built.exit_code == 0, built.output
    listed = runner.invoke(app, ["record", "list", "--json", "--db", str(db), "--root", str(root)])
    rows = json.loads(listed.output)
    assert [(row["leaflet"], row["language"]) for row in rows] == [("bone-metastases", "fr-CA")]


# -- Easy Read, the HTML edition and teach-back in French -------------------------------------------------------


def test_french_easy_read_and_html_edition(tmp_path: Path, runner: CliRunner) -> None:
    build = ["build", "immunotherapy", "--lang", "fr", "--site", SITE, "-o", str(tmp_path)]
    result = runner.invoke(app, [*build, "--variant", "easy-read", "--format", "html"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "immunotherapy.fr-easy-read-letter.html").read_text("utf-8")
    assert '<html lang="fr-CA">' in html and "Facile à lire" in html and "Qui appeler" in html
    result = runner.invoke(app, [*build, "--format", "html"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "immunotherapy.fr-letter.html").read_text("utf-8")
    assert '<html lang="fr-CA">' in html and "Aller au document" in html and "Joindre votre équipe de soins" in html
    body = re.sub(r"<[^>]+>", " ", html.split("<body", 1)[1])
    assert not [s for s in ENGLISH_ALWAYS if s in body]
    # A leaflet with no Easy Read version says so in one line, in French as in English.
    refused = runner.invoke(app, ["build", "bone-metastases", "--lang", "fr", "--site", SITE, "--variant",
                                  "easy-read", "-o", str(tmp_path)])
    assert refused.exit_code == 2 and refused.output.startswith("Error: no Easy Read version of bone-metastases")


def test_a_changed_english_easy_read_file_makes_the_french_one_stale(tmp_path: Path, runner: CliRunner) -> None:
    root = copy_project(tmp_path)
    for french in (root / "content/translations/fr/easy-read").glob("*.md"):  # approved: only staleness refuses
        french.write_text(french.read_text("utf-8").replace("status: draft", "status: approved"), "utf-8")
    path = root / "content/easy-read/what-advanced-means.md"
    path.write_text(path.read_text("utf-8") + "[info] Ask your team what this means for you.\n", "utf-8")
    build = ["build", "living-with-advanced-kidney-cancer", "--lang", "fr", "--site", SITE, "--variant",
             "easy-read", "--root", str(root), "-o", str(tmp_path / "out")]
    result = runner.invoke(app, build)
    assert result.exit_code == 0, result.output
    pages = pdf_text(next((tmp_path / "out").glob("*.pdf")))
    assert all(STALE_MARK in page for page in pages)
    refused = runner.invoke(app, [*build, "--approved-only"])
    assert refused.exit_code == 2 and "easy-read/what-advanced-means" in refused.output


def test_teach_back_questions_are_translated_in_order() -> None:
    from leaflets.library import Library
    from leaflets.project import find_project
    from leaflets.record import teach_back_questions
    from leaflets.translations import library_for

    english = Library(find_project(REPO))
    french = library_for(english, "fr")
    for rid in english.recipe_ids:
        questions = teach_back_questions(french, rid)
        assert len(questions) == len(teach_back_questions(english, rid)) >= 2, rid
        assert all(q.endswith("\u202f?") and " you " not in q for q in questions), (rid, questions)


def test_every_web_form_label_and_hint_is_in_the_catalog_and_translated() -> None:
    from leaflets.web.forms import DETAIL_HINTS, DETAIL_LABELS
    from leaflets.web.language import SCHEMA_WORDS

    assert set(SCHEMA_WORDS) == {*DETAIL_LABELS.values(), *DETAIL_HINTS.values()}  # the schema's words, all listed
    translated = {e.msgid: e.msgstr for e in polib.pofile(str(catalog_path("fr"))) if not e.msgctxt}
    assert all(translated.get(words) for words in SCHEMA_WORDS)
