"""The job list: one leaflet in one variant and paper, from a set or from each row of a CSV file."""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..details import details_from_mapping
from ..errors import InputError, LeafletError, Problem
from ..library import LeafletSet, Library, closest
from ..plan import slugify
from ..project import Project
from ..readers import MAX_DATA_BYTES, read_text
from ..schema import DETAIL_KEYS, ID_PATTERN, Details
from ..translations import check_site_language
from ..variants import FORMATS, PAPERS, VARIANTS, PrintOptions

DATA_COLUMNS = ("leaflet", "id", "variant", "paper", "format", "lang", *DETAIL_KEYS)
PRIVATE = "[personal detail]"

_ID = re.compile(ID_PATTERN)


@dataclass(frozen=True)
class BatchJob:
    """One leaflet in one variant and paper (or one CSV row): small and picklable for a worker."""

    index: int
    root: str
    out_dir: str
    leaflet: str
    site: str
    variant: str = "standard"
    paper: str = "a4"
    details: dict[str, str] = field(default_factory=dict, hash=False)
    row: int | None = None
    prefix: str = ""
    output_format: str = "pdf"
    language: str = "en"
    record: Any = None  # where this row's hand-out is recorded (leaflets.record.RecordTarget), if anywhere
    reuse: bool = False
    """Several rows share this leaflet, format and set of details: reuse the generic pages (same bytes, faster)."""

    @property
    def options(self) -> PrintOptions:
        return PrintOptions(variant=self.variant, paper=self.paper, language=self.language)

    def output_name(self, rendered: str) -> str:
        """The file name in the output folder: personalised files get the row or id in front."""
        return f"{self.prefix}-{rendered}" if self.prefix else rendered

    @property
    def outputs(self) -> tuple[str, ...]:
        options = self.options
        if self.output_format == "html":
            return (self.output_name(f"{options.file_stem(self.leaflet)}.html"),)
        names = [f"{options.file_stem(self.leaflet)}.pdf"]
        if self.variant == "booklet":
            names.append(f"{options.booklet_stem(self.leaflet)}.pdf")
        return tuple(self.output_name(name) for name in names)

    @property
    def label(self) -> str:
        """How messages name the job: the leaflet and format, and the CSV row; never a personal detail."""
        what = f"{self.variant}, {self.paper}" + (", html" if self.output_format == "html" else "")
        what += "" if self.language == "en" else f", {self.language}"
        if self.row is not None:
            return f"row {self.row} ({self.leaflet}, {what})"
        return f"{self.leaflet} ({what})"


@dataclass(frozen=True)
class JobOutcome:
    """What a worker sends back for one job: plain data, no exceptions (they may not pickle)."""

    index: int
    ok: bool
    seconds: float
    files: tuple[str, ...] = ()
    error: str | None = None
    warnings: tuple[str, ...] = ()
    pid: int | None = None
    task: int | None = None
    peak_rss_kb: int | None = None
    rss_kb: int | None = None


def error_line(exc: BaseException) -> str:
    if isinstance(exc, LeafletError):
        return "; ".join(str(p) for p in exc.problems)
    return f"unexpected error: {exc.__class__.__name__}: {exc}"


def find_set_file(set_path: Path | str, project: Project) -> Path:
    """A set manifest by path, by path inside the project, or by id (content/sets/<id>.yaml)."""
    path = Path(set_path)
    by_id = project.find("content", f"sets/{path.name}.yaml")
    for candidate in (path, project.root / path, by_id):
        if candidate is not None and candidate.is_file():
            return candidate
    return path  # Library.leaflet_set reports it as not found


def jobs_from_set(leaflet_set: LeafletSet, library: Library, out_dir: Path) -> list[BatchJob]:
    """Every (leaflet, language, variant, paper, format) of a set; jobs writing the same files are made once."""
    jobs: list[BatchJob] = []
    seen: set[tuple[str, ...]] = set()
    root, out = str(library.project.root), str(out_dir.resolve())
    file = leaflet_set.file
    languages = list(dict.fromkeys(file.languages))
    for language in languages:
        check_site_language(library.site(file.site), language)
    for leaflet in library.set_leaflets(leaflet_set):
        for language, variant, paper, output_format in itertools.product(
            languages, *(dict.fromkeys(values) for values in (file.variants, file.papers, file.formats))
        ):
            job = BatchJob(len(jobs), root, out, leaflet, file.site, variant, paper,
                           output_format=output_format, language=language)
            if job.outputs not in seen:
                seen.add(job.outputs)
                jobs.append(job)
    return jobs


