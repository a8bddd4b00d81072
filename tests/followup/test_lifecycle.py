"""Check-ins and outcomes across the program's lifecycle: proposals, approvals, forced pairs
and separations, through the real commands, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil

import pytest

from audit.insights import gather
from engine.base.resources import rules_dir
from tests.program.conftest import entries


@pytest.fixture
def approval_rules(tmp_path):
    target = tmp_path / "rules"
    shutil.copytree(rules_dir(), target)
    settings = target / "settings.yaml"
    settings.write_text(settings.read_text("utf-8") + "  approval: required\n", "utf-8")
    return target


def test_a_proposed_pair_takes_check_ins_only_once_approved(cohort, tandem, approval_rules):
    """Before approval the pair is a proposal: refused with how to approve; after, recorded."""
    code, out, err = tandem("pair", cohort("c", ["M01", "E07"]), "--rules", approval_rules,
                            "--commit", "--actor", "hr.jane")
    assert code == 0, err
    run = next(line.split()[2] for line in out.splitlines() if line.startswith("Recorded run "))
    code, _, err = tandem("checkin", "M01", "E07", "--rating", "4")
    assert (code, err) == (1, (
        f"Error: M01 and E07 are a proposal of run {run}, waiting for approval (`tandem "
        f"approve {run}`); nothing is recorded about a pair before it is formed; nothing was "
        "written.\n"))
    assert tandem("approve", run, "--actor", "hr.paul")[0] == 0
    code, out, err = tandem("checkin", "M01", "E07", "--rating", "4")
    assert code == 0, err


def test_a_separation_for_mismatch_is_a_failure_and_ends_check_ins(cohort, tandem, db_url):
    """`tandem separate --category mismatch`: no more check-ins; a failure in insights,
    until an outcome says otherwise."""
    assert tandem("pair", cohort("c", ["M01", "E07", "M02", "E22"]), "--commit")[0] == 0
    code, _, err = tandem("separate", "M01", "E07", "--category", "mismatch", "--reason",
                          "Paces never matched.", "--commit")
    assert code == 0, err
    code, _, err = tandem("checkin", "M01", "E07", "--rating", "2")
    assert code == 1 and "are not an active pair (separated on " in err
    assert [(f.mentor, f.result, f.source) for f in gather(db_url)] == [
        ("M01", "failure", "separation"), ("M02", "running", "none")]
    assert tandem("outcome", "M01", "E07", "--result", "partial")[0] == 0
    assert [(f.mentor, f.result, f.source) for f in gather(db_url)] == [
        ("M01", "partial", "outcome"), ("M02", "running", "none")]
    assert entries(db_url)[-1]["kind"] == "outcome"
