"""Impose A5 leaflet pages onto A4 sheets in saddle-stitch order, so a booklet prints double-sided and folds."""

from __future__ import annotations

import hashlib
from io import BytesIO

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ByteStringObject,
    DictionaryObject,
    NameObject,
    RectangleObject,
    TextStringObject,
)

__all__ = ["PRODUCER", "impose_booklet", "saddle_stitch_order"]

PRODUCER = "leaflets imposition"
"""Fixed /Producer so the print file does not vary with the pypdf version string."""

# A4 landscape in pypdf's rounded points (PaperSize.A4 is 595 x 842); sheets are never smaller than this.
_A4_LANDSCAPE = (842.0, 595.0)
# Pages whose sizes differ by less than this many points are treated as equal (generator rounding).
_SIZE_TOLERANCE = 0.01
# Document information entries carried over from the A5 file; everything else is dropped.
_KEPT_INFO = ("/Title", "/Author", "/Subject")
# Exact matrices for turning content clockwise like /Rotate does (Transformation.rotate adds float noise).
_CLOCKWISE: dict[int, tuple[float, float, float, float, float, float]] = {
    0: (1, 0, 0, 1, 0, 0),
    90: (0, -1, 1, 0, 0, 0),
    180: (-1, 0, 0, -1, 0, 0),
    270: (0, 1, -1, 0, 0, 0),
}


def saddle_stitch_order(page_count: int) -> list[tuple[int, int]]:
    """Return the 1-based (left, right) page pairs of each printed side, so callers can reason about order."""
    # Pages are padded to a multiple of four; numbers above page_count are the blank padding pages.
    # Sides alternate front/back of each sheet: (n, 1), (2, n-1), (n-2, 3), (4, n-3), ...
    if page_count < 1:
        raise ValueError(f"a booklet needs at least one page, got {page_count}")
    padded = -(-page_count // 4) * 4
    sides: list[tuple[int, int]] = []
    for sheet in range(padded // 4):
        low = 2 * sheet + 1
        high = padded - 2 * sheet
        sides.append((high, low))  # front: last unplaced page left, first unplaced page right
        sides.append((low + 1, high - 1))  # back, after a short-edge flip
    return sides


def impose_booklet(a5_pdf: bytes) -> bytes:
    """Return a reproducible print file of A4 landscape sheets that, printed duplex, fold into the booklet.

    Print-ready pages (with a TrimBox and bleed) give sheets of the trimmed spread plus the bleed instead.
    """
    # Raises ValueError for unreadable, encrypted or empty input, landscape pages or pages of unequal sizes.
    reader = _open(a5_pdf)
    pages = list(reader.pages)
    if not pages:
        raise ValueError("cannot impose a booklet: the PDF has no pages")
    bleed = _common_bleed(pages)
    width, height = _common_page_size(pages, bleed)

    if bleed:
        # Print-ready pages (a TrimBox inside a larger crop box): the trimmed pages meet at the fold, the
        # bleed shows only on the sheet's outer edges, and the sheet's TrimBox is the trimmed spread.
        sheet_width, sheet_height = 2 * width + 2 * bleed, height + 2 * bleed
        fold, bottom = bleed + width, bleed
    else:
        # Pages sit unscaled against the sheet's centre, so front and back folds line up after a short-edge
        # flip; the sheet is A4 landscape, or two pages wide and one page tall if the pages exceed A5.
        sheet_width = max(_A4_LANDSCAPE[0], 2 * width)
        sheet_height = max(_A4_LANDSCAPE[1], height)
        fold = sheet_width / 2
        bottom = (sheet_height - height) / 2

    writer = PdfWriter()
    for left, right in saddle_stitch_order(len(pages)):
        sheet = writer.add_page(PageObject.create_blank_page(None, sheet_width, sheet_height))
        for number, x, outer in ((left, fold - width, "left"), (right, fold, "right")):
            if number <= len(pages):  # higher numbers are blank padding: nothing to draw
                _place(sheet, pages[number - 1], x, bottom, bleed, outer)
        if bleed:
            sheet.trimbox = RectangleObject([bleed, bleed, bleed + 2 * width, bleed + height])
            sheet.bleedbox = RectangleObject([0, 0, sheet_width, sheet_height])
        sheet.compress_content_streams()  # zlib output is deterministic and keeps the print file small

    _copy_metadata(reader, writer)
    digest = hashlib.md5(a5_pdf, usedforsecurity=False).digest()
    # pypdf has no public setter for the trailer /ID; a content hash keeps it stable across runs.
    writer._ID = ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])

    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _open(a5_pdf: bytes) -> PdfReader:
    """Read the input, turning pypdf's errors into ValueError so the engine reports one error type."""
    try:
        reader = PdfReader(BytesIO(a5_pdf))
    except PyPdfError as error:
        raise ValueError(f"cannot impose a booklet: not a readable PDF ({error})") from error
    if reader.is_encrypted:
        raise ValueError("cannot impose a booklet: the PDF is encrypted")
    return reader


