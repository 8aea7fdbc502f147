"""Reading a print order from a form or a JSON body, and the form pages that show its problems."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Response, render_template, request

from ..assemble import LeafletPlan
from ..build import BuildRequest, RenderedLeaflet, plans_for
from ..details import details_from_mapping
from ..errors import InputError, LeafletError
from ..library import Library, closest
from ..schema import DETAIL_KEYS, Details
from ..variants import PAPERS, PrintOptions

if TYPE_CHECKING:  # pragma: no cover
    from werkzeug.datastructures import MultiDict

from .choices import LeafletChoice, section_choices, site_choices
from .responses import ApiError, preview_message
from .security import CSRF_FIELD

MAX_SECTIONS = 60
"""An ad hoc leaflet may have at most this many sections, as many as a recipe may list."""
MAX_TITLE_CHARS = 300
CUSTOM_ID = "custom-leaflet"
"""The id, and so the file name, of every build-your-own leaflet: a typed title could name the patient."""
DETAIL_LABELS: dict[str, str] = {
    "patient_name": "Patient's name",
    "prepared_by": "Prepared by",
    "team_name": "Team name",
    "team_phone": "Team phone number",
    "next_appointment": "Next appointment",
    "notes": "Notes for the patient",
}
DETAIL_HINTS: dict[str, str] = {
    "prepared_by": "Your name and role, for example Sam Patel, specialist nurse.",
    "team_name": "Leave empty to use the site's name.",
    "team_phone": "The number the patient should call.",
    "next_appointment": "For example: Tuesday 3 March, 10:30, Clinic 4.",
    "notes": "Printed under 'Notes from your team'. Each line becomes a paragraph.",
}
LAYOUTS: dict[str, tuple[str, str, str]] = {
    # form value: (variant, file, label)
    "standard": ("standard", "reading", "Standard"),
    "large-print": ("large-print", "reading", "Large print"),
    "booklet": ("booklet", "reading", "Booklet: A5 pages to read"),
    "booklet-print": ("booklet", "booklet", "Booklet: print file to fold"),
}
PAPER_LABELS = {"a4": "A4", "letter": "US Letter"}
API_OPTION_KEYS = ("details", "site", "variant", "paper", "file", "print_ready")


@dataclass(frozen=True)
class Order:
    """A checked print order: the same validation the CLI applies."""

    details: Details
    site: str | None
    options: PrintOptions
    file: str  # "reading" or "booklet"


def form_problem_preview(exc: InputError) -> Response:
    """The preview frame's answer to a form it cannot render: what to fix, never what was typed."""
    return preview_message("Check the form: " + "; ".join(m for _k, m in detail_problems(exc)), 400)


def detail_problems(exc: LeafletError) -> list[tuple[str | None, str]]:
    """Friendly (field, message) pairs from the schema's problems; they never repeat the value typed."""
    found: list[tuple[str | None, str]] = []
    for problem in exc.problems:
        key, sep, message = problem.message.partition(": ")
        if sep and key in DETAIL_LABELS:
            limit = re.search(r"at most (\d+) characters", message)
            label = DETAIL_LABELS[key]
            text = f"{label} must be {limit.group(1)} characters or fewer" if limit else f"{label}: {message}"
            found.append((key, text))
        else:
            found.append((None, problem.message))
    return found


def order_from(values: Mapping[str, Any], library: Library, details: Mapping[str, Any]) -> Order:
    """Validate details and print options; raises InputError naming keys, never values."""
    checked = details_from_mapping(details)
    site_id = values.get("site") or None
    if site_id is not None and not isinstance(site_id, str):
        raise InputError("site must be a site profile id (text)")
    site = library.site(site_id)
    variant = values.get("variant") or "standard"
    paper = values.get("paper") or site.file.paper
    if not isinstance(variant, str) or not isinstance(paper, str):
        raise InputError("variant and paper must be text")
    print_ready = values.get("print_ready", False)
    if not isinstance(print_ready, bool):
        raise InputError("print_ready must be true or false")
    file = values.get("file") or "reading"
    if file not in ("reading", "booklet"):
        raise InputError("file must be 'reading' or 'booklet'")
    options = PrintOptions(variant=variant, paper=paper, print_ready=print_ready)
    if file == "booklet" and variant != "booklet":
        raise InputError("file 'booklet' needs variant 'booklet'")
    return Order(checked, site_id, options, file)


def form_order(library: Library) -> Order:
    """An order from the page's form: the layout radio names a variant and which booklet file."""
    form = request.form
    layout = form.get("layout", "standard")
    if layout not in LAYOUTS:
        raise InputError(f"unknown layout '{layout[:40]}': choose one of {', '.join(LAYOUTS)}")
    variant, file, _label = LAYOUTS[layout]
    values = {"site": form.get("site") or None, "variant": variant, "paper": form.get("paper") or None, "file": file}
    return order_from(values, library, {k: form.get(k, "") for k in DETAIL_KEYS})


