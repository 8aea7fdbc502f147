"""Every recipe in French, and every variant and paper: it builds, and French's longer words still lay out cleanly.

Every recipe is built in one layout (Letter, the Canadian site's paper), and the bone leaflet (the longest,
with a drug table) in the other four (A4, large print on both papers, booklet), to keep the run short. Each
PDF is read back: page size, "Page N de M" on every page, no text running off the page,
no heading left alone at the foot of a page, and each drug table whole on one page (in large print and booklets,
where a table may break between rows, each row whole under the repeated header).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pdfplumber
import pytest

from leaflets.build import BuildRequest, build
from leaflets.library import Library
from leaflets.project import find_project
from leaflets.variants import PrintOptions
from tests.conftest import REPO

SITE = "lakeshore-cancer-centre"
LAYOUTS = [("standard", "a4"), ("standard", "letter"), ("large-print", "a4"), ("large-print", "letter"),
           ("booklet", "a4")]
SIZES = {"a4": (595.28, 841.89), "letter": (612.0, 792.0), "a5": (419.53, 595.28)}
MM = 72 / 25.4
RECIPES = Library(find_project(REPO)).recipe_ids
CASES = [(recipe, "standard", "letter") for recipe in RECIPES] + [
    ("bone-metastases", variant, paper) for variant, paper in LAYOUTS if (variant, paper) != ("standard", "letter")]


def lines_of(page: pdfplumber.page.Page) -> list[tuple[float, float, bool, str]]:
    """(top, font size, bold, text) of each line of the page's body, between its header and footer."""
    rows: dict[int, list[dict]] = {}
    for char in page.chars:
        if 22 * MM * 0.6 < char["top"] < page.height - 17 * MM and char["text"].strip():
            rows.setdefault(round(char["top"]), []).append(char)
    return [(top, max(c["size"] for c in chars), all("Bold" in c["fontname"] for c in chars),
             "".join(c["text"] for c in sorted(chars, key=lambda c: c["x0"])))
            for top, chars in sorted(rows.items())]


def check_pdf(path: Path, page_size: tuple[float, float], tables: list[list[str]], whole_tables: bool) -> None:
    with pdfplumber.open(path) as pdf:
        pages = pdf.pages
        texts = [re.sub(r"\s+", " ", page.extract_text() or "") for page in pages]
        body = Counter(round(c["size"]) for page in pages for c in page.chars).most_common(1)[0][0]
        for number, (page, text) in enumerate(zip(pages, texts, strict=True), start=1):
            assert abs(page.width - page_size[0]) < 1 and abs(page.height - page_size[1]) < 1
            assert f"Page {number} de {len(pages)}" in text, (path.name, number)
            assert all(c["x0"] >= 0 and c["x1"] <= page.width - 8 * MM for c in page.chars), (path.name, number)
            lines = lines_of(page)
            if lines and number < len(pages) - 1:  # the last pages hold the sources and the card
                top, size, bold, words = lines[-1]
                assert not (bold and size > body * 1.15), f"{path.name} page {number}: heading '{words}' at the foot"
        for names in tables:
            on = [n for n, text in enumerate(texts) if "Médicaments de cette partie" in text]
            assert on, (path.name, names)
            if whole_tables:
                assert any(all(w in texts[n] for name in names for w in name.split()) for n in on), (path.name, names)
            else:  # large print and A5: a table may break between rows, each row whole under a repeated header
                with_header = [text for text in texts if "Médicament Nom de" in text]
                for name in names:
                    assert any(all(w in text for w in name.split()) for text in with_header), (path.name, name)


@pytest.mark.parametrize(("recipe", "variant", "paper"), CASES)
def test_every_recipe_builds_in_french_in_every_variant_and_paper(
    recipe: str, variant: str, paper: str, tmp_path: Path
) -> None:
    from leaflets.translations import library_for

    library = Library(find_project(REPO))
    french = library_for(library, "fr")
    sections = french.sections_of(french.recipe(recipe))
    drugs = french.drugs_for(french.locale(library.site(SITE)))
    tables = [[d.generic for d in drugs if d.type in s.meta.drug_table] for s in sections if s.meta.drug_table]
    options = PrintOptions(variant=variant, paper=paper, language="fr")
    written = build(BuildRequest(leaflets=(recipe,), site=SITE, options=options), tmp_path, REPO)
    names = sorted(p.name for p in written)
    stem = options.file_stem(recipe)
    assert f"{stem}.pdf" in names and all(".fr" in n for n in names)
    check_pdf(tmp_path / f"{stem}.pdf", SIZES[options.page_size], [t for t in tables if t],
              whole_tables=variant == "standard")


EASY_READ = ["getting-help-straight-away", "immunotherapy", "living-with-advanced-kidney-cancer"]


@pytest.mark.parametrize(("recipe", "paper"), [(r, "letter") for r in EASY_READ] + [("immunotherapy", "a4")])
def test_every_easy_read_leaflet_builds_in_french(recipe: str, paper: str, tmp_path: Path) -> None:
    options = PrintOptions(variant="easy-read", paper=paper, language="fr")
    written = build(BuildRequest(leaflets=(recipe,), site=SITE, options=options), tmp_path, REPO)
    assert [p.name for p in written] == [f"{options.file_stem(recipe)}.pdf"]
    assert ".fr-easy-read" in written[0].name
    check_pdf(written[0], SIZES[paper], [], whole_tables=True)
    text = " ".join(re.sub(r"\s+", " ", p.extract_text() or "") for p in pdfplumber.open(written[0]).pages)
    assert "Facile à lire" in text and "Qui appeler" in text and "911" in text
    for english in ("Easy Read", "Who to call", "About this leaflet", "This leaflet uses easy words", "Page 1 of"):
        assert english not in text, english
