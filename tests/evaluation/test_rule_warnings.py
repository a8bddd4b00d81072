"""Pair-time warnings: rules that cannot do what they say on this cohort."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from engine.pairing.pipeline import pair_cohort
from engine.rules.conditions import Compare, Test
from tests.pairing.factories import cohort, copy_bundled_rules, person, rule, rules_of

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cohort.json"

PEOPLE = cohort(
    person("M1", "mentor", subsidiary="Tandem Insurance", department="Sales"),
    person("M2", "mentor", subsidiary="Tandem Bank", department="Finance"),
    person("E1", "mentee", subsidiary="Tandem Insurance", department="Sales"),
    person("E2", "mentee", subsidiary="Tandem Bank", department="Finance"),
)


def _warnings(*rules: object, **settings: object) -> list[str]:
    result = pair_cohort(PEOPLE, rules_of(*rules, **settings))  # type: ignore[arg-type]
    return [f"{w['path']}: {w['message']}" + (f"; did you mean {w['suggestion']!r}?"
                                               if w["suggestion"] else "")
            for w in result["warnings"]]


def test_a_misspelt_constant_is_warned_with_the_cohorts_closest_value() -> None:
    """A constant no participant has is a warning with a did-you-mean from the cohort."""
    assert _warnings(rule("p5/insurance", Test("mentee", "subsidiary", "eq",
                                               "Tandem Insurence"), 10)) == [
        "line 1: rule p5/insurance: no participant has subsidiary 'Tandem Insurence'; did you "
        "mean 'Tandem Insurance'?",
        "line 1: rule p5/insurance: fires on no pair of this cohort, so it scores nothing"]


def test_a_constant_in_a_list_without_a_close_value_is_warned_without_a_suggestion() -> None:
    """Every value of an in: list is checked; an unknown one far from any gets no hint."""
    assert _warnings(rule("x/in", Test("mentor", "department", "in", ("Sales", "Legal")),
                          10)) == ["line 1: rule x/in: no participant has department 'Legal'"]


def test_a_scoring_rule_that_only_an_exclusion_meets_is_warned() -> None:
    """A scoring rule whose every pair is excluded names the exclusion that removes them."""
    assert _warnings(rule("a/same-department", Compare(True, "department", "department"), 5),
                     rule("b/no-same-subsidiary", Compare(True, "subsidiary", "subsidiary"))
                     ) == [
        "line 1: rule a/same-department: fires only on pairs that an exclusion removes "
        "(b/no-same-subsidiary), so it scores no pair that can be formed"]


def test_a_scoring_rule_under_min_score_is_warned() -> None:
    """A scoring rule that fires only on pairs under min_score scores no eligible pair."""
    assert _warnings(rule("a/low", Compare(False, "department", "department"), -5),
                     min_score=0) == [
        "line 1: rule a/low: fires on no eligible pair: the pairs it fires on are excluded or "
        "score under min_score 0"]


def test_rules_that_fire_on_eligible_pairs_are_not_warned() -> None:
    """Rules that score eligible pairs, with constants the cohort has, give no warning."""
    assert _warnings(rule("a/same", Compare(True, "department", "department"), 5),
                     rule("b/bank", Test("mentor", "subsidiary", "eq", "Tandem Bank"), 3)) == []


def test_pair_prints_the_warning_on_stderr_and_still_pairs(tmp_path: Path) -> None:
    """`tandem pair` prints each warning, located at the rule, and exits 0; then the rules
    it read."""
    directory = copy_bundled_rules(tmp_path / "r")
    (directory / "p5.yaml").write_text(
        "ruleset: pairing\nrules:\n  - id: p5/insurance\n    title: Insurance\n"
        "    because: B\n    when: {mentee.subsidiary: Tandem Insurence}\n"
        "    then: {score: 10}\n")
    result = CliRunner().invoke(cli, ["pair", str(EXAMPLE), "--rules", str(directory)])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"{directory}/p5.yaml: line 3: warning: rule p5/insurance: no participant has "
        "subsidiary 'Tandem Insurence'; did you mean 'Tandem Insurance'?",
        f"{directory}/p5.yaml: line 3: warning: rule p5/insurance: fires on no pair of this "
        "cohort, so it scores nothing",
        f"Rules: {directory}."]
