"""Reading a print order from a form or a JSON body, and the form pages that show its problems."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Response, render_template, request

from ..build import RenderedLeaflet
from ..details import details_from_mapping
from ..errors import InputError, LeafletError, Problem
from ..library import Library, closest
from ..plan import LeafletPlan, plan_leaflet
from ..rules import BrokenRule, missing_sections
from ..schema import DETAIL_KEYS, MAX_TITLE, PRINTED_DETAIL_KEYS, Details
from ..translations import check_site_language
from ..variants import FORMATS, PAPERS, PrintOptions

if TYPE_CHECKING:  # pragma: no cover
    from werkzeug.datastructures import MultiDict

    from ..record import RecordTarget

from .choices import LeafletChoice, language_choices, section_choices, site_choices
from .language import N_, ui_language, ui_text, ui_texts, use_language
from .messages import translate_message, translate_problem
from .record_routes import keeps_hospital_numbers, record_pdf, teach_back_context, with_handout
from .responses import ApiError, html_response, pdf_response, preview_message
from .security import CSRF_FIELD

CUSTOM_ID = "custom-leaflet"
"""The id, and so the file name, of every build-your-own leaflet: a typed title could name the patient."""
DETAIL_LABELS: dict[str, str] = {key: info.title or key for key, info in Details.model_fields.items()}
"""Each detail's label on the form: the schema's field title."""
DETAIL_HINTS: dict[str, str] = {key: info.description for key, info in Details.model_fields.items() if info.description}
LAYOUTS: dict[str, tuple[str, str, str]] = {
    # form value: (variant, file, label)
    "standard": ("standard", "reading", N_("Standard")),
    "large-print": ("large-print", "reading", N_("Large print")),
    "booklet": ("booklet", "reading", N_("Booklet: pages to read (A5, or half-letter on US Letter)")),
    "booklet-print": ("booklet", "booklet", N_("Booklet: print file to fold")),
    "easy-read": ("easy-read", "reading", N_("Easy Read: a picture beside every point, short sentences, big print")),
}
EASY_READ_LAYOUT = "easy-read"
"""Offered only for leaflets that have an Easy Read version (see choices.easy_read_leaflets)."""
PAPER_LABELS = {"a4": "A4", "letter": N_("US Letter")}
FORMAT_LABELS = {"pdf": N_("PDF, to print or send"),
                 "html": N_("Web page (HTML): one file for email or a screen reader")}
API_OPTION_KEYS = ("details", "site", "variant", "paper", "file", "print_ready", "format", "lang")


@dataclass(frozen=True)
class Order:
    """A checked print order: the same validation the CLI applies."""

    details: Details
    site: str | None
    options: PrintOptions
    file: str  # "reading" or "booklet"
    output_format: str = "pdf"  # "pdf" or "html" (the self-contained HTML edition)


def form_problem_preview(exc: InputError) -> Response:
    """The preview frame's answer to a form it cannot render: what to fix, never what was typed."""
    problems = "; ".join(m for _k, m in detail_problems(exc))
    return preview_message(ui_text("Check the form: %(problems)s", problems=problems), 400)


def detail_problems(exc: LeafletError) -> list[tuple[str | None, str]]:
    """Friendly (field, message) pairs from the schema's problems; they never repeat the value typed."""
    found: list[tuple[str | None, str]] = []
    for problem in exc.problems:
        if problem.field in DETAIL_LABELS:
            label = ui_text(DETAIL_LABELS[problem.field])
            found.append((problem.field, f"{label} {translate_message(problem.message)}"))
        else:
            found.append((None, translate_problem(problem)))
    return found


def order_from(values: Mapping[str, Any], library: Library, details: Mapping[str, Any]) -> Order:
    """Validate details and print options; raises InputError naming keys, never values."""
    checked = details_from_mapping(details)
    site_id = values.get("site") or None
    if site_id is not None and not isinstance(site_id, str):
        raise InputError(Problem("must be a site profile id (text)", field="site"))
    site = library.site(site_id)  # an unknown site is a problem now, before anything renders
    variant = values.get("variant") or "standard"
    paper = values.get("paper") or None  # None: the site's paper, decided when the leaflet is planned
    if not isinstance(variant, str) or not isinstance(paper, (str, type(None))):
        raise InputError(Problem("must be text", field="variant" if not isinstance(variant, str) else "paper"))
    print_ready = values.get("print_ready", False)
    if not isinstance(print_ready, bool):
        raise InputError(Problem("must be true or false", field="print_ready"))
    file = values.get("file") or "reading"
    if file not in ("reading", "booklet"):
        raise InputError(Problem("must be 'reading' or 'booklet'", field="file"))
    output_format = values.get("format") or "pdf"
    if output_format not in FORMATS:
        raise InputError(Problem(f"must be one of {', '.join(FORMATS)}", field="format"))
    language = values.get("lang") or site.file.languages[0]
    if not isinstance(language, str):
        raise InputError(Problem('must be a language code, for example "fr"', field="lang"))
    check_site_language(site, language)
    options = PrintOptions(variant=variant, paper=paper, print_ready=print_ready, language=language)
    if file == "booklet" and variant != "booklet":
        raise InputError(Problem("'booklet' needs variant 'booklet'", field="file"))
    if file == "booklet" and output_format != "pdf":
        raise InputError(Problem("the booklet print file is a PDF only; use format 'pdf'", field="format"))
    return Order(checked, site_id, options, file, output_format)


