"""Impose booklet pages two-up onto sheets in saddle-stitch order, so a booklet prints double-sided and folds.

Each page becomes a form XObject drawn once on its sheet (pikepdf): its content is referenced, not rewritten,
which is what makes imposition take milliseconds rather than most of a second.
"""

from __future__ import annotations

from io import BytesIO

import pikepdf

__all__ = ["PRODUCER", "SHEETS", "impose_booklet", "saddle_stitch_order"]

PRODUCER = "leaflets imposition"
"""Fixed /Producer so the print file does not vary with the PDF library's version string."""

SHEETS: dict[str, tuple[float, float]] = {"a4": (842.0, 595.0), "letter": (792.0, 612.0)}
"""Landscape sheet size (points) per paper; sheets are never smaller than this. A4 is rounded to whole points."""

# Pages whose sizes differ by less than this many points are treated as equal (generator rounding).
_SIZE_TOLERANCE = 0.01
# Document information entries carried over from the reading file; everything else is dropped.
_KEPT_INFO = ("/Title", "/Author", "/Subject")
# Annotation entries that point back into the reading file (pages, parents, popups): never copied.
_DROPPED_ANNOT_KEYS = ("/P", "/Parent", "/Popup", "/StructParent")

Matrix = tuple[float, float, float, float, float, float]
Rect = tuple[float, float, float, float]

