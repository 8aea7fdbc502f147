"""Read user-edited files safely: size limits, UTF-8 only, YAML without aliases, errors with lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import ContentError, LeafletError, Problem

MAX_CONTENT_BYTES = 256 * 1024
"""A section, recipe, site profile or glossary bigger than this is refused: it is not a leaflet."""
MAX_DETAILS_BYTES = 64 * 1024
MAX_DATA_BYTES = 8 * 1024 * 1024
"""A CSV for personalised runs: thousands of rows, far below anything that strains memory."""


class _SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, minus aliases (the "billion laughs" bomb) and with dates kept as dates."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                problem="YAML aliases (*name) are not allowed in leaflet files", problem_mark=event.start_mark
            )
        return super().compose_node(parent, index)


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
    """Read a user file as UTF-8 text, refusing missing, empty, huge and non-UTF-8 files clearly."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise error.at(path, f"file is {size:,} bytes; the limit is {limit:,} bytes")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error.at(path, "file not found") from None
    except IsADirectoryError:
        raise error.at(path, "is a folder, not a file") from None
    except PermissionError:
        raise error.at(path, "cannot be read (permission denied)") from None
    except OSError as exc:
        raise error.at(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error.at(path, "is not UTF-8 text; save it as UTF-8 and try again", line) from None
    if "\x00" in text:
        raise error.at(path, "contains a NUL byte: it looks like a binary file, not text")
    if not text.strip():
        raise error.at(path, "file is empty")
    return text


def parse_yaml(
    text: str, path: Path, error: type[LeafletError] = ContentError, line_offset: int = 0
) -> YamlDocument:
    """Parse one YAML document with the safe loader, turning syntax errors into located LeafletErrors."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark is not None else None
        what = exc.problem or "invalid YAML"
        raise error(Problem(f"invalid YAML: {what}", path, line)) from None
    except yaml.YAMLError as exc:
        raise error.at(path, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise error.at(path, "invalid YAML: nested too deeply") from None
    except (ValueError, OverflowError, TypeError) as exc:
        raise error.at(path, f"invalid YAML value: {exc}") from None
    finally:
        loader.dispose()
    return YamlDocument(data=data, node=node, path=path, line_offset=line_offset)


def load_yaml_mapping(path: Path, error: type[LeafletError] = ContentError, limit: int = MAX_CONTENT_BYTES) -> YamlDocument:
    """Read a YAML file whose top level must be a mapping of keys to values."""
    document = parse_yaml(read_text(path, error, limit), path, error)
    if not isinstance(document.data, dict):
        raise error.at(path, "expected YAML keys and values (key: value) at the top level", 1)
    return document


def today() -> dt.date:
    """Today's date; one place so tests can reason about review dates."""
    return dt.date.today()
