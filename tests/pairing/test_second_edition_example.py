"""The example rules folder of the second edition: every addition works on its cohort."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "examples" / "rules-second-edition"
COHORT = ROOT / "examples" / "cohort-second-edition.json"


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    out = CliRunner().invoke(cli, ["pair", str(COHORT), "--rules", str(RULES), "--format",
                                   "json"])
    assert out.exit_code == 0, out.stderr
    parsed: dict[str, Any] = json.loads(out.stdout)
    return parsed


def test_the_example_rules_check_clean() -> None:
    """`tandem rules check` accepts the example folder."""
    out = CliRunner().invoke(cli, ["rules", "check", "--rules", str(RULES)])
    assert out.exit_code == 0, out.stderr


def test_every_new_condition_fires_on_a_formed_pair_with_evidence(result: dict[str, Any]
                                                                  ) -> None:
    """Differences, overlap across fields and declared fields each score a formed pair."""
    evidence: dict[str, dict[str, Any]] = {}
    for pair in result["pairs"]:
        for reason in pair["reasons"]:
            evidence.setdefault(reason["rule"], reason["evidence"])
    assert {"tenure/decade-apart", "topics/answer-intentions", "place/same-location",
            "grade/senior-enough"} <= set(evidence)
    assert evidence["tenure/decade-apart"]["mentee.tenure_years - mentor.tenure_years"] >= 10
    assert evidence["topics/answer-intentions"][
        "themes shared by mentor.topics and mentee.intentions"]
    # Without a database there is no past: the history scoring rule is warned as dead.
    assert [w["message"] for w in result["warnings"]] == [
        "rule history/second-chance-nearby: fires on no pair of this cohort, so it scores "
        "nothing"]


def test_the_quotas_bind_and_are_named(result: dict[str, Any]) -> None:
    """The pairing is a proved-optimal MILP and a full quota is named for an unpaired person."""
    assert result["solver"]["method"] == "milp" and result["solver"]["optimal"] is True
    named = [u["why"] for u in result["unpaired"] if "the quota quota/" in u["why"]]
    assert named and all(w.startswith("outscored: the quota ") for w in named)


def test_the_declared_exclusion_leads_an_explanation() -> None:
    """explain of a pair with no shared language leads with that exclusion."""
    data = json.loads(COHORT.read_text())
    people = data["participants"]
    mentor = next(p for p in people if p["role"] == "mentor" and p["languages"] == ["fr"])
    mentee = next(p for p in people if p["role"] == "mentee" and "fr" not in p["languages"])
    out = CliRunner().invoke(cli, ["explain", str(COHORT), mentor["id"], mentee["id"],
                                   "--rules", str(RULES)])
    assert out.exit_code == 0, out.stderr
    assert out.stdout.splitlines()[0] == (f"{mentor['id']} -> {mentee['id']}: excluded by "
                                          "place/no-shared-language; not eligible")


def test_committed_entries_carry_the_new_evidence(tmp_path: Path) -> None:
    """The audit log's pair entries hold the evidence of differences, overlaps across
    fields and declared fields; the run entry says how the solver did."""
    db = f"sqlite:///{tmp_path / 'audit.db'}"
    runner = CliRunner()
    out = runner.invoke(cli, ["pair", str(COHORT), "--rules", str(RULES), "--commit",
                              "--actor", "hr.test", "--db", db])
    assert out.exit_code == 0, out.stderr
    log = runner.invoke(cli, ["audit", "log", "--db", db, "--format", "json", "--limit",
                              "100"])
    entries = [e["entry"] for e in json.loads(log.stdout)]
    evidence = {r["rule"]: r["evidence"] for e in entries if e["kind"] == "pair"
                for r in e["reasons"]}
    assert "mentee.tenure_years - mentor.tenure_years" in evidence["tenure/decade-apart"]
    assert "themes shared by mentor.topics and mentee.intentions" in evidence[
        "topics/answer-intentions"]
    assert set(evidence["place/same-location"]) == {"mentor.location", "mentee.location"}
    run = next(e for e in entries if e["kind"] == "run")
    assert run["solver"]["method"] == "milp" and run["solver"]["optimal"] is True


def test_history_rules_read_the_log_and_the_dead_rule_is_warned(tmp_path: Path) -> None:
    """After a separation, the couple is excluded by the history rules, explain leads with
    them and shows the separated-nearby points as would-score, and pair warns that an
    exclusion makes that scoring rule dead."""
    db = f"sqlite:///{tmp_path / 'audit.db'}"
    runner = CliRunner()
    first = runner.invoke(cli, ["pair", str(COHORT), "--rules", str(RULES), "--commit",
                                "--actor", "hr.test", "--db", db, "--format", "json"])
    assert first.exit_code == 0, first.stderr
    places = {p["id"]: p["location"] for p in json.loads(COHORT.read_text())["participants"]}
    mentor, mentee = next((p["mentor"], p["mentee"]) for p in json.loads(first.stdout)["pairs"]
                          if places[p["mentor"]] == places[p["mentee"]])
    separated = runner.invoke(cli, ["separate", mentor, mentee, "--reason", "No time left",
                                    "--category", "availability", "--commit", "--actor",
                                    "hr.test", "--db", db, "--rules", str(RULES)])
    assert separated.exit_code == 0, separated.stderr
    explained = runner.invoke(cli, ["explain", str(COHORT), mentor, mentee, "--rules",
                                    str(RULES), "--db", db])
    assert explained.exit_code == 0, explained.stderr
    assert explained.stdout.splitlines()[0] == (
        f"{mentor} -> {mentee}: excluded by history/never-again, history/separated-couple; "
        "not eligible")
    assert "would score +20" in explained.stdout
    again = runner.invoke(cli, ["pair", str(COHORT), "--rules", str(RULES), "--db", db])
    assert again.exit_code == 0, again.stderr
    assert (f"{RULES}/second-edition.yaml: line 60: warning: rule "
            "history/second-chance-nearby: fires only on couples whose past excludes them "
            "(history/separated-couple, history/never-again), so it scores no pair that can "
            "be formed") in again.stderr


def test_rules_show_lists_the_constraints() -> None:
    """`tandem rules show` lists each constraint with its fields, limit and place."""
    out = CliRunner().invoke(cli, ["rules", "show", "--rules", str(RULES), "--format", "json"])
    assert json.loads(out.stdout)["constraints"] == [
        {"id": "quota/department-flow", "title": "At most three pairs between two departments",
         "per": ["mentor.department", "mentee.department"], "at_most": 3,
         "file": "settings.yaml", "line": 12},
        {"id": "quota/subsidiary", "title": "At most five mentees from one subsidiary",
         "per": ["mentee.subsidiary"], "at_most": 5, "file": "settings.yaml", "line": 17}]
    text = CliRunner().invoke(cli, ["rules", "show", "--rules", str(RULES)]).stdout
    assert ("  quota/department-flow  at most 3 pairs per mentor.department, "
            "mentee.department  settings.yaml:12") in text
