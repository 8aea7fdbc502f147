"""The declarative schema of every content and input file, with one-line descriptions of each field."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .characters import character_problem, phone_problem
from .errors import ContentError, InputError, LeafletError, Problem
from .readers import YamlDocument

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"


def text_problem(value: str, field: str | None = None) -> str | None:
    """Why a piece of text cannot go into a leaflet, or None if it can (phones: digits in typed order)."""
    problem = character_problem(value)
    if problem is None and field is not None and field.endswith("phone"):
        problem = phone_problem(value)
    return problem


MAX_TITLE = 300
"""The longest title, name or short text in any file or form."""
MAX_SECTIONS = 60
"""A leaflet, from a recipe or made on the spot, has at most this many sections."""
ShortText = Annotated[str, Field(min_length=1, max_length=MAX_TITLE)]
Languages = Annotated[list[Literal["en", "fr"]], Field(min_length=1, max_length=10)]
Variant = Literal["standard", "large-print", "booklet", "easy-read"]
Format = Literal["pdf", "html"]
Paper = Literal["a4", "letter"]
DrugType = Literal["immunotherapy", "cytokine", "vegf-tki", "mtor", "hif2", "hormone", "bone"]
ICD10_PATTERN = r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$"
Icd10Code = Annotated[str, Field(pattern=ICD10_PATTERN)]
TeachBackQuestion = Annotated[str, Field(min_length=10, max_length=200)]
PATIENT_REFERENCE = re.compile(r"^(?=.*[0-9])[A-Za-z0-9][A-Za-z0-9 /-]{0,29}$")
BasedOn = Annotated[
    str | None,
    Field(pattern=r"^[0-9a-f]{12}$",
          description="a local copy's record of the built-in original it was made from (its content hash)"),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value: Any, info: ValidationInfo) -> Any:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and (problem := text_problem(text, info.field_name)):
                raise ValueError(problem)
        return value


LocaleCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]
"""A locale code, the name of a file in content/locales/ (en-GB, en-CA)."""


class SourceRef(_Strict):
    """Where a section's facts come from: shown in the leaflet's list of sources."""

    publisher: ShortText
    title: ShortText
    year: int = Field(ge=1900, le=2100)
    url: str | None = Field(default=None, max_length=500)
    locales: list[LocaleCode] = Field(
        default_factory=list, description="listed only in leaflets for these locales (default: every locale)")


Urgency = Literal["ambulance", "24-hour-line", "team-today"]


class RedFlag(_Strict):
    """A symptom that means getting help now: compiled into the leaflet's urgent box and cut-out card."""

    symptom: Annotated[str, Field(min_length=1, max_length=200)]
    urgency: Urgency = Field(description="ambulance: call the emergency number now; 24-hour-line: call the "
                             "24-hour number now, day or night; team-today: call your team today")
    locales: list[LocaleCode] = Field(default_factory=list,
                                      description="only for these locales (default: every locale)")


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
    based_on: BasedOn = None

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
    icd10: list[Icd10Code] = Field(
        default_factory=list, max_length=20, description="ICD-10 codes the leaflet fits, main diagnosis first"
    )
    teach_back: list[TeachBackQuestion] = Field(
        default_factory=list, min_length=2, max_length=4, description="questions that check understanding"
    )
    subtitle: str | None = Field(default=None, max_length=300)
    audience: str | None = Field(default=None, max_length=300)
    intro: str | None = Field(default=None, max_length=4000)
    sections: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(min_length=1, max_length=MAX_SECTIONS)
    based_on: BasedOn = None

    @field_validator("sections")
    @classmethod
    def _no_repeats(cls, ids: list[str]) -> list[str]:
        return _no_repeated_sections(ids)


