"""Drawing a reused page once: what WeasyPrint's writer draws for it is kept and replayed in later PDFs.

Page reuse (personal.py) joins the pages of a cached generic layout to a few personal pages; writing the PDF
still drew every page again, about a third of a warm personalised render. The first time a reused page is
drawn, everything the drawing left behind is kept: its content-stream operators (as the bytes they are
written as), the resources it added (form XObjects, patterns, shadings, graphics states, copied before the
writer numbers them), its tagged marked-content entries, and the glyphs it used in each font (drawn
against empty font records, so the list is the page's own, whatever came before it). Later PDFs replay that
instead of drawing, but only when the writer's state before the page is the state it was drawn in (the same
resource names so far, the same number of tags and operators), so every name and number comes out as
drawing would make it; otherwise the page is drawn as usual. Pages with raster images, colour or bitmap
fonts or missing glyphs are always drawn. The bytes are the same as a full render (tests/test_reuse.py).

WeasyPrint's classes come from render.py, the only module that imports it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

RESOURCE_KINDS = ("ExtGState", "XObject", "Pattern", "Shading")

_weasy: dict[str, Any] = {}
"""WeasyPrint's and pydyf's pieces, given by render.install_page_replay: Stream, Font, get_pango_font_key,
to_bytes, Dictionary, Array, PydyfStream."""
stats = {"recorded": 0, "replayed": 0, "drawn": 0}
"""How reused pages were drawn in this process (for tests and benchmarks)."""
_recording = threading.local()
"""The fonts the page being recorded uses, by key, as Pango fonts: the page's own text layouts hold them, so
they live as long as the page (and its kept drawing) does, and font records can be made from them later."""


class _NotKept(Exception):
    """Something on the page that replay does not copy: the page is always drawn."""


@dataclass
class Drawing:
    """What drawing one page left behind, and the writer's state it was drawn in."""

    before: tuple[Any, ...]
    operators: bytes
    resources: list[tuple[str, str, Any]]
    tags: list[tuple[Any, dict[str, Any]]]
    fonts: list[tuple[Any, Any, list[tuple[int, int]], list[tuple[int, str]]]]


def install(page_class: Any, pieces: dict[str, Any]) -> None:
    """Put replay in WeasyPrint's Page.paint (pages marked for it) and note each font a recorded page uses."""
    if hasattr(page_class.paint, "original"):
        return  # once per process
    _weasy.update(pieces)
    page_class.paint = _paint(page_class.paint)
    stream_class = pieces["Stream"]
    original_add_font = stream_class.add_font

    def add_font(stream: Any, pango_font: Any) -> Any:
        sources = getattr(_recording, "sources", None)
        if sources is not None:
            key = pieces["get_pango_font_key"](pango_font)[0]
            if key not in sources:
                sources[key] = pango_font
        return original_add_font(stream, pango_font)

    add_font.original = original_add_font  # type: ignore[attr-defined]
    stream_class.add_font = add_font


def _paint(original_paint: Any) -> Any:
    """WeasyPrint's Page.paint, replaying or recording the pages marked for it."""

    def paint(page: Any, stream: Any, scale: float = 1) -> None:
        if not page.__dict__.get("_leaflets_replay") or stream._tags is None:
            original_paint(page, stream, scale)
            return
        drawing = page.__dict__.get("_leaflets_drawing")
        if drawing is not None and replay(drawing, stream):
            stats["replayed"] += 1
            return
        drawing = record(original_paint, page, stream, scale)
        stats["recorded" if drawing is not None else "drawn"] += 1
        if drawing is not None:
            page._leaflets_drawing = drawing

    paint.original = original_paint  # type: ignore[attr-defined]
    return paint


def _state(stream: Any) -> tuple[Any, ...]:
    resources = stream._resources
    return (len(stream.stream), len(stream._tags), tuple(stream._images),
            *(tuple(resources[kind]) for kind in RESOURCE_KINDS))


