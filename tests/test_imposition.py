"""Tests that imposition puts every A5 page on the right half of the right sheet side, reproducibly."""

from __future__ import annotations

from io import BytesIO

import pdfplumber
import pikepdf
import pytest
from pypdf import PdfReader

from leaflets.imposition import PRODUCER, impose_booklet, saddle_stitch_order

A5 = (420, 595)


def make_pdf(
    count: int,
    size: tuple[float, float] = A5,
    sizes: dict[int, tuple[float, float]] | None = None,
    title: str | None = None,
    lang: str | None = None,
) -> bytes:
    """Build a PDF whose page k says "Page k" in Helvetica, so imposed halves can be identified by text."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    for k in range(1, count + 1):
        width, height = (sizes or {}).get(k, size)
        content = pdf.make_stream(f"BT /F1 24 Tf 100 300 Td (Page {k}) Tj ET".encode())
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, width, height],
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
            Contents=content,
        )
        pdf.pages.append(pikepdf.Page(page))
    if title is not None:
        pdf.docinfo["/Title"] = title
        pdf.docinfo["/Author"] = "Leaflet Team"
        pdf.docinfo["/Subject"] = "Testing"
        pdf.docinfo["/Keywords"] = "dropped"
    if lang is not None:
        pdf.Root.Lang = pikepdf.String(lang)
    out = BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def halves(pdf: bytes) -> list[tuple[str, str]]:
    """Return the text on the left and right half of every output page."""
    result: list[tuple[str, str]] = []
    with pdfplumber.open(BytesIO(pdf)) as doc:
        for page in doc.pages:
            left = page.crop((0, 0, 421, page.height)).extract_text().strip()
            right = page.crop((421, 0, page.width, page.height)).extract_text().strip()
            result.append((left, right))
    return result


def label(number: int, count: int) -> str:
    """Return the text expected for a page number; padding pages are blank."""
    return f"Page {number}" if number <= count else ""


def test_order_for_eight_pages() -> None:
    assert saddle_stitch_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]


def test_order_pads_to_multiple_of_four() -> None:
    assert saddle_stitch_order(1) == [(4, 1), (2, 3)]
    assert saddle_stitch_order(5) == saddle_stitch_order(8)
    assert saddle_stitch_order(12) == [(12, 1), (2, 11), (10, 3), (4, 9), (8, 5), (6, 7)]


def test_order_uses_every_page_once() -> None:
    for count in range(1, 30):
        numbers = sorted(n for side in saddle_stitch_order(count) for n in side)
        assert numbers == list(range(1, len(numbers) + 1))
        assert len(numbers) % 4 == 0 and len(numbers) - count < 4


def test_order_rejects_zero_pages() -> None:
    with pytest.raises(ValueError):
        saddle_stitch_order(0)


@pytest.mark.parametrize(("count", "padded"), [(5, 8), (8, 8), (1, 4), (4, 4), (10, 12)])
def test_imposed_sheets_follow_saddle_stitch_order(count: int, padded: int) -> None:
    imposed = impose_booklet(make_pdf(count))
    reader = PdfReader(BytesIO(imposed))
    assert len(reader.pages) == padded // 2
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == (842, 595)
        assert float(page.mediabox.left) == 0 and float(page.mediabox.bottom) == 0
    expected = [(label(left, count), label(right, count)) for left, right in saddle_stitch_order(count)]
    assert halves(imposed) == expected


def test_eight_pages_literal_order() -> None:
    assert halves(impose_booklet(make_pdf(8))) == [
        ("Page 8", "Page 1"),
        ("Page 2", "Page 7"),
        ("Page 6", "Page 3"),
        ("Page 4", "Page 5"),
    ]


def test_pages_sit_against_the_centre_fold() -> None:
    # Each page's text starts 100 pt from its left edge; where it lands on the sheet shows where the page sits.
    with pdfplumber.open(BytesIO(impose_booklet(make_pdf(2)))) as doc:
        front, back = (page.chars[0]["x0"] for page in doc.pages)
    assert back == pytest.approx(1 + 100, abs=0.01)  # back (2, 3), 3 blank: page 2 spans x = 1 .. 421
    assert front == pytest.approx(421 + 100, abs=0.01)  # front (4, 1), 4 blank: page 1 starts at the fold


def test_output_is_deterministic() -> None:
    source = make_pdf(5, title="Leaflet")
    first = impose_booklet(source)
    assert first == impose_booklet(source)
    assert b"/ID" in first
    assert impose_booklet(make_pdf(6)) != impose_booklet(make_pdf(7))


def test_metadata_and_language_are_kept() -> None:
    imposed = impose_booklet(make_pdf(3, title="Caring for your knee", lang="en-GB"))
    reader = PdfReader(BytesIO(imposed))
    meta = reader.metadata
    assert meta is not None
    assert meta.title == "Caring for your knee"
    assert meta.author == "Leaflet Team"
    assert meta.subject == "Testing"
    assert meta.producer == PRODUCER
    assert "/Keywords" not in meta
    assert "/CreationDate" not in meta and "/ModDate" not in meta
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"


def test_missing_metadata_gives_only_producer() -> None:
    reader = PdfReader(BytesIO(impose_booklet(make_pdf(2))))
    assert dict(reader.metadata or {}) == {"/Producer": PRODUCER}
    assert "/Lang" not in reader.trailer["/Root"]


def test_any_equal_portrait_size_is_placed_unscaled() -> None:
    a6 = (298, 420)
    imposed = impose_booklet(make_pdf(4, size=a6))
    reader = PdfReader(BytesIO(imposed))
    assert [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages] == [(842, 595)] * 2
    assert halves(imposed) == [("Page 4", "Page 1"), ("Page 2", "Page 3")]
    a4 = (595, 842)
    big = PdfReader(BytesIO(impose_booklet(make_pdf(4, size=a4))))
    assert (float(big.pages[0].mediabox.width), float(big.pages[0].mediabox.height)) == (1190, 842)


def test_empty_pdf_is_rejected() -> None:
    with pytest.raises(ValueError, match="no pages"):
        impose_booklet(make_pdf(0))


def test_garbage_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a readable PDF"):
        impose_booklet(b"")
    with pytest.raises(ValueError, match="not a readable PDF"):
        impose_booklet(b"this is not a pdf")


def test_unequal_page_sizes_are_rejected() -> None:
    with pytest.raises(ValueError, match="page 3 is 595 x 842 pt"):
        impose_booklet(make_pdf(4, sizes={3: (595, 842)}))


def test_landscape_pages_are_rejected() -> None:
    with pytest.raises(ValueError, match="landscape"):
        impose_booklet(make_pdf(2, size=(595, 420)))


def test_rotated_pages_are_imposed_as_shown() -> None:
    source = pikepdf.open(BytesIO(make_pdf(4, size=(595, 420))))
    for page in source.pages:
        page.obj.Rotate = 90  # landscape media turned clockwise: portrait as a viewer shows it
    buffer = BytesIO()
    source.save(buffer)
    imposed = impose_booklet(buffer.getvalue())
    compact = [tuple("".join(text.split()) for text in side) for side in halves(imposed)]
    assert compact == [("Page4", "Page1"), ("Page2", "Page3")]
    with pdfplumber.open(BytesIO(imposed)) as doc:
        # "P" of page 4 reads downward; the media's top edge (text 120 pt below it) is now the right edge,
        # and the media's left edge (text 100 pt from it) is now the top; the left page starts at x = 1.
        first = doc.pages[0].chars[0]
        assert first["text"] == "P" and not first["upright"]
        assert 1 + 420 - 120 - 24 <= first["x0"] <= 1 + 420 - 120
        assert first["top"] == pytest.approx(100, abs=1)


def test_crop_box_is_what_gets_placed() -> None:
    source = pikepdf.open(BytesIO(make_pdf(4)))
    for page in source.pages:
        page.obj.MediaBox = [-50, -50, 470, 645]
        page.obj.CropBox = [0, 0, 420, 595]
    buffer = BytesIO()
    source.save(buffer)
    imposed = impose_booklet(buffer.getvalue())
    assert halves(imposed) == [("Page 4", "Page 1"), ("Page 2", "Page 3")]
    assert [float(p.mediabox.width) for p in PdfReader(BytesIO(imposed)).pages] == [842, 842]


def test_links_are_dropped_and_other_annotations_move_with_their_page() -> None:
    source = pikepdf.open(BytesIO(make_pdf(4)))
    link = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.Link,
        Rect=[0, 0, 100, 100],
        Dest=[source.pages[3].obj, pikepdf.Name.Fit],
    )
    square = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Square, Rect=[10, 10, 100, 100])
    source.pages[1].obj.Annots = pikepdf.Array([source.make_indirect(link)])
    source.pages[2].obj.Annots = pikepdf.Array([source.make_indirect(square)])
    buffer = BytesIO()
    source.save(buffer)
    reader = PdfReader(BytesIO(impose_booklet(buffer.getvalue())))
    back = reader.pages[1]  # (2, 3): the link was on page 2 (left), the square on page 3 (right)
    annots = [a.get_object() for a in back.get("/Annots", [])]
    assert [a["/Subtype"] for a in annots] == ["/Square"]
    assert [float(v) for v in annots[0]["/Rect"]] == [431, 10, 521, 100]
    assert "/Annots" not in reader.pages[0] or not reader.pages[0]["/Annots"]
    assert len(reader.pages) == 2  # the link's destination page was not dragged into the print file


HALF_LETTER = (396, 612)


@pytest.mark.parametrize("count", [4, 6, 10])
def test_half_letter_pages_are_imposed_on_letter_sheets(count: int) -> None:
    imposed = impose_booklet(make_pdf(count, size=HALF_LETTER), "letter")
    reader = PdfReader(BytesIO(imposed))
    assert [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages] == [(792, 612)] * (
        -(-count // 4) * 2
    )
    with pdfplumber.open(BytesIO(imposed)) as doc:
        sides = [
            tuple(page.crop(box).extract_text().strip() for box in ((0, 0, 396, 612), (396, 0, 792, 612)))
            for page in doc.pages
        ]
        firsts = [min(c["x0"] for c in page.chars) for page in doc.pages]
    assert sides == [(label(left, count), label(right, count)) for left, right in saddle_stitch_order(count)]
    # the pages fill the sheet exactly, meeting at the fold: text 100 pt from a page's left edge
    assert all(x == pytest.approx(100, abs=0.01) or x == pytest.approx(396 + 100, abs=0.01) for x in firsts)


def test_letter_sheets_grow_for_bigger_pages_and_a4_sheets_stay() -> None:
    a5_on_letter = PdfReader(BytesIO(impose_booklet(make_pdf(4), "letter")))
    assert (float(a5_on_letter.pages[0].mediabox.width), float(a5_on_letter.pages[0].mediabox.height)) == (840, 612)
    default = PdfReader(BytesIO(impose_booklet(make_pdf(4, size=HALF_LETTER))))
    assert (float(default.pages[0].mediabox.width), float(default.pages[0].mediabox.height)) == (842, 612)


def test_unknown_paper_is_rejected() -> None:
    with pytest.raises(ValueError, match="choose one of a4, letter"):
        impose_booklet(make_pdf(4), "a3")


@pytest.mark.parametrize("password", ["", "secret"])
def test_encrypted_pdf_is_rejected(password: str) -> None:
    source = pikepdf.open(BytesIO(make_pdf(4)))
    buffer = BytesIO()
    source.save(buffer, encryption=pikepdf.Encryption(user=password, owner="owner"))
    with pytest.raises(ValueError, match="encrypted"):
        impose_booklet(buffer.getvalue())
