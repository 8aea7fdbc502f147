"""Impose A5 leaflet pages onto A4 sheets in saddle-stitch order, so a booklet prints double-sided and folds."""

from __future__ import annotations

import hashlib
from io import BytesIO

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, ByteStringObject, NameObject, TextStringObject

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
    """Return a reproducible print file of A4 landscape sheets that, printed duplex, fold into the booklet."""
    # Raises ValueError for unreadable, encrypted or empty input, landscape pages or pages of unequal sizes.
    reader = _open(a5_pdf)
    pages = list(reader.pages)
    if not pages:
        raise ValueError("cannot impose a booklet: the PDF has no pages")
    width, height = _common_page_size(pages)

    # Pages sit unscaled against the sheet's centre, so front and back folds line up after a short-edge
    # flip; the sheet is A4 landscape, or two pages wide and one page tall if the pages exceed A5.
    sheet_width = max(_A4_LANDSCAPE[0], 2 * width)
    sheet_height = max(_A4_LANDSCAPE[1], height)
    fold = sheet_width / 2
    bottom = (sheet_height - height) / 2

    writer = PdfWriter()
    for left, right in saddle_stitch_order(len(pages)):
        sheet = writer.add_page(PageObject.create_blank_page(None, sheet_width, sheet_height))
        for number, x in ((left, fold - width), (right, fold)):
            if number <= len(pages):  # higher numbers are blank padding: nothing to draw
                _place(sheet, pages[number - 1], x, bottom)
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


def _shown_size(page: PageObject) -> tuple[float, float]:
    """Return the crop box size as a viewer shows it, i.e. after /Rotate, since that is what gets printed."""
    if page.rotation % 90:
        raise ValueError(f"cannot impose a booklet: page /Rotate {page.rotation} is not a multiple of 90")
    width, height = float(page.cropbox.width), float(page.cropbox.height)
    return (height, width) if page.rotation % 180 else (width, height)


def _common_page_size(pages: list[PageObject]) -> tuple[float, float]:
    """Return the shared shown page size, since sheets assume every page is the same."""
    width, height = _shown_size(pages[0])
    for number, page in enumerate(pages, start=1):
        w, h = _shown_size(page)
        if abs(w - width) > _SIZE_TOLERANCE or abs(h - height) > _SIZE_TOLERANCE:
            raise ValueError(
                f"cannot impose a booklet: page {number} is {w:g} x {h:g} pt but page 1 is "
                f"{width:g} x {height:g} pt; all pages must be the same size"
            )
    if width > height + _SIZE_TOLERANCE:
        raise ValueError(f"cannot impose a booklet: pages are landscape ({width:g} x {height:g} pt)")
    return width, height


def _place(sheet: PageObject, page: PageObject, x: float, y: float) -> None:
    """Draw one page unscaled and upright as shown, with its crop box's lower-left corner at (x, y)."""
    # Link annotations point at pages of the A5 file; cloning them would drag those pages into the print file.
    annots = page.get("/Annots")
    annots = annots.get_object() if annots is not None else None
    if isinstance(annots, ArrayObject):
        page[NameObject("/Annots")] = ArrayObject(
            a for a in annots if a.get_object().get("/Subtype") != "/Link"
        )
    elif "/Annots" in page:
        del page["/Annots"]  # malformed; nothing printable to keep
    box = page.cropbox
    turn = Transformation(_CLOCKWISE[page.rotation % 360])
    corners = [
        turn.apply_on((float(cx), float(cy))) for cx in (box.left, box.right) for cy in (box.bottom, box.top)
    ]
    low_x, low_y = min(cx for cx, _ in corners), min(cy for _, cy in corners)
    place = turn.translate(x - low_x, y - low_y)
    sheet.merge_transformed_page(page, place)  # pypdf clips the merged content to the crop box


def _copy_metadata(reader: PdfReader, writer: PdfWriter) -> None:
    """Carry over title, author, subject and language so the print file still says what it is."""
    info = reader.metadata or {}
    kept: dict[str, str] = {key: str(info[key]) for key in _KEPT_INFO if key in info}
    kept["/Producer"] = PRODUCER
    writer.metadata = kept
    lang = reader.root_object.get("/Lang")
    if lang is not None:
        writer.root_object[NameObject("/Lang")] = TextStringObject(str(lang.get_object()))