# Exact matrices for turning content clockwise like /Rotate does, so no float noise enters the sheets.
_CLOCKWISE: dict[int, Matrix] = {
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


def impose_booklet(pages_pdf: bytes, paper: str = "a4") -> bytes:
    """Return a reproducible print file of landscape PAPER sheets that, printed duplex, fold into the booklet.

    Print-ready pages (with a TrimBox and bleed) give sheets of the trimmed spread plus the bleed instead.
    """
    # Raises ValueError for unreadable, encrypted or empty input, landscape pages or pages of unequal sizes.
    if paper not in SHEETS:
        raise ValueError(f"cannot impose a booklet on '{paper}' sheets: choose one of {', '.join(SHEETS)}")
    with _open(pages_pdf) as source:
        pages = list(source.pages)
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
            # flip; the sheet is the paper in landscape, or two pages wide and one tall if the pages are bigger.
            sheet_width = max(SHEETS[paper][0], 2 * width)
            sheet_height = max(SHEETS[paper][1], height)
            fold = sheet_width / 2
            bottom = (sheet_height - height) / 2

        output = pikepdf.new()
        for left, right in saddle_stitch_order(len(pages)):
            sheet = output.add_blank_page(page_size=(sheet_width, sheet_height))
            forms, annots, drawing = pikepdf.Dictionary(), pikepdf.Array(), []
            for number, x, outer in ((left, fold - width, "left"), (right, fold, "right")):
                if number <= len(pages):  # higher numbers are blank padding: nothing to draw
                    placement = _placement(pages[number - 1], (x, bottom), bleed)
                    forms[f"/Page{number}"] = output.copy_foreign(_form(pages[number - 1], bleed, outer))
                    annots.extend(_moved_annotations(source, output, pages[number - 1], placement))
                    numbers = " ".join(_number(v) for v in placement)
                    drawing.append(f"q {numbers} cm /Page{number} Do Q\n".encode())
            sheet.obj["/Resources"] = pikepdf.Dictionary(XObject=forms)
            sheet.obj["/Contents"] = output.make_stream(b"".join(drawing))
            if annots:
                sheet.obj["/Annots"] = annots
            if bleed:
                sheet.obj["/TrimBox"] = pikepdf.Array([bleed, bleed, bleed + 2 * width, bleed + height])
                sheet.obj["/BleedBox"] = pikepdf.Array([0, 0, sheet_width, sheet_height])

        _copy_metadata(source, output)
        buffer = BytesIO()
        # deterministic_id: the trailer /ID is a hash of the content, so the same pages give the same bytes;
        # object streams keep the print file about as small as the reading file.
        output.save(buffer, deterministic_id=True, min_version=source.pdf_version, compress_streams=True,
                    object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


def _open(pages_pdf: bytes) -> pikepdf.Pdf:
    """Read the input, turning pikepdf's errors into ValueError so the engine reports one error type."""
    try:
        source = pikepdf.open(BytesIO(pages_pdf))
    except pikepdf.PasswordError as error:
        raise ValueError("cannot impose a booklet: the PDF is encrypted") from error
    except pikepdf.PdfError as error:
        raise ValueError(f"cannot impose a booklet: not a readable PDF ({error})") from error
    if source.is_encrypted:
        source.close()
        raise ValueError("cannot impose a booklet: the PDF is encrypted")
    return source


def _number(value: float) -> str:
    """A content-stream number with micro-point precision and no float noise (6 significant digits shift pages)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _apply(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    """Map the point (x, y) through a PDF matrix."""
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


def _bounds(matrix: Matrix, rect: Rect) -> Rect:
    """Return the upright bounding box of RECT after MATRIX (exact for quarter turns)."""
    corners = [_apply(matrix, x, y) for x in (rect[0], rect[2]) for y in (rect[1], rect[3])]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return min(xs), min(ys), max(xs), max(ys)


def _rotation(page: pikepdf.Page) -> int:
    """The page's /Rotate in 0..270, since placing a page must turn it as a viewer would."""
    rotate = int(page.obj.get("/Rotate", 0))
    if rotate % 90:
        raise ValueError(f"cannot impose a booklet: page /Rotate {rotate} is not a multiple of 90")
    return rotate % 360


def _rect(box: pikepdf.Array) -> Rect:
    """A PDF box as normalised floats (boxes may list their corners in any order)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _shown_rect(page: pikepdf.Page, box: pikepdf.Array) -> Rect:
    """Return BOX as a viewer shows it, i.e. after /Rotate, since that is what gets printed."""
    return _bounds(_CLOCKWISE[_rotation(page)], _rect(box))


def _trim(page: pikepdf.Page, bleed: float) -> pikepdf.Array:
    """The box that is placed against the fold: the TrimBox of print-ready pages, else the crop box."""
    return page.trimbox if bleed else page.cropbox


def _common_bleed(pages: list[pikepdf.Page]) -> float:
    """Return the bleed every page has on every side around its TrimBox, or 0 when pages have none."""
    bleed = None
    for page in pages:
        if "/TrimBox" not in page.obj:
            return 0.0
        trim, crop = _shown_rect(page, page.trimbox), _shown_rect(page, page.cropbox)
        margins = (trim[0] - crop[0], trim[1] - crop[1], crop[2] - trim[2], crop[3] - trim[3])
        bleed = min(margins) if bleed is None else min(bleed, *margins)
    return bleed if bleed is not None and bleed > _SIZE_TOLERANCE else 0.0


def _common_page_size(pages: list[pikepdf.Page], bleed: float = 0.0) -> tuple[float, float]:
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


def _clip(page: pikepdf.Page, bleed: float, outer: str) -> Rect:
    """The part of the page that is printed, in the page's own (unrotated) coordinates.

    With BLEED, the page keeps that much bleed above, below and on its OUTER side ("left" or "right") and is
    cut at its trim on the fold side, so nothing of the bleed or its crop marks lands inside the spread.
    """
    if not bleed:
        return _rect(page.cropbox)
    low_x, low_y, high_x, high_y = _shown_rect(page, page.trimbox)
    shown = (
        low_x - (bleed if outer == "left" else 0),
        low_y - bleed,
        high_x + (bleed if outer == "right" else 0),
        high_y + bleed,
    )
    return _bounds(_CLOCKWISE[(360 - _rotation(page)) % 360], shown)


def _placement(page: pikepdf.Page, at: tuple[float, float], bleed: float) -> Matrix:
    """The matrix that draws PAGE unscaled and upright as shown, with its trim's lower-left corner AT."""
    low_x, low_y, _, _ = _shown_rect(page, _trim(page, bleed))
    a, b, c, d, _, _ = _CLOCKWISE[_rotation(page)]
    return a, b, c, d, at[0] - low_x, at[1] - low_y


def _form(page: pikepdf.Page, bleed: float, outer: str) -> pikepdf.Stream:
    """PAGE as a form XObject (in the reading file) whose /BBox clips it to the part that is printed."""
    form = page.as_form_xobject(handle_transformations=False)
    form["/BBox"] = pikepdf.Array(_clip(page, bleed, outer))
    form["/Matrix"] = pikepdf.Array([1, 0, 0, 1, 0, 0])
    return form


def _moved_annotations(
    source: pikepdf.Pdf, output: pikepdf.Pdf, page: pikepdf.Page, placement: Matrix
) -> list[pikepdf.Dictionary]:
    """The annotations of PAGE (in SOURCE) copied into OUTPUT and moved with the page; links are dropped.

    Link annotations point at pages of the reading file; copying them would drag those pages into the print file.
    """
    annots = page.obj.get("/Annots")
    if not isinstance(annots, pikepdf.Array):
        return []  # none, or malformed: nothing printable to keep
    moved_annots = []
    for annot in annots:
        if not isinstance(annot, pikepdf.Dictionary) or annot.get("/Subtype") == pikepdf.Name.Link:
            continue
        # A shallow copy inside the reading file, so the page it points back to is never copied across.
        moved = source.make_indirect(
            pikepdf.Dictionary({k: v for k, v in annot.items() if k not in _DROPPED_ANNOT_KEYS})
        )
        if "/Rect" in moved:
            moved["/Rect"] = pikepdf.Array(_bounds(placement, _rect(moved["/Rect"])))
        if "/QuadPoints" in moved:
            points = [float(v) for v in moved["/QuadPoints"]]
            moved["/QuadPoints"] = pikepdf.Array(
                [v for i in range(0, len(points) - 1, 2) for v in _apply(placement, points[i], points[i + 1])]
            )
        moved_annots.append(output.copy_foreign(moved))
    return moved_annots


def _copy_metadata(source: pikepdf.Pdf, output: pikepdf.Pdf) -> None:
    """Carry over title, author, subject and language so the print file still says what it is."""
    info = source.trailer.get("/Info")
    info = info if isinstance(info, pikepdf.Dictionary) else pikepdf.Dictionary()
    for key in _KEPT_INFO:
        if key in info:
            output.docinfo[key] = pikepdf.String(str(info[key]))
    output.docinfo["/Producer"] = pikepdf.String(PRODUCER)
    if "/Title" in info:  # like the reading file: viewers show the title, not the file name
        output.Root["/ViewerPreferences"] = pikepdf.Dictionary(DisplayDocTitle=True)
    lang = source.Root.get("/Lang")
    if lang is not None:
        output.Root["/Lang"] = pikepdf.String(str(lang))
