"""The web page and the API in French, without a browser: what web.js writes, the record page, error messages."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from leaflets.web import create_app
from tests.conftest import REPO

MakeProject = Callable[..., Path]
RECORDING_SITE = "name: Clinique test\nrecord:\n  enabled: true\n  store_patient_reference: true\n  wait_seconds: 0.5\n"


def _french(client: FlaskClient) -> FlaskClient:
    """CLIENT after a nurse clicked "Français": the cookie holds the language code only."""
    assert client.get("/?lang=fr").status_code == 200
    return client


@pytest.fixture(scope="module")
def french_client() -> FlaskClient:
    return _french(create_app(REPO).test_client())


def _attribute(page: str, name: str, element_id: str | None = None) -> str:
    """The unescaped value of attribute NAME (on the element with ELEMENT_ID, if given)."""
    scope = page if element_id is None else re.search(rf'<[^>]*\bid="{element_id}"[^>]*>', page).group(0)
    match = re.search(rf"""\b{name}=(?:"([^"]*)"|'([^']*)')""", scope)
    assert match, name
    return html.unescape(match.group(1) if match.group(1) is not None else match.group(2))


def _visible_text(page: str) -> str:
    body = page.split("<body", 1)[1]
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))  # no-break spaces kept


# -- 1. the words web.js writes -----------------------------------------------------------------------------


def test_the_search_count_web_js_writes_is_french_with_french_plurals(french_client: FlaskClient) -> None:
    page = french_client.get("/").get_data(as_text=True)
    texts = json.loads(_attribute(page, "data-texts", "q"))
    total = len(texts["found"]) - 1
    assert total >= 10
    assert texts["all"] == f"{total} documents"
    # French puts 0 and 1 in the singular; the words typed go inside « » with no-break spaces.
    assert texts["found"][0] == f"0 document sur {total} correspond à «\u00a0%(query)s\u00a0»"
    assert texts["found"][1] == f"1 document sur {total} correspond à «\u00a0%(query)s\u00a0»"
    assert texts["found"][2] == f"2 documents sur {total} correspondent à «\u00a0%(query)s\u00a0»"
    assert texts["placeholder"] == "%(query)s"
    assert not any(re.search(r"\b(leaflets?|match|matches|of)\b", t) for t in [texts["all"], *texts["found"]])
    english = json.loads(_attribute(create_app(REPO).test_client().get("/").get_data(as_text=True), "data-texts",
                                    "q"))
    assert english["all"] == f"{total} leaflets" and english["found"][1] == f"1 of {total} leaflets matches “%(query)s”"
    assert english["found"][0] == f"0 of {total} leaflets match “%(query)s”"


def test_the_section_filter_count_is_french(french_client: FlaskClient) -> None:
    page = french_client.get("/build").get_data(as_text=True)
    texts = json.loads(_attribute(page, "data-texts", "section-filter"))
    total = len(texts["found"]) - 1
    assert texts["all"] == f"{total} parties"
    assert texts["found"][1].startswith(f"1 partie sur {total} correspond à")
    assert texts["found"][3].startswith(f"3 parties sur {total} correspondent à")
    # the sections are listed by their French titles, which the filter searches
    assert "Obtenir du soutien" in page and "Getting support" not in page and "obtenir du soutien" in page


def test_the_teach_back_status_words_are_french(french_client: FlaskClient) -> None:
    page = french_client.get("/leaflets/bone-metastases").get_data(as_text=True)
    assert _attribute(page, "data-saved-done") == "Enregistré\u00a0: compréhension vérifiée."
    assert _attribute(page, "data-saved-not-done") == "Enregistré\u00a0: compréhension non vérifiée."
    assert _attribute(page, "data-not-saved") == "Non enregistré\u00a0: %(why)s."
    assert _attribute(page, "data-not-reached") == "le programme des documents ne répond pas"
    script = (REPO / "templates/web/static/web.js").read_text("utf-8")
    for english in ("Saved:", "Not saved", " of ", "matches", '"s"', "data-noun"):
        assert english not in script, english  # every word the script writes comes from the page


