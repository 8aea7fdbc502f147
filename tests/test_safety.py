"""Issue #10, engine side: country facts, red flags (urgent box and cut-out card), safety rules, contact box.

These tests use their own small content (test locales, red flags, rules). The tests at the end that build
the shipped leaflets need the content branch's sections (high-calcium and friends); they are skipped until
it is merged, and must pass once it is.
"""

from __future__ import annotations

import re
from pathlib import Path

import pdfplumber
import pytest
from typer.testing import CliRunner

from cli import app
from leaflets.build import BuildRequest, build
from leaflets.errors import ContentError
from leaflets.library import Library
from leaflets.locales import escape_markdown, load_locales, localise_body
from leaflets.project import Project
from leaflets.red_flags import compile_red_flags
from leaflets.sections import load_section
from leaflets.variants import PrintOptions
from tests.conftest import REPO, pdf_text, section_text, write_tree

MM = 72 / 25.4  # PDF points per millimetre

FRONT = """\
---
title: {title}
summary: A test section.
sources:
  - publisher: Test Publisher
    title: Test source
    year: 2026
{sources}last_reviewed: 2026-01-01
next_review: 2028-01-01
status: draft
{flags}---
{body}
"""


def flagged(title: str, body: str, flags: list[tuple[str, str]], sources: str = "") -> str:
    lines = "".join(f'  - symptom: "{symptom}"\n    urgency: {urgency}\n' for symptom, urgency in flags)
    return FRONT.format(title=title, body=body, flags=f"red_flags:\n{lines}" if flags else "", sources=sources)


COUNTRY_SOURCES = """\
  - publisher: Test Ambulance Service
    title: When to call 999
    year: 2026
    locales: [en-GB]
  - publisher: Test Canadian Hospital
    title: When to go to the emergency department
    year: 2026
    locales: [en-CA]
"""


SPINE = flagged(
    "Spine signs",
    "Your team will help you.\n\n::: only en-GB\nIf you cannot reach them, go to {{ emergency_department_short }}.\n"
    ":::\n::: only en-CA\nIf you cannot reach them, go to {{ emergency_department_short }}.\n:::\n\n"
    "Call {{ emergency_number }} if it is an emergency.",
    [("New weakness in your arms or legs", "ambulance"), ("Back pain that wakes you at night", "24-hour-line"),
     ("Problems controlling your bladder or bowels", "24-hour-line")],
    COUNTRY_SOURCES,
)
CALCIUM = flagged(
    "Calcium signs",
    "Tell your team about these signs.\n\n- feeling very thirsty\n- peeing a lot",
    [("Feeling very thirsty and peeing a lot", "24-hour-line"), ("a temperature of {{ fever_high }}°C or above",
                                                                  "24-hour-line"),
     ("new weakness in your arms or legs.", "team-today"), ("Loose teeth or sore gums", "team-today")],
)
FILES = {
    "content/sections/spine.md": SPINE,
    "content/sections/calcium.md": CALCIUM,
    "content/sections/bones.md": section_text("Bones", "Cancer can spread to the bones."),
    "content/sections/support.md": section_text("Support", "Your team can help."),
    "content/leaflets/bone.yaml": "title: Bone leaflet\nsections: [bones, spine, calcium, support]\n",
    "content/rules.yaml": "rules:\n  - if_any: [bones]\n    require: [spine, calcium]\n"
                          "    why: Anyone with cancer in the bones must know these signs.\n",
    "content/sites/uk.yaml": "name: UK Clinic\nteam_phone: 0118 496 0123\nout_of_hours_phone: 0118 496 0999\n"
                             "locale: en-GB\n",
    "content/sites/ca.yaml": "name: Canada Clinic\nlocale: en-CA\npaper: letter\n",
}


@pytest.fixture(scope="module")
def safety_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("safety"), dict(FILES))


@pytest.fixture(scope="module")
def built(safety_project: Path) -> dict[str, Path]:
    out = safety_project / "out"
    uk = build(BuildRequest(leaflets=("bone",), site="uk"), out / "uk", safety_project)
    ca = build(BuildRequest(leaflets=("bone",), site="ca", options=PrintOptions(paper="letter")), out / "ca",
               safety_project)
    return {"uk": uk[0], "ca": ca[0]}


