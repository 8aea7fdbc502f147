"""A PO file for professional translators: `leaflets translations export` and `import` (polib).

Every translatable text is one entry: msgctxt says where it goes (sections/<id>:body, leaflets/<id>:title,
glossary/<English term>:meaning, drugs/<generic>:given, interface or interface|<gettext context>), msgid is
the English, msgstr the current translation. An extracted comment records the hash of the English file the
entry was exported from; a stale translation is exported "fuzzy". On import, every entry that is translated
and not fuzzy is written back and its file's source_hash set to the hash recorded in the entry; a file whose
texts and hash are unchanged is not touched, so exporting and importing an unchanged file changes nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from .errors import ContentError, InputError
from .i18n import LANGUAGE_NAMES, catalog_path, check_language
from .layers import file_hash, text_hash
from .library import Library
from .project import find_project
from .readers import load_yaml_mapping
from .sections import load_section
from .translations import TranslatedSectionMeta, locale_code_for, translation_folder
from .writers import write_atomic

HASH_NOTE = re.compile(r"^source_hash: ([0-9a-f]{12})$", re.MULTILINE)
SECTION_FIELDS = ("title", "summary")
RECIPE_FIELDS = ("title", "subtitle", "audience", "intro")
DRUG_FIELDS = ("name", "brand", "given", "use")
NEVER_MATCHED = "0" * 12
"""The source_hash of a translation nobody has checked against its English yet: it stays stale."""
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.DOTALL | re.MULTILINE)


INTERFACE = "interface"
"""The context of the fixed words of leaflets and the web page (interface|<context> where they have one)."""


def _entry(context: str, english: str, translated: str | None, source_hash: str, stale: bool,
           where: str) -> Any:
    import polib

    entry = polib.POEntry(msgctxt=context, msgid=english, msgstr=translated or "",
                          comment=f"source_hash: {source_hash}", occurrences=[(where, "")])
    if stale and translated:
        entry.flags.append("fuzzy")
    return entry


def _english_flags(section: Any, locale_code: str) -> list[Any]:
    """The English red flags a translation for LOCALE_CODE's country keeps, in order."""
    english_locale = "en-" + locale_code.partition("-")[2]
    return [f for f in section.meta.red_flags if not f.locales or english_locale in f.locales]


def export_entries(library: Library, language: str, locale_code: str) -> list[Any]:
    """Every translatable English text of the project, with its current translation where there is one."""
    folder = translation_folder(library.project, language)
    entries = []
    for sid in library.section_ids:
        english = library.section(sid)
        source = text_hash(english.source_text)
        path = folder / "sections" / f"{sid}.md"
        current = load_section(path, meta_model=TranslatedSectionMeta) if path.exists() else None
        stale = current is not None and current.meta.translation.source_hash != source
        where = f"content/sections/{sid}.md"
        for name in SECTION_FIELDS:
            if getattr(english.meta, name):
                entries.append(_entry(f"sections/{sid}:{name}", getattr(english.meta, name),
                                      getattr(current.meta, name) if current else None, source, stale, where))
        theirs = current.meta.red_flags if current else []
        for index, flag in enumerate(_english_flags(english, locale_code)):
            mine = theirs[index].symptom if index < len(theirs) else None
            entries.append(_entry(f"sections/{sid}:red_flags/{index}", flag.symptom, mine, source, stale, where))
        entries.append(_entry(f"sections/{sid}:body", english.body, current.body if current else None, source,
                              stale, where))
    for rid in library.recipe_ids:
        recipe = library.recipe(rid)
        source = text_hash(recipe.source_text)
        path = folder / "leaflets" / f"{rid}.yaml"
        current = load_yaml_mapping(path).data if path.exists() else {}
        stale = bool(current) and current.get("source_hash") != source
        for name in RECIPE_FIELDS:
            if getattr(recipe.file, name):
                entries.append(_entry(f"leaflets/{rid}:{name}", getattr(recipe.file, name), current.get(name),
                                      source, stale, f"content/leaflets/{rid}.yaml"))
    entries += _shared_entries(library, folder)
    return entries + _interface_entries(language)


