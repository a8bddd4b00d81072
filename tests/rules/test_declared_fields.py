"""Fields that admins declare in vocabulary.yaml: from the profile file to a rule firing."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from engine.base.errors import InvalidInput
from engine.pairing.pipeline import explain_pair, pair_cohort
from engine.profiles.validate import load_cohort
from engine.rules.conditions import Compare, Condition, Difference, Not, Test
from engine.rules.ruleset import load_rules
from engine.rules.vocabulary import load_vocabulary
from tests.pairing.factories import (
    THEMED_VOCABULARY,
    cohort,
    copy_bundled_rules,
    person,
    rule,
    rules_of,
)

FIELDS = """
fields:
  location: {type: text, values: [Paris, Lyon, London, Remote]}
  languages: {type: list}
  remote_ok: {type: flag}
  grade: {type: number}
"""
HEADER = ("id,role,name,learning_style,job_family,department,subsidiary,hire_date,"
          "intentions,location,languages,remote_ok,grade")
ROWS = [
    "M1,mentor,Ann,activist,finance,Sales,Bank,2023-01-01,contribute-to-a-project,Paris,"
    "fr;en,true,2",
    "M2,mentor,Bob,activist,finance,Sales,Bank,2023-01-01,contribute-to-a-project,Lyon,"
    "de,false,1.5",
    "E1,mentee,Cleo,theorist,finance,Sales,Bank,2003-01-01,"
    "find-digital-profiles-for-projects,Paris,en;es,,7",
    "E2,mentee,Dan,theorist,finance,Sales,Bank,2003-01-01,"
    "find-digital-profiles-for-projects,Lyon,it,true,",
]
RULES = """ruleset: pairing
settings: {min_score: 0}
rules:
  - id: place/same-location
    title: Same location
    because: Partners who can meet in person meet more often.
    when: {same: location}
    then: {score: 20}
  - id: place/shared-language
    title: A shared language
    because: A shared language makes every session easier.
    when: {overlap: {field: languages, at_least: 1}}
    then: {score: 10}
  - id: place/remote
    title: Remote-friendly mentee
    because: A mentee open to remote sessions can work with any mentor.
    when: {mentee.remote_ok: true}
    then: {score: 1}
  - id: grade/gap
    title: Grade gap
    because: A wide grade gap is what reverse mentoring is for.
    when: {difference: {mentee: grade, mentor: grade, at_least: 5}}
    then: {score: 3}
  - id: grade/junior
    title: Junior mentor
    because: Junior mentors are the point of the program.
    when: {mentor.grade: {at_most: 1.5}}
    then: {score: 2}
