"""Rules that the engine could not hold as written: `rules check` accepts them and `pair` runs.

Each case once checked clean and then crashed or hung the pairing. The engine now splits
them over engine rules and rulesets within its measured limits.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from engine.base.resources import rules_dir
from engine.evaluation.rete import (
    COMPOSITE_LIMIT,
    FANOUT_LIMIT,
    LEAVES_PER_RULESET,
    RULES_PER_RULESET,
    plan_rules,
    split_expression,
)
from engine.rules.ruleset import load_rules
from tests.profiles.conftest import REPO

RULE = "  - id: {id}\n    title: T\n    because: B\n    when: {when}\n    then: {then}\n"


def _file(*rules: tuple[str, str, str]) -> str:
    return "ruleset: pairing\nrules:\n" + "".join(
        RULE.format(id=i, when=w, then=t) for i, w, t in rules)


def _values(n: int, prefix: str = "d") -> str:
    return ", ".join(f"{prefix}{i}" for i in range(n))


ANY_15 = "{any: [" + ", ".join(f"{{all: [{{mentor.department: d{i}}}, "
                               f"{{mentee.department: e{i}}}]}}" for i in range(15)) + "]}"

# name, extra rule file text, the score bonus every pair of the example gets from it
CASES = [
    ("an any of 15 all-branches", _file(("big/any", ANY_15, "{score: 1}"))),
    ("253 copies of one rule",
     _file(*[(f"c/r{i}", "{mentor.learning_style: {in: [activist, reflector, theorist, "
                         "pragmatist]}}", "{score: 1}") for i in range(253)])),
    ("256 copies of one rule",
     _file(*[(f"c/r{i}", "{same: subsidiary}", "{score: 0}") for i in range(256)])),
    ("an in of 511 values", _file(("big/in", f"{{mentor.department: {{in: [{_values(511)}]}}}}",
                                   "{score: 1}"))),
    ("an in of 511 values inside an all",
     _file(("big/in", f"{{all: [{{mentor.department: {{in: [{_values(511)}]}}}}, "
                      "{not: {same: job_family}}]}", "{score: 1}"))),
    ("a not_in of 600 values",
     _file(("big/not-in", f"{{mentee.department: {{not_in: [{_values(600)}]}}}}",
            "{score: 1}"))),
]


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    shutil.copytree(rules_dir(), tmp_path / "r")
    return tmp_path / "r"


@pytest.mark.parametrize(("description", "text"), CASES, ids=[c[0] for c in CASES])
def test_rules_that_check_clean_pair(rules_copy: Path, description: str, text: str) -> None:
    """The rule folder checks clean, and the example cohort pairs under it."""
    (rules_copy / "extra.yaml").write_text(text)
    check = CliRunner().invoke(cli, ["rules", "check", "--rules", str(rules_copy)])
    assert check.exit_code == 0, check.output
    result = CliRunner().invoke(cli, ["pair", str(REPO / "examples/cohort.json"), "--rules",
                                      str(rules_copy), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["pairs"] == 22


def test_253_copies_of_a_rule_all_fire(rules_copy: Path) -> None:
    """Every copy of a rule fires and counts, although the engine runs the condition once."""
    (rules_copy / "extra.yaml").write_text(CASES[1][1])
    plain = CliRunner().invoke(cli, ["pair", str(REPO / "examples/cohort.json"),
                                     "--format", "json"])
    result = CliRunner().invoke(cli, ["pair", str(REPO / "examples/cohort.json"), "--rules",
                                      str(rules_copy), "--format", "json"])
    before, after = json.loads(plain.stdout), json.loads(result.stdout)
    assert after["summary"]["total_score"] == before["summary"]["total_score"] + 253 * 22


def test_an_upper_case_suffix_is_a_rule_file(rules_copy: Path) -> None:
    """A rule file named *.YAML is checked and is part of the rules digest."""
    before = load_rules(rules_copy).digest
    (rules_copy / "EXTRA.YAML").write_text(_file(("a/x", "{same: job_family}", "{score: 1}")))
    loaded = load_rules(rules_copy)
    assert "EXTRA.YAML" in loaded.files
    assert loaded.digest != before
    assert "a/x" in [r.id for r in loaded.pairing.rules]


def test_a_big_any_is_split_into_rules_within_the_limits() -> None:
    """An any of 15 all-branches becomes 15 engine rules, each within the engine's limits."""
    expr = {"$or": [{"$and": [{"a": i}, {"b": i}]} for i in range(15)]}
    parts = split_expression(expr)
    assert parts == [{"$and": [{"a": i}, {"b": i}]} for i in range(15)]


def test_an_and_over_a_big_or_is_distributed() -> None:
    """An all over an any too big for one engine rule is distributed over its branches."""
    big_or = {"$or": [{"a": i} for i in range(FANOUT_LIMIT + 1)]}
    parts = split_expression({"$and": [big_or, {"b": 1}]})
    assert parts == [{"$and": [{"b": 1}, {"a": i}]} for i in range(FANOUT_LIMIT + 1)]


def test_rulesets_are_packed_within_the_limits() -> None:
    """No durable-rules ruleset gets more rules or tests than the measured limits allow."""
    from engine.rules.conditions import Test

    conditions = [Test("mentor", "department", "in", tuple(f"d{i}" for i in range(999)))]
    plan = plan_rules(conditions, lambda leaf: "f0")
    assert plan.engine_rules == 999
    for ruleset in plan.rulesets:
        assert len(ruleset) <= RULES_PER_RULESET
        assert len(ruleset) <= LEAVES_PER_RULESET
    assert COMPOSITE_LIMIT == 15
