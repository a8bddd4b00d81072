"""No commit on a warning: `pair --commit` and `reassign --commit` refuse while a warning
about an unknown constant or a dead rule stands, unless --accept-warnings; then the
warnings are kept in the run's entry."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.base.resources import rules_dir
from tests.program.conftest import EXAMPLE, entries

TYPO = ("ruleset: pairing\nrules:\n  - id: p5/insurance\n    title: Insurance\n"
        "    because: B\n    when: {mentee.subsidiary: Tandem Insurence}\n"
        "    then: {score: 10}\n")
DEAD = ("ruleset: pairing\nrules:\n  - id: a/no-same-department\n    title: T\n    because: B\n"
        "    when: {same: department}\n    then: exclude\n"
        "  - id: a/same-department\n    title: T\n    because: B\n"
        "    when: {same: department}\n    then: {score: 5}\n")


@pytest.fixture
def rules_with(tmp_path: Path):
    def make(text: str) -> Path:
        target = tmp_path / "rules"
        shutil.copytree(rules_dir(), target)
        (target / "p5.yaml").write_text(text, "utf-8")
        return target
    return make


def test_a_misspelt_constant_stops_the_commit(rules_with, tandem, db_url):
    """The unknown constant is named with its fix, exit 1, and nothing is written."""
    rules = rules_with(TYPO)
    code, _, err = tandem("pair", EXAMPLE, "--rules", rules, "--commit")
    assert code == 1
    assert err.splitlines() == [
        f"{rules}/p5.yaml: line 3: warning: rule p5/insurance: no participant has subsidiary "
        "'Tandem Insurence'; did you mean 'Tandem Insurance'?",
        "1 warning about the rules stands; nothing was recorded. Correct the rules (a "
        "misspelt constant, a rule that can never score), or pass --accept-warnings to record "
        "the run with the warnings in its entry"]
    assert entries(db_url) == []


def test_accepted_warnings_are_recorded_in_the_run_entry(rules_with, tandem, db_url):
    """With --accept-warnings the run is recorded, and its entry lists the warnings."""
    rules = rules_with(TYPO)
    code, _, err = tandem("pair", EXAMPLE, "--rules", rules, "--commit", "--accept-warnings")
    assert code == 0, err
    run = entries(db_url)[0]
    assert run["kind"] == "run"
    assert run["accepted_warnings"] == [
        "p5.yaml: line 3: warning: rule p5/insurance: no participant has subsidiary "
        "'Tandem Insurence'; did you mean 'Tandem Insurance'?"]


def test_a_rule_dead_by_an_exclusion_stops_the_commit(rules_with, tandem, db_url):
    """A scoring rule whose every pair another rule excludes is a dead rule: refused."""
    rules = rules_with(DEAD)
    code, _, err = tandem("pair", EXAMPLE, "--rules", rules, "--commit")
    assert code == 1
    assert ("rule a/same-department: fires only on pairs that an exclusion removes "
            "(a/no-same-department), so it scores no pair that can be formed") in err
    assert entries(db_url) == []


def test_a_clean_run_has_no_accepted_warnings(tandem, db_url):
    """Without warnings, the run commits as before and its entry holds no such key."""
    code, _, err = tandem("pair", EXAMPLE, "--commit")
    assert code == 0, err
    assert "accepted_warnings" not in entries(db_url)[0]


def test_warnings_of_a_small_cohort_do_not_stop_the_commit(cohort, tandem, db_url):
    """"Fires on no pair" depends on who is in the cohort: it is shown, never blocking."""
    code, _, err = tandem("pair", cohort("c", ["M01", "M02", "E07", "E10", "E22"]), "--commit")
    assert code == 0, err
    assert "fires on no pair of this cohort" in err
    assert "accepted_warnings" not in entries(db_url)[0]


def test_reassign_refuses_too_and_records_accepted_warnings(rules_with, tandem, db_url):
    """`reassign --commit` refuses on the same warnings and records them when accepted."""
    code, _, err = tandem("pair", EXAMPLE, "--commit")
    assert code == 0, err
    assert tandem("separate", "M01", "E07", "--reason", "Stalled", "--commit")[0] == 0
    before = entries(db_url)
    rules = rules_with(TYPO)
    code, _, err = tandem("reassign", EXAMPLE, "--rules", rules, "--commit")
    assert code == 1
    assert "1 warning about the rules stands; nothing was recorded" in err
    assert entries(db_url) == before
    code, _, err = tandem("reassign", EXAMPLE, "--rules", rules, "--commit",
                          "--accept-warnings")
    assert code == 0, err
    runs = [e for e in entries(db_url) if e["kind"] == "run"]
    assert runs[-1]["command"] == "reassign"
    assert runs[-1]["accepted_warnings"][0].startswith(
        "p5.yaml: line 3: warning: rule p5/insurance: no participant has subsidiary")