def api_body(extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON body of an API call, checked for type and keys before anything else."""
    if request.mimetype != "application/json":
        raise ApiError(400, "send a JSON body with Content-Type: application/json")
    try:
        body = json.loads(request.get_data(cache=False) or b"null")
    except ValueError:
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object, for example {\"details\": {\"patient_name\": \"Sam\"}}")
    allowed = (*API_OPTION_KEYS, *extra)
    unknown = [str(k)[:40] for k in body if k not in allowed]
    if unknown:
        raise ApiError(400, f"unknown key '{unknown[0]}'{closest(unknown[0], list(allowed))}; use {', '.join(allowed)}")
    details = body.get("details") or {}
    if not isinstance(details, dict):
        raise ApiError(400, "details must be a JSON object of detail keys and text")
    return body


def custom_sections(form: MultiDict[str, str], library: Library) -> list[str]:
    """The ticked sections, ordered by the numbers typed (blank numbers keep the page's order)."""
    ticked = form.getlist("section")
    if len(ticked) > MAX_SECTIONS:
        raise InputError(f"choose at most {MAX_SECTIONS} sections")
    unknown = [sid for sid in ticked if sid not in library.section_ids]
    if unknown:
        raise InputError(f"unknown section '{unknown[0][:80]}'")

    def key(item: tuple[int, str]) -> tuple[float, int]:
        raw = str(form.get(f"order-{item[1]}", "")).strip()
        try:
            number = float(raw) if raw else float("inf")
        except ValueError:
            number = float("inf")
        return (number, item[0])

    return [sid for _i, sid in sorted(enumerate(dict.fromkeys(ticked)), key=key)]


def pick_file(rendered: RenderedLeaflet, order: Order) -> tuple[str, bytes]:
    plan = rendered.plan
    stem = order.options.booklet_stem(plan.id) if order.file == "booklet" else order.options.file_stem(plan.id)
    return stem, rendered.files[f"{stem}.pdf"]


def custom_plan(library: Library, order: Order, sections: list[str], title: str | None) -> LeafletPlan:
    """An ad hoc leaflet, checked as `leaflets build --sections` checks it; named from a fixed id, not the title."""
    if not sections:
        raise InputError("choose at least one section")
    unknown = [sid for sid in sections if sid not in library.section_ids]
    if unknown:
        raise InputError(f"unknown section '{unknown[0][:80]}'{closest(unknown[0], library.section_ids)}")
    repeated = sorted({sid for sid in sections if sections.count(sid) > 1})
    if repeated:
        raise InputError(f"a section is listed twice: {', '.join(repeated)}")
    title = (title or "").strip()
    if len(title) > MAX_TITLE_CHARS:
        raise InputError(f"the title must be {MAX_TITLE_CHARS} characters or fewer")
    request_ = BuildRequest(sections=tuple(sections), title=title or None, site=order.site, details=order.details,
                            options=order.options)
    plan = plans_for(library, request_)[0]
    # The file name comes from a fixed id: a typed title could name the patient.
    return dataclasses.replace(plan, id=CUSTOM_ID)


def _form_values(library: Library) -> dict[str, str]:
    if request.method == "POST":
        return {k: str(v) for k, v in request.form.items() if k != CSRF_FIELD}
    return {"paper": library.site(None).file.paper, "layout": "standard", "site": "default"}


def _common_form_context(library: Library, errors: list[tuple[str | None, str]] | None) -> dict[str, Any]:
    errors = errors or []
    return {
        "values": _form_values(library),
        "errors": errors,
        "field_errors": {k: m for k, m in errors if k},
        "detail_keys": DETAIL_KEYS,
        "labels": DETAIL_LABELS,
        "hints": DETAIL_HINTS,
        "limits": detail_limits(),
        "layouts": {k: v[2] for k, v in LAYOUTS.items()},
        "papers": {p: PAPER_LABELS.get(p, p) for p in PAPERS},
        "sites": site_choices(library),
    }


def leaflet_form(library: Library, choice: LeafletChoice, errors: list[tuple[str | None, str]] | None = None,
                  status: int = 200) -> Response:
    html = render_template("leaflet.html", choice=choice, **_common_form_context(library, errors))
    return Response(html, status=status, mimetype="text/html")


def build_form(library: Library, errors: list[tuple[str | None, str]] | None = None, status: int = 200) -> Response:
    sections, problems = section_choices(library)
    chosen = set(request.form.getlist("section")) if request.method == "POST" else set()
    html = render_template("build.html", sections=sections, problems=problems, chosen=chosen,
                           max_title=MAX_TITLE_CHARS, **_common_form_context(library, errors))
    return Response(html, status=status, mimetype="text/html")


def detail_limits() -> dict[str, int]:
    """The schema's maximum length of each detail, for the form's maxlength attributes."""
    limits: dict[str, int] = {}
    for key, info in Details.model_fields.items():
        for item in info.metadata:
            if getattr(item, "max_length", None):
                limits[key] = item.max_length
    return limits
