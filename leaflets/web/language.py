"""The web page's own language: English by default, French when the user picks it (a link at the top).

The choice is a cookie holding only a language code (never a personal detail), set by `?lang=fr` on any page;
the page's fixed words go through the same gettext catalogs as the leaflets (leaflets/locale/). The leaflet's
language is chosen separately in the form (a French page starts with French selected where a site offers it).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, has_request_context, request

from ..i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, translations

UI_COOKIE = "leaflets_lang"


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark TEXT for the catalog; it is translated when shown (see `ui_text`)."""
    return text


SCHEMA_WORDS = (  # the form's labels and hints come from schema.Details; listed here so pybabel finds them
    N_("Patient's name"), N_("Prepared by"), N_("Team name"), N_("Team phone number"), N_("Next appointment"),
    N_("Notes for the patient"), N_("Hospital number"),
    N_("Your name and role, for example Sam Patel, specialist nurse."), N_("Leave empty to use the site's name."),
    N_("The number the patient should call."), N_("For example: Tuesday 3 March, 10:30, Clinic 4."),
    N_("Printed under 'Notes from your team'. Each line becomes a paragraph."),
    N_("Kept in the hand-out record only where the site allows it; never printed, never a name."),
)


def ui_language() -> str:
    """The page's language for this request: ?lang= if it names one, else the cookie, else English (and English
    outside a request)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if "ui_language" not in g:
        asked = request.args.get("lang") if request.method == "GET" else None
        chosen = asked if asked in LANGUAGE_NAMES else request.cookies.get(UI_COOKIE)
        g.ui_language = chosen if chosen in LANGUAGE_NAMES else DEFAULT_LANGUAGE
    return str(g.ui_language)


def use_language(code: object) -> None:
    """Answer this request in CODE if it names a language (an API call's "lang"): its errors come back in it."""
    if isinstance(code, str) and code in LANGUAGE_NAMES:
        g.ui_language = code


def ui_text(text: str, **values: Any) -> str:
    """TEXT in the page's language (for words built in Python: labels, hints, messages)."""
    translated = translations(ui_language()).gettext(text)
    return translated % values if values else translated


def ui_ngettext(singular: str, plural: str, count: int, **values: Any) -> str:
    """SINGULAR or PLURAL in the page's language, in the plural form COUNT needs there (num is COUNT)."""
    return translations(ui_language()).ngettext(singular, plural, count) % {"num": count, **values}


QUERY = "%(query)s"
"""Left in the filter's texts for web.js to replace with the words typed (as text, never as markup)."""


def filter_texts(kind: str, total: int) -> dict[str, Any]:
    """What web.js writes under a search box, worked out here for every count, so plurals follow the catalog.

    KIND is "leaflet" or "section"; "all" is shown when nothing is typed, "found"[n] when n of TOTAL match.
    """
    if kind == "leaflet":
        everything = ui_ngettext("%(num)s leaflet", "%(num)s leaflets", total)
        found = [ui_ngettext("%(num)s of 1 leaflet matches “%(query)s”", "%(num)s of 1 leaflet match “%(query)s”",
                             n, query=QUERY) if total == 1 else
                 ui_ngettext("%(num)s of %(total)s leaflets matches “%(query)s”",
                             "%(num)s of %(total)s leaflets match “%(query)s”", n, total=total, query=QUERY)
                 for n in range(total + 1)]
    else:
        everything = ui_ngettext("%(num)s section", "%(num)s sections", total)
        found = [ui_ngettext("%(num)s of 1 section matches “%(query)s”", "%(num)s of 1 section match “%(query)s”",
                             n, query=QUERY) if total == 1 else
                 ui_ngettext("%(num)s of %(total)s sections matches “%(query)s”",
                             "%(num)s of %(total)s sections match “%(query)s”", n, total=total, query=QUERY)
                 for n in range(total + 1)]
    return {"all": everything, "found": found, "placeholder": QUERY}


def ui_texts(words: dict[str, str]) -> dict[str, str]:
    return {key: ui_text(value) for key, value in words.items()}


def _remember_choice(response: Response) -> Response:
    asked = request.args.get("lang") if request.method == "GET" else None
    if asked in LANGUAGE_NAMES and request.cookies.get(UI_COOKIE) != asked:
        response.set_cookie(UI_COOKIE, asked, samesite="Strict", path="/", httponly=True)
    return response


def install(app: Flask) -> None:
    """gettext in the web templates, in the language of each request."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda text: translations(ui_language()).gettext(text),
        lambda one, many, n: translations(ui_language()).ngettext(one, many, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(ui_language=ui_language, ui_languages=LANGUAGE_NAMES, filter_texts=filter_texts)
    app.after_request(_remember_choice)