def _shared_entries(library: Library, folder: Path) -> list[Any]:
    entries = []
    for kind, items, key in (("glossary", library.glossary, "term"), ("drugs", library.drugs, "generic")):
        english_path = library.project.find("content", f"{kind}.yaml")
        if english_path is None:
            continue
        source = file_hash(english_path)
        path = folder / f"{kind}.yaml"
        data = load_yaml_mapping(path).data if path.exists() else {}
        stale = bool(data.get("source_hash")) and data.get("source_hash") != source
        listed = data.get("terms" if kind == "glossary" else "drugs") or []
        match = "source_term" if kind == "glossary" else "generic"
        by_key = {item.get(match): item for item in listed if isinstance(item, dict)}
        for item in items:
            ident = getattr(item, key)
            mine = by_key.get(ident, {})
            if kind == "glossary":
                fields = {"term": item.term, "also": "; ".join(item.also), "meaning": item.meaning}
                theirs = {"term": mine.get("term"), "also": "; ".join(mine.get("also") or []) or None,
                          "meaning": mine.get("meaning")}
            else:
                fields = {"name": item.generic, "brand": item.brand, "given": item.given, "use": item.use}
                theirs = {name: mine.get(name) for name in DRUG_FIELDS}
            for name, english in fields.items():
                if english:
                    entries.append(_entry(f"{kind}/{ident}:{name}", english, theirs.get(name), source, stale,
                                          f"content/{kind}.yaml"))
    return entries


def _interface_entries(language: str) -> list[Any]:
    import polib

    path = catalog_path(language)
    if not path.exists():
        return []
    return [polib.POEntry(msgctxt=INTERFACE + (f"|{e.msgctxt}" if e.msgctxt else ""), msgid=e.msgid,
                          msgstr=e.msgstr, flags=list(e.flags),
                          occurrences=[("leaflets/locale/leaflets.pot", "")])
            for e in polib.pofile(str(path)) if not e.obsolete]


def export_po(language: str, out: Path, root: Path | str | None = None) -> tuple[Path, int]:
    """Write every text to translate into LANGUAGE as a PO file; returns the file and how many entries."""
    import polib

    check_language(language)
    library = Library(find_project(root))
    if problems := library.validate_all():
        raise ContentError(*problems)
    locale_code = _locale_of(library, language)
    po = polib.POFile(wrapwidth=0)
    po.metadata = {"Project-Id-Version": "leaflets", "Language": language.replace("-", "_"),
                   "MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8",
                   "Content-Transfer-Encoding": "8bit", "X-Leaflets-Locale": locale_code}
    po.header = (f"{LANGUAGE_NAMES[language]} texts of the leaflets. msgctxt says where each text goes; translate "
                 "msgstr, remove 'fuzzy' when a stale text is checked, and import with 'leaflets translations "
                 "import'.")
    po.extend(export_entries(library, language, locale_code))
    write_atomic(out, str(po).encode("utf-8"), personal=False)
    return out, len(po)


def _locale_of(library: Library, language: str) -> str:
    """The locale a language is written for: that of the first site profile offering it (fr-CA for Lakeshore)."""
    for sid in library.site_ids:
        site = library.site(sid)
        if language in site.file.languages:
            return locale_code_for(site, language)
    return language


# -- import --------------------------------------------------------------------------------------------------


def import_po(po_path: Path, language: str, root: Path | str | None = None,
              translator: str | None = None) -> list[Path]:
    """Write the translated, non-fuzzy entries of PO_PATH into LANGUAGE's files; returns the files changed."""
    import polib

    check_language(language)
    if not po_path.is_file():
        raise InputError(f"{po_path}: file not found; check the name and the folder")
    try:
        po = polib.pofile(str(po_path), wrapwidth=0)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{po_path}: not a PO file that can be read ({exc})") from None
    library = Library(find_project(root))
    folder = translation_folder(library.project, language)
    grouped: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    pending: set[str] = set()
    interface: dict[tuple[str | None, str], str] = {}
    for entry in po:
        if entry.obsolete or not entry.msgctxt or not entry.msgstr:
            continue
        if entry.msgctxt.split("|")[0] == INTERFACE:  # interface, or interface|<its own context>
            if "fuzzy" not in entry.flags:
                interface[(entry.msgctxt.partition("|")[2] or None, entry.msgid)] = entry.msgstr
            continue
        where, _, name = entry.msgctxt.rpartition(":")
        if "fuzzy" in entry.flags:
            pending.add(where)
            continue
        note = HASH_NOTE.search(entry.comment or "")
        grouped[where][name] = (entry.msgstr, note.group(1) if note else "")
    for where in pending & set(grouped):  # partly checked: write the new words, but the file stays stale
        grouped[where] = {name: (value, "") for name, (value, _) in grouped[where].items()}
    who = translator or po.metadata.get("Last-Translator") or "Imported translation"
    locale_code = po.metadata.get("X-Leaflets-Locale") or language
    changed = []
    for where, fields in grouped.items():
        kind, _, ident = where.partition("/")
        if kind == "sections" and ident in library.section_ids:
            changed += _import_section(library, folder, ident, fields, who, locale_code)
        elif kind == "leaflets" and ident in library.recipe_ids:
            changed += _import_recipe(folder / "leaflets" / f"{ident}.yaml", fields, who)
    changed += _import_shared(library, folder, grouped)
    return changed + _import_interface(language, interface)


