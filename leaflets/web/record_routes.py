"""The hand-out record on the web page: find by code, record each PDF handed out, teach-back, the record page.

A site profile switches recording on. Then every PDF the page makes is recorded before it is sent, or
not sent at all (503); the row never holds a name or a note. The teach-back note a nurse may type is
kept in the browser only: it is never sent to the server.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from ..errors import InputError, LeafletError, Problem, RecordError
from ..i18n import DEFAULT_LANGUAGE
from ..library import Library
from ..plan import LeafletPlan
from ..record import (
    RecordTarget,
    Suggestion,
    check_details,
    handouts_csv,
    list_handouts,
    record_handout,
    record_path,
    record_target,
    search_leaflets,
    set_teach_back,
    suggest_leaflets,
    teach_back_questions,
)
from ..record.reading import parse_date
from ..translations import library_for
from .choices import LeafletChoice, matches
from .language import N_, ui_text, ui_texts
from .messages import translate_message
from .responses import ApiError
from .security import check_form_post
from .state import current_state

HANDOUT_HEADER = "X-Handout-Id"
"""The PDF's answer names its row in the record, so the page can record the teach-back result against it."""
DB_CONFIG = "LEAFLETS_DB"
"""app.config key: the record file from `leaflets serve --db`, or None for leaflets.db in the project."""
RECORD_PAGE_DAYS = 30
MAX_CODES = 20
_HANDOUT_ID = re.compile(r"[0-9a-f]{32}")
VARIANT_NAMES = {"standard": N_("Standard"), "large-print": N_("Large print"), "booklet": N_("Booklet"),
                 "easy-read": N_("Easy Read")}
PAPER_NAMES = {"a4": "A4", "letter": N_("US Letter"), "a5": "A5"}
TEACH_BACK_NAMES = {"done": N_("Yes"), "not-done": N_("No"), None: N_("Not recorded")}
"""The record's stored values (ids) as the record page shows them, in the page's language."""

record_web = Blueprint("record", __name__)


# -- finding leaflets by code or word ------------------------------------------------------------------


def filtered_choices(library: Library, choices: list[LeafletChoice], query: str) -> list[LeafletChoice]:
    """The leaflets that match what was typed (ICD-10 codes by prefix, words by title), best first."""
    if not query.strip():
        return choices
    by_id = {c.id: c for c in choices}
    try:
        found = search_leaflets(library, query)
    except LeafletError:  # a recipe that cannot be read: plain word matching over those that can
        return [c for c in choices if matches(c.search_text, query)]
    return [by_id[s.id] for s in found if s.id in by_id]


def api_codes() -> list[str]:
    """The codes of `?code=C79.51&code=C64` or `?code=C79.51,C64`; at most MAX_CODES."""
    codes = [code for value in request.args.getlist("code") for code in value.replace(",", " ").split()]
    if len(codes) > MAX_CODES:
        raise InputError(f"code: at most {MAX_CODES} codes at a time")
    return codes


def api_choices(library: Library, choices: list[LeafletChoice]) -> list[dict[str, Any]] | None:
    """The API's list for `?code=` (best first, with the codes that fit) or `?q=`; None when neither is asked."""
    suggestions: list[Suggestion]
    if "code" in request.args:
        suggestions = suggest_leaflets(library, api_codes())  # a bad code: InputError, answered 400
    elif "q" in request.args:
        suggestions = search_leaflets(library, request.args.get("q", "")[:200])
    else:
        return None
    by_id = {c.id: c for c in choices}
    return [{**by_id[s.id].as_json(), **s.as_json()} for s in suggestions if s.id in by_id]


def leaflet_codes(library: Library, rid: str) -> list[str]:
    """The ICD-10 codes a leaflet fits, for its card on the list page."""
    try:
        return list(library.recipe(rid).file.icd10)
    except LeafletError:
        return []


# -- recording a hand-out --------------------------------------------------------------------------------


def db_path() -> Path | None:
    return current_app.config.get(DB_CONFIG)


def recording_for(library: Library, site_id: str | None, plan_details: Any) -> RecordTarget | None:
    """Check before rendering that the details fit the site's record; the record the PDF goes to, or None."""
    target = record_target(library, site_id, db_path())
    try:
        check_details(target, site_id, [(None, plan_details)])
    except InputError as exc:
        # The problem belongs to the hospital-number field, so the form can show it there.
        raise InputError(*(Problem(p.text.removeprefix("patient_reference: "), field="patient_reference")
                           for p in exc.problems)) from None
    return target


def record_pdf(target: RecordTarget | None, plan: LeafletPlan, pdf: bytes) -> str | None:
    """Record the hand-out before the PDF is sent: if the record cannot be written, the PDF is not sent."""
    if target is None:
        return None
    try:
        return record_handout(target, plan, pdf, channel="web")
    except RecordError as exc:
        raise ApiError(503, "the leaflet was not handed out, because the hand-out record could not be "
                       f"written: {_why(exc)}") from None


