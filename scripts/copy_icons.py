"""Copy the Health Icons the leaflets use into styles/icons/, coloured for print.

Usage: npm pack healthicons@2.0.0 && tar xzf healthicons-2.0.0.tgz
       python scripts/copy_icons.py package/public/icons/svg/outline
The icons draw with currentColor; a CSS background image has no text colour to inherit, so each copy gets
its colour written in. Only the icons named here are kept in the project.
"""

from __future__ import annotations

import sys
from pathlib import Path

TEAL, RED, INK = "#0b4f6c", "#8a1c1c", "#1a1a1a"
ICONS: dict[str, tuple[str, str]] = {
    # name in the project: (Health Icons outline path, colour)
    "alert": ("symbols/alert_triangle", RED),
    "ambulance": ("vehicles/ambulance", RED),
    "phone": ("objects/phone", TEAL),
    "phone-24": ("people/call_centre", TEAL),
    "tablet": ("medications/blister_pills_oval_x4", TEAL),
    "drip": ("devices/intravenous_bag", TEAL),
    "injection": ("devices/syringe", TEAL),
    "kidney": ("body/kidneys", TEAL),
    "lungs": ("body/lungs", TEAL),
    "liver": ("body/liver", TEAL),
    "bone": ("body/skeleton", TEAL),
    "brain": ("body/neurology", TEAL),
    "body": ("body/body", INK),
    "person": ("people/person", INK),
    "team": ("people/doctor", INK),
    "nurse": ("people/nurse", INK),
    "family": ("people/people", INK),
    "cancer-cell": ("conditions/cancerous_cell_nuclei", INK),
    "immune-system": ("symbols/virus-shield", INK),
    "calendar": ("objects/calendar", INK),
    "question": ("symbols/question_circle", INK),
    "info": ("symbols/info", INK),
    "temperature": ("devices/thermometer", INK),
    "diarrhoea": ("conditions/diarrhea", INK),
    "cough": ("emotions/coughing", INK),
    "being-sick": ("emotions/vomitting", INK),
    "dizzy": ("emotions/dizzy", INK),
    "rash": ("conditions/allergies", INK),
    "tired": ("emotions/sleepy", INK),
    "pain": ("conditions/pain", INK),
    "hospital-bed": ("devices/hospitalized", INK),
    "card": ("symbols/medical_advice", INK),
    "talk": ("people/group_discussion_meeting", INK),
    "feel-ok": ("emotions/happy", INK),
}


def main(source: Path, target: Path) -> None:
    """Copy each icon with its colour written in, and nothing else."""
    target.mkdir(parents=True, exist_ok=True)
    for name, (path, colour) in ICONS.items():
        svg = (source / f"{path}.svg").read_text("utf-8")
        (target / f"{name}.svg").write_text(svg.replace("currentColor", colour), "utf-8")


if __name__ == "__main__":
    default = Path(__file__).resolve().parent.parent / "styles" / "icons"
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else default)
