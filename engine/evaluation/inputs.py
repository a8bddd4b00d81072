"""Load what a pairing run needs: the rules, then the cohort validated against them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from engine.base.errors import Problem
from engine.base.resources import rules_dir as bundled_rules
from engine.profiles.cohort import Cohort
from engine.profiles.validate import load_cohort
from engine.rules.ruleset import Rules, load_rules


def load_inputs(cohort_path: Path, rules_dir: Path | None = None, as_of: date | None = None
                ) -> tuple[Cohort, Rules, list[Problem]]:
    """Rules first (the cohort is checked against their vocabulary), then the cohort."""
    from engine.evaluation.compile import compile_rules

    rules = load_rules(rules_dir or bundled_rules())
    compile_rules(rules)  # what `rules check` runs: rules that check clean load and run
    cohort, warnings = load_cohort(cohort_path, rules.vocabulary, as_of)
    return cohort, rules, [*rules.warnings, *warnings]


def profiles_for_snapshot(cohort: Cohort) -> list[dict[str, object]]:
    """The profiles as the pairing reads them, for its input digest and audit snapshot.

    Never with protected data, and never with `my_job_day`: my job days are planned apart,
    and the pairing (its result and its digests alike) must not change with them.
    """
    out = []
    for p in cohort.participants:
        record = p.as_record()
        record.pop("protected", None)
        record.pop("my_job_day", None)
        out.append(record)
    return out


def profiles_for_monitoring(cohort: Cohort) -> list[dict[str, object]]:
    """The snapshot's profiles with their protected data, for the erasable snapshot that
    fairness monitoring reads (never for a rule, a digest or the audit chain)."""
    protected = {p.id: dict(p.protected) for p in cohort.participants if p.protected}
    return [{**record, "protected": protected[str(record["id"])]}
            if record["id"] in protected else record for record in profiles_for_snapshot(cohort)]
