"""Read user-edited files safely: size limits, UTF-8 only, YAML without aliases, errors with lines."""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import ContentError, LeafletError, Problem

MAX_CONTENT_BYTES = 256 * 1024
"""A recipe, site profile, glossary, drug list or set bigger than this is refused (sections: content.py)."""
MAX_DETAILS_BYTES = 64 * 1024
"""A personal details file (--details): six short values."""
MAX_DATA_BYTES = 8 * 1024 * 1024
"""A CSV for personalised runs: thousands of rows, far below anything that strains memory."""
MAX_YAML_DEPTH = 50
"""Lists and mappings nested deeper than this are refused: leaflet files need three or four levels."""


class _Refused(yaml.MarkedYAMLError):
    """A YAML construct we refuse on purpose; its message is complete and says what to do."""


def _tag_name(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, minus aliases (the "billion laughs" bomb), unknown tags and repeated keys."""

    def __init__(self, text: str, line_offset: int = 0) -> None:
        super().__init__(text)
        self.line_offset = line_offset
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(
                problem="YAML aliases (*name) are not allowed in leaflet files; write the value out in full",
                problem_mark=event.start_mark,
            )
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _Refused(
                    problem=f"lists or keys are nested more than {MAX_YAML_DEPTH} levels deep; "
                    "this is not a leaflet file",
                    problem_mark=self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_undefined(self, node: yaml.Node) -> Any:
        raise _Refused(
            problem=f"the YAML tag {_shorten(_tag_name(str(node.tag)))} is not allowed in leaflet files; "
            "remove it and write a plain value",
            problem_mark=node.start_mark,
        )

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if key_node.value in seen:
                raise _Refused(
                    problem=f"the key '{_shorten(key_node.value)}' appears twice (first on line "
                    f"{seen[key_node.value] + 1 + self.line_offset}); keep one of them",
                    problem_mark=key_node.start_mark,
                )
            seen[key_node.value] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, TypeError, IndexError, AttributeError, KeyError) as exc:
            # PyYAML's constructors fail with plain Python errors on values such as 2026-13-45 or !!int ''.
            value = _shorten(str(getattr(node, "value", "")))
            if node.tag == "tag:yaml.org,2002:timestamp":
                reason = f" ({exc})" if isinstance(exc, ValueError) and len(str(exc)) < 60 else ""
                problem = f"'{value}' is not a real date{reason}; write dates as YYYY-MM-DD, for example 2026-01-31"
            elif node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
                problem = f"'{value}' is not a number that can be used here; write a plain number such as 2026"
            else:
                problem = f"'{value}' is not a valid {_tag_name(str(node.tag)).lstrip('!')} value; write plain text"
            raise _Refused(problem=problem, problem_mark=node.start_mark) from None


_SafeLoader.add_constructor(None, _SafeLoader.construct_undefined)


@dataclass(frozen=True)
class YamlDocument:
    """Parsed YAML plus its node tree, so validation errors can name the line."""

    data: Any
    node: yaml.Node | None
    path: Path
    line_offset: int = 0

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """Return the 1-based line of the value at LOC (a pydantic error location), if it can be found."""
        node = self.node
        line = node.start_mark.line if node is not None else None
        for key in loc:
            if isinstance(node, yaml.MappingNode):
                match = next((pair for pair in node.value if pair[0].value == key), None)
                if match is None:
                    break
                line = match[0].start_mark.line
                node = match[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line
            else:
                break
        return None if line is None else line + 1 + self.line_offset


def read_text(path: Path, error: type[LeafletError] = ContentError, limit: int = MAX_CONTENT_BYTES) -> str:
    """Read a user file as UTF-8 text, refusing missing, empty, huge, special and non-UTF-8 files clearly.

    Only regular files are read, and never more than LIMIT bytes: a name that points at /dev/zero,
    a pipe or a file that grows while we read it cannot hang the tool or exhaust memory.
    """
    raw = _read_bytes(Path(path), error, limit)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error.at(path, "is not UTF-8 text; save it as UTF-8 (Unicode) and try again", line) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise error.at(path, "contains a NUL byte: it looks like a binary file, not text; check it is the right file",
                       line)
    if not text.strip():
        raise error.at(path, "file is empty; write its content, or delete the file")
    return text


def _read_bytes(path: Path, error: type[LeafletError], limit: int) -> bytes:
    too_big = f"; the limit is {limit:,} bytes: check it is the right file"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise error.at(path, "file not found; check the name and the folder") from None
    except IsADirectoryError:
        raise error.at(path, "is a folder, not a file") from None
    except PermissionError:
        raise error.at(path, "cannot be read (permission denied); check the file's permissions") from None
    except OSError as exc:
        raise error.at(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error.at(path, "is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise error.at(path, "is not a regular file (a device, pipe or socket); use a text file")
        if info.st_size > limit:
            raise error.at(path, f"file is {info.st_size:,} bytes{too_big}")
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise error.at(path, f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > limit:
        raise error.at(path, f"file is more than {limit:,} bytes{too_big}")
    return raw


def parse_yaml(
    text: str, path: Path, error: type[LeafletError] = ContentError, line_offset: int = 0
) -> YamlDocument:
    """Parse one YAML document with the safe loader, turning every YAML error into a located LeafletError."""
    loader = None
    try:
        loader = _SafeLoader(text, line_offset)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _Refused as exc:
        raise error(Problem(str(exc.problem), path, _line(exc.problem_mark, line_offset))) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1 + line_offset
        raise error(
            Problem(
                f"contains a control character (#x{exc.character:04x}) that YAML does not allow; delete it "
                "(it often comes from pasting text out of another program)",
                path,
                line,
            )
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise error(Problem(_syntax_message(exc), path, _line(mark, line_offset))) from None
    except yaml.YAMLError as exc:
        raise error.at(path, f"invalid YAML ({exc}); check the file's indentation and punctuation") from None
    except RecursionError:
        raise error.at(path, "invalid YAML: nested too deeply; this is not a leaflet file") from None
    except (ValueError, OverflowError, TypeError) as exc:
        raise error.at(path, f"invalid YAML value ({exc})") from None
    finally:
        if loader is not None:
            loader.dispose()
    return YamlDocument(data=data, node=node, path=path, line_offset=line_offset)


def _line(mark: Any, line_offset: int) -> int | None:
    return mark.line + 1 + line_offset if mark is not None else None


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    problem = str(exc.problem or exc.context or "not valid YAML")
    if "\t" in problem or "\\t" in problem:
        return "invalid YAML: a tab is used for indenting; indent with spaces instead"
    if "another document" in problem:
        return "a second YAML document starts here ('---'); a leaflet file holds one: remove the extra '---'"
    if "could not determine a constructor" in problem:
        return "invalid YAML: this YAML tag is not allowed in leaflet files; remove it and write a plain value"
    return (
        f"invalid YAML ({problem}); check the indentation and punctuation here, "
        "and put quotes around text that contains ': ' or ' #'"
    )


def load_yaml_mapping(
    path: Path, error: type[LeafletError] = ContentError, limit: int = MAX_CONTENT_BYTES
) -> YamlDocument:
    """Read a YAML file whose top level must be a mapping of keys to values."""
    document = parse_yaml(read_text(path, error, limit), path, error)
    if not isinstance(document.data, dict):
        raise error.at(path, "expected YAML keys and values (key: value) at the top level", 1)
    return document


def today() -> dt.date:
    """Today's date; one place so tests can reason about review dates."""
    return dt.date.today()
