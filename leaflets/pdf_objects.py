"""Each PDF object serialised once per file, and a reused page's drawing compressed once per worker.

pydyf (WeasyPrint's PDF writer) builds an object's bytes every time they are asked for, and with a file
identifier it asks twice for every object: once to write it, once more for the identifier's digest, so
every stream was compressed twice. While a file is written, each object's bytes are kept until the file
is done. The drawings of reused pages (page_replay.py) give the same content stream in every PDF a worker
writes from one generic layout; their compressed bytes are kept (up to COMPRESSED_BYTES) and used again.
Nothing else is kept past one file: a stream with personal details is never held after its PDF is written.
The bytes are exactly what pydyf writes (its own Stream.data, given the same compressed data).
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from typing import Any

PYDYF_VERSION = "0.13.0"
"""The pydyf whose Stream.data this copy follows; another version keeps its own."""
COMPRESSED_BYTES = 24 * 2**20
"""Compressed generic page drawings kept per worker (raw and compressed bytes counted): about 40 leaflets."""

_compressed: OrderedDict[bytes, bytes] = OrderedDict()
_kept = [0]
_lock = threading.Lock()
_writing = threading.local()
stats = {"compressed": 0, "reused": 0}
"""How generic streams were compressed in this process (for tests and benchmarks)."""


def install() -> None:
    """Put the kept serialisation into pydyf's PDF.write and Stream.data (once per process)."""
    import pydyf

    if getattr(pydyf.PDF.write, "keeps_objects", False) or pydyf.__version__ != PYDYF_VERSION:
        return
    original_write = pydyf.PDF.write

    def write(pdf: Any, *args: Any, **kwargs: Any) -> Any:
        _writing.objects = {}
        try:
            return original_write(pdf, *args, **kwargs)
        finally:
            _writing.objects = None

    def kept(build: Any) -> Any:
        def data(obj: Any) -> bytes:
            objects = getattr(_writing, "objects", None)
            if objects is None:
                return build(obj)  # type: ignore[no-any-return]
            found = objects.get(id(obj))
            if found is None:
                found = objects[id(obj)] = (obj, build(obj))  # the object is held, so its id stays its own
            return found[1]  # type: ignore[no-any-return]

        return property(data)

    def stream_data(stream: Any) -> bytes:  # pydyf 0.13's Stream.data (BSD licence), compressed once if generic
        content = b"\n".join(pydyf._to_bytes(item) for item in stream.stream)
        extra = pydyf.Dictionary(stream.extra.copy())
        if stream.compress:
            extra["Filter"] = "/FlateDecode"
            content = _compress(content, stream.__dict__.get("_leaflets_generic", False))
        extra["Length"] = len(content)
        return b"\n".join((extra.data, b"stream", content, b"endstream"))

    write.keeps_objects = True  # type: ignore[attr-defined]
    write.originals = {"write": original_write, "Stream": pydyf.Stream.data,  # type: ignore[attr-defined]
                       "Dictionary": pydyf.Dictionary.data}
    pydyf.PDF.write = write
    pydyf.Stream.data = kept(stream_data)
    pydyf.Dictionary.data = kept(pydyf.Dictionary.data.fget)


def _compress(content: bytes, generic: bool) -> bytes:
    """CONTENT deflated as pydyf does it; a GENERIC stream's result kept for the next PDF."""
    if generic:
        with _lock:
            found = _compressed.get(content)
            if found is not None:
                _compressed.move_to_end(content)
                stats["reused"] += 1
                return found
    compressor = zlib.compressobj(level=9)
    result = compressor.compress(content) + compressor.flush()
    if generic:
        with _lock:
            stats["compressed"] += 1
            if content not in _compressed:
                _kept[0] += len(content) + len(result)
            _compressed[content] = result
            while _kept[0] > COMPRESSED_BYTES and _compressed:
                old, old_result = _compressed.popitem(last=False)
                _kept[0] -= len(old) + len(old_result)
    return result
