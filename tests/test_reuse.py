"""Page reuse: a personalised PDF made from a cached generic layout is byte-identical to a full render."""

from __future__ import annotations

import re

import pytest

from leaflets import personal
from leaflets.build import BuildRequest, get_renderer, plans_for, render_plan
from leaflets.library import Library
from leaflets.plan import plan_leaflet
from leaflets.project import Project
from leaflets.schema import Details
from leaflets.splice import PageMap, short_document
from leaflets.variants import PrintOptions
from tests.conftest import REPO, pdf_text, section_text

PROJECT = Project(REPO)
LIBRARY = Library(PROJECT)
RECIPES = sorted(LIBRARY.recipe_ids)
OPTIONS = [PrintOptions("standard", "a4"), PrintOptions("large-print", "a4"), PrintOptions("booklet", "a4"),
           PrintOptions("standard", "letter"), PrintOptions("booklet", "letter", print_ready=True)]
PEOPLE = [
    {"patient_name": "Zoë Ångström", "team_phone": "0118 496 0000", "next_appointment": "Tuesday 3 March, 10:30"},
    {"patient_name": "Nguyễn Thị Minh Khai", "notes": "Bring your list of medicines.\nCall us any time."},
    {"patient_name": "محمد عبد الله بن عبد الرحمن الهاشمي القرشي",
     "prepared_by": "Siobhán Ó Briain-Fitzgerald, clinical nurse specialist, Northfield Urology Cancer Centre"},
    {"patient_name": "Αικατερίνη Παπαδοπούλου-Χατζηγεωργίου", "prepared_by": "Dr Ama Mensah",
     "team_name": "Northfield Kidney Cancer Team", "team_phone": "+44 118 496 0999",
     "next_appointment": "Friday 13 November 2026 at 14:45, Oncology Day Unit, Level 2",
     "notes": "Take your tablets with food.\nBring your blood test results.\nAsk about the trial at your next visit."},
]


def _both(rid: str, options: PrintOptions, person: dict[str, str]) -> tuple[bytes, bytes]:
    """The leaflet's PDF made the ordinary way (`leaflets build`) and by a warm worker reusing pages."""
    [plan] = plans_for(LIBRARY, BuildRequest(leaflets=(rid,), details=Details(**person), options=options))
    renderer = get_renderer(PROJECT)
    full = render_plan(plan, PROJECT, renderer=renderer).files
    reused = render_plan(plan, PROJECT, renderer=renderer, reuse=True).files
    assert sorted(full) == sorted(reused)
    for name in sorted(full):  # the booklet's sheets too
        assert reused[name] == full[name], f"{rid} {options.as_key()} {name} {sorted(person)}"
    return full[sorted(full)[0]], reused[sorted(reused)[0]]


# Every recipe in one format each (and one person each); one recipe in every format with two people each, so
# every person meets several formats and every format several scripts; every person on plain A4.
CASES = [(rid, OPTIONS[i % len(OPTIONS)], [PEOPLE[i % len(PEOPLE)]]) for i, rid in enumerate(RECIPES)]
CASES += [("bone-metastases", options, [PEOPLE[(2 * i) % len(PEOPLE)], PEOPLE[(2 * i + 1) % len(PEOPLE)]])
          for i, options in enumerate(OPTIONS[1:], start=1)]
CASES += [("bone-metastases", OPTIONS[0], PEOPLE)]
EASY_READ = [("immunotherapy", PrintOptions("easy-read", "a4"), PEOPLE[1:2])]
"""Easy Read has no fixed slots: it always lays out the whole leaflet, with the same bytes either way."""


@pytest.mark.parametrize(("rid", "options", "people"), CASES,
                         ids=[f"{r}-{o.as_key()}-{len(p)}" for r, o, p in CASES])
def test_reused_pages_give_the_same_bytes_as_a_full_render(rid: str, options: PrintOptions,
                                                           people: list[dict[str, str]]) -> None:
    before = dict(personal.stats)
    for person in people:
        full, reused = _both(rid, options, person)
        assert reused == full, f"{rid} {options.as_key()} {sorted(person)}"
    assert personal.stats["reused"] > before["reused"], "no PDF of this leaflet was made by reusing pages"


@pytest.mark.parametrize(("rid", "options", "people"), EASY_READ)
def test_easy_read_with_details_is_the_same_either_way(rid: str, options: PrintOptions,
                                                        people: list[dict[str, str]]) -> None:
    for person in people:
        full, reused = _both(rid, options, person)
        assert reused == full
        assert person["patient_name"] in pdf_text(full)


def test_a_long_name_is_made_smaller_or_given_room_never_cut() -> None:
    name = "Aleksandra Konstantinopoulou-Wojciechowska de la Fuente y Montenegro Ó Briain-Fitzgerald"
    for options in (PrintOptions("standard", "a4"), PrintOptions("large-print", "a4")):
        plan = plan_leaflet(LIBRARY, LIBRARY.recipe("bone-metastases"), details=Details(patient_name=name),
                            options=options)
        text = pdf_text(personal.personal_pdf(plan, PROJECT, get_renderer(PROJECT), reuse=True))
        assert name.replace(" ", "") in re.sub(r"\s+", "", text)  # every letter, wrapped or not


