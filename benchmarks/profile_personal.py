"""Where a warm personalised render goes: python benchmarks/profile_personal.py [--full] [--details cover|all].

Renders bone-metastases for a few made-up patients in one warm process (as a pool worker does), then
profiles 10 more with cProfile and prints CPU per PDF and the top functions by own time, grouped.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from leaflets import personal  # noqa: E402
from leaflets.build import get_renderer  # noqa: E402
from leaflets.library import Library  # noqa: E402
from leaflets.plan import plan_leaflet  # noqa: E402
from leaflets.project import Project  # noqa: E402
from leaflets.schema import Details  # noqa: E402

DETAILS = {"cover": {"patient_name": "Sam Example", "next_appointment": "Tuesday 3 March, 10:30"},
           "all": {"patient_name": "Sam Example", "team_phone": "01632 960 123",
                   "next_appointment": "Tuesday 3 March, 10:30", "notes": "Bring your list of medicines."}}
GROUPS = {"layout": "weasyprint/layout/", "drawing": "weasyprint/draw", "text (Pango)": "weasyprint/text/",
          "PDF writing": "weasyprint/pdf/", "pydyf/zlib": "pydyf", "CSS and styles": "weasyprint/css/",
          "box tree and HTML": "weasyprint/formatting_structure", "html5lib/tinycss2": "html5lib",
          "leaflets (Jinja, plan, check)": "leaflets/", "jinja2": "jinja2"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="lay out the whole leaflet (no page reuse)")
    parser.add_argument("--details", choices=sorted(DETAILS), default="cover")
    parser.add_argument("--count", type=int, default=10)
    args = parser.parse_args()
    project = Project(REPO)
    library = Library(project)
    renderer = get_renderer(project)

    def one(n: int) -> bytes:
        details = Details(**{**DETAILS[args.details], "patient_name": f"Patient number {n}"})
        plan = plan_leaflet(library, library.recipe("bone-metastases"), details=details)
        return personal.personal_pdf(plan, project, renderer, reuse=not args.full)

    for n in range(3):
        one(n)
    gc.collect()
    gc.freeze()
    profile = cProfile.Profile()
    started = time.process_time()
    profile.enable()
    for n in range(args.count):
        one(100 + n)
    profile.disable()
    cpu = (time.process_time() - started) / args.count
    stats = pstats.Stats(profile)
    total = sum(row[2] for row in stats.stats.values())  # own time, all functions
    groups = dict.fromkeys([*GROUPS, "other"], 0.0)
    for (filename, _, _), row in stats.stats.items():
        name = next((g for g, part in GROUPS.items() if part in filename), "other")
        groups[name] += row[2]
    print(f"{'page reuse' if not args.full else 'full layout'}, details: {args.details}: "
          f"{cpu * 1000:.0f} ms CPU per PDF (profiled; about 1.3x slower than unprofiled); {personal.stats}")
    for name, own in sorted(groups.items(), key=lambda item: -item[1]):
        print(f"  {name:32s} {100 * own / total:5.1f}%")
    stats.sort_stats("tottime").print_stats(12)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
