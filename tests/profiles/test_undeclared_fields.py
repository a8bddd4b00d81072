"""A cohort carrying fields its rules do not declare gets one message per field, pointing
to --rules, not one line per participant."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

ROOT = Path(__file__).resolve().parents[2]
SECOND = ROOT / "examples" / "cohort-second-edition.json"


def test_undeclared_fields_are_reported_once_each_with_the_fix(
        run: Callable[..., Result]) -> None:
    """Validated with the bundled rules, the second-edition cohort gets four lines, one per
    field, each naming how many hold it and --rules."""
    result = run("validate", str(SECOND))
    assert result.exit_code == 1
    lines = (result.stdout + result.stderr).splitlines()
    fix = ("it is no built-in field, and the vocabulary.yaml of the rules in use does not "
           "declare it; if the program declares it, give the program's rules with --rules DIR "
           "(or TANDEM_RULES), else declare it under 'fields:' in vocabulary.yaml, or remove it")
    assert lines == [
        f"{SECOND}: $.participants[0].grade: error: unknown field 'grade', held by 42 "
        f"participants: {fix}",
        f"{SECOND}: $.participants[0].languages: error: unknown field 'languages', held by 42 "
        f"participants: {fix}",
        f"{SECOND}: $.participants[0].location: error: unknown field 'location', held by 42 "
        f"participants: {fix}",
        f"{SECOND}: $.participants[0].remote_ok: error: unknown field 'remote_ok', held by 28 "
        f"participants: {fix}",
        "4 errors found; nothing was written"]


def test_with_the_programs_rules_the_cohort_is_valid(run: Callable[..., Result]) -> None:
    """Given the rules that declare the fields, the same cohort is valid."""
    assert run("validate", str(SECOND), "--rules",
               str(ROOT / "examples" / "rules-second-edition")).exit_code == 0