def test_a_name_never_moves_a_page_break() -> None:
    renderer = get_renderer(PROJECT)
    counts = set()
    for name in ("Al", "Zoë Ångström", "Nguyễn Thị Minh Khai Phương"):
        plan = plan_leaflet(LIBRARY, LIBRARY.recipe("bone-metastases"), details=Details(patient_name=name))
        text = pdf_text(personal.full_pdf(plan, PROJECT, renderer))
        assert name in text
        counts.add(re.findall(r"Page 1 of (\d+)", text)[0])
    assert len(counts) == 1


def test_a_long_cover_puts_the_urgent_box_first_the_same_way_with_reuse() -> None:
    """Five details on the cover push the urgent box past page 2: both ways move it before the contents."""
    [plan] = plans_for(LIBRARY, BuildRequest(leaflets=("immunotherapy",), details=Details(**PEOPLE[3]),
                                             options=PrintOptions("standard", "a4")))
    renderer = get_renderer(PROJECT)
    full = render_plan(plan, PROJECT, renderer=renderer)
    before = dict(personal.stats)
    reused = render_plan(plan, PROJECT, renderer=renderer, reuse=True)
    assert full.plan.urgent_first and reused.plan.urgent_first
    assert reused.files == full.files
    assert personal.stats["reused"] == before["reused"] + 1 and personal.stats["full"] == before["full"]


def test_the_short_layout_is_page_one_then_empty_pages_and_the_longer_form_gives_the_same_bytes() -> None:
    """A warm worker lays out only page 1 (then empty pages up to the tail); a layout that refused that
    form gets the longer one (cover to first section), and both join into the full render's bytes."""
    renderer = get_renderer(PROJECT)
    plan = plan_leaflet(LIBRARY, LIBRARY.recipe("immunotherapy"), details=Details(**PEOPLE[0]))
    full = personal.full_pdf(plan, PROJECT, renderer)
    assert personal.personal_pdf(plan, PROJECT, renderer, reuse=True) == full
    _, generic_map, _ = next(reversed(personal._generic.values()))  # the layout just used
    assert generic_map.trims is True
    generic_map.trims = False
    before = dict(personal.stats)
    assert personal.personal_pdf(plan, PROJECT, renderer, reuse=True) == full
    assert personal.stats["reused"] == before["reused"] + 1 and generic_map.trims is False


def test_the_short_layouts_empty_pages_get_no_headers_or_footers_made() -> None:
    """Its empty pages are never printed: WeasyPrint is spared making and styling their 16 margin boxes each
    (a tenth of a personalised render); the pages it keeps have their headers and footers."""
    from weasyprint.formatting_structure.boxes import MarginBox

    from leaflets.document import stylesheet_names
    from leaflets.splice import GAP_PAGE

    renderer = get_renderer(PROJECT)
    plan = plan_leaflet(LIBRARY, LIBRARY.recipe("immunotherapy"), details=Details(**PEOPLE[0]))
    personal.personal_pdf(plan, PROJECT, renderer, reuse=True)
    _, generic_map, cut = next(reversed(personal._generic.values()))
    short = short_document(personal._html(plan, PROJECT, personal.cover_slot(plan.details), cut), generic_map, True)
    assert short is not None
    pages = renderer.layout(short.html, PROJECT.root.as_uri() + "/", stylesheet_names(plan.options, PROJECT)).pages
    margins = [sum(isinstance(box, MarginBox) for box in page._page_box.children) for page in pages]
    gaps = [n for n, page in enumerate(pages) if page._page_box.page_type.name == GAP_PAGE]
    assert len(gaps) >= 10 and all(margins[n] == 0 for n in gaps)
    assert all(margins[n] > 0 for n in short.personal_pages), margins


def test_a_trimmed_short_document_keeps_page_one_and_puts_each_anchor_on_its_page() -> None:
    html = ('<html><head></head><body><header class="cover" id="cover">Cover</header><main>'
            '<aside id="urgent">Call</aside><nav id="contents">Contents</nav>'
            '<section class="content-section" id="s-one">One</section>'
            '<section class="content-section" id="s-two">Two</section></main>'
            '<section id="notes">Notes</section></body></html>')
    generic = PageMap(5, anchors={"cover": 0, "urgent": 1, "contents": 1, "s-one": 2, "s-two": 3, "notes": 4},
                      last_page={"s-one": 2, "s-two": 3}, detail_pages=(0,))
    short = short_document(html, generic, trimmed=True)
    assert short is not None and short.personal_pages == (0,)
    body = short.html[short.html.index("<body>"):]
    assert body.startswith('<body><header class="cover" id="cover">Cover</header><main>'
                           '<div class="reuse-gaps">\n<div class="reuse-gap">')
    assert "Call" not in body and "Contents" not in body and "One" not in body
    pages = body.split('<div class="reuse-gap"></div>')[1:]
    assert [re.findall(r'id="([^"]+)"', page) for page in pages] == [["urgent", "contents"], ["s-one"], ["s-two"],
                                                                      ["notes"]]
    moved = PageMap(5, anchors={**generic.anchors, "contents": 0}, last_page=generic.last_page, detail_pages=(0,))
    assert short_document(html, moved, trimmed=True) is None  # something after the cut is on page 1
    assert short_document(html, moved) is not None  # the longer form still applies


