"""Validate several cohort files at once, for `tandem validate`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.base.errors import InvalidInput, Problem
from engine.base.resources import rules_dir as default_rules_dir
from engine.profiles.read import read_cohort_file
from engine.profiles.validate import check_cohort, column_kinds
from engine.rules.vocabulary import load_vocabulary


@dataclass
class ValidationReport:
    problems: list[Problem] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return all(s["valid"] for s in self.summaries)


def validate_files(files: Sequence[Path], rules_dir: Path | None = None) -> ValidationReport:
    """Validate each file; a problem in one file does not stop the others."""
    vocabulary = load_vocabulary(rules_dir or default_rules_dir())
    kinds = column_kinds(vocabulary)
    report = ValidationReport()
    for path in files:
        try:
            raw = read_cohort_file(path, kinds)
        except InvalidInput as exc:
            report.problems += exc.problems
            report.summaries.append({"file": str(path), "valid": False})
            continue
        cohort, problems = check_cohort(raw, vocabulary)
        report.problems += problems
        if cohort is None:
            report.summaries.append({"file": str(path), "valid": False})
        else:
            mentors = len(cohort.mentors)
            report.summaries.append({"file": str(path), "valid": True,
                                     "participants": len(cohort.participants),
                                     "mentors": mentors,
                                     "mentees": len(cohort.participants) - mentors})
    return report