def _shown_rect(page: PageObject, box: RectangleObject) -> tuple[float, float, float, float]:
    """Return BOX as a viewer shows it, i.e. after /Rotate, since that is what gets printed."""
    if page.rotation % 90:
        raise ValueError(f"cannot impose a booklet: page /Rotate {page.rotation} is not a multiple of 90")
    turn = Transformation(_CLOCKWISE[page.rotation % 360])
    corners = [turn.apply_on((float(x), float(y))) for x in (box.left, box.right) for y in (box.bottom, box.top)]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return min(xs), min(ys), max(xs), max(ys)


def _trim(page: PageObject, bleed: float) -> RectangleObject:
    """The box that is placed against the fold: the TrimBox of print-ready pages, else the crop box."""
    return page.trimbox if bleed else page.cropbox


def _common_bleed(pages: list[PageObject]) -> float:
    """Return the bleed every page has on every side around its TrimBox, or 0 when pages have none."""
    bleed = None
    for page in pages:
        if "/TrimBox" not in page:
            return 0.0
        trim, crop = _shown_rect(page, page.trimbox), _shown_rect(page, page.cropbox)
        margins = (trim[0] - crop[0], trim[1] - crop[1], crop[2] - trim[2], crop[3] - trim[3])
        bleed = min(margins) if bleed is None else min(bleed, *margins)
    return bleed if bleed is not None and bleed > _SIZE_TOLERANCE else 0.0


def _common_page_size(pages: list[PageObject], bleed: float = 0.0) -> tuple[float, float]:
    """Return the shared shown page (trim) size, since sheets assume every page is the same."""
    sizes = []
    for page in pages:
        x0, y0, x1, y1 = _shown_rect(page, _trim(page, bleed))
        sizes.append((x1 - x0, y1 - y0))
    width, height = sizes[0]
    for number, (w, h) in enumerate(sizes, start=1):
        if abs(w - width) > _SIZE_TOLERANCE or abs(h - height) > _SIZE_TOLERANCE:
            raise ValueError(
                f"cannot impose a booklet: page {number} is {w:g} x {h:g} pt but page 1 is "
                f"{width:g} x {height:g} pt; all pages must be the same size"
            )
    if width > height + _SIZE_TOLERANCE:
        raise ValueError(f"cannot impose a booklet: pages are landscape ({width:g} x {height:g} pt)")
    return width, height


def _place(sheet: PageObject, page: PageObject, x: float, y: float, bleed: float = 0.0, outer: str = "") -> None:
    """Draw one page unscaled and upright as shown, with its trim's lower-left corner at (x, y).

    With BLEED, the page keeps that much bleed above, below and on its OUTER side ("left" or "right") and
    is cut at its trim on the fold side, so nothing of the bleed or its crop marks lands inside the spread.
    """
    # Link annotations point at pages of the A5 file; cloning them would drag those pages into the print file.
    annots = page.get("/Annots")
    annots = annots.get_object() if annots is not None else None
    if isinstance(annots, ArrayObject):
        page[NameObject("/Annots")] = ArrayObject(
            a for a in annots if a.get_object().get("/Subtype") != "/Link"
        )
    elif "/Annots" in page:
        del page["/Annots"]  # malformed; nothing printable to keep
    low_x, low_y, high_x, high_y = _shown_rect(page, _trim(page, bleed))
    if bleed:
        # pypdf clips merged content to the page's crop box: make that the trim plus the outer bleeds.
        clip = (
            low_x - (bleed if outer == "left" else 0),
            low_y - bleed,
            high_x + (bleed if outer == "right" else 0),
            high_y + bleed,
        )
        back = Transformation(_CLOCKWISE[(360 - page.rotation) % 360])
        corners = [back.apply_on((cx, cy)) for cx in (clip[0], clip[2]) for cy in (clip[1], clip[3])]
        page.cropbox = RectangleObject(
            [min(c[0] for c in corners), min(c[1] for c in corners),
             max(c[0] for c in corners), max(c[1] for c in corners)]
        )
    turn = Transformation(_CLOCKWISE[page.rotation % 360])
    place = turn.translate(x - low_x, y - low_y)
    sheet.merge_transformed_page(page, place)  # pypdf clips the merged content to the crop box


def _copy_metadata(reader: PdfReader, writer: PdfWriter) -> None:
    """Carry over title, author, subject and language so the print file still says what it is."""
    info = reader.metadata or {}
    kept: dict[str, str] = {key: str(info[key]) for key in _KEPT_INFO if key in info}
    kept["/Producer"] = PRODUCER
    writer.metadata = kept
    if "/Title" in kept:  # like the A5 file: viewers show the title, not the file name
        writer.root_object[NameObject("/ViewerPreferences")] = DictionaryObject(
            {NameObject("/DisplayDocTitle"): BooleanObject(True)}
        )
    lang = reader.root_object.get("/Lang")
    if lang is not None:
        writer.root_object[NameObject("/Lang")] = TextStringObject(str(lang.get_object()))
