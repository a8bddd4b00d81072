"""A couple's past reaches the rules as pair features (`pair.*`), like any other field."""

from __future__ import annotations

import random

import numpy as np
import pytest
from click.testing import CliRunner

from cli.main import cli
from engine.evaluation import features
from engine.evaluation.features import PairSpace
from engine.evaluation.rete import RuleEngine
from engine.rules.conditions import All, AnyOf, Not, Test
from engine.rules.history import PairRecord, Standing
from tests.pairing.factories import AS_OF, VOCABULARY, copy_bundled_rules, random_cohort, rule

CATEGORIES = ("mismatch", "conflict", "availability")


def _past(rng: random.Random, mentors, mentees) -> Standing:
    pairs = {}
    for m in mentors:
        for e in mentees:
            if rng.random() < 0.3:
                separated = rng.random() < 0.6
                pairs[(m.id, e.id)] = PairRecord(
                    paired_before=separated or rng.random() < 0.5, separated_before=separated,
                    separation_category=rng.choice(CATEGORIES) if separated else None,
                    separation_seq=7 if separated else None, forbidden=rng.random() < 0.3)
    return Standing({}, pairs)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("block_limit", [features.BLOCK_LIMIT, 4])
def test_past_features_by_code_equal_the_features_of_each_pair(seed, block_limit,
                                                               monkeypatch):
    """Codes packing the past give every pair the outcome its own past gives."""
    monkeypatch.setattr(features, "BLOCK_LIMIT", block_limit)
    rng = random.Random(seed)
    cohort = random_cohort(rng, 7, 9)
    rules = [rule("separated", Test("pair", "separated_before", "eq", True)),
             rule("again", Test("pair", "paired_before", "eq", True), -10),
             rule("conflict", Test("pair", "separation_category", "in",
                                   ("conflict", "mismatch")), -5),
             rule("forbidden", AnyOf((Test("pair", "forbidden", "eq", True),
                                      Not(Test("mentor", "learning_style", "eq",
                                               "activist"))))),
             rule("mixed", All((Test("pair", "separation_category", "eq", "availability"),
                                Test("mentee", "job_family", "eq", "it"))), 7)]
    conditions = [r.when for r in rules]
    space = PairSpace(conditions, cohort.mentors, cohort.mentees, VOCABULARY, AS_OF, 1,
                      history=_past(rng, cohort.mentors, cohort.mentees))
    engine = RuleEngine(conditions, lambda leaf: space.atom_for(leaf).name)
    codes = space.codes(slice(None), slice(None))
    for i, mentor in enumerate(cohort.mentors):
        for j, mentee in enumerate(cohort.mentees):
            assert engine.fired(space.features(int(codes[i, j]))) == engine.fired(
                space.pair_features(mentor, mentee)), (seed, mentor.id, mentee.id)
    aligned = space.pair_codes(np.repeat(np.arange(7), 9), np.tile(np.arange(9), 7))
    assert np.array_equal(aligned, codes.ravel())
    rows = np.array([1, 4])
    assert np.array_equal(space.codes(rows, slice(2, 6)), codes[rows][:, 2:6])


RULE = "ruleset: {ruleset}\nrules:\n  - id: a/x\n    title: T\n    because: B\n" \
       "    when: {when}\n    then: exclude\n"
CASES = [
    # description, ruleset, condition, the exact message
    ("unknown pair field", "pairing", "{pair.separated: true}",
     "r/extra.yaml: line 6: error: unknown field pair.separated; a pair's past is read as "
     "pair.paired_before, pair.separated_before, pair.separation_category, pair.forbidden; "
     "did you mean 'separated_before'?"),
    ("unknown category", "pairing", "{pair.separation_category: mismach}",
     "r/extra.yaml: line 6: error: 'mismach' is not a known pair.separation_category value in "
     "vocabulary.yaml; did you mean 'mismatch'?"),
    ("a flag compared with text", "pairing", "{pair.forbidden: 'yes'}",
     "r/extra.yaml: line 6: error: pair.forbidden takes true or false, got \"yes\""),
    ("the past in my job days", "my_job_days", "{pair.paired_before: true}",
     "r/extra.yaml: line 6: error: pair.paired_before is the past of a mentor-mentee couple; "
     "only pairing rules can read it"),
]


@pytest.mark.parametrize(("description", "ruleset", "when", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_rules_check_knows_the_pair_fields(tmp_path, monkeypatch, description, ruleset, when,
                                           expected):
    """`rules check` accepts the bundled history rules and locates a misuse of pair.*."""
    monkeypatch.chdir(tmp_path)
    copy_bundled_rules(tmp_path / "r")
    assert CliRunner().invoke(cli, ["rules", "check", "--rules", "r"]).exit_code == 0
    (tmp_path / "r" / "extra.yaml").write_text(RULE.format(ruleset=ruleset, when=when))
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", "r"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [expected, "1 error in the rules; nothing was done"]


def test_rules_show_lists_the_history_rules_readably():
    """The exclusion of a separated couple is a visible rule, not hidden code."""
    result = CliRunner().invoke(cli, ["rules", "show", "--format", "json"])
    rows = {r["id"]: r for r in __import__("json").loads(result.stdout)["rules"]}
    assert rows["history/separated-couple"]["when"] == "pair.separated_before is True"
    assert rows["history/forbidden-by-decision"]["when"] == "pair.forbidden is True"
