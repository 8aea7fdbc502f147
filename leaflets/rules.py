"""Safety rules as data (content/rules.yaml): sections that must go together in any leaflet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ContentError, Problem
from .readers import load_yaml_mapping
from .schema import RulesFile, SafetyRule, validate


@dataclass(frozen=True)
class BrokenRule:
    """A rule a leaflet breaks: which of its sections set it off, and what is missing."""

    rule: SafetyRule
    present: list[str]
    missing: list[str]

    def message(self) -> str:
        """One line: what the leaflet has, what it lacks, and why it matters."""
        return (f"has {', '.join(self.present)} but not {', '.join(self.missing)}: {self.rule.why}")


def load_rules(content: Path, section_ids: Sequence[str]) -> list[SafetyRule]:
    """Read content/rules.yaml (no file, no rules), refusing rules that name unknown sections."""
    path = content / "rules.yaml"
    if not path.exists():
        return []
    document = load_yaml_mapping(path)
    rules = validate(RulesFile, document).rules
    known = set(section_ids)
    problems = [
        Problem(f"unknown section '{sid}' in a rule; rules name files of content/sections", path,
                document.line_of(["rules", index, key, position]))
        for index, rule in enumerate(rules)
        for key in ("if_any", "require")
        for position, sid in enumerate(getattr(rule, key))
        if sid not in known
    ]
    if problems:
        raise ContentError(*problems)
    return list(rules)


def broken_rules(section_ids: Sequence[str], rules: Sequence[SafetyRule]) -> list[BrokenRule]:
    """The rules a leaflet made of SECTION_IDS breaks."""
    chosen = set(section_ids)
    broken = []
    for rule in rules:
        present = [sid for sid in rule.if_any if sid in chosen]
        missing = [sid for sid in rule.require if sid not in chosen]
        if present and missing:
            broken.append(BrokenRule(rule, present, missing))
    return broken


def missing_sections(broken: Sequence[BrokenRule]) -> list[str]:
    """Every section the broken rules ask for, each once, in the rules' order."""
    return list(dict.fromkeys(sid for item in broken for sid in item.missing))


def ad_hoc_warning(broken: Sequence[BrokenRule]) -> str | None:
    """The one-line warning for an ad hoc leaflet that breaks safety rules, or None."""
    if not broken:
        return None
    missing = missing_sections(broken)
    present = list(dict.fromkeys(sid for item in broken for sid in item.present))
    return (f"this leaflet leaves out {', '.join(missing)}, which the safety rules (content/rules.yaml) ask for "
            f"with {', '.join(present)}; add them to --sections")
