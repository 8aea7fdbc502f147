"""Every page, API call and file the server answers: each route a short function over the library."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import InputError, LeafletError, one_line
from ..library import closest
from ..plan import LeafletPlan, checked_ad_hoc, plan_leaflet
from ..rules import ad_hoc_warning, broken_rules, missing_sections
from .choices import easy_read_leaflets, find_choice, in_language, leaflet_choices, section_choices, site_choices
from .config import MAX_BODY_BYTES, WEB_STATIC, WEB_STYLES
from .forms import (
    api_body,
    build_form,
    custom_plan,
    custom_sections,
    detail_problems,
    download,
    form_defaults,
    form_order,
    form_problem_preview,
    leaflet_form,
    order_from,
)
from .language import ui_language, ui_text
from .messages import translate_message, translate_problem
from .record_routes import api_choices, filtered_choices, leaflet_codes, recording_for
from .rendering import timed_render
from .responses import (
    ASSET_CSP,
    IMAGE_TYPES,
    STATIC_TYPES,
    STYLE_ASSET_TYPES,
    ApiError,
    error_response,
    file_response,
    leaflet_error_status,
    preview_document,
    preview_message,
    preview_response,
    safe_file,
)
from .security import CSRF_FIELD, check_api_post, check_form_post, csrf_token
from .state import WebState, current_state

log = logging.getLogger("leaflets.web")

web = Blueprint("web", __name__)


@web.app_context_processor
def _context() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "csrf_field": CSRF_FIELD}


@web.app_errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    response = error_response(exc.status, exc.message)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@web.app_errorhandler(LeafletError)
def _leaflet_error(exc: LeafletError) -> Response:
    return error_response(leaflet_error_status(exc), "; ".join(translate_problem(p) for p in exc.problems))


@web.app_errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    messages = {
        404: "there is no such page",
        405: "this address does not take that kind of request",
        413: f"the request is too large (the limit is {MAX_BODY_BYTES // 1024} KB)",
    }
    status = exc.code or 500
    return error_response(status, messages.get(status, exc.description or exc.name))


@web.app_errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    # The class only: an exception's message could quote what was typed.
    log.error("unexpected %s while answering %s %s", exc.__class__.__name__, one_line(request.method),
              one_line(request.path[:200]))  # a path can hold any byte: never let it reach a terminal raw
    return error_response(500, "something went wrong while making the leaflet; nothing was saved")

# -- pages --------------------------------------------------------------------------------------


@web.get("/")
def index() -> str:
    state = current_state()
    library = state.library()
    choices, problems = leaflet_choices(library)
    choices = [in_language(library, c, ui_language()) for c in choices]
    query = request.args.get("q", "")[:200].strip()
    # Every leaflet is on the page, matches first, best first; the others are hidden for the JS filter.
    found = filtered_choices(library, choices, query)
    shown = {c.id for c in found}
    choices = found + [c for c in choices if c.id not in shown]
    ready = {c.id: state.thumbnails.ready(library, c.id) for c in choices}
    codes = {c.id: leaflet_codes(library, c.id) for c in choices}
    return render_template("index.html", choices=choices, shown=shown, total=len(choices), query=query,
                           problems=problems, ready=ready, codes=codes)


@web.get("/leaflets/<rid>")
def leaflet_page(rid: str) -> Response | str:
    library = current_state().library()
    choice = in_language(library, find_choice(library, rid), ui_language())
    return leaflet_form(library, choice)


@web.post("/leaflets/<rid>/pdf")
def leaflet_form_pdf(rid: str) -> Response | str:
    check_form_post()
    state = current_state()
    library = state.library()
    choice = find_choice(library, rid)
    try:
        order = form_order(library, easy_read=choice.easy_read)
        target = recording_for(library, order.site, order.details)
    except InputError as exc:
        return leaflet_form(library, choice, errors=detail_problems(exc), status=400)
    plan = plan_leaflet(library, library.recipe(rid), site_id=order.site, details=order.details,
                        options=order.options)
    return download(timed_render(state, plan, order.output_format), order,
                    inline=request.form.get("action") == "print", target=target)


@web.route("/leaflets/<rid>/preview", methods=["GET", "POST"])
def leaflet_preview(rid: str) -> Response:
    state = current_state()
    library = state.library()
    if rid not in library.recipe_ids:
        return preview_message(ui_text("There is no such leaflet."), 404)

    def plan() -> LeafletPlan:
        if request.method == "POST":
            check_form_post()
            order = form_order(library, easy_read=rid in easy_read_leaflets(library))
        else:
            first = form_defaults(library)  # the page's first preview: its language and site
            asked = {k: request.args.get(k) for k in ("site", "variant", "paper", "lang")}
            order = order_from({**asked, "site": asked["site"] or first["site"],
                                "lang": asked["lang"] or (None if asked["site"] else first["lang"])}, library, {})
        return plan_leaflet(library, library.recipe(rid), site_id=order.site, details=order.details,
                            options=order.options)

    return preview_of(plan, state)


@web.get("/leaflets/<rid>/thumbnail.png")
def thumbnail(rid: str) -> Response:
    state = current_state()
    library = state.library()
    if rid not in library.recipe_ids:
        return error_response(404, "there is no such leaflet")
    png = state.thumbnails.get(library, rid)
    if png is None:
        response = Response((WEB_STATIC / "placeholder.svg").read_bytes(), mimetype="image/svg+xml")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Thumbnail"] = "failed" if state.thumbnails.failed(rid) else "pending"
        return response
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(hashlib.sha256(png).hexdigest()[:32])
    return response.make_conditional(request)


@web.get("/build")
def build_page() -> str | Response:
    return build_form(current_state().library())


@web.post("/build/pdf")
def build_form_pdf() -> Response | str:
    check_form_post()
    state = current_state()
    library = state.library()
    try:
        order = form_order(library)
        plan = custom_plan(library, order, custom_sections(request.form), request.form.get("title"))
        target = recording_for(library, order.site, order.details)
    except InputError as exc:
        return build_form(library, errors=detail_problems(exc), status=400)
    if plan.broken_rules and request.form.get("safety_ok") != "1":
        return build_form(library, safety=plan.broken_rules)  # offer the missing sections first
    return download(timed_render(state, plan, order.output_format), order,
                    inline=request.form.get("action") == "print", target=target)


@web.post("/build/add-sections")
def build_add_sections() -> Response:
    """One click adds the sections the safety rules ask for; the form comes back ticked, nothing built."""
    check_form_post()
    library = current_state().library()
    try:
        ticked = checked_ad_hoc(library, custom_sections(request.form), None).sections
    except InputError as exc:
        return build_form(library, errors=detail_problems(exc), status=400)
    missing = missing_sections(broken_rules(ticked, library.rules))
    return build_form(library, chosen=[*ticked, *missing], added=missing)


@web.route("/build/preview", methods=["GET", "POST"])
def build_preview() -> Response:
    state = current_state()
    library = state.library()
    if request.method == "GET":
        return preview_message(ui_text("Tick the sections you want, then press Update preview to see the "
                                       "leaflet here."))

    def plan() -> LeafletPlan | Response:
        check_form_post()
        order = form_order(library)
        sections = custom_sections(request.form)
        if not sections:
            return preview_message(ui_text("Tick at least one section to see a preview."))
        return custom_plan(library, order, sections, request.form.get("title"))

    return preview_of(plan, state)


# -- API ----------------------------------------------------------------------------------------


@web.get("/api/leaflets")
def api_leaflets() -> Response:
    library = current_state().library()
    choices, _problems = leaflet_choices(library)
    found = api_choices(library, choices)  # ?code= (best first) or ?q=
    return jsonify(found if found is not None else [c.as_json() for c in choices])


@web.get("/api/sections")
def api_sections() -> Response:
    sections, _problems = section_choices(current_state().library())
    return jsonify(sections)


@web.get("/api/sites")
def api_sites() -> Response:
    return jsonify(site_choices(current_state().library()))


@web.post("/api/leaflets/<rid>/pdf")
def api_leaflet_pdf(rid: str) -> Response:
    check_api_post()
    state = current_state()
    library = state.library()
    body = api_body()  # first: its "lang" is the language of the errors
    if rid not in library.recipe_ids:
        raise ApiError(404, f"unknown leaflet '{rid[:80]}'{closest(rid, library.recipe_ids)}")
    order = order_from(body, library, body.get("details") or {})
    target = recording_for(library, order.site, order.details)
    plan = plan_leaflet(library, library.recipe(rid), site_id=order.site, details=order.details,
                        options=order.options)
    return download(timed_render(state, plan, order.output_format), order, inline=False, target=target)


@web.post("/api/build/pdf")
def api_build_pdf() -> Response:
    check_api_post()
    state = current_state()
    library = state.library()
    body = api_body(extra=("sections", "title"))
    order = order_from(body, library, body.get("details") or {})
    plan = custom_plan(library, order, body.get("sections"), body.get("title"))
    target = recording_for(library, order.site, order.details)
    response = download(timed_render(state, plan, order.output_format), order, inline=False, target=target)
    if warning := ad_hoc_warning(plan.broken_rules):
        response.headers["X-Leaflets-Warning"] = warning
    return response

# -- files --------------------------------------------------------------------------------------


@web.get("/static/<path:name>")
def static_file(name: str) -> Response:
    if name.startswith("fonts/"):
        path = safe_file(WEB_STYLES / "fonts", name.removeprefix("fonts/"), STATIC_TYPES)
    elif name == "web.css":
        path = WEB_STYLES / "web.css"
    else:
        path = safe_file(WEB_STATIC, name, STATIC_TYPES)
    return file_response(path, max_age=0)


@web.get("/favicon.ico")
def favicon() -> Response:
    return file_response(WEB_STATIC / "favicon.svg", max_age=0)


@web.get("/assets/<area>/<path:name>")
def asset(area: str, name: str) -> Response:
    project = current_state().project
    types = {"styles": STYLE_ASSET_TYPES, "content": IMAGE_TYPES}.get(area)
    if types is None:
        return error_response(404, "there is no such file")
    found = (safe_file(folder, name, types) for folder in project.folders(area))
    response = file_response(next((path for path in found if path is not None), None), max_age=0)
    response.headers["Content-Security-Policy"] = ASSET_CSP
    return response


def preview_of(make_plan: Callable[[], LeafletPlan | Response], state: WebState) -> Response:
    """The preview frame: the planned leaflet as HTML, or what to fix in the form (never what was typed)."""
    try:
        plan = make_plan()
    except ApiError as exc:
        return preview_message(translate_message(exc.message), exc.status)
    except InputError as exc:
        return form_problem_preview(exc)
    if isinstance(plan, Response):
        return plan
    return preview_response(*preview_document(plan, state.project))
