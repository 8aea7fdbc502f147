#!/bin/sh
# Extract the interface strings of templates/ and leaflets/ into the catalog template, then merge them into
# every language's .po file (new strings arrive untranslated; translate them, see CONTRIBUTING.md).
set -eu
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
"$PYBABEL" extract -F babel.cfg -k gettext_for:2 -k pgettext_for:2c,3 -k ui_text -k ui_ngettext:1,2 -o leaflets/locale/leaflets.pot --no-location --sort-output \
  --project leaflets --version 0.1.0 .
"$PYBABEL" update -i leaflets/locale/leaflets.pot -d leaflets/locale -D leaflets --no-wrap --ignore-obsolete