# -- 2. the hand-out record page ------------------------------------------------------------------------------

RECORD_PAGE_ENGLISH = (
    "Hand-out record", "Which leaflet edition", "Given out", "Leaflet", "All leaflets", "Show", "Edition", "Layout",
    "Site", "Prepared by", "Understanding checked", "Hospital number", "Not recorded", "Large print",
    "hand-out", "newest first", "Download these", "spreadsheet", "Nothing recorded", "Yes", "since", "Error",
)


def test_the_record_page_is_french_with_no_english_fixed_words(make_project: MakeProject) -> None:
    root = make_project({"content/sites/clinic.yaml": RECORDING_SITE})
    client = _french(create_app(root).test_client())
    empty = _visible_text(client.get("/record").get_data(as_text=True))
    assert "Rien d’enregistré pour l’instant" in empty
    for variant in ("large-print", "standard"):
        answer = client.post("/api/leaflets/small/pdf", json={"site": "clinic", "variant": variant, "paper": "letter",
                                                               "details": {"patient_reference": "H42"}})
        assert answer.status_code == 200, answer.get_data(as_text=True)
    page = client.get("/record").get_data(as_text=True)
    assert '<html lang="fr-CA">' in page
    text = _visible_text(page)
    assert "Registre des remises" in text and "Remis le (UTC)" in text and "Établissement" in text
    assert re.search(r"2 remises depuis le \d{4}-\d\d-\d\d, les plus récentes d’abord\.", text)
    assert "Gros caractères, Lettre US" in text and "Standard, Lettre US" in text and "Non noté" in text
    assert "Numéro de dossier" in text and "H42" in text and "Télécharger ces remises en tableur (CSV)" in text
    leaks = [w for w in RECORD_PAGE_ENGLISH if re.search(rf"\b{re.escape(w)}\b", text)]
    assert leaks == []
    one = _visible_text(client.get("/record?leaflet=small").get_data(as_text=True))
    assert re.search(r"2 remises de small depuis le", one)
    bad = client.get("/record?since=hier")
    assert bad.status_code == 400
    problem = "«\u00a0hier\u00a0» n’est pas une date\u00a0: écrivez-la AAAA-MM-JJ"
    assert problem in _visible_text(bad.get_data(as_text=True))


# -- 3. error messages ---------------------------------------------------------------------------------------


def test_api_errors_are_french_when_the_body_asks_for_french(make_project: MakeProject) -> None:
    client = create_app(make_project({"content/sites/clinic.yaml": RECORDING_SITE})).test_client()
    unknown = client.post("/api/leaflets/smal/pdf", json={"lang": "fr"})
    assert unknown.status_code == 404
    assert unknown.get_json() == {
        "error": "document inconnu «\u00a0smal\u00a0» (vouliez-vous dire «\u00a0small\u00a0»\u202f?)"}
    long_phone = client.post("/api/leaflets/small/pdf", json={"lang": "fr", "site": "clinic",
                                                              "details": {"team_phone": "1" * 31}})
    assert long_phone.status_code == 400
    assert long_phone.get_json() == {"error": "team_phone: est trop long\u00a0: au plus 30 caractères"}
    # the field names stay as the API knows them; several problems, each in French
    several = client.post("/api/build/pdf", json={"lang": "fr", "sections": ["alpha", "alpha"],
                                                  "details": {"patient_name": True}})
    assert several.status_code == 400
    assert "patient_name: doit être du texte\u202f; mettez la valeur entre guillemets" in several.get_json()["error"]
    key = client.post("/api/build/pdf", json={"lang": "fr", "sections": ["alpha"], "colour": "red"})
    assert key.get_json()["error"].startswith("clé inconnue «\u00a0colour\u00a0»")
    codes = client.get("/api/leaflets?code=nope&lang=fr")
    assert codes.status_code == 400 and "n’est pas un code CIM-10" in codes.get_json()["error"]
    # English stays English, word for word (a new client: ?lang=fr above left the page's cookie)
    client = create_app(make_project({"content/sites/clinic.yaml": RECORDING_SITE})).test_client()
    english = client.post("/api/leaflets/smal/pdf", json={})
    assert english.get_json() == {"error": "unknown leaflet 'smal' (did you mean 'small'?)"}
    english_phone = client.post("/api/leaflets/small/pdf", json={"details": {"team_phone": "1" * 31}})
    assert english_phone.get_json() == {"error": "team_phone: is too long: at most 30 characters"}


