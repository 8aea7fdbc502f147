"""Print options (variant, paper, print-ready) and the output file names they give."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import get_args

from .errors import InputError
from .i18n import DEFAULT_LANGUAGE, check_language
from .schema import Format, Paper, Variant

VARIANTS: tuple[str, ...] = get_args(Variant)
PAPERS: tuple[str, ...] = get_args(Paper)
FORMATS: tuple[str, ...] = get_args(Format)
"""pdf: the tagged PDF (and booklet print file); html: one self-contained accessible HTML file."""


@dataclass(frozen=True)
class PrintOptions:
    """How one leaflet is laid out: the same content in a different format."""

    variant: str = "standard"
    paper: str | None = None
    """None: the site profile's paper, decided in one place (`with_site_paper`, when a leaflet is planned)."""
    print_ready: bool = False
    language: str = "en"
    """The language it is written in; output names carry it when it is not English (bone-metastases.fr.pdf)."""

    def __post_init__(self) -> None:
        check_language(self.language)
        if self.variant not in VARIANTS:
            raise InputError(f"unknown variant '{self.variant}': choose one of {', '.join(VARIANTS)}")
        if self.paper is not None and self.paper not in PAPERS:
            raise InputError(f"unknown paper '{self.paper}': choose one of {', '.join(PAPERS)}")

    def with_site_paper(self, site_paper: str) -> PrintOptions:
        """These options with the site's paper where none was chosen: the one place the default is decided."""
        return self if self.paper is not None else dataclasses.replace(self, paper=site_paper)

    @property
    def page_size(self) -> str:
        """The CSS page size of the pages people read: booklet pages are half a sheet (A5, or half-letter)."""
        if self.variant == "booklet":
            return "half-letter" if self.paper == "letter" else "a5"
        return self.paper

    def file_stem(self, leaflet: str) -> str:
        """The file name (without .pdf) for the reading pages of LEAFLET in these options."""
        parts = [self.named(leaflet)]
        if self.variant in ("large-print", "easy-read"):
            parts.append(self.variant)
        if self.variant == "booklet":
            parts.append(self.page_size)
        elif self.paper == "letter":
            parts.append("letter")
        if self.print_ready:
            parts.append("print")
        return "-".join(parts)

    def booklet_stem(self, leaflet: str) -> str:
        """The file name (without .pdf) of the imposed booklet print file; Letter sheets say so."""
        parts = [self.named(leaflet), "booklet"]
        if self.paper == "letter":
            parts.append("letter")
        if self.print_ready:
            parts.append("print")
        return "-".join(parts)

    def named(self, leaflet: str) -> str:
        """LEAFLET's id with the language after a dot when it is not English: bone-metastases.fr."""
        return leaflet if self.language == DEFAULT_LANGUAGE else f"{leaflet}.{self.language}"

    def as_key(self) -> str:
        key = f"{self.variant}/{self.paper}/{int(self.print_ready)}"
        return key if self.language == DEFAULT_LANGUAGE else f"{key}/{self.language}"