class AdHocLeaflet(_Strict):
    """A leaflet made on the spot from chosen sections: `build --sections`, the web page and the API."""

    sections: list[str] = Field(description="section ids, in the order they appear")
    title: str | None = Field(default=None, max_length=MAX_TITLE, description="empty: 'Information for you'")

    @field_validator("sections")
    @classmethod
    def _chosen(cls, ids: list[str]) -> list[str]:
        if not ids:
            raise ValueError("choose at least one section")
        if len(ids) > MAX_SECTIONS:
            raise ValueError(f"choose at most {MAX_SECTIONS} sections")
        return _no_repeated_sections(ids)

    @classmethod
    def checked(cls, sections: Any, title: Any) -> AdHocLeaflet:
        """The model, or an InputError whose problems name the field (sections, title), never a flag."""
        try:
            return cls.model_validate({"sections": sections, "title": title})
        except ValidationError as exc:
            raise InputError(*problems_from(exc)) from None


def _no_repeated_sections(ids: list[str]) -> list[str]:
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"lists a section twice: {', '.join(repeated)}")
    return ids


class RecordSettings(_Strict):
    """Whether a site keeps a record of hand-outs (off unless its profile switches it on)."""

    enabled: bool = False
    store_patient_reference: bool = Field(default=False, description="keep the hospital number given")
    patient_reference_system: str | None = Field(
        default=None, max_length=300, description="URI naming the hospital number's system, for FHIR export"
    )
    wait_seconds: float = Field(default=10, ge=0, le=300, description="how long to wait for a busy record")


