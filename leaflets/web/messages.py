"""Error messages in the page's language: the library's English messages matched to catalog templates.

The library and the CLI write their messages in English (the CLI's output is tested word for word), so the web
layer translates them where it shows them: each template below is an English message with %(name)s where the
message holds a value (a field, an id, a limit). A message that matches a template is shown in the page's
language with its values kept as they were; one that matches none is shown as it is (in English).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..errors import Problem
from .language import N_, ui_language, ui_text

_HINT = "%(hint)s"
"""Where a message ends with the library's " (did you mean 'x'?)", which is translated on its own."""
_DID_YOU_MEAN = re.compile(r" \(did you mean '(?P<name>[^']*)'\?\)")

TEMPLATES = (
    # a detail or a print option (the field name is kept, in front)
    N_("unknown key (check the spelling)"),
    N_("required, but missing"),
    N_("must be text"),
    N_("must be text; put the value in quotes"),
    N_("must be plain text (one value, not a list or keys)"),
    N_("must not be empty"),
    N_("is too long: at most %(limit)s characters"),
    N_("contains characters that are not valid Unicode text; retype it"),
    N_("contains control characters (invisible characters pasted from another program); retype it"),
    N_("contains an invisible text-direction character (%(char)s), which can print text in a different order than "
       "it was typed (a phone number's digits reversed); delete it"),
    N_("contains an invisible character (%(char)s), which could hide or split text on the printed page; delete it"),
    N_("contains right-to-left letters or Arabic-Indic digits, which print a phone number's digits in a different "
       "order; write the number with the digits 0-9 (and + ( ) - spaces)"),
    N_("must be a hospital number (letters and digits, with at least one digit), never a name"),
    N_("must be a site profile id (text)"),
    N_("must be true or false"),
    N_("must be 'reading' or 'booklet'"),
    N_("must be one of %(choices)s"),
    N_('must be a language code, for example "fr"'),
    N_("'booklet' needs variant 'booklet'"),
    N_("the booklet print file is a PDF only; use format 'pdf'"),
    N_("choose at least one section"),
    N_("choose at most %(limit)s sections"),
    N_("lists a section twice: %(ids)s"),
    N_("'%(value)s' is not a date: write it YYYY-MM-DD, e.g. 2026-12-01"),
    N_("the site profile '%(site)s' keeps no hand-out record, so a hospital number is not used; leave it out"),
    N_("the site profile '%(site)s' does not allow storing hospital numbers (record: store_patient_reference); "
       "leave it out"),
    # unknown names
    N_("unknown leaflet '%(name)s'%(hint)s"),
    N_("unknown leaflet '%(name)s'%(hint)s; 'leaflets list' shows them all"),
    N_("there is no leaflet called '%(name)s'%(hint)s"),
    N_("unknown site profile '%(name)s'%(hint)s"),
    N_("unknown section '%(name)s'%(hint)s"),
    N_("unknown layout '%(name)s': choose one of %(choices)s"),
    N_("unknown detail key '%(name)s'%(hint)s; use one of %(choices)s"),
    N_("unknown key '%(name)s'%(hint)s; use %(choices)s"),
    N_("unknown language '%(name)s': choose one of %(choices)s"),
    N_("%(where)ssite profile '%(site)s' does not offer %(language)s ('%(code)s'); its languages are: %(offered)s "
       "(add it to 'languages:' in the profile)"),
    N_("'%(code)s' is not an ICD-10 code: codes look like C64 or C79.51"),
    N_("at most %(limit)s codes at a time"),
    # the server's own answers
    N_("there is no such page"),
    N_("there is no such file"),
    N_("there is no such leaflet"),
    N_("this address does not take that kind of request"),
    N_("the request is too large (the limit is %(limit)s KB)"),
    N_("something went wrong while making the leaflet; nothing was saved"),
    N_("the leaflet printer is busy; try again in a minute"),
    N_("this form was sent from another web page, so it was refused"),
    N_("this form had expired (the leaflet program may have been restarted). Open the leaflet again from the list "
       "and type the details again."),
    N_("requests from other web pages are refused"),
    N_("send a JSON body with Content-Type: application/json"),
    N_("the body is nested more than %(limit)s levels deep; send plain JSON"),
    N_("the body is not valid JSON"),
    N_("the body contains text that is not valid Unicode (a lone surrogate such as \\ud800)"),
    N_('the body must be a JSON object, for example {"details": {"patient_name": "Sam"}}'),
    N_("details must be a JSON object of detail keys and text"),
    # the hand-out record
    N_("there is no such hand-out"),
    N_("there is no hand-out record yet"),
    N_("there is no such hand-out in the record"),
    N_("the leaflet was not handed out, because the hand-out record could not be written: %(why)s"),
    N_("the teach-back result was not saved: %(why)s"),
    N_("it is locked by another program; close it (or wait) and try again"),
    N_("it is read-only; make it writable for this user, or choose another file with --db"),
    N_("it is not a hand-out record (not a readable SQLite database); choose another file with --db"),
    N_("the disk is full; free some space and try again"),
    N_("it cannot be opened; check that its folder exists and can be written, or choose another with --db"),
)
"""Every English message the web page and the API translate; each is a msgid of the catalog."""
_NESTED = ("why",)
"""Values that are themselves messages of TEMPLATES (why the record could not be written)."""


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each template as a pattern that matches the English message it makes, values in named groups."""
    found = []
    for template in TEMPLATES:
        pattern = ""
        for part in re.split(r"(%\(\w+\)s)", template.replace("%%", "%")):
            name = re.fullmatch(r"%\((\w+)\)s", part)
            if name is None:
                pattern += re.escape(part)
            elif part == _HINT:
                pattern += f"(?P<hint>(?:{_DID_YOU_MEAN.pattern})?)".replace("?P<name>", "")
            else:
                pattern += f"(?P<{name.group(1)}>.*?)"
        found.append((re.compile(pattern, re.DOTALL), template))
    return tuple(found)


def translate_message(message: str) -> str:
    """MESSAGE in the page's language where the catalog has its template; as it is otherwise (and in English)."""
    if ui_language() == "en":
        return message
    for pattern, template in _patterns():
        match = pattern.fullmatch(message)
        if match is None:
            continue
        values = match.groupdict()
        if values.get("hint"):
            name = _DID_YOU_MEAN.fullmatch(values["hint"])
            values["hint"] = " " + ui_text("(did you mean '%(name)s'?)", name=name.group("name") if name else "")
        for key in _NESTED:
            if key in values:
                values[key] = translate_message(values[key])
        return ui_text(template, **values) if values else ui_text(template)
    return message


def translate_problem(problem: Problem) -> str:
    """A problem as 'field: message' (the field name kept as the API and the form know it), translated."""
    message = translate_message(problem.message)
    if problem.field:
        return f"{problem.field}: {message}"
    field, sep, rest = problem.message.partition(": ")  # a library message that starts with its field
    if sep and re.fullmatch(r"[a-z_]+", field) and message == problem.message:
        return f"{field}: {translate_message(rest)}"
    return message