def test_reused_pages_are_drawn_once_then_replayed_with_the_same_bytes() -> None:
    """A warm worker draws a cached layout's pages for its first PDF and replays them for the next ones."""
    from leaflets import page_replay

    renderer = get_renderer(PROJECT)
    plans = [plan_leaflet(LIBRARY, LIBRARY.recipe("targeted-therapy"),
                          details=Details(patient_name=name, next_appointment="Monday 4 January, 09:15"))
             for name in ("Zoë Ångström", "Nguyễn Thị Minh Khai", "محمد عبد الله")]
    before = dict(page_replay.stats)
    for plan in plans:
        reused = personal.personal_pdf(plan, PROJECT, renderer, reuse=True)
        assert reused == personal.full_pdf(plan, PROJECT, renderer)
    recorded = page_replay.stats["recorded"] - before["recorded"]
    assert recorded > 0 and page_replay.stats["replayed"] - before["replayed"] >= 2 * recorded


GRADIENT_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="240" height="60"><defs><linearGradient id="fade">'
                '<stop offset="0" stop-color="#0b4f6c" stop-opacity="0.2"/><stop offset="1" stop-color="#0b4f6c"/>'
                '</linearGradient></defs><rect width="240" height="60" fill="url(#fade)"/></svg>')


def test_a_replayed_page_with_a_see_through_picture_gives_the_same_bytes(make_project) -> None:
    """A gradient that fades out is drawn through a mask: a form that is both a graphics state's and an
    XObject. Its replay must keep it one object, as drawing does."""
    from leaflets import page_replay

    words = "Your team will check how you are and help you plan what comes next. " * 14
    files = {f"content/sections/part-{n}.md": section_text(f"Part {n}", "\n\n".join([words] * 4)) for n in range(5)}
    files["content/images/fade.svg"] = GRADIENT_SVG
    files["content/sections/part-2.md"] = section_text("Part 2", f"{words}\n\n![A fading bar](content/images/fade.svg)"
                                                                 f"\n\n{words}")
    files["content/leaflets/long.yaml"] = "title: A long leaflet\nsections: [part-0, part-1, part-2, part-3, part-4]\n"
    project = Project(make_project(files))
    library = Library(project)
    renderer = get_renderer(project)
    before = dict(page_replay.stats)
    for name in ("Zoë Ångström", "Ama Mensah", "Nguyễn Thị Minh Khai"):
        plan = plan_leaflet(library, library.recipe("long"), details=Details(patient_name=name))
        assert personal.personal_pdf(plan, project, renderer, reuse=True) == personal.full_pdf(plan, project, renderer)
    recorded = page_replay.stats["recorded"] - before["recorded"]
    assert recorded >= 3 and page_replay.stats["drawn"] == before["drawn"]
    assert page_replay.stats["replayed"] - before["replayed"] == 2 * recorded


def test_a_trimmed_short_document_cuts_only_between_whole_parts() -> None:
    """The contents heading is on page 2 but its list starts on page 1's box: the cut is before the whole
    <nav>, never inside it (the card laid out inside an open <nav> came out indented)."""
    html = ('<html><head></head><body><header class="cover" id="cover">Cover</header>'
            '<nav class="contents"><h2 id="contents-heading">In this leaflet</h2><ol><li>One</li></ol></nav>'
            '<main><section class="content-section" id="s-one"><p>One</p></section></main>'
            '<section class="cut-out" id="card">Card</section></body></html>')
    generic = PageMap(4, anchors={"cover": 0, "contents-heading": 1, "s-one": 2, "card": 3},
                      last_page={"s-one": 2}, detail_pages=(0, 3))
    short = short_document(html, generic, trimmed=True)
    assert short is not None and short.personal_pages == (0, 3)
    body = short.html[short.html.index("<body>"):]
    assert body.startswith('<body><header class="cover" id="cover">Cover</header><div class="reuse-gaps">')
    assert "<nav" not in body and '<section class="cut-out" id="card">Card</section>' in body
    split = PageMap(4, anchors={"cover": 0, "contents-heading": 0, "s-one": 2, "card": 3},
                    last_page={"s-one": 2}, detail_pages=(0, 3))
    split.anchors["s-one-end"] = 1
    assert short_document(html.replace("<li>One</li>", '<li id="s-one-end">One</li>'), split, trimmed=True) is None