class SiteFile(_Strict):
    """content/sites/<id>.yaml: the organisation a leaflet comes from."""

    name: ShortText
    logo: str | None = Field(default=None, max_length=300, description="a file under content/")
    logo_alt: str | None = Field(default=None, max_length=300)
    # 30 characters holds the longest real number with an extension; phone numbers never wrap, so they must fit.
    team_phone: str | None = Field(default=None, max_length=30)
    out_of_hours_phone: str | None = Field(default=None, max_length=30)
    website: str | None = Field(default=None, max_length=300)
    feedback: str | None = Field(default=None, max_length=300, description="an email or web address")
    online_url: str | None = Field(
        default=None, max_length=300, description="address of the online version; {leaflet} is the id"
    )
    locale: str = Field(default="en-GB", pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")
    paper: Paper = "a4"
    record: RecordSettings = Field(default_factory=RecordSettings, description="the hand-out record")
    based_on: BasedOn = None
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
    based_on: BasedOn = None


class GlossaryFile(_Strict):
    terms: list[GlossaryTerm] = Field(default_factory=list)


class Drug(_Strict):
    """One row of the generated drug table."""

    generic: ShortText
    brand: str | None = Field(default=None, max_length=100)
    type: DrugType
    given: ShortText
    use: str | None = Field(default=None, max_length=300)
    based_on: BasedOn = None


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
    site: str | None = Field(default=None, pattern=ID_PATTERN, description="default: the project's site profile")
    leaflets: Literal["all"] | list[Annotated[str, Field(pattern=ID_PATTERN)]] = "all"
    variants: list[Variant] = Field(default_factory=lambda: ["standard"], min_length=1)
    papers: list[Paper] = Field(default_factory=lambda: ["a4"], min_length=1)
    formats: list[Format] = Field(default_factory=lambda: ["pdf"], min_length=1)
    languages: Languages = Field(default_factory=lambda: ["en"])
    based_on: BasedOn = None


class ProjectFile(_Strict):
    """leaflets-project.yaml: an organisation's project, layered on the built-in library."""

    name: ShortText
    site: str | None = Field(default=None, pattern=ID_PATTERN, description="the site profile builds use by default")


class Details(BaseModel):
    """Personal details typed by a nurse: plain text, never markup, never logged."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    # title: the form's label; description: the hint under it (the web page shows both).
    patient_name: str | None = Field(default=None, max_length=120, title="Patient's name")
    prepared_by: str | None = Field(
        default=None, max_length=120, title="Prepared by",
        description="Your name and role, for example Sam Patel, specialist nurse.",
    )
    team_name: str | None = Field(
        default=None, max_length=120, title="Team name", description="Leave empty to use the site's name."
    )
    team_phone: str | None = Field(
        default=None, max_length=30, title="Team phone number", description="The number the patient should call."
    )
    next_appointment: str | None = Field(
        default=None, max_length=120, title="Next appointment",
        description="For example: Tuesday 3 March, 10:30, Clinic 4.",
    )
    notes: str | None = Field(
        default=None, max_length=2000, title="Notes for the patient",
        description="Printed under 'Notes from your team'. Each line becomes a paragraph.",
    )
    patient_reference: str | None = Field(
        default=None, max_length=30, title="Hospital number",
        description="Kept in the hand-out record only where the site allows it; never printed, never a name.",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _plain_text(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            raise ValueError("must be text; put the value in quotes")
        if isinstance(value, (int, float, dt.date)):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError("must be plain text (one value, not a list or keys)")
        if problem := text_problem(value, info.field_name):
            raise ValueError(problem)
        return value or None

    @field_validator("patient_reference")
    @classmethod
    def _reference_not_name(cls, value: str | None) -> str | None:
        if value is not None and not PATIENT_REFERENCE.match(value):
            raise ValueError("must be a hospital number (letters and digits, with at least one digit), never a name")
        return value

    def present(self) -> dict[str, str]:
        """The details that were given, without empty ones."""
        return {k: v for k, v in self.model_dump().items() if v}

    def printed(self) -> dict[str, str]:
        """The details a leaflet prints: all but those kept only for the hand-out record."""
        return {k: v for k, v in self.present().items() if k not in RECORD_ONLY_DETAILS}


RECORD_ONLY_DETAILS = ("patient_reference",)
DETAIL_KEYS = tuple(Details.model_fields)
PRINTED_DETAIL_KEYS = tuple(k for k in DETAIL_KEYS if k not in RECORD_ONLY_DETAILS)

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
        problems.append(Problem(message, document.path if document else None, line, field=key))
    return problems


_PLAIN_MESSAGES: dict[tuple[str, ...], str] = {
    ("extra_forbidden",): "unknown key (check the spelling)",
    ("missing",): "required, but missing",
    ("literal_error",): "must be one of {expected}",
    ("string_type", "string_sub_type"): "must be text",
    ("string_unicode",): "contains characters that are not valid Unicode text; retype it",
    ("string_too_short",): "must not be empty",
    ("string_too_long",): "is too long: at most {max_length} characters",
    ("list_type", "tuple_type"): "must be a list (one '- item' per line, or [a, b])",
    ("too_short",): "needs at least {min_length} item(s)",
    ("too_long",): "has too many items: at most {max_length}",
    ("dict_type", "model_type", "model_attributes_type"): "must be keys and values (key: value)",
    ("int_type", "int_parsing", "int_from_float"): "must be a whole number",
    ("date_type", "date_parsing", "date_from_datetime_parsing"):
        "must be a date written YYYY-MM-DD, for example 2026-01-31",
    ("date_from_datetime_inexact",): "must be a date without a time, written YYYY-MM-DD",
    ("greater_than_equal", "greater_than"): "must be at least {bound}",
    ("less_than_equal", "less_than"): "must be at most {bound}",
}
"""pydantic's error types, in words a content editor understands; {names} come from the error's context."""


def _plain_message(item: Any) -> str:
    kind = item["type"]
    ctx = item.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == ID_PATTERN:
            return "must be lowercase letters, digits and hyphens (for example bone-metastases)"
        if ctx.get("pattern") == ICD10_PATTERN:
            return "must be an ICD-10 code written like C64 or C79.5 (capital letter, two digits, then a dot)"
        return "is not in the expected form (for example en-GB)"
    for kinds, template in _PLAIN_MESSAGES.items():
        if kind in kinds:
            bound = ctx.get("ge", ctx.get("gt")) if kind.startswith("greater") else ctx.get("le", ctx.get("lt"))
            return template.format_map({"expected": "", "max_length": None, "min_length": None, **ctx, "bound": bound})
    message = str(item["msg"])
    return message.removeprefix("Value error, ")