def page_texts(pdf: Path) -> list[str]:
    with pdfplumber.open(pdf) as document:
        return [page.extract_text() or "" for page in document.pages]


def flat(text: str) -> str:
    """Text with every run of spaces and line breaks as one space: wrapping does not matter."""
    return " ".join(text.split())


def has(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(word)}(?![\w]|\.\d)", text) is not None


# -- locales, placeholders and blocks ----------------------------------------------------------------------


def test_each_country_gets_its_own_facts_and_says_which_country(built: dict[str, Path]) -> None:
    uk, ca = pdf_text(built["uk"]), pdf_text(built["ca"])  # the whole text, the list of sources too
    for word in ("999", "A&E", "NHS 111", "37.5", "United Kingdom"):
        assert has(uk, word) and not has(ca, word), word
    for word in ("911", "the emergency department", "38.3", "Canada"):
        assert has(ca, word) and not has(uk, word), word
    assert "Written for readers in: United Kingdom" in uk
    assert "Test Ambulance Service" in uk and "Test Ambulance Service" not in ca
    assert "Test Canadian Hospital" in ca and "Test Canadian Hospital" not in uk
    assert "{{" not in uk + ca and ":::" not in uk + ca


def test_dates_follow_the_locale(built: dict[str, Path]) -> None:
    assert "1 January 2028" in pdf_text(built["uk"])
    assert "January 1, 2028" in pdf_text(built["ca"])


def test_placeholder_values_are_text_never_markup(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "content/locales/en-GB.yaml": 'country: UK\nemergency_number: "999"\ndate_format: d MMMM yyyy\n'
                                      'odd: "*A&E* <b>x</b> [link](http://x) 1. #"\n',
        "content/sections/a.md": section_text("A", "Go to {{ odd }} now."),
    })
    library = Library(Project(root))
    body = localise_body(library.section("a").body, library.locales.by_code["en-GB"])
    html = library.section("a").for_locale(library.locales.by_code["en-GB"]).html
    assert body == "Go to " + escape_markdown("*A&E* <b>x</b> [link](http://x) 1. #") + " now.\n"
    assert "<em>" not in html and "<b>" not in html and "href" not in html
    assert "*A&amp;E* &lt;b&gt;x&lt;/b&gt; [link](http://x) 1. #" in html


def test_blocks_keep_only_their_locales_lines(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"content/sections/a.md": section_text(
        "A", "Start.\n::: only en-GB\n- UK only\n:::\n::: only en-CA en-GB\n- both\n:::\nEnd.")})
    library = Library(Project(root))
    section = library.section("a")
    assert localise_body(section.body, library.locales.by_code["en-GB"]) == "Start.\n- UK only\n- both\nEnd.\n"
    assert localise_body(section.body, library.locales.by_code["en-CA"]) == "Start.\n- both\nEnd.\n"


