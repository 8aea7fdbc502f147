"""The declarative schema of every content and input file, with one-line descriptions of each field."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .errors import ContentError, LeafletError, Problem
from .files import YamlDocument

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_BIDI_OVERRIDE = re.compile("[\u202a-\u202e]")


def text_problem(value: str) -> str | None:
    """Why a piece of text cannot go into a leaflet, or None if it can."""
    if _CONTROL.search(value):
        return "contains control characters (invisible characters pasted from another program); retype it"
    if _SURROGATE.search(value):
        return "contains characters that are not valid Unicode text; retype it"
    return None


ShortText = Annotated[str, Field(min_length=1, max_length=300)]
Languages = Annotated[list[Literal["en", "fr"]], Field(min_length=1, max_length=10)]
Variant = Literal["standard", "large-print", "booklet"]
Paper = Literal["a4", "letter"]
DrugType = Literal["immunotherapy", "cytokine", "vegf-tki", "mtor", "hif2", "hormone", "bone"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and (problem := text_problem(text)):
                raise ValueError(problem)
        return value


class SourceRef(_Strict):
    """Where a section's facts come from: shown in the leaflet's list of sources."""

    publisher: ShortText
    title: ShortText
    year: int = Field(ge=1900, le=2100)
    url: str | None = Field(default=None, max_length=500)


Urgency = Literal["ambulance", "24-hour-line", "team-today"]


class RedFlag(_Strict):
    """A symptom that means getting help now: compiled into the leaflet's urgent box and cut-out card."""

    symptom: Annotated[str, Field(min_length=1, max_length=200)]
    urgency: Urgency = Field(description="ambulance: call the emergency number now; 24-hour-line: call the "
                             "24-hour number now, day or night; team-today: call your team today")
    locales: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]] = Field(
        default_factory=list, description="only for these locales (default: every locale)")


class SectionMeta(_Strict):
    """The front matter of content/sections/<id>.md."""

    title: ShortText
    summary: str | None = Field(default=None, max_length=500)
    sources: list[SourceRef] = Field(default_factory=list, description="every fact traced to a source")
    last_reviewed: dt.date | None = None
    next_review: dt.date | None = None
    status: Literal["draft", "approved"] = "draft"
    tags: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(default_factory=list)
    drug_table: list[DrugType] = Field(default_factory=list, description="drug types to tabulate here")
    red_flags: list[RedFlag] = Field(default_factory=list, max_length=40, description="symptoms needing help now")

    @field_validator("next_review")
    @classmethod
    def _review_dates_in_order(cls, next_review: dt.date | None, info: ValidationInfo) -> dt.date | None:
        last = info.data.get("last_reviewed")
        if last and next_review and next_review < last:
            raise ValueError("is before last_reviewed; the next review date comes after the last one")
        return next_review


class RecipeFile(_Strict):
    """content/leaflets/<id>.yaml: which sections make a leaflet, in order."""

    title: ShortText
    subtitle: str | None = Field(default=None, max_length=300)
    audience: str | None = Field(default=None, max_length=300)
    intro: str | None = Field(default=None, max_length=4000)
    sections: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(min_length=1, max_length=60)

    @field_validator("sections")
    @classmethod
    def _no_repeats(cls, ids: list[str]) -> list[str]:
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"lists a section twice: {', '.join(repeated)}")
        return ids


