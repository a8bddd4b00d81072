"""`tandem reassign`: new partners for free people, with the rules and the couples' past."""

from __future__ import annotations

import json

import pytest

from audit.log.verify import verify
from audit.review import status
from engine.evaluation.inputs import load_inputs
from engine.pairing.pipeline import pair_cohort
from engine.rules.history import PairRecord, Standing
from tests.program.conftest import entries

PEOPLE = ["M01", "M02", "E07", "E10", "E22", "E24"]


@pytest.fixture
def separated(cohort, tandem, db_url):
    """M01 with E07 and E10, M02 with E22 (E24 unpaired); then M01 and E07 separated."""
    path = cohort("c", PEOPLE)
    tandem("pair", path, "--commit", "--actor", "hr.jane")
    code, _, err = tandem("separate", "M01", "E07", "--reason", "No common ground",
                          "--category", "mismatch", "--commit")
    assert code == 0, err
    return path


def test_a_dry_run_pairs_the_free_people_and_writes_nothing(separated, tandem, db_url):
    """The dry run shows the new pairs and why the others stay free; the log is unchanged."""
    before = entries(db_url)
    code, out, err = tandem("reassign", separated, "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert [(p["mentor"], p["mentee"]) for p in result["pairs"]] == [("M01", "E24")]
    (e07,) = [u for u in result["unpaired"] if u["reason"] != "already-paired"]
    assert sorted(u["id"] for u in result["unpaired"] if u["reason"] == "already-paired") == [
        "E10", "E22", "M02"]  # the state leaves them out, and says so
    assert (e07["id"], e07["reason"], e07["detail"]["excluded_by"]) == (
        "E07", "no-eligible-partner", {"history/separated-couple": 1})
    assert entries(db_url) == before


def test_reassignment_entries_name_the_separation_that_freed_their_people(separated, tandem,
                                                                        db_url):
    """--commit writes a reassign run: reassignment entries chained to the separation."""
    code, _, err = tandem("reassign", separated, "--commit", "--actor", "hr.jane")
    assert code == 0, err
    log = entries(db_url)
    run, new, left = log[6], log[7], log[8]
    assert (run["kind"], run["command"], run["entries"]) == ("run", "reassign", 2)
    assert (new["kind"], new["mentor"], new["mentee"], new["after"]) == (
        "reassignment", "M01", "E24", [6])
    assert [r["rule"] for r in new["reasons"]] != []
    assert (left["kind"], left["person"], left["reason"]) == ("unpaired", "E07",
                                                              "no-eligible-partner")
    assert [(p.mentor, p.mentee, p.via) for p in status(db_url).active] == [
        ("M01", "E10", "pair"), ("M01", "E24", "reassignment"), ("M02", "E22", "pair")]
    assert verify(db_url).ok


def test_named_people_only_are_paired(separated, tandem):
    """Given E07, only E07 looks for a mentor (M01, the one with a place, is excluded by the
    past); E24 is not part of the run; the people already paired are listed as such."""
    code, out, _ = tandem("reassign", separated, "E07", "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert result["pairs"] == []
    assert sorted((u["id"], u["reason"]) for u in result["unpaired"]) == [
        ("E07", "no-eligible-partner"), ("E10", "already-paired"), ("E22", "already-paired"),
        ("M01", "no-eligible-partner"), ("M02", "already-paired")]


@pytest.mark.parametrize(("person", "message"), [
    ("E10", "E10 is in an active or proposed pair; separate a pair first with `tandem "
            "separate`, or leave them out; nothing was written"),
    ("e24", "there is no e24 in {cohort}; nothing was written. Did you mean 'E24'?"),
])
def test_a_person_who_cannot_be_reassigned_is_refused(separated, refused, person, message):
    """A person still paired, or not in the cohort, is refused by name; nothing is written."""
    refused(message.format(cohort=separated), "reassign", separated, person, "--commit")


def test_the_past_reaches_the_rules_only_from_the_log(separated, cohort):
    """A dry run without a database sees no past: the separated couple would be formed."""
    loaded, rules, _ = load_inputs(cohort("alone", ["M01", "E07"]))
    fresh = pair_cohort(loaded, rules, standing=Standing())
    assert [(p["mentor"], p["mentee"]) for p in fresh["pairs"]] == [("M01", "E07")]
    past = Standing({}, {("M01", "E07"): PairRecord(True, True, "mismatch", 6)})
    again = pair_cohort(loaded, rules, standing=past)
    assert again["pairs"] == []


def test_a_dry_run_without_a_database_sees_no_past(separated, tmp_path):
    """The same cohort, dry run against a database that does not exist: no past, so the
    separated couple would be formed, and no database is created."""
    from click.testing import CliRunner

    from cli.main import cli

    fresh = tmp_path / "none" / "fresh.db"
    result = CliRunner().invoke(cli, ["pair", str(separated), "--format", "json", "--db",
                                      f"sqlite:///{fresh}"])
    assert result.exit_code == 0, result.stderr
    assert ("M01", "E07") in [(p["mentor"], p["mentee"])
                              for p in json.loads(result.stdout)["pairs"]]
    assert not fresh.exists()