@pytest.mark.parametrize(("body", "fragment", "line"), [
    ("Call {{ emergency_numbr }} now.", "unknown placeholder {{ emergency_numbr }} (did you mean "
                                        "'emergency_number'?)", 13),
    ("Text.\n\n::: only en-AU\nAussie.\n:::", "unknown locale 'en-AU'", 15),
    ("Text.\n::: only en-GB\nA.\n::: only en-CA\nB.\n:::", "may not nest", 16),
    ("Text.\n::: only en-GB\nNever closed.", "never closed", 14),
    ("Call {{ name | upper }}.", "is not a placeholder", 13),
    ("Call {{ non_emergency_line }}.", "{{ non_emergency_line }} is empty for en-CA", 13),
])
def test_check_refuses_bad_placeholders_and_blocks_in_one_line(
    runner: CliRunner, make_project, body: str, fragment: str, line: int
) -> None:
    root = make_project({"content/sections/alpha.md": section_text("Alpha", body)})
    result = runner.invoke(app, ["check", "--root", str(root)])
    assert result.exit_code == 2, result.output
    errors = [row for row in result.output.splitlines() if row.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert f"content/sections/alpha.md, line {line}: " in errors[0] and fragment in errors[0], errors[0]
    build_result = runner.invoke(app, ["build", "small", "--root", str(root), "-o", str(root / "out"),
                                       "--site", "default"])
    if "empty for en-CA" not in fragment:  # the default site is en-GB, which has NHS 111
        assert build_result.exit_code == 2 and fragment in build_result.output


def test_unknown_locale_in_a_source_is_refused_in_one_line(runner: CliRunner, make_project) -> None:
    source = "  - publisher: P\n    title: T\n    year: 2026\n    locales: [en-GB, en-AU]\n"
    text = flagged("Alpha", "Text.", [], source)
    root = make_project({"content/sections/alpha.md": text})
    result = runner.invoke(app, ["check", "--root", str(root)])
    assert result.exit_code == 2, result.output
    errors = [row for row in result.output.splitlines() if row.startswith("Error:")]
    assert len(errors) == 1 and errors[0].endswith(
        "content/sections/alpha.md, line 11: sources: unknown locale 'en-AU'; the locales are en-CA, en-GB"), errors


def test_unknown_locale_in_a_site_profile_is_refused(runner: CliRunner, make_project) -> None:
    root = make_project({"content/sites/clinic.yaml": "name: Clinic\nlocale: en-NZ\n"})
    result = runner.invoke(app, ["check", "--root", str(root)])
    assert result.exit_code == 2
    assert "content/sites/clinic.yaml, line 2: locale: unknown locale 'en-NZ'" in result.output


def test_locale_files_must_have_the_same_keys(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "content/locales/en-GB.yaml": 'country: UK\nemergency_number: "999"\ndate_format: d MMMM yyyy\nextra: x\n',
        "content/locales/en-CA.yaml": 'country: Canada\nemergency_number: 911\ndate_format: MMMM d, yyyy\n',
    })
    with pytest.raises(ContentError) as caught:
        load_locales(root / "content")
    text = str(caught.value)
    assert "en-CA.yaml: missing key(s) extra" in text
    assert "en-CA.yaml, line 2: emergency_number: must be text" in text


def test_each_list_item_counts_as_a_sentence(make_project) -> None:
    from leaflets.readability import score

    items = "\n".join(f"- a symptom you might notice number {i}" for i in range(12))
    assert score(f"Call your team if you have:\n\n{items}").sentences == 13


# -- red flags ---------------------------------------------------------------------------------------------


def test_red_flags_are_deduplicated_grouped_and_most_urgent_wins(safety_project: Path) -> None:
    library = Library(Project(safety_project))
    locale = library.locales.by_code["en-GB"]
    sections = [library.section(s).for_locale(locale) for s in ("spine", "calcium")]
    groups = compile_red_flags(sections)
    assert [g.urgency for g in groups] == ["ambulance", "24-hour-line", "team-today"]
    assert [f.symptom for f in groups[0].flags] == ["New weakness in your arms or legs"]
    assert groups[0].flags[0].section_ids == ("spine", "calcium")
    assert [f.symptom for f in groups[2].flags] == ["Loose teeth or sore gums"]
    assert "a temperature of 37.5°C or above" in [f.symptom for f in groups[1].flags]


def test_red_flag_locales_and_bad_urgency(tmp_path: Path) -> None:
    text = flagged("A", "Text.", [("Thing", "soon")])
    root = write_tree(tmp_path, {"content/sections/a.md": text})
    with pytest.raises(ContentError) as caught:
        load_section(root / "content/sections/a.md")
    assert "line 13: red_flags.0.urgency: must be one of 'ambulance', '24-hour-line' or 'team-today'" in str(
        caught.value)


def test_urgent_box_is_on_page_one_or_two_and_lists_every_red_flag(built: dict[str, Path]) -> None:
    for pdf in built.values():
        pages = page_texts(pdf)
        first = next(i for i, text in enumerate(pages) if "Get help straight away if" in text)
        assert first in (0, 1), first
        box = pages[first] + (pages[first + 1] if first + 1 < len(pages) else "")
        for symptom in ("New weakness in your arms or legs", "Back pain that wakes you at night",
                        "Loose teeth or sore gums"):
            assert symptom in box
    uk = flat(" ".join(page_texts(built["uk"])[:2]))
    assert "Call 999 now for an ambulance" in uk
    assert "Call your 24-hour number now, day or night: 0118 496 0999" in uk
    assert "Call your team today: 0118 496 0123" in uk