class SiteFile(_Strict):
    """content/sites/<id>.yaml: the organisation a leaflet comes from."""

    name: ShortText
    logo: str | None = Field(default=None, max_length=300, description="a file under content/")
    logo_alt: str | None = Field(default=None, max_length=300)
    team_phone: str | None = Field(default=None, max_length=60)
    out_of_hours_phone: str | None = Field(default=None, max_length=60)
    website: str | None = Field(default=None, max_length=300)
    feedback: str | None = Field(default=None, max_length=300, description="an email or web address")
    online_url: str | None = Field(
        default=None, max_length=300, description="address of the online version; {leaflet} is the id"
    )
    locale: str = Field(default="en-GB", pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")
    paper: Paper = "a4"
    languages: Languages = Field(
        default_factory=lambda: ["en"],
        description="languages its leaflets may be written in, the first the default; French uses fr-<country>",
    )

    @field_validator("logo")
    @classmethod
    def _logo_under_content(cls, logo: str | None) -> str | None:
        if logo is None:
            return None
        parts = logo.replace("\\", "/").split("/")
        if logo.startswith(("/", "\\")) or ":" in parts[0] or any(p in ("", ".", "..") for p in parts) or any(
            len(p.encode("utf-8")) > 200 for p in parts
        ):
            raise ValueError("must be a file under content/, written like images/logo.png")
        return logo


class GlossaryTerm(_Strict):
    """One word a leaflet explains at the back."""

    term: ShortText
    also: list[ShortText] = Field(default_factory=list)
    meaning: Annotated[str, Field(min_length=1, max_length=600)]


class GlossaryFile(_Strict):
    terms: list[GlossaryTerm] = Field(default_factory=list)


class Drug(_Strict):
    """One row of the generated drug table."""

    generic: ShortText
    brand: str | None = Field(default=None, max_length=100)
    type: DrugType
    given: ShortText
    use: str | None = Field(default=None, max_length=300)


class DrugsFile(_Strict):
    drugs: list[Drug] = Field(default_factory=list)


SectionIds = Annotated[list[Annotated[str, Field(pattern=ID_PATTERN)]], Field(min_length=1, max_length=60)]


class SafetyRule(_Strict):
    """Sections that must go together: a leaflet with any of IF_ANY must include all of REQUIRE."""

    if_any: SectionIds
    require: SectionIds
    why: Annotated[str, Field(min_length=1, max_length=300)]


class RulesFile(_Strict):
    """content/rules.yaml: the safety rules every leaflet must keep."""

    rules: list[SafetyRule] = Field(default_factory=list)


class SetFile(_Strict):
    """content/sets/<id>.yaml: a batch of leaflets with their variants and papers."""

    title: ShortText
    site: str = Field(default="default", pattern=ID_PATTERN)
    leaflets: Literal["all"] | list[Annotated[str, Field(pattern=ID_PATTERN)]] = "all"
    variants: list[Variant] = Field(default_factory=lambda: ["standard"], min_length=1)
    papers: list[Paper] = Field(default_factory=lambda: ["a4"], min_length=1)
    languages: Languages = Field(default_factory=lambda: ["en"])


class Details(BaseModel):
    """Personal details typed by a nurse: plain text, never markup, never logged."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    patient_name: str | None = Field(default=None, max_length=120)
    prepared_by: str | None = Field(default=None, max_length=120)
    team_name: str | None = Field(default=None, max_length=120)
    team_phone: str | None = Field(default=None, max_length=60)
    next_appointment: str | None = Field(default=None, max_length=120)
    notes: str | None = Field(default=None, max_length=2000)

    @field_validator("*", mode="before")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            raise ValueError("must be text; put the value in quotes")
        if isinstance(value, (int, float, dt.date)):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError("must be plain text (one value, not a list or keys)")
        if problem := text_problem(value):
            raise ValueError(problem)
        if _BIDI_OVERRIDE.search(value):  # would show a phone number or name in a different order than typed
            raise ValueError("contains invisible text-direction characters; retype it")
        return value or None

    def present(self) -> dict[str, str]:
        """The details that were given, without empty ones."""
        return {k: v for k, v in self.model_dump().items() if v}


DETAIL_KEYS = tuple(Details.model_fields)

M = TypeVar("M", bound=BaseModel)


def file_id_problem(path: Any) -> Problem | None:
    """A content file's name is its id: lowercase, so that two names never differ only in capitals.

    On Windows and macOS disks Alpha.md and alpha.md are the same file, and Small.pdf would
    overwrite small.pdf; so an id with capitals or other characters is refused with the fix.
    """
    path = Path(path)
    stem, dot, suffix = path.name.rpartition(".")
    if re.match(ID_PATTERN, stem):
        return None
    suggestion = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:80] or "my-file"
    message = f"file name must be lowercase letters, digits and hyphens: rename it to {suggestion}{dot}{suffix}"
    clash = path.with_name(f"{suggestion}{dot}{suffix}")
    if suggestion == stem.lower() and clash.name in {p.name for p in path.parent.glob(f"*{dot}{suffix}")}:
        message = f"{clash.name} is also there, and the two names differ only in capitals: keep one of them"
    return Problem(message, path, None)


_NAMED_BY_FILE = ("RecipeFile", "SiteFile", "SectionMeta")


def validate(
    model: type[M], document: YamlDocument, error: type[LeafletError] = ContentError, data: Any = None
) -> M:
    """Validate a parsed YAML file against MODEL, reporting every problem at once with its line."""
    problems: list[Problem] = []
    if model.__name__ in _NAMED_BY_FILE and (problem := file_id_problem(document.path)):
        problems.append(problem)
    try:
        result = model.model_validate(document.data if data is None else data)
    except ValidationError as exc:
        problems.extend(problems_from(exc, document))
    if problems:
        raise error(*problems)
    return result


def problems_from(exc: ValidationError, document: YamlDocument | None = None) -> list[Problem]:
    """Turn pydantic's errors into one-line problems that say which key and what to do."""
    problems = []
    for item in exc.errors(include_url=False):
        loc = [part for part in item["loc"] if not (isinstance(part, str) and "[" in part)]
        key = ".".join(str(p) for p in loc) or "file"
        message = _plain_message(item)
        line = document.line_of(loc) if document is not None else None
        problems.append(Problem(f"{key}: {message}", document.path if document else None, line))
    return problems


def _plain_message(item: Any) -> str:
    kind = item["type"]
    ctx = item.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown key (check the spelling)"
    if kind == "missing":
        return "required, but missing"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == ID_PATTERN:
            return "must be lowercase letters, digits and hyphens (for example bone-metastases)"
        return "is not in the expected form (for example en-GB)"
    if kind in ("string_type", "string_sub_type"):
        return "must be text"
    if kind == "string_unicode":
        return "contains characters that are not valid Unicode text; retype it"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is too long: at most {ctx.get('max_length')} characters"
    if kind in ("list_type", "tuple_type"):
        return "must be a list (one '- item' per line, or [a, b])"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"has too many items: at most {ctx.get('max_length')}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be keys and values (key: value)"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        return "must be a date written YYYY-MM-DD, for example 2026-01-31"
    if kind == "date_from_datetime_inexact":
        return "must be a date without a time, written YYYY-MM-DD"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {ctx.get('le', ctx.get('lt'))}"
    message = str(item["msg"])
    return message.removeprefix("Value error, ")