def _import_interface(language: str, texts: dict[tuple[str | None, str], str]) -> list[Path]:
    """Translated interface strings go into the language's gettext catalog (leaflets/locale/)."""
    import polib

    path = catalog_path(language)
    if not texts or not path.exists():
        return []
    catalog = polib.pofile(str(path), wrapwidth=0)
    changed = False
    for entry in catalog:
        key = (entry.msgctxt, entry.msgid)
        if key in texts and entry.msgstr != texts[key]:
            entry.msgstr = texts[key]
            changed = True
    if not changed:
        return []
    write_atomic(path, str(catalog).encode("utf-8"), personal=False)
    return [path]


def _hash_of(fields: dict[str, tuple[str, str]]) -> str:
    hashes = {h for _, h in fields.values() if h}
    if len(hashes) > 1:
        raise InputError(f"entries of one file carry different source hashes ({', '.join(sorted(hashes))}); "
                         "export again and translate the new file")
    return hashes.pop() if hashes else ""


def _dump(data: dict[str, Any], head: str = "") -> str:
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)


def _leading_comments(text: str) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line)
    return "".join(lines)


def _import_section(library: Library, folder: Path, sid: str, fields: dict[str, tuple[str, str]],
                    who: str, locale_code: str) -> list[Path]:
    path = folder / "sections" / f"{sid}.md"
    english = library.section(sid)
    source = path if path.exists() else english.path
    text = source.read_text("utf-8")
    match = _FRONT_MATTER.match(text)
    if not match:
        raise ContentError.at(source, "must start with front matter")
    front = yaml.safe_load(match.group(1)) or {}
    body = text[match.end():]
    new_front = dict(front)
    for name in SECTION_FIELDS:
        if name in fields:
            new_front[name] = fields[name][0]
    flags = [dict(f) for f in front.get("red_flags") or []]
    if not path.exists():  # a new translation: the English flags this country keeps, without their locales
        kept = _english_flags(english, locale_code)
        flags = [{"symptom": f.symptom, "urgency": f.urgency} for f in kept]
    for name, (value, _) in fields.items():
        if name.startswith("red_flags/") and int(name.split("/")[1]) < len(flags):
            flags[int(name.split("/")[1])]["symptom"] = value
    if flags:
        new_front["red_flags"] = flags
    new_body = fields["body"][0] if "body" in fields else body
    info = dict(front.get("translation") or {"source_hash": "", "translator": who})
    recorded = _hash_of(fields) or info.get("source_hash", "")
    if path.exists() and new_front == front and new_body == body and info.get("source_hash") == recorded:
        return []
    info["source_hash"] = recorded or NEVER_MATCHED
    new_front["translation"] = info
    new_front.setdefault("status", "draft")
    write_atomic(path, f"---\n{_dump(new_front)}---\n{new_body}".encode(), personal=False)
    return [path]


def _import_recipe(path: Path, fields: dict[str, tuple[str, str]], who: str) -> list[Path]:
    current = load_yaml_mapping(path).data if path.exists() else {}
    updated = dict(current)
    for name in RECIPE_FIELDS:
        if name in fields:
            updated[name] = fields[name][0]
    recorded = _hash_of(fields)
    updated["source_hash"] = recorded or current.get("source_hash") or NEVER_MATCHED
    updated.setdefault("translator", who)
    if updated == current:
        return []
    head = _leading_comments(path.read_text("utf-8")) if path.exists() else ""
    write_atomic(path, _dump(updated, head).encode(), personal=False)
    return [path]


def _import_shared(library: Library, folder: Path, grouped: dict[str, dict[str, tuple[str, str]]]) -> list[Path]:
    changed = []
    for kind, key, match in (("glossary", "terms", "source_term"), ("drugs", "drugs", "generic")):
        mine = {w.partition("/")[2]: f for w, f in grouped.items() if w.startswith(kind + "/")}
        if not mine:
            continue
        path = folder / f"{kind}.yaml"
        current = load_yaml_mapping(path).data if path.exists() else {key: []}
        updated = {**current, key: [dict(item) for item in current.get(key) or []]}
        by_key = {item.get(match): item for item in updated[key]}
        hashes = set()
        for ident, fields in mine.items():
            item = by_key.get(ident)
            if item is None:
                item = {match: ident} if kind == "drugs" else {}
                updated[key].append(item)
            for name, (value, recorded) in fields.items():
                hashes.add(recorded)
                item[name] = [v.strip() for v in value.split(";") if v.strip()] if name == "also" else value
            if kind == "glossary":
                item["source_term"] = ident
            if kind == "drugs" and item.get("name") == ident:
                item.pop("name")
        hashes.discard("")
        if len(hashes) == 1:
            updated["source_hash"] = hashes.pop()
        if updated != current:
            head = _leading_comments(path.read_text("utf-8")) if path.exists() else ""
            write_atomic(path, _dump(updated, head).encode(), personal=False)
            changed.append(path)
    return changed