def _card_geometry(pdf: Path) -> tuple[tuple[float, float, float, float], list[dict], int, int]:
    """The rectangle the cut marks frame on the last page, the words on that page, and page numbers."""
    with pdfplumber.open(pdf) as document:
        page = document.pages[-1]
        marks = [r for r in page.rects if min(r["width"], r["height"]) < 1 and 4 * MM < max(r["width"],
                                                                                                r["height"]) < 6 * MM]
        verticals = [r for r in marks if r["height"] > r["width"]]
        horizontals = [r for r in marks if r["width"] > r["height"]]
        left, right = min(r["x0"] for r in verticals), max(r["x1"] for r in verticals)
        top, bottom = min(r["top"] for r in horizontals), max(r["bottom"] for r in horizontals)
        return (left, top, right, bottom), page.extract_words(), len(document.pages), page.page_number


def test_card_is_on_the_last_page_a6_and_inside_its_cut_marks(built: dict[str, Path]) -> None:
    for pdf in built.values():
        (left, top, right, bottom), words, pages, number = _card_geometry(pdf)
        assert number == pages
        assert abs((right - left) / MM - 105) < 1.5 and abs((bottom - top) / MM - 148) < 1.5
        card = [w for w in words if w["top"] >= top - 1]
        assert any(w["text"] == "When" for w in card) and card
        for word in card:
            if word["bottom"] > bottom + 1:  # the page footer, below the card
                continue
            assert left <= word["x0"] and word["x1"] <= right, word
        texts = " ".join(w["text"] for w in card if w["bottom"] <= bottom)
        assert "weakness" in texts and "Emergency" in texts
    uk_card = " ".join(w["text"] for w in _card_geometry(built["uk"])[1])
    assert "999" in uk_card and "0118 496 0999" in uk_card


def test_contact_box_separates_the_24_hour_line_and_has_write_in_lines(built: dict[str, Path]) -> None:
    uk = flat(pdf_text(built["uk"]))
    assert "24-hour line 0118 496 0999" in uk
    assert "Your team, daytime 0118 496 0123" in uk
    assert "In an emergency, call 999." in uk and "call NHS 111" in uk
    ca = flat(pdf_text(built["ca"]))  # this site has no phone numbers: labelled lines to write them on
    assert "Ask your team for the numbers to call, and write them on the lines above." in ca
    assert "In an emergency, call 911." in ca and "NHS 111" not in ca


def test_phone_numbers_never_break_across_lines(built: dict[str, Path]) -> None:
    for line in pdf_text(built["uk"]).splitlines():
        if re.search(r"\b0118\b", line):
            assert re.search(r"0118 496 0(123|999)", line), line


# -- safety rules --------------------------------------------------------------------------------------------


def test_a_recipe_that_breaks_a_rule_fails_check_in_one_line(runner: CliRunner, tmp_path: Path) -> None:
    files = dict(FILES)
    files["content/leaflets/bone.yaml"] = "title: Bone leaflet\nsections: [bones, spine, support]\n"
    root = write_tree(tmp_path, files)
    result = runner.invoke(app, ["check", "--strict", "--root", str(root)])
    assert result.exit_code == 2
    errors = [row for row in result.output.splitlines() if row.startswith("Error:")]
    assert len(errors) == 1 and errors[0].endswith(
        "content/leaflets/bone.yaml, line 2: breaks a safety rule: it has bones but not calcium: Anyone with "
        "cancer in the bones must know these signs.")


def test_an_ad_hoc_leaflet_that_breaks_a_rule_warns_and_builds(runner: CliRunner, safety_project: Path) -> None:
    out = safety_project / "adhoc"
    result = runner.invoke(app, ["build", "--sections", "bones,support", "--root", str(safety_project),
                                 "-o", str(out), "--site", "uk"])
    assert result.exit_code == 0, result.output
    warnings = [row for row in result.output.splitlines() if row.startswith("Warning:")]
    assert len(warnings) == 1 and "leaves out spine, calcium" in warnings[0]
    assert (out / "information-for-you.pdf").exists()


