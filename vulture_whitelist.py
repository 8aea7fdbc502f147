"""Names vulture cannot see used: read by Jinja templates, pydantic, Flask, pikepdf or WeasyPrint.

Run by tests/test_dead_code.py with the settings in [tool.vulture] (pyproject.toml). Add a name here
only with the place that uses it.
"""

# Jinja templates (templates/partials/*.html, templates/leaflet.html) read these plan and model fields.
_.content_version  # about.html
_.logo_alt  # cover.html
_.team_phone  # contact.html, and the web form
_.out_of_hours_phone  # contact.html
_.website  # contact.html
_.locale  # leaflet.html
_.emergency_line  # the site's 24-hour number: contact.html, urgent.html, card.html, macros.html
_.country  # Locale.country: cover.html, about.html, card.html ("written for ...")
_.meaning  # glossary.html
_.given  # drug_table.html
_.use  # drug_table.html
_.caption  # diagram.html (the diagram's figure caption)
_.patient_name  # Details fields: the templates, the web form and --set keys
_.prepared_by
_.team_name
_.next_appointment
_.notes

# pydantic reads model_config; Flask reads the JSON provider's settings and a response's status.
_.model_config
_.sort_keys
_.ensure_ascii
_.status_code

# Libraries read attributes we set: pikepdf page boxes, markdown-it's link check, WeasyPrint's attachments.
_.bleedbox
_.validateLink
_.attachments

# Templates call Details.printed() (the cover's "prepared for" block leaves out record-only details).
_.printed

# The FHIR round trip: reading an export back into hand-out rows (the tests prove every export does).
_.parse_ndjson
_.rows_from_resources

# Python calls these module hooks itself (PEP 562): the lazy public API of leaflets/__init__.py.
_.__getattr__  # leaflets/__init__.py: `from leaflets import build_leaflet` imports api.py on first use
_.__dir__  # leaflets/__init__.py: dir(leaflets) lists the public API

# The pool: a task's sequence number orders the queue (dataclass order=True compares it); its counters
# (retired, timed_out, running), queued() and worker_facts() are read by tests/test_pool.py, tests/test_batch.py,
# tests/test_web_pool.py and benchmarks/bench_speed.py to see what the pool did.
_.sequence
_.retired
_.timed_out
_.running
_.queued
_.worker_facts
_.SCHEMA_WORDS  # leaflets/web/language.py: read by pybabel (the catalog) and tests/test_french.py
# fontTools subsetter Options, set in leaflets/htmlfile.py and read by fontTools.subset.
_.flavor  # htmlfile.py: WOFF2 output
_.layout_features  # htmlfile.py
_.name_IDs  # htmlfile.py
_.notdef_outline  # htmlfile.py

# WeasyPrint's line breaking and text drawing read these attributes of a Layout, set by the shared setup
# in render.py (_share_pango_contexts), as its own Layout.setup sets them.
_.first_line_direction
_.ascent
_.underline_position
_.strikethrough_position
_.underline_thickness
_.strikethrough_thickness

# Set on WeasyPrint Page objects and read back through page.__dict__ (leaflets/page_replay.py).
_._leaflets_replay  # render.py: a cached layout's page, drawn once and replayed after
_._leaflets_drawing  # page_replay.py: what drawing the page left behind
_._leaflets_generic  # page_replay.py: a stream drawn from a generic page, read by pdf_objects.py
_.originals  # pdf_objects.py: pydyf's own write and data, for tests/test_pdf_objects.py
_.keeps_objects  # pdf_objects.py: installed once per process
_.handle_starttag  # html_outline.py: HTMLParser calls it
_.handle_startendtag  # html_outline.py: HTMLParser calls it