def test_form_problems_and_error_pages_are_french(make_project: MakeProject) -> None:
    from leaflets.web.config import MAX_BODY_BYTES

    client = _french(create_app(make_project({"content/sites/clinic.yaml": RECORDING_SITE})).test_client())
    form = client.get("/leaflets/small").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', form).group(1)
    refused = client.post("/leaflets/small/pdf", data={
        "csrf_token": token, "layout": "standard", "site": "clinic", "action": "download",
        "team_phone": "٠١٢٣", "prepared_by": "x" * 200})
    assert refused.status_code == 400
    text = _visible_text(refused.get_data(as_text=True))
    assert "Il y a un problème" in text
    assert "Numéro de téléphone de l’équipe contient des lettres écrites de droite à gauche" in text
    assert re.search(r"Préparé par est trop long\u00a0: au plus \d+ caractères", text)
    assert "is too long" not in text and "right-to-left" not in text
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "Cette page n’existe pas." in _visible_text(missing.get_data(as_text=True))
    assert client.get("/leaflets/nope").status_code == 404
    assert "Il n’y a pas de document appelé" in _visible_text(client.get("/leaflets/nope").get_data(as_text=True))
    too_big = client.post("/leaflets/small/pdf", data={"notes": "x" * (MAX_BODY_BYTES + 10)})
    assert too_big.status_code == 413
    limit = f"La demande est trop grande (la limite est de {MAX_BODY_BYTES // 1024} Ko)."
    assert limit in _visible_text(too_big.get_data(as_text=True))
    expired = client.post("/leaflets/small/pdf", data={"csrf_token": "0" * 64})
    assert expired.status_code == 403 and "Ce formulaire avait expiré" in _visible_text(expired.get_data(as_text=True))
    preview = client.get("/build/preview").get_data(as_text=True)
    assert "Cochez les parties voulues" in preview


def test_the_record_and_busy_messages_translate_with_their_reason() -> None:
    from leaflets.web.messages import translate_message

    app = create_app(REPO)
    with app.test_request_context("/?lang=fr"):
        assert translate_message("the leaflet printer is busy; try again in a minute") == \
            "l’imprimante des documents est occupée\u202f; réessayez dans une minute"
        message = ("the leaflet was not handed out, because the hand-out record could not be written: "
                   "it is locked by another program; close it (or wait) and try again")
        assert translate_message(message) == (
            "le document n’a pas été remis, car le registre des remises n’a pas pu être écrit\u00a0: il est "
            "verrouillé par un autre programme\u202f; fermez-le (ou attendez) et réessayez")
        assert translate_message("an English message the catalog does not know") == \
            "an English message the catalog does not know"
    with app.test_request_context("/"):
        assert translate_message("the leaflet printer is busy; try again in a minute").startswith("the leaflet")


def test_every_error_template_is_translated_in_the_catalog() -> None:
    import polib

    from leaflets.i18n import catalog_path
    from leaflets.web.messages import TEMPLATES

    translated = {e.msgid: e.msgstr for e in polib.pofile(str(catalog_path("fr"))) if "fuzzy" not in e.flags}
    assert [t for t in TEMPLATES if not translated.get(t)] == []