def test_rules_naming_unknown_sections_are_refused(runner: CliRunner, make_project) -> None:
    root = make_project({"content/rules.yaml": "rules:\n  - if_any: [alpha]\n    require: [betta]\n"
                                               "    why: Because.\n"})
    result = runner.invoke(app, ["check", "--root", str(root)])
    assert result.exit_code == 2
    assert "content/rules.yaml, line 3: unknown section 'betta'" in result.output


# -- the shipped leaflets: need the content branch (issue #10) ------------------------------------------------

needs_content = pytest.mark.skipif(
    not (REPO / "content/sections/high-calcium.md").exists(),
    reason="needs the content branch's sections (issue #10); must pass once it is merged",
)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("shipped")
    files = {}
    for site, leaflet in (("northfield-kidney", "bone-metastases"), ("lakeshore-cancer-centre", "bone-metastases"),
                          ("northfield-kidney", "brain-metastases"), ("lakeshore-cancer-centre", "brain-metastases")):
        written = build(BuildRequest(leaflets=(leaflet,), site=site), out / site, REPO)
        files[f"{leaflet}@{site}"] = written[0]
    return files


def source_list(pdf: Path) -> str:
    """The leaflet's list of sources, as printed."""
    text = pdf_text(pdf)
    start = text.index("We wrote this leaflet using:")
    return text[start:text.index("This leaflet gives general information", start)]


@needs_content
def test_shipped_bone_leaflet_is_right_for_each_country(shipped: dict[str, Path]) -> None:
    # The whole text, the list of sources too: UK-only sources (titled "When to call 999") are not listed in Canada.
    uk = pdf_text(shipped["bone-metastases@northfield-kidney"])
    ca = pdf_text(shipped["bone-metastases@lakeshore-cancer-centre"])
    for word in ("999", "A&E", "NHS 111", "37.5"):
        assert has(uk, word), f"UK leaflet lacks {word}"
        assert not has(ca, word), f"Canadian leaflet has {word}"
    for word in ("911", "emergency department", "38.3"):
        assert has(ca, word), f"Canadian leaflet lacks {word}"
        assert not has(uk, word), f"UK leaflet has {word}"
    assert "When to call 999" in source_list(shipped["bone-metastases@northfield-kidney"])
    for text in (uk, ca):
        lower = flat(text).lower()
        assert "jaw" in lower and "dentist" in lower, "osteonecrosis of the jaw"
        assert "very thirsty" in lower and "high calcium" in lower, "high calcium signs"
        assert "spinal cord compression" in lower and "trouble walking" in lower, "spinal cord signs"


@needs_content
def test_shipped_brain_leaflet_names_the_driving_authority(shipped: dict[str, Path]) -> None:
    uk = pdf_text(shipped["brain-metastases@northfield-kidney"])
    ca = pdf_text(shipped["brain-metastases@lakeshore-cancer-centre"])
    assert "DVLA" in uk and "DVLA" not in ca and "Driver's Guide" in ca and "Driver's Guide" not in uk
    for word in ("A&E", "NHS 111", "37.5"):
        assert has(uk, word) and not has(ca, word), word
    # The Epilepsy Society's page "When to dial 999" is the only source for three of the seizure signs printed
    # in every country, so it stays in the Canadian list: its title is the only "999" there.
    ca_sources = source_list(shipped["brain-metastases@lakeshore-cancer-centre"])
    assert not has(ca.replace(ca_sources, ""), "999") and "When to call 999" not in ca_sources
    assert has(ca, "911") and "emergency department" in ca


@needs_content
def test_shipped_drug_table_uses_each_countrys_brand_name() -> None:
    library = Library(Project(REPO))
    brands = {code: {d.generic: d.brand for d in library.drugs_for(library.locales.by_code[code])}
              for code in ("en-GB", "en-CA", "en-US")}
    assert brands["en-GB"]["lenvatinib"] == "Kisplyx"
    assert brands["en-CA"]["lenvatinib"] == brands["en-US"]["lenvatinib"] == "Lenvima"


