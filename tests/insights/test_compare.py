"""`tandem rules compare`: what a rule change does to the rules, the cohort and the past."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.base.resources import rules_dir
from engine.evaluation.inputs import load_inputs
from engine.pairing.compare import compare, rule_changes
from engine.rules.ruleset import load_rules

REPO = Path(__file__).resolve().parents[2]
COHORT = REPO / "examples" / "cohort.json"


@pytest.fixture
def new_rules(tmp_path):
    """The bundled rules with same-job-family at +5 (not +30), a new rule, one removed."""
    target = tmp_path / "new-rules"
    shutil.copytree(rules_dir(), target)
    culture = target / "culture.yaml"
    culture.write_text(culture.read_text("utf-8").replace("then: {score: 30}",
                                                          "then: {score: 5}"), "utf-8")
    intentions = target / "intentions.yaml"
    text = intentions.read_text("utf-8")
    start = text.index("  - id: intentions/shared-topic")
    intentions.write_text(text[:start] + (
        "  - id: intentions/same-topics\n    title: Same topics\n    because: >-\n"
        "      Shared topics.\n    when: {overlap: {field: topics, at_least: 2}}\n"
        "    then: {score: 15}\n"), "utf-8")
    return target


def test_rule_changes_are_listed_field_by_field(new_rules):
    """Added, removed and changed rules; a change names the field, old and new values."""
    changes = rule_changes(load_rules(rules_dir()), load_rules(new_rules))
    assert [r["id"] for r in changes["added"]] == ["intentions/same-topics"]
    assert [r["id"] for r in changes["removed"]] == ["intentions/shared-topic"]
    assert changes["changed"] == [{"id": "culture/same-job-family", "changes": [
        {"field": "points", "old": 30, "new": 5}]}]
    assert changes["settings"] == []


def test_the_same_rules_change_nothing():
    """Comparing the rules with themselves: every pair kept, nothing changed."""
    cohort, rules, _ = load_inputs(COHORT)
    found = compare(rules, rules, cohort)
    assert (found["cohort"]["kept"], found["cohort"]["gained"], found["cohort"]["lost"]) == (
        22, 0, 0)
    assert found["cohort"]["changed_pairs"] == []
    assert found["rules"]["unchanged"] == len(rules.pairing.rules)


def test_changed_pairs_carry_both_scores_and_the_rules_that_made_the_difference(new_rules):
    """Every gained or lost pair has both scores and why; the counts add up."""
    cohort, old, _ = load_inputs(COHORT)
    found = compare(old, load_rules(new_rules), cohort)["cohort"]
    assert found["kept"] + found["lost"] == found["old"]["pairs"]
    assert found["kept"] + found["gained"] == found["new"]["pairs"]
    moved = [p for p in found["changed_pairs"] if p["status"] != "kept"]
    assert len(moved) == found["gained"] + found["lost"] > 0
    kept = [p for p in found["changed_pairs"] if p["status"] == "kept"]
    assert all(p["old"]["score"] != p["new"]["score"] for p in kept)
    job_family = next(p for p in found["changed_pairs"]
                      if "culture/same-job-family: +30 -> +5" in p["because"])
    assert job_family["old"]["score"] - job_family["new"]["score"] >= 25


def test_compare_on_the_command_line(new_rules):
    """The command prints the changes and writes nothing; JSON carries the same."""
    from cli import main

    main._register()
    runner = CliRunner()
    env = {"NO_COLOR": "1", "TANDEM_DB": None, "COLUMNS": "200"}
    done = runner.invoke(main.cli, ["rules", "compare", str(rules_dir()), str(new_rules),
                                    str(COHORT)], prog_name="tandem", env=env)
    assert done.exit_code == 0, done.output
    unchanged = len(load_rules(rules_dir()).pairing.rules) - 2
    assert done.stdout.splitlines()[:4] == [
        f"Rules: 1 added, 1 removed, 1 changed, {unchanged} unchanged.",
        "  + intentions/same-topics (+15): topics overlap >= 2",
        "  - intentions/shared-topic",
        "  ~ culture/same-job-family: points: 30 -> 5"]
    assert done.stdout.rstrip().endswith("Nothing was written: this is a comparison.")
    as_json = json.loads(runner.invoke(main.cli, [
        "rules", "compare", str(rules_dir()), str(new_rules), str(COHORT), "--format", "json"],
        prog_name="tandem", env=env).stdout)
    assert as_json["history"] is None
    assert as_json["rules"]["changed"][0]["id"] == "culture/same-job-family"
