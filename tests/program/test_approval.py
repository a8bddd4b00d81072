"""Approval, optional: with `approval: required`, committed runs are proposals until a
second person approves them; a rejection closes them."""

from __future__ import annotations

import json
import shutil

import pytest

from audit.log.verify import verify
from audit.review import status
from engine.base.resources import rules_dir
from tests.program.conftest import entries


@pytest.fixture
def approval_rules(tmp_path):
    """The bundled rules with `approval: required` in the pairing settings."""
    target = tmp_path / "rules"
    shutil.copytree(rules_dir(), target)
    settings = target / "settings.yaml"
    settings.write_text(settings.read_text("utf-8") + "  approval: required\n", "utf-8")
    return target


@pytest.fixture
def proposed(cohort, tandem, approval_rules):
    """hr.jane commits M01/M02 with E07/E10/E22: a proposal; returns its run id."""
    code, out, err = tandem("pair", cohort("c", ["M01", "M02", "E07", "E10", "E22"]),
                            "--rules", approval_rules, "--commit", "--actor", "hr.jane")
    assert code == 0, err
    assert "These pairs are a proposal" in out
    return next(line.split()[2] for line in out.splitlines()
                if line.startswith("Recorded run "))


def test_a_proposal_holds_its_places_but_forms_no_pair(proposed, cohort, tandem, db_url):
    """Until approved, no pair is active, nobody is free, and no later run pairs them."""
    assert entries(db_url)[0]["approval"] == "required"
    state = status(db_url)
    assert state.active == () and state.free == ()
    assert [(p.run, len(p.pairs), p.actor) for p in state.pending] == [(proposed, 3, "hr.jane")]
    _, out, _ = tandem("pair", cohort("more", ["M01", "E07", "E24"]), "--format", "json")
    result = json.loads(out)
    assert result["pairs"] == []
    assert {u["id"]: u["reason"] for u in result["unpaired"]}["E07"] == "already-paired"


def test_another_person_approves_and_the_pairs_become_active(proposed, tandem, db_url):
    """The approval entry names the run and its pairs; they are active from then on."""
    code, out, err = tandem("approve", proposed, "--actor", "hr.paul")
    assert code == 0, err
    from audit.log.db import shown
    from tests.helpers.identity import reviewer

    assert out.splitlines()[:2] == [  # approved under the reviewer's own identity
        f"Recorded the approval of run {proposed} in {shown(reviewer(db_url)[0])}: entry 5.",
        "Its 3 pairs are active."]
    approval = entries(db_url)[-1]
    assert (approval["kind"], approval["approves"], approval["pairs"], approval["actor"]) == (
        "approval", proposed, [2, 3, 4], "hr.paul")
    state = status(db_url)
    assert [(p.mentor, p.mentee, p.since) for p in state.active] == [
        ("M01", "E07", approval["at"]), ("M01", "E10", approval["at"]),
        ("M02", "E22", approval["at"])]
    assert state.pending == ()
    assert verify(db_url).ok


def test_a_rejection_closes_the_proposal_and_frees_its_people(proposed, tandem, db_url):
    """After a rejection nobody is paired; the reason is recorded."""
    code, _, err = tandem("reject", proposed, "--reason", "Last month's file", "--actor",
                          "hr.paul")
    assert code == 0, err
    rejection = entries(db_url)[-1]
    assert (rejection["kind"], rejection["rejects"], rejection["reason"]) == (
        "rejection", proposed, "Last month's file")
    state = status(db_url)
    assert state.active == () and state.pending == ()
    assert [f.id for f in state.free] == ["E07", "E10", "E22", "M01", "M02"]


def test_approval_refusals(proposed, tandem, refused):
    """Self-approval, an unknown run, a closed run, a run that needs no approval, an empty
    rejection reason: each refused exactly, nothing written."""
    refused(f"hr.jane proposed run {proposed}; another person must approve it (human review "
            "of an automated decision), with --actor NAME; nothing was written",
            "approve", proposed, "--actor", "hr.jane")
    refused(f"there is no proposed run 2020 (runs waiting: {proposed}); nothing was written",
            "approve", "2020", "--actor", "hr.paul")
    refused("the reason is empty; say why the proposal is rejected with --reason TEXT: it is "
            "recorded in the audit log for the compliance review; nothing was written",
            "reject", proposed, "--reason", " ", "--actor", "hr.paul")
    tandem("approve", proposed[:12], "--actor", "hr.paul")
    refused(f"run {proposed} was already approved by hr.paul (entry 5); nothing was written",
            "approve", proposed, "--actor", "hr.ann")
    refused(f"run {proposed} was already approved by hr.paul (entry 5); nothing was written",
            "reject", proposed, "--reason", "too late", "--actor", "hr.ann")


def test_a_run_without_approval_cannot_be_approved(cohort, tandem, refused):
    """Runs under rules without `approval: required` are active at once."""
    _, out, _ = tandem("pair", cohort("c", ["M01", "E07"]), "--commit")
    run = next(line.split()[2] for line in out.splitlines() if line.startswith("Recorded run"))
    refused(f"run {run} is not a proposal: its pairs were active when it was recorded (its "
            "rules did not set approval: required); nothing was written",
            "approve", run, "--actor", "hr.paul")
