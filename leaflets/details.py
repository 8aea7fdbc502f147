"""Personal details from --set pairs, a details file or a CSV row: validated, plain text, never logged."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import InputError, Problem
from .library import closest
from .readers import MAX_DETAILS_BYTES, YamlDocument, load_yaml_mapping
from .schema import DETAIL_KEYS, Details, problems_from


def _check_keys(keys: Iterable[Any], where: str | Path | None, document: YamlDocument | None = None) -> None:
    unknown = [str(k) for k in keys if k not in DETAIL_KEYS]
    if unknown:
        raise InputError(
            *(
                Problem(f"unknown detail key '{k[:40]}'{closest(k, list(DETAIL_KEYS))}; "
                        f"use one of {', '.join(DETAIL_KEYS)}", where, document.line_of([k]) if document else None)
                for k in unknown
            )
        )


def details_from_mapping(values: Mapping[str, Any], where: str | Path | None = None) -> Details:
    """Validate personal details; error messages name the key, never the value typed."""
    _check_keys(values, where)
    try:
        return Details.model_validate(dict(values))
    except ValidationError as exc:
        problems = problems_from(exc)
        raise InputError(*(dataclasses.replace(p, path=where) for p in problems)) from None


def parse_set_options(pairs: Iterable[str]) -> dict[str, str]:
    """Turn repeated --set key=value options into a dict."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:  # never echo what was typed: it may be a patient's name
            missing = "has no '='" if not sep else "has nothing before the '='"
            raise InputError(f"--set needs key=value, for example --set patient_name=Sam; one --set {missing}")
        values[key] = value
    return values


def load_details(details_file: Path | None = None, pairs: Iterable[str] = ()) -> Details:
    """Details from a YAML file, then --set pairs on top; each problem names where the value came from."""
    values: dict[str, Any] = {}
    if details_file is not None:
        document = load_yaml_mapping(Path(details_file), InputError, MAX_DETAILS_BYTES)
        _check_keys(document.data, details_file, document)
        try:
            Details.model_validate(document.data)
        except ValidationError as exc:
            raise InputError(*problems_from(exc, document)) from None
        values.update({str(k): v for k, v in document.data.items()})
    set_values = parse_set_options(pairs)
    _check_keys(set_values, "--set")
    details_from_mapping(set_values, "--set")
    values.update(set_values)
    return details_from_mapping(values, details_file if not set_values else None)