def _why(exc: RecordError) -> str:
    """Why the record could not be written ("it is locked by another program; ..."), without its path."""
    return exc.problems[0].message.split("hand-out record: ", 1)[-1]


def with_handout(response: Response, handout_id: str | None) -> Response:
    if handout_id is not None:
        response.headers[HANDOUT_HEADER] = handout_id
    return response


def keeps_hospital_numbers(library: Library) -> bool:
    """True when any site the form offers keeps hospital numbers: only then does the form ask for one."""
    for site_id in (None, *library.site_ids):
        try:
            site = library.site(site_id)
        except LeafletError:
            continue
        if site.file.record.enabled and site.file.record.store_patient_reference:
            return True
    return False


def teach_back_context(library: Library, rid: str | None, language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """What the leaflet page shows once the PDF is made: the questions (in the page's language, where the leaflet
    is translated), and whether any site records the answer."""
    questions: list[str] = []
    if rid is not None:
        try:
            questions = teach_back_questions(library_for(library, language), rid)
        except LeafletError:  # not translated (yet): the English questions rather than none
            try:
                questions = teach_back_questions(library, rid)
            except LeafletError:
                questions = []
    return {"teach_back": questions}


def _site_names(library: Library) -> dict[str, str]:
    names = {}
    for site_id in library.site_ids:
        try:
            names[site_id] = library.site(site_id).file.name
        except LeafletError:
            continue
    return names


def _records(library: Library, site_id: str | None) -> bool:
    try:
        return library.site(site_id).file.record.enabled
    except LeafletError:
        return False


# -- routes ------------------------------------------------------------------------------------------------


@record_web.app_template_global()
def keeps_handout_record() -> bool:
    """For the templates (macros too): whether to say what the record keeps."""
    return keeps_any_record(current_state().library())


def keeps_any_record(library: Library) -> bool:
    """True when any site profile switches the hand-out record on."""
    return any(_records(library, s) for s in (None, *library.site_ids))


@record_web.post("/api/handouts/<handout_id>/teach-back")
def teach_back(handout_id: str) -> Response:
    """Record "understanding checked" against one hand-out: a small POST from the leaflet page, with its token."""
    check_form_post()
    if not _HANDOUT_ID.fullmatch(handout_id):
        raise ApiError(404, "there is no such hand-out")
    result = "done" if request.form.get("checked") == "yes" else "not-done"
    path = record_path(db_path(), current_state().project.root)
    if not path.is_file():
        raise ApiError(404, "there is no hand-out record yet")
    try:
        set_teach_back(path, handout_id, result)
    except InputError:
        raise ApiError(404, "there is no such hand-out in the record") from None
    except RecordError as exc:
        raise ApiError(503, f"the teach-back result was not saved: {_why(exc)}") from None
    return jsonify({"id": handout_id, "teach_back": result})


def _record_filters() -> tuple[str, str | None]:
    since = request.args.get("since", "").strip()[:40]
    if not since:
        since = (datetime.now(UTC) - timedelta(days=RECORD_PAGE_DAYS)).date().isoformat()
    parse_date(since, "since")  # a mistyped date is a 400 whether or not there is a record yet
    leaflet = request.args.get("leaflet", "").strip()[:80] or None
    return since, leaflet


def _rows(since: str, leaflet: str | None) -> tuple[list[dict[str, Any]], bool]:
    """The record's rows, newest first, and whether there is a record at all."""
    path = record_path(db_path(), current_state().project.root)
    if not path.is_file():
        return [], False
    return list(reversed(list_handouts(path, since=since, leaflet=leaflet))), True


@record_web.get("/record")
def record_page() -> Response:
    """Who was given which leaflet edition, when, by whom, and whether understanding was checked."""
    library = current_state().library()
    problem = None
    try:
        since, leaflet = _record_filters()
        rows, exists = _rows(since, leaflet)
    except InputError as exc:  # a mistyped date: shown at its field
        since, leaflet = request.args.get("since", "")[:40], None
        rows, exists, problem = [], True, translate_message(exc.problems[0].message.removeprefix("since: "))
    references = any(r.get("patient_reference") for r in rows)
    csv_url = url_for("record.record_csv", since=since, leaflet=leaflet)
    html = render_template("record.html", rows=rows, exists=exists, problem=problem, since=since, leaflet=leaflet,
                           leaflets=sorted(library.recipe_ids), references=references, csv_url=csv_url,
                           site_names=_site_names(library), recording=keeps_any_record(library),
                           variant_names=ui_texts(VARIANT_NAMES),
                           paper_names=ui_texts(PAPER_NAMES),
                           teach_back_names={k: ui_text(v) for k, v in TEACH_BACK_NAMES.items()})
    return Response(html, status=400 if problem else 200, mimetype="text/html")


@record_web.get("/record.csv")
def record_csv() -> Response:
    """The rows on the record page as a CSV file for a spreadsheet or a correction notice."""
    since, leaflet = _record_filters()
    rows, _exists = _rows(since, leaflet)
    response = Response(handouts_csv(list(reversed(rows))), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="handouts-since-{since[:10]}.csv"'
    return response
