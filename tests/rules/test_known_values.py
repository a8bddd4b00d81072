"""Known values: a vocabulary that closes a text field refuses a misspelt value, in a rule
and in a profile; without one, `rules check --cohort` checks rule constants against the
cohort; a misspelt theme is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.rules.helpers import EXAMPLE, rule_file, rules_copy

SUBSIDIARIES = ("  subsidiaries: [Tandem Asset Management, Tandem Bank France, "
                "Tandem Insurance, Tandem Tech Services]\n")
INSURENCE = rule_file(("p5/insurance", "{mentee.subsidiary: Tandem Insurence}", "{score: 10}"))
FRNACE = rule_file(("p5/france",
                    "{mentee.subsidiary: {not_in: [Tandem Bank Frnace]}}", "{score: 10}"))


def test_a_declared_subsidiary_refuses_a_misspelt_constant(
        tmp_path: Path, run: Callable[..., Result]) -> None:
    """With subsidiaries declared, a misspelt one in a rule is an error with a did-you-mean."""
    rules = rules_copy(tmp_path / "r", INSURENCE, vocabulary=SUBSIDIARIES)
    result = run("rules", "check", "--rules", rules)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{rules}/extra.yaml: line 6: error: 'Tandem Insurence' is not a known "
        "mentee.subsidiary value in vocabulary.yaml; did you mean 'Tandem Insurance'?",
        "1 error in the rules; nothing was done"]


def test_a_misspelt_value_inside_not_in_is_refused_too(
        tmp_path: Path, run: Callable[..., Result]) -> None:
    """Every value of a not_in list is checked against the declared values."""
    rules = rules_copy(tmp_path / "r", FRNACE, vocabulary=SUBSIDIARIES)
    result = run("rules", "check", "--rules", rules)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{rules}/extra.yaml: line 6: error: 'Tandem Bank Frnace' is not a known "
        "mentee.subsidiary value in vocabulary.yaml; did you mean 'Tandem Bank France'?")


def test_declared_departments_refuse_an_unknown_department(
        tmp_path: Path, run: Callable[..., Result]) -> None:
    """Departments may be declared like subsidiaries, and close the set the same way."""
    rules = rules_copy(tmp_path / "r", rule_file(
        ("d/x", "{mentor.department: {in: [Treasury, Tresury]}}", "exclude")),
        vocabulary="  departments: [Treasury, Group Finance]\n")
    result = run("rules", "check", "--rules", rules)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{rules}/extra.yaml: line 6: error: 'Tresury' is not a known mentor.department "
        "value in vocabulary.yaml; did you mean 'Treasury'?")


def test_validate_refuses_a_profile_with_an_undeclared_subsidiary(
        tmp_path: Path, run: Callable[..., Result]) -> None:
    """A profile's subsidiary must be one of the declared ones, with a did-you-mean."""
    rules = rules_copy(tmp_path / "r", vocabulary=SUBSIDIARIES)
    data = json.loads(EXAMPLE.read_text("utf-8"))
    people = data["participants"]
    people[0]["subsidiary"] = "Tandem Insurence"
    cohort = tmp_path / "c.json"
    cohort.write_text(json.dumps(data), "utf-8")
    result = run("validate", cohort, "--rules", rules)
    assert result.exit_code == 1
    assert (f"{cohort}: $.participants[0].subsidiary: error: 'Tandem Insurence' is not one of "
            "['Tandem Asset Management', 'Tandem Bank France', 'Tandem Insurance', "
            "'Tandem Tech Services']; did you mean 'Tandem Insurance'?") in (
        result.stdout + result.stderr).splitlines()


def test_validate_accepts_the_example_with_its_declared_subsidiaries(
        tmp_path: Path, run: Callable[..., Result]) -> None:
    """Declared values that cover the cohort's values keep the cohort valid."""
    rules = rules_copy(tmp_path / "r", vocabulary=SUBSIDIARIES)
    assert run("validate", EXAMPLE, "--rules", rules).exit_code == 0


def test_without_declared_values_rules_check_is_clean_and_cohort_check_refuses(
        tmp_path: Path, run: Callable[..., Result]) -> None:
    """Undeclared, the constant passes `rules check`; `--cohort` refuses it against the
    cohort's own values, with a did-you-mean and the fix."""
    rules = rules_copy(tmp_path / "r", INSURENCE)
    assert run("rules", "check", "--rules", rules).exit_code == 0
    result = run("rules", "check", "--rules", rules, "--cohort", EXAMPLE)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{rules}/extra.yaml: line 3: error: rule p5/insurance: no participant has subsidiary "
        "'Tandem Insurence'; correct it, or declare the field's known values in "
        "vocabulary.yaml; did you mean 'Tandem Insurance'?",
        "1 error in the rules; nothing was done"]


def test_cohort_check_passes_constants_the_cohort_has(
        tmp_path: Path, run: Callable[..., Result]) -> None:
    """A constant that some participant has is clean with --cohort."""
    rules = rules_copy(tmp_path / "r", rule_file(
        ("p5/insurance", "{mentee.subsidiary: Tandem Insurance}", "{score: 10}")))
    assert run("rules", "check", "--rules", rules, "--cohort", EXAMPLE).exit_code == 0


def test_a_misspelt_theme_is_refused(tmp_path: Path, run: Callable[..., Result]) -> None:
    """A theme named once and close to another theme is taken for its typo."""
    rules = rules_copy(tmp_path / "r")
    path = rules / "vocabulary.yaml"
    text = path.read_text("utf-8")
    typo = text.replace("themes: [digital-tools]\n      share-business-knowledge",
                        "themes: [digital-tool]\n      share-business-knowledge", 1)
    assert typo != text
    path.write_text(typo, "utf-8")
    result = run("rules", "check", "--rules", rules)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{path}: line 70: error: theme 'digital-tool' is named only here, so nothing can "
        "share it; correct it, or declare every theme under 'themes:' to keep it; did you "
        "mean 'digital-tools'?")


def test_two_lone_look_alike_themes_are_reported_once(
        tmp_path: Path, run: Callable[..., Result]) -> None:
    """`junior-growht` on one side and `junior-growth` on the other: one message names
    both."""
    rules = rules_copy(tmp_path / "r")
    path = rules / "vocabulary.yaml"
    text = path.read_text("utf-8")
    typo = text.replace("themes: [junior-growth]\n      find-digital",
                        "themes: [junior-growht]\n      find-digital", 1)
    assert typo != text
    path.write_text(typo, "utf-8")
    result = run("rules", "check", "--rules", rules)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}: line 80: error: themes 'junior-growth' and 'junior-growht' (line 61) are each "
        "named only once, so neither can be shared; one is probably a typo of the other: "
        "write both the same way",
        "1 error in the rules; nothing was done"]


def test_declared_themes_refuse_any_other_theme(
        tmp_path: Path, run: Callable[..., Result]) -> None:
    """With a themes: section, every theme named must be one of it."""
    rules = rules_copy(tmp_path / "r", vocabulary=(
        "  themes: [junior-growth, projects, digital-talent, digital-culture, digital-tools, "
        "company-knowledge, netwrok]\n"))
    result = run("rules", "check", "--rules", rules)
    assert result.exit_code == 1
    assert "error: unknown theme 'network'; themes are declared under 'themes:' in " \
           "vocabulary.yaml: add it there or correct it; did you mean 'netwrok'?" in \
           result.stderr