@needs_content
def test_shipped_leaflets_open_with_the_box_and_end_with_the_card(shipped: dict[str, Path]) -> None:
    for pdf in shipped.values():
        pages = page_texts(pdf)
        assert any("Get help straight away if" in text for text in pages[:2]), pdf.name
        (left, top, right, bottom), words, count, number = _card_geometry(pdf)
        assert number == count and "When to get help" in pages[-1]
        for word in words:
            if top - 1 <= word["top"] and word["bottom"] <= bottom + 1:
                assert left <= word["x0"] and word["x1"] <= right, word


@needs_content
def test_shipped_content_passes_check_strict(runner: CliRunner) -> None:
    # With the shared source pages when this checkout has them (../shared/sources beside the project folder).
    shared = next((p for p in (REPO.parent / "shared/sources", REPO.parent.parent / "shared/sources") if p.is_dir()),
                  None)
    result = runner.invoke(app, ["check", "--strict", "--root", str(REPO),
                                 *(["--sources", str(shared)] if shared else [])])
    assert result.exit_code == 0, result.output


def test_drug_brand_names_can_differ_by_country(tmp_path: Path) -> None:
    files = dict(FILES)
    files["content/locales/en-GB.yaml"] = 'country: UK\nemergency_number: "999"\ndate_format: d MMMM yyyy\n' \
                                          'lenvatinib_brand: Kisplyx\n'
    files["content/locales/en-CA.yaml"] = 'country: Canada\nemergency_number: "911"\ndate_format: d MMMM yyyy\n' \
                                          'lenvatinib_brand: Lenvima\n'
    files["content/sections/calcium.md"] = section_text("Calcium", "Calcium words.")
    files["content/sections/spine.md"] = section_text("Spine", "Spine words.")
    files["content/drugs.yaml"] = "drugs:\n  - generic: lenvatinib\n    brand: '{{ lenvatinib_brand }}'\n" \
                                  "    type: vegf-tki\n    given: capsules by mouth\n"
    library = Library(Project(write_tree(tmp_path, files)))
    assert [d.brand for d in library.drugs_for(library.locales.by_code["en-GB"])] == ["Kisplyx"]
    assert [d.brand for d in library.drugs_for(library.locales.by_code["en-CA"])] == ["Lenvima"]
    (tmp_path / "content/drugs.yaml").write_text(files["content/drugs.yaml"].replace("lenvatinib_brand", "brand_x"))
    with pytest.raises(ContentError) as caught:
        Library(Project(tmp_path)).drugs  # noqa: B018 - loading is the test
    assert "drugs.yaml, line 3: unknown placeholder {{ brand_x }}" in str(caught.value)


def test_a_long_urgent_list_runs_in_two_even_columns_in_reading_order(built_library: Path) -> None:
    """The bone leaflet's eight "call your 24-hour number" signs: four down the left, then four down the right."""
    with pdfplumber.open(built_library / "bone-metastases.pdf") as pdf:
        page = next(p for p in pdf.pages if "Get help straight away" in (p.extract_text() or ""))
        words = page.extract_words()

    def x_of(text: str) -> float:
        return next(w["x0"] for w in words if w["text"] == text)
    assert x_of("denosumab:") - x_of("Weak") > page.width * 0.3, "the list's second half is beside the first"
    assert abs(x_of("Weak") - x_of("Great")) < 1 and abs(x_of("On") - x_of("Diarrhoea,")) < 1  # one column each
    text = page.extract_text()
    assert text.index("Weak or numb") < text.index("Problems peeing") < text.index("Great thirst")
    assert text.index("On denosumab") < text.index("A temperature") < text.index("Diarrhoea")


@pytest.mark.parametrize(("texts", "cut"), [
    (["a"] * 8, 4), (["a"] * 7, 4), (["a" * 90, "a", "a", "a"], 1), (["a", "a", "a", "a" * 90], 3), (["a"], 1),
])
def test_two_column_lists_are_cut_where_the_taller_column_is_shortest(texts: list[str], cut: int) -> None:
    from leaflets.document import column_split

    assert column_split(texts) == cut