def record(original_paint: Any, page: Any, stream: Any, scale: float) -> Drawing | None:
    """Draw PAGE into STREAM as WeasyPrint does, keeping what it left behind (None if it cannot be kept)."""
    before = _state(stream)
    start, tags_before = before[0], before[1]
    real_fonts, page_fonts = stream._fonts, {}
    sources: dict[Any, Any] = {}
    _recording.sources = sources
    stream._fonts = page_fonts  # groups and patterns drawn on the page share this through Stream.clone
    try:
        original_paint(page, stream, scale)
    finally:
        stream._fonts = real_fonts
        _recording.sources = None
    fonts = [(key, sources.get(key), list(font.widths.items()), list(font.to_unicode.items()))
             for key, font in page_fonts.items()]
    for key, _, widths, texts in fonts:  # as if drawn against the document's own font records
        if key not in real_fonts:
            real_fonts[key] = page_fonts[key]
        else:
            _merge(real_fonts[key], (widths, texts))
    if any(font.missing or font.png or font.svg or font.colr or font.bitmap for font in page_fonts.values()) \
            or any(source is None for _, source, _, _ in fonts) or tuple(stream._images) != before[2]:
        return None
    try:
        resources, memo = [], {}  # one memo: a mask's form is both a graphics state's and an XObject
        for kind, names in zip(RESOURCE_KINDS, before[3:], strict=True):
            for name, value in stream._resources[kind].items():
                if name not in names:
                    resources.append((kind, name, _copy(value, memo)))
        tags = [(box, dict(entry)) for box, entry in list(stream._tags.items())[tags_before:]]
        to_bytes = _weasy["to_bytes"]
        operators = b"\n".join(to_bytes(item) for item in stream.stream[start:])
    except _NotKept:
        return None
    return Drawing(before, operators, resources, tags, fonts)


def _merge(font: Any, used: tuple[list[tuple[int, int]], list[tuple[int, str]]]) -> None:
    """Add a page's glyphs to a font record as drawing does: a glyph already there keeps its first entry."""
    widths, texts = used
    for glyph, width in widths:
        font.widths.setdefault(glyph, width)
    for glyph, text in texts:
        font.to_unicode.setdefault(glyph, text)


def replay(drawing: Drawing, stream: Any) -> bool:
    """Put a kept drawing into STREAM; False (nothing done) when the writer's state is not the one it was drawn in."""
    if _state(stream) != drawing.before:
        return False
    if drawing.operators:
        stream.stream.append(drawing.operators)
    stream._leaflets_generic = True  # no detail in it: pdf_objects.py may keep its compressed bytes
    memo: dict[int, Any] = {}
    for kind, name, value in drawing.resources:
        stream._resources[kind][name] = _copy(value, memo)
    for copied in memo.values():
        if isinstance(copied, _weasy["PydyfStream"]):
            copied._leaflets_generic = True
    for box, entry in drawing.tags:
        stream._tags[box] = dict(entry)
    for key, source, widths, texts in drawing.fonts:
        font = stream._fonts.get(key)
        if font is None:
            _, description, font_size = _weasy["get_pango_font_key"](source)
            font = stream._fonts[key] = _weasy["Font"](source, description, font_size)
        _merge(font, (widths, texts))
    return True


def _copy(value: Any, memo: dict[int, Any]) -> Any:
    """A fresh copy of a resource the writer has not numbered yet (shared objects stay shared)."""
    if value is None or isinstance(value, (bytes, str, int, float)):
        return value
    if id(value) in memo:
        return memo[id(value)]
    stream_class, pydyf_stream = _weasy["Stream"], _weasy["PydyfStream"]
    if getattr(value, "number", None) is not None:
        raise _NotKept  # already written somewhere: not a page's own resource
    if isinstance(value, stream_class):
        copied = stream_class(None, value.page_rectangle, None, None, None, None, None,
                              compress=value.compress)
    elif type(value) is pydyf_stream:
        copied = pydyf_stream(compress=value.compress)
    elif type(value) is _weasy["Dictionary"]:
        copied = _weasy["Dictionary"]()
    elif type(value) is _weasy["Array"]:
        copied = _weasy["Array"]()
    else:
        raise _NotKept
    memo[id(value)] = copied
    if isinstance(copied, pydyf_stream):
        to_bytes = _weasy["to_bytes"]  # operators as the bytes they are written as: nothing in them is numbered
        copied.stream = [b"\n".join(to_bytes(item) for item in value.stream)] if value.stream else []
        copied.extra = _copy(value.extra, memo)
    elif isinstance(copied, dict):
        copied.update((key, _copy(item, memo)) for key, item in value.items())
    else:
        copied.extend(_copy(item, memo) for item in value)
    if "id" in value.__dict__:  # the resource name WeasyPrint gave it
        copied.id = value.id
    return copied