"""


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    """A rules folder declaring four fields, one rule file using them, and a CSV cohort."""
    rules = copy_bundled_rules(tmp_path / "r")
    for name in rules.glob("*.yaml"):
        if name.name not in ("vocabulary.yaml",):
            name.unlink()
    vocabulary = rules / "vocabulary.yaml"
    vocabulary.write_text(vocabulary.read_text() + FIELDS)
    (rules / "place.yaml").write_text(RULES)
    cohort = tmp_path / "cohort.csv"
    cohort.write_text("\n".join([HEADER, *ROWS]) + "\n")
    return rules, cohort


def test_csv_columns_follow_the_declared_types(setup: tuple[Path, Path]) -> None:
    """A list column is split on ';', a flag read as true/false, a number as a number."""
    rules, path = setup
    cohort, problems = load_cohort(path, load_vocabulary(rules))
    assert problems == []
    people = cohort.by_id()
    assert dict(people["M1"].extra) == {"location": "Paris", "languages": ("fr", "en"),
                                        "remote_ok": True, "grade": 2}
    assert dict(people["M2"].extra)["grade"] == 1.5
    assert dict(people["E2"].extra) == {"location": "Lyon", "languages": ("it",),
                                        "remote_ok": True}
    assert people["M1"].as_record()["languages"] == ["fr", "en"]


def test_json_profiles_carry_declared_fields(setup: tuple[Path, Path], tmp_path: Path) -> None:
    """A JSON profile may carry a declared field; the cohort keeps it."""
    rules, _ = setup
    path = tmp_path / "c.json"
    path.write_text(json.dumps([
        {"id": "M1", "role": "mentor", "name": "A", "learning_style": "activist",
         "job_family": "finance", "department": "S", "subsidiary": "B",
         "hire_date": "2020-01-01", "intentions": ["contribute-to-a-project"],
         "location": "London", "languages": ["en"]},
        {"id": "E1", "role": "mentee", "name": "B", "learning_style": "activist",
         "job_family": "finance", "department": "S", "subsidiary": "B",
         "hire_date": "2000-01-01", "intentions": ["support-a-junior"], "grade": 4}]))
    cohort, _ = load_cohort(path, load_vocabulary(rules))
    assert dict(cohort.by_id()["M1"].extra) == {"location": "London", "languages": ("en",)}


def test_validate_checks_declared_values_with_a_suggestion(setup: tuple[Path, Path]) -> None:
    """A value outside the declared list is an error naming the row, column and fix."""
    rules, path = setup
    path.write_text(path.read_text().replace("Lyon,de,false", "Lyonn,de,maybe"))
    result = CliRunner().invoke(cli, ["validate", str(path), "--rules", str(rules)])
    assert result.exit_code == 1
    assert (f"{path}: row 3, column location: error: 'Lyonn' is not one of ['Paris', 'Lyon', "
            "'London', 'Remote']; did you mean 'Lyon'?") in result.stderr
    assert (f"{path}: row 3, column remote_ok: error: expected true or false, got \"maybe\""
            ) in result.stderr


def test_rules_read_declared_fields_and_fire_with_evidence(setup: tuple[Path, Path]) -> None:
    """same, overlap, flag equality, number bounds and differences work on declared fields."""
    rules, path = setup
    loaded = load_rules(rules)
    cohort, _ = load_cohort(path, loaded.vocabulary)
    result = pair_cohort(cohort, loaded)
    assert [(p["mentor"], p["mentee"], p["score"]) for p in result["pairs"]] == [
        ("M1", "E1", 33), ("M2", "E2", 23)]
    reasons = {r["rule"]: r["evidence"] for r in result["pairs"][0]["reasons"]}
    assert reasons == {
        "place/same-location": {"mentor.location": "Paris", "mentee.location": "Paris"},
        "place/shared-language": {"mentor.languages": ["fr", "en"],
                                  "mentee.languages": ["en", "es"],
                                  "shared languages themes": ["en"]},
        "grade/gap": {"mentee.grade": 7, "mentor.grade": 2,
                      "mentee.grade - mentor.grade": 5.0}}
    assert result["warnings"] == []
    second = explain_pair(cohort, loaded, "M2", "E2")
    assert sorted(r["rule"] for r in second["reasons"]) == [
        "grade/junior", "place/remote", "place/same-location"]


@pytest.mark.parametrize(("declared", "expected"), [
    ("department: {type: text}", "line 2: field 'department' cannot be declared: it is a "
                                 "built-in field; choose another name"),
    ("protected: {type: text}", "line 2: field 'protected' cannot be declared: protected data "
                                "is kept for fairness monitoring only; choose another name"),
    ("tenure_years: {type: number}", "line 2: field 'tenure_years' cannot be declared: it is a "
                                     "built-in field; choose another name"),
    ("grade: {type: integer}", "line 2: field 'grade' needs a type: one of text, list, flag, "
                               "number"),
    ("Grade: {type: number}", "line 2: field name 'Grade' must be lower-case letters, digits "
                              "and '_', starting with a letter (at most 40)"),
    ("remote_ok: {type: flag, values: [yes]}", "line 2: field 'remote_ok': values must be a "
                                               "list of distinct non-empty texts, and only a "
                                               "text or list field takes values"),
])
def test_a_bad_declaration_is_refused(tmp_path: Path, declared: str, expected: str) -> None:
    """A declared field that clashes with a built-in or protected one, or is malformed,
    is refused with its line."""
    rules = copy_bundled_rules(tmp_path / "r")
    vocabulary = rules / "vocabulary.yaml"
    text = vocabulary.read_text()
    vocabulary.write_text("fields:\n  " + declared + "\n" + text)
    with pytest.raises(InvalidInput) as caught:
        load_vocabulary(rules)
    assert [f"{p.path}: {p.message}" for p in caught.value.problems] == [expected]


def test_a_rule_on_an_undeclared_field_suggests_the_declared_one(setup: tuple[Path, Path]
                                                                 ) -> None:
    """A misspelt declared field in a rule gets a did-you-mean among declared fields."""
    rules, _ = setup
    (rules / "extra.yaml").write_text(
        "ruleset: pairing\nrules:\n  - id: x/y\n    title: T\n    because: B\n"
        "    when: {mentor.locaton: Paris}\n    then: {score: 1}\n"
        "  - id: x/z\n    title: T\n    because: B\n"
        "    when: {mentor.location: Pariss}\n    then: {score: 1}\n")
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", str(rules)])
    assert result.stderr.splitlines()[:2] == [
        f"{rules}/extra.yaml: line 6: error: unknown field mentor.locaton; did you mean "
        "'location'?",
        f"{rules}/extra.yaml: line 11: error: 'Pariss' is not a known mentor.location value in "
        "vocabulary.yaml; did you mean 'Paris'?"]


# -- a missing declared value ------------------------------------------------------------------
MISSING_CASES = [
    (Test("mentor", "grade", "eq", 2), False),
    (Test("mentor", "grade", "in", (2, 3.5)), False),
    (Test("mentor", "grade", "not_in", (2, 3.5)), True),  # a missing value is in no list
    (Test("mentor", "grade", "at_least", -5), False),
    (Test("mentor", "grade", "at_most", 5), False),
    (Not(Test("mentor", "grade", "at_most", 5)), True),
    (Difference("grade", "grade", None, 100), False),
    (Not(Difference("grade", "grade", 0, None)), True),
    (Test("mentor", "remote_ok", "eq", True), False),
    (Test("mentor", "remote_ok", "eq", False), False),
    (Compare(True, "location", "location"), False),
    (Compare(False, "location", "location"), False),
]


@pytest.mark.parametrize(("when", "expected"), MISSING_CASES,
                         ids=[repr(c[0]) for c in MISSING_CASES])
def test_a_missing_declared_value_fires_only_negations(when: Condition, expected: bool) -> None:
    """A mentor without the field: only not_in and negations hold, alone or beside other
    rules (the engine sees the same outcome in any company of rules)."""
    people = cohort(person("M1", "mentor"), person("E1", "mentee",
                                                   extra={"grade": 4, "location": "Paris"}))
    alone = pair_cohort(people, replace(rules_of(rule("t/one", when, 7), min_score=-100),
                                        vocabulary=THEMED_VOCABULARY))
    crowd = [rule(f"t/{k}", c, 1) for k, (c, _) in enumerate(MISSING_CASES)]
    together = pair_cohort(people, replace(rules_of(rule("t/one", when, 7), *crowd,
                                                    min_score=-100),
                                           vocabulary=THEMED_VOCABULARY))
    for result in (alone, together):
        fired = {r["rule"] for p in result["pairs"] for r in p["reasons"]}
        assert ("t/one" in fired) is expected


def test_jsonl_profiles_carry_declared_fields(setup: tuple[Path, Path], tmp_path: Path
                                              ) -> None:
    """A JSONL profile may carry declared fields; a wrong type is located by line."""
    rules, _ = setup
    base = {"role": "mentor", "name": "A", "learning_style": "activist",
            "job_family": "finance", "department": "S", "subsidiary": "B",
            "hire_date": "2020-01-01", "intentions": ["contribute-to-a-project"]}
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {**base, "id": "M1", "grade": 2.5, "remote_ok": False},
        {**base, "id": "E1", "role": "mentee", "intentions": ["support-a-junior"],
         "grade": "high"}]) + "\n")
    result = CliRunner().invoke(cli, ["validate", str(path), "--rules", str(rules)])
    assert result.exit_code == 1
    assert "expected a number, got \"high\"" in result.stderr
