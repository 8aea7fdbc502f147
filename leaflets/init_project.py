"""`leaflets init`: a new organisation project, layered on the built-in library."""

from __future__ import annotations

import re
from pathlib import Path

from .errors import InputError
from .project import PROJECT_FILE, Project
from .schema import Paper, SiteFile

LETTER_LOCALES = ("en-US", "en-CA", "fr-CA", "es-US")
"""Locales whose printers hold US Letter paper; every other locale starts with A4."""

SITE_TEMPLATE = """\
# {name}: printed in the contact box of every leaflet built in this project.
# Fill in what applies (remove the '# ' in front of a line), then run 'leaflets check'.
name: {name_yaml}
# team_phone: 0118 496 0123          # your team, in the daytime
# out_of_hours_phone: 0118 496 0999  # the 24-hour line
# website: www.example.org/your-team
# feedback: https://www.example.org/feedback   # an email or web address
# online_url: https://www.example.org/leaflets/{{leaflet}}   # the online copy; a QR code links to it
# logo: images/logo.png              # a file under content/, for example content/images/logo.png
# logo_alt: {name} logo
locale: {locale}
paper: {paper}
"""

PROJECT_TEMPLATE = """\
# A leaflets project: this organisation's own material, on top of the built-in library.
name: {name_yaml}
site: {site}   # the site profile (content/sites/{site}.yaml) that builds use unless --site says otherwise
"""

README_TEMPLATE = """\
# {name}: patient leaflets

This folder holds {name}'s own leaflet material. The built-in library (every section, leaflet,
glossary entry and drug of the installed `leaflets`) is used underneath it: anything here adds to
it, and anything here with the same id as a built-in item replaces it, for this project only.

```sh
leaflets list                      # every leaflet and section, and where each comes from
leaflets build bone-metastases     # a PDF in out/, with this project's contact details
leaflets check                     # reading level, glossary, review dates, local copies out of date
```

## Fill in your site profile
Edit `content/sites/{site}.yaml`: phones, website, feedback address, logo (put the file in
`content/images/`). Every leaflet built here uses it.

## Add material
- A new section: `content/sections/<id>.md` (front matter, then plain-language text; see the built-in
  sections for the keys). A new leaflet: `content/leaflets/<id>.yaml` listing section ids, built-in or yours.
- Change a built-in item: `leaflets adapt section <id>` (or `leaflet`, `site`, `set`, `template`,
  `style`) copies it here with `based_on:`, the content hash of the original. Edit the copy.
  When the built-in original is later corrected, `leaflets check` says the copy is behind:
  compare the two, take the changes you need, and set `based_on:` to the new hash it shows.
- Glossary and drug entries: `content/glossary.yaml` and `content/drugs.yaml` hold only yours;
  an entry with the same term (or generic name) as a built-in one replaces it.
- Your own look: `styles/site.css` is applied after the built-in styles.

## Approve material
Every section starts as `status: draft`, and every page of a leaflet with a draft section says
"Draft: not yet clinically approved". When your clinical lead has reviewed a section, record it:
set `status: approved`, `last_reviewed:` (today) and `next_review:` (within three years). Review
built-in sections you use the same way: adapt them, review the copy, approve it. Build with
`--approved-only` to refuse anything not yet approved, and keep this folder in version control so
every change has a date and an author.
"""


def site_id_for(name: str) -> str:
    """A site profile id from an organisation's name: lowercase letters, digits and hyphens."""
    from .plan import slugify

    return slugify(name) if re.search(r"[A-Za-z0-9]", name) else "site"


def _yaml_text(value: str) -> str:
    """VALUE as a YAML scalar that reads back as exactly VALUE."""
    import json

    return json.dumps(value, ensure_ascii=False)


def init_project(folder: Path | str, name: str | None = None, locale: str = "en-GB",
                 paper: str | None = None) -> list[Path]:
    """Make an organisation project in FOLDER (new or empty) and return the files written."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"{folder}: already exists and is not empty; choose a new folder name")
    name = (name or folder.resolve().name.replace("-", " ").replace("_", " ").strip().title()).strip()
    paper = paper or ("letter" if locale in LETTER_LOCALES else "a4")
    try:
        SiteFile(name=name, locale=locale, paper=paper)
    except ValueError as exc:
        raise InputError(_first_problem(exc)) from None
    site = site_id_for(name)
    files = {
        PROJECT_FILE: PROJECT_TEMPLATE.format(name_yaml=_yaml_text(name), site=site),
        f"content/sites/{site}.yaml": SITE_TEMPLATE.format(name=" ".join(name.split()), name_yaml=_yaml_text(name),
                                                           locale=locale, paper=paper),
        "README.md": README_TEMPLATE.format(name=name, site=site),
    }
    written = []
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        written.append(path)
    for empty in ("content/sections", "content/leaflets"):
        (folder / empty).mkdir(parents=True, exist_ok=True)
    from .library import Library

    Library(Project(folder.resolve())).site(None)  # what we wrote must read back: fail here, not at first build
    return written


def _first_problem(exc: ValueError) -> str:
    """The option a bad --name, --locale or --paper came from, and what is wrong with it."""
    errors = getattr(exc, "errors", lambda: [])()
    if not errors:
        return str(exc)
    error = errors[0]
    option = {"name": "--name", "locale": "--locale", "paper": "--paper"}.get(str(error["loc"][0]), "--name")
    hints = {"--locale": "write it like en-GB, en-CA or en-US", "--paper": f"choose one of {', '.join(_papers())}"}
    return f"{option}: {error['msg'].lower()}; {hints.get(option, 'use a shorter name without control characters')}"


def _papers() -> tuple[str, ...]:
    from typing import get_args

    return get_args(Paper)