def _normalise_column(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _read_table(path: Path) -> list[list[str]]:
    """Read a CSV through the same safe reader as every other user file (size cap, regular files, UTF-8)."""
    text = read_text(path, InputError, MAX_DATA_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        raise InputError.at(path, f"is not a valid CSV file ({exc})", reader.line_num + 1) from None
    return rows


def jobs_from_data(
    data_path: Path, leaflet_set: LeafletSet, library: Library, out_dir: Path
) -> list[BatchJob]:
    """One job per CSV row, every row checked before anything renders; problems name rows, never values."""
    header, body = _checked_table(data_path)
    allowed = library.set_leaflets(leaflet_set)
    defaults = (leaflet_set.file.variants[0], leaflet_set.file.papers[0], leaflet_set.file.formats[0])
    languages = list(leaflet_set.file.languages)
    owners: dict[str, int] = {}
    jobs: list[BatchJob] = []
    problems: list[Problem] = []
    root, out = str(library.project.root), str(out_dir.resolve())
    for number, cells in body:
        where = f"{data_path}, row {number}"
        if len(cells) > len(header):
            problems.append(Problem("has more cells than there are columns (a comma in a value needs quotes)", where))
            continue
        values = {name: cell.strip() for name, cell in zip(header, cells, strict=False) if name}
        row_problems, details = _row_problems(values, allowed, defaults, where)
        if (values.get("lang") or languages[0]) not in languages:
            row_problems.append(Problem(f"lang: must be one of this set's languages: {', '.join(languages)}", where))
        if row_problems:
            problems.extend(row_problems)
            continue
        prefix = slugify(values["id"]) if values.get("id") else f"row-{number:04d}"
        job = BatchJob(len(jobs), root, out, values["leaflet"], leaflet_set.file.site,
                       values.get("variant") or defaults[0], values.get("paper") or defaults[1],
                       details=details.present(), row=number, prefix=prefix,
                       output_format=values.get("format") or defaults[2], language=values.get("lang") or languages[0])
        clash = next((owners[name] for name in job.outputs if name in owners), None)
        if clash is not None:
            problems.append(Problem(f"id: gives the same file name as row {clash}; each row needs its own id", where))
            continue
        owners.update(dict.fromkeys(job.outputs, number))
        jobs.append(job)
    if problems:
        raise InputError(*problems)
    return mark_reuse(jobs)


REUSE_FROM = 10
"""Rows that share a generic layout before reusing it pays: it is laid out twice per worker (benchmarks/RESULTS.md:
6 rows per leaflet made a CSV run slower)."""


def mark_reuse(jobs: list[BatchJob]) -> list[BatchJob]:
    """Mark the jobs whose generic layout serves at least REUSE_FROM rows."""
    def shape(job: BatchJob) -> tuple[str, str, str, tuple[str, ...]]:
        return job.leaflet, job.variant, job.paper, tuple(sorted(job.details))

    counts = Counter(shape(job) for job in jobs)
    return [dataclasses.replace(job, reuse=counts[shape(job)] >= REUSE_FROM) for job in jobs]


def _checked_table(data_path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The CSV's column names and its non-empty rows (numbered), once the header itself is right."""
    rows = _read_table(data_path)
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError.at(data_path, "file is empty: the first row must name the columns, e.g. leaflet,patient_name")
    header = [_normalise_column(name) for name in rows[0]]
    body = [(number, cells) for number, cells in enumerate(rows[1:], start=1) if any(c.strip() for c in cells)]
    problems: list[Problem] = []
    if "leaflet" not in header:  # then the first row may be a patient's details: never echo it
        if not set(header) & set(DATA_COLUMNS):
            raise InputError.at(data_path, "the first row must name the columns (leaflet, patient_name, ...), but "
                                "it names none of them: it looks like a row of details; add a header row above it", 1)
        raise InputError.at(data_path, "needs a 'leaflet' column naming the leaflet for each row")
    unknown = [name for name in header if name and name not in DATA_COLUMNS]
    if unknown:
        raise InputError(
            *(Problem(f"unknown column '{name}'{closest(name, list(DATA_COLUMNS))}; the columns are "
                      f"{', '.join(DATA_COLUMNS)}", data_path) for name in unknown)
        )
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise InputError.at(data_path, f"column named twice: {', '.join(repeated)}")
    for position, name in enumerate(header, start=1):
        if not name and any(len(cells) >= position and cells[position - 1].strip() for _, cells in body):
            problems.append(Problem(f"column {position} has values but no name in the first row", data_path))
    if not body:
        problems.append(Problem("has no rows after the header: nothing to build", data_path))
    if problems:
        raise InputError(*problems)
    return header, body


def _row_problems(
    values: dict[str, str], allowed: list[str], defaults: tuple[str, str, str], where: str
) -> tuple[list[Problem], Details]:
    """What is wrong with one row (naming columns, never values), and its checked details."""
    problems: list[Problem] = []
    leaflet = values.get("leaflet", "")
    if not leaflet:
        problems.append(Problem("leaflet: required, but empty", where))
    elif not _ID.match(leaflet):
        problems.append(Problem("leaflet: not a leaflet id (ids look like bone-metastases)", where))
    elif leaflet not in allowed:
        hint = closest(leaflet, allowed)  # the value itself is never echoed: it may be a name in the wrong column
        problems.append(Problem(f"leaflet: not a leaflet in this set{hint}", where))
    if (values.get("variant") or defaults[0]) not in VARIANTS:
        problems.append(Problem(f"variant: must be one of {', '.join(VARIANTS)}", where))
    if (values.get("paper") or defaults[1]) not in PAPERS:
        problems.append(Problem(f"paper: must be one of {', '.join(PAPERS)}", where))
    if (values.get("format") or defaults[2]) not in FORMATS:
        problems.append(Problem(f"format: must be one of {', '.join(FORMATS)}", where))
    try:
        details = details_from_mapping({k: v for k, v in values.items() if k in DETAIL_KEYS and v}, where)
    except InputError as exc:
        problems.extend(exc.problems)
        details = Details()
    return problems, details