def form_order(library: Library, easy_read: bool = False) -> Order:
    """An order from the page's form: the layout radio names a variant and which booklet file.

    EASY_READ: this leaflet has an Easy Read version, so the page offers that layout.
    """
    form = request.form
    layout = form.get("layout", "standard")
    offered = form_layouts(easy_read)
    if layout not in offered:
        raise InputError(f"unknown layout '{layout[:40]}': choose one of {', '.join(offered)}")
    variant, file, _label = LAYOUTS[layout]
    values = {"site": form.get("site") or None, "variant": variant, "paper": form.get("paper") or None, "file": file,
              "format": form.get("format") or "pdf", "lang": form.get("lang") or None}
    return order_from(values, library, {k: form.get(k, "") for k in DETAIL_KEYS})


MAX_JSON_DEPTH = 20
"""An API body nests three levels (body, details, a value); twenty is plenty and far below Python's limit."""


def plain_json(data: bytes) -> Any:
    """An API body parsed: JSON without NaN or Infinity or lone surrogates, nested at most MAX_JSON_DEPTH deep."""

    def refuse_constant(name: str) -> Any:
        raise ValueError(name)

    if _nesting(data) > MAX_JSON_DEPTH:  # measured before parsing: a deep body never reaches the recursive parser
        raise ApiError(400, f"the body is nested more than {MAX_JSON_DEPTH} levels deep; send plain JSON")
    try:
        body = json.loads(data, parse_constant=refuse_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "the body is not valid JSON") from None
    if _has_surrogate(body):
        raise ApiError(400, "the body contains text that is not valid Unicode (a lone surrogate such as \\ud800)")
    return body


def _nesting(data: bytes) -> int:
    """How deeply DATA's JSON lists and objects nest (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            escaped, in_string = (False, True) if escaped else (byte == 0x5C, byte != 0x22)
        elif byte == 0x22:
            in_string = True
        elif byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(item) for item in value)
    return False


def api_body(extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON body of an API call, checked for type and keys before anything else."""
    if request.mimetype != "application/json":
        raise ApiError(400, "send a JSON body with Content-Type: application/json")
    body = plain_json(request.get_data(cache=False) or b"null")
    if isinstance(body, dict):
        use_language(body.get("lang"))  # the API's errors in the language the caller asked for
    else:
        raise ApiError(400, "the body must be a JSON object, for example {\"details\": {\"patient_name\": \"Sam\"}}")
    allowed = (*API_OPTION_KEYS, *extra)
    unknown = [str(k)[:40] for k in body if k not in allowed]
    if unknown:
        raise ApiError(400, f"unknown key '{unknown[0]}'{closest(unknown[0], list(allowed))}; use {', '.join(allowed)}")
    details = body.get("details") or {}
    if not isinstance(details, dict):
        raise ApiError(400, "details must be a JSON object of detail keys and text")
    return body


def custom_sections(form: MultiDict[str, str]) -> list[str]:
    """The ticked sections, ordered by the numbers typed (blank numbers keep the page's order)."""
    ticked = form.getlist("section")  # checked with every other ad hoc leaflet's, by AdHocLeaflet

    def key(item: tuple[int, str]) -> tuple[float, int]:
        raw = str(form.get(f"order-{item[1]}", "")).strip()
        try:
            number = float(raw) if raw else float("inf")
        except ValueError:
            number = float("inf")
        return (number, item[0])

    return [sid for _i, sid in sorted(enumerate(dict.fromkeys(ticked)), key=key)]


def form_layouts(easy_read: bool) -> dict[str, str]:
    """The layouts a form offers, by value and label: Easy Read only where the leaflet has it."""
    return {k: ui_text(v[2]) for k, v in LAYOUTS.items() if easy_read or k != EASY_READ_LAYOUT}


