"""Find leaflets by diagnosis, check understanding (teach-back) and keep a record of hand-outs.

What the web page and API call (the FHIR export lives in leaflets.record.fhir, loaded only when asked):

- search_leaflets(library, text) and suggest_leaflets(library, codes): the filter box and `?code=`;
- teach_back_questions(library, leaflet_id): the questions to show once the PDF is made;
- record_target(library, site_id, db_path) -> RecordTarget | None: None means the site keeps no record;
- record_handout(target, plan, pdf, teach_back=None, channel="web") -> hand-out id, before sending the PDF;
- set_teach_back(target, handout_id, "done" | "not-done"): the "understanding checked" answer afterwards;
- list_handouts(path, since=..., leaflet=...) and handouts_csv(rows): the record page and its CSV download.
"""

from .codes import Suggestion, search_leaflets, suggest_leaflets, teach_back_questions
from .handout import (
    TEACH_BACK_RESULTS,
    RecordTarget,
    check_details,
    prepare_recording,
    record_handout,
    record_target,
    set_teach_back,
    write_recorded,
)
from .reading import handouts_csv, list_handouts, recall, record_path

__all__ = [
    "TEACH_BACK_RESULTS",
    "RecordTarget",
    "Suggestion",
    "check_details",
    "handouts_csv",
    "list_handouts",
    "prepare_recording",
    "recall",
    "record_handout",
    "record_path",
    "record_target",
    "search_leaflets",
    "set_teach_back",
    "suggest_leaflets",
    "teach_back_questions",
    "write_recorded",
]
