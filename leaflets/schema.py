"""The declarative schema of every content and input file, with one-line descriptions of each field."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ContentError, LeafletError, Problem
from .files import YamlDocument

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

ShortText = Annotated[str, Field(min_length=1, max_length=300)]
Variant = Literal["standard", "large-print", "booklet"]
Paper = Literal["a4", "letter"]
DrugType = Literal["immunotherapy", "cytokine", "vegf-tki", "mtor", "hif2", "hormone", "bone"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class SourceRef(_Strict):
    """Where a section's facts come from: shown in the leaflet's list of sources."""

    publisher: ShortText
    title: ShortText
    year: int = Field(ge=1900, le=2100)
    url: str | None = Field(default=None, max_length=500)


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

    @model_validator(mode="after")
    def _review_dates_in_order(self) -> SectionMeta:
        if self.last_reviewed and self.next_review and self.next_review < self.last_reviewed:
            raise ValueError("next_review is before last_reviewed")
        return self


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


class SetFile(_Strict):
    """content/sets/<id>.yaml: a batch of leaflets with their variants and papers."""

    title: ShortText
    site: str = Field(default="default", pattern=ID_PATTERN)
    leaflets: Literal["all"] | list[Annotated[str, Field(pattern=ID_PATTERN)]] = "all"
    variants: list[Variant] = Field(default_factory=lambda: ["standard"], min_length=1)
    papers: list[Paper] = Field(default_factory=lambda: ["a4"], min_length=1)


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
        if isinstance(value, (int, float, dt.date)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError("must be plain text")
        if _CONTROL.search(value):
            raise ValueError("contains control characters")
        return value or None

    def present(self) -> dict[str, str]:
        """The details that were given, without empty ones."""
        return {k: v for k, v in self.model_dump().items() if v}


DETAIL_KEYS = tuple(Details.model_fields)

M = TypeVar("M", bound=BaseModel)


def validate(
    model: type[M], document: YamlDocument, error: type[LeafletError] = ContentError, data: Any = None
) -> M:
    """Validate a parsed YAML file against MODEL, reporting every problem at once with its line."""
    try:
        return model.model_validate(document.data if data is None else data)
    except ValidationError as exc:
        raise error(*problems_from(exc, document)) from None


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
    if kind == "extra_forbidden":
        return "unknown key (check the spelling)"
    if kind == "missing":
        return "required, but missing"
    if kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        return f"must be one of {expected}"
    if kind == "string_pattern_mismatch":
        return "must be lowercase letters, digits and hyphens (for example bone-metastases)"
    message = str(item["msg"])
    return message.removeprefix("Value error, ")