def pick_file(rendered: RenderedLeaflet, order: Order) -> tuple[str, bytes]:
    """The one file the order asked for: the reading PDF, the booklet print file or the HTML edition."""
    plan = rendered.plan
    if order.output_format == "html":
        stem = plan.options.file_stem(plan.id)
        return stem, rendered.files[f"{stem}.html"]
    stem = plan.options.booklet_stem(plan.id) if order.file == "booklet" else plan.options.file_stem(plan.id)
    return stem, rendered.files[f"{stem}.pdf"]


def download(rendered: RenderedLeaflet, order: Order, inline: bool, target: RecordTarget | None) -> Response:
    """Record the hand-out (if the site keeps a record), then send the file the order asked for."""
    stem, data = pick_file(rendered, order)
    handout = record_pdf(target, rendered.plan, data)
    if order.output_format == "html":
        return with_handout(html_response(data, stem), handout)
    return with_handout(pdf_response(data, stem, inline=inline), handout)


def custom_plan(library: Library, order: Order, sections: Any, title: Any) -> LeafletPlan:
    """An ad hoc leaflet, checked by the same AdHocLeaflet model as `leaflets build --sections`."""
    plan = plan_leaflet(library, None, sections, title, order.site, order.details, order.options)
    # The file name comes from a fixed id: a typed title could name the patient.
    return dataclasses.replace(plan, id=CUSTOM_ID)


def _form_values(library: Library) -> dict[str, str]:
    if request.method == "POST":
        return {k: str(v) for k, v in request.form.items() if k != CSRF_FIELD}
    return form_defaults(library)


def form_defaults(library: Library) -> dict[str, str]:
    """The form as a page first shows it (and its first preview): the page's language, for a site offering it."""
    default = library.site(None)
    language = ui_language()  # a French page starts with a French leaflet, for a site that offers one
    site = next((s for s in site_choices(library) if language in s["languages"]), None)
    if site is None or language in default.file.languages:
        return {"paper": default.file.paper, "layout": "standard", "site": default.id,
                "lang": language if language in default.file.languages else default.file.languages[0]}
    return {"paper": site["paper"], "layout": "standard", "site": site["id"], "lang": language}


def _common_form_context(
    library: Library, errors: list[tuple[str | None, str]] | None, easy_read: bool = False
) -> dict[str, Any]:
    errors = errors or []
    return {
        "values": _form_values(library),
        "errors": errors,
        "field_errors": {k: m for k, m in errors if k},
        # The hospital number only where a site keeps it in its hand-out record.
        "detail_keys": DETAIL_KEYS if keeps_hospital_numbers(library) else PRINTED_DETAIL_KEYS,
        "labels": ui_texts(DETAIL_LABELS),
        "hints": ui_texts(DETAIL_HINTS),
        "limits": detail_limits(),
        "layouts": form_layouts(easy_read),
        "papers": {p: ui_text(PAPER_LABELS.get(p, p)) for p in PAPERS},
        "formats": {f: ui_text(FORMAT_LABELS.get(f, f)) for f in FORMATS},
        "sites": site_choices(library),
        "languages": language_choices(site_choices(library)),
    }


def leaflet_form(library: Library, choice: LeafletChoice, errors: list[tuple[str | None, str]] | None = None,
                  status: int = 200) -> Response:
    html = render_template("leaflet.html", choice=choice, **teach_back_context(library, choice.id, ui_language()),
                           **_common_form_context(library, errors, choice.easy_read))
    return Response(html, status=status, mimetype="text/html")


def build_form(
    library: Library, errors: list[tuple[str | None, str]] | None = None, status: int = 200,
    safety: list[BrokenRule] | None = None, chosen: list[str] | None = None, added: list[str] | None = None,
) -> Response:
    """The build-your-own page; SAFETY lists the rules the ticked sections break, with a one-click fix."""
    sections, problems = section_choices(library, ui_language())  # titled in the page's language
    if chosen is None:
        chosen = request.form.getlist("section") if request.method == "POST" else []
    titles = {s["id"]: s["title"] for s in sections}
    missing = missing_sections(safety or [])
    html = render_template("build.html", sections=sections, problems=problems, chosen=set(chosen),
                           max_title=MAX_TITLE, safety=safety or [], missing=missing,
                           missing_titles=[titles.get(sid, sid) for sid in missing],
                           added_titles=[titles.get(sid, sid) for sid in added or []],
                           **_common_form_context(library, errors))
    return Response(html, status=status, mimetype="text/html")


def detail_limits() -> dict[str, int]:
    """The schema's maximum length of each detail, for the form's maxlength attributes."""
    limits: dict[str, int] = {}
    for key, info in Details.model_fields.items():
        for item in info.metadata:
            if getattr(item, "max_length", None):
                limits[key] = item.max_length
    return limits
