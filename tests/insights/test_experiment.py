"""Experiments: `tandem pair --experiment` draws each mentee's arm with a recorded seed and
pairs the cohort in one assignment scored by arm; `tandem insights --experiment` compares
the arms by intention to treat, and finds a planted arm effect at the power it predicts
while flagging a null one at no more than the nominal rate."""

from __future__ import annotations

import json
import math
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binom

from engine.base.resources import rules_dir
from engine.evaluation.inputs import load_inputs
from engine.insights.experiment import experiment_report
from engine.insights.facts import PairFact
from engine.pairing.experiment import pair_experiment, randomise
from engine.pairing.pipeline import explain_pair, pair_cohort
from engine.rules.ruleset import load_rules

REPO = Path(__file__).resolve().parents[2]
COHORT = REPO / "examples" / "cohort.json"


@pytest.fixture(scope="module")
def new_rules(tmp_path_factory):
    """The bundled rules with same-job-family at +5 instead of +30."""
    target = tmp_path_factory.mktemp("rules") / "new"
    shutil.copytree(rules_dir(), target)
    culture = target / "culture.yaml"
    culture.write_text(culture.read_text("utf-8").replace("then: {score: 30}",
                                                          "then: {score: 5}"), "utf-8")
    return target


def test_the_arms_are_drawn_by_the_seed():
    """The same seed gives the same arms; the share sets how many are in B."""
    ids = [f"E{i:02d}" for i in range(40)]
    first = randomise(ids, 0.5, 7)
    assert first == randomise(list(reversed(ids)), 0.5, 7)
    assert sum(a == "B" for a in first.values()) == 20
    assert first != randomise(ids, 0.5, 8)
    assert sum(a == "B" for a in randomise(ids, 0.25, 7).values()) == 10


def test_with_the_same_rules_in_both_arms_it_is_the_plain_pairing():
    """One optimal assignment: the arms change nothing when the rules are the same."""
    loaded, rules, _ = load_inputs(COHORT)
    plain = pair_cohort(loaded, rules)
    both = pair_experiment(loaded, rules, rules, share=0.5, seed=3)
    assert [(p["mentor"], p["mentee"], p["score"]) for p in both["pairs"]] == \
        [(p["mentor"], p["mentee"], p["score"]) for p in plain["pairs"]]
    assert [u["id"] for u in both["unpaired"]] == [u["id"] for u in plain["unpaired"]]


def test_each_pair_is_scored_by_its_mentees_arm(new_rules):
    """A pair of arm B has the score the new rules give it; of arm A, the rules in force."""
    loaded, rules, _ = load_inputs(COHORT)
    new = load_rules(new_rules)
    found = pair_experiment(loaded, rules, new, share=0.5, seed=11)
    arms = found["experiment"]["arms"]
    assert {p["arm"] for p in found["pairs"]} == {"A", "B"}
    for pair in found["pairs"]:
        assert pair["arm"] == arms[pair["mentee"]]
        judged = explain_pair(loaded, new if pair["arm"] == "B" else rules, pair["mentor"],
                              pair["mentee"])
        assert pair["score"] == judged["score"]
    assert found["experiment"]["seed"] == 11 and found["experiment"]["share"] == 0.5


def test_an_experiment_is_committed_with_its_seed_and_arms_and_read_back(run, db_url,
                                                                        new_rules):
    """The run records the seed, the share, the new rules and every mentee's arm; each pair
    its arm; the chain verifies; with every pair's outcome the reading is final."""
    from audit.log.verify import verify
    from tests.audit.conftest import raw_sql

    done = run("pair", COHORT, "--experiment", new_rules, "--seed", "5", "--commit",
               "--db", db_url, "--format", "json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    entries = [json.loads(row[0]) for row in raw_sql(
        db_url, "SELECT entry FROM audit_log ORDER BY seq")[0]]
    head = entries[0]
    assert head["experiment"]["seed"] == 5 and head["experiment"]["share"] == 0.5
    assert head["experiment"]["arms"] == result["experiment"]["arms"]
    pairs = [e for e in entries if e["kind"] == "pair"]
    assert all(e["arm"] == head["experiment"]["arms"][e["mentee"]] for e in pairs)
    kept = {row[0] for row in raw_sql(db_url, "SELECT rules_text_digest FROM "
                                              "audit_rules")[0]}
    assert head["experiment"]["rules_text_digest_b"] in kept
    assert verify(db_url).ok
    interim = json.loads(run("insights", "--experiment", head["run"][:15], "--db", db_url,
                             "--format", "json").stdout)
    assert interim["status"] == "not enough data"
    assert interim["arms"]["A"]["running"] + interim["arms"]["B"]["running"] == len(pairs)
    for i, pair in enumerate(pairs):
        assert run("outcome", pair["mentor"], pair["mentee"], "--result",
                   "success" if i % 3 else "failure", "--db", db_url).exit_code == 0
    final = json.loads(run("insights", "--experiment", head["run"], "--db", db_url,
                           "--format", "json").stdout)
    assert final["seed"] == 5 and final["rules_digest_b"] == result["experiment"][
        "rules_digest_b"]
    assert final["arms"]["A"]["results"] + final["arms"]["B"]["results"] == len(pairs)
    assert final["arms"]["A"]["running"] == final["arms"]["B"]["running"] == 0
    shown = run("insights", "--experiment", head["run"], "--db", db_url)
    assert shown.exit_code == 0 and "by intention to treat" in shown.stdout


def test_an_unknown_experiment_is_refused(run, sqlite_url):
    """A run that is no experiment is named with the experiments there are."""
    run("pair", COHORT, "--commit", "--db", sqlite_url)
    done = run("insights", "--experiment", "2", "--db", sqlite_url)
    assert done.exit_code == 1
    assert "no experiment run of the audit log" in done.output


# -- simulations: seeded, a few seconds
def _experiment(seed, pairs, rate_a, rate_b):
    rng = np.random.default_rng(seed)
    arms = randomise([f"E{i}" for i in range(pairs)], 0.5, seed)
    facts = []
    for i in range(pairs):
        arm = arms[f"E{i}"]
        ok = rng.random() < (rate_b if arm == "B" else rate_a)
        facts.append(PairFact(f"M{i}", f"E{i}", i, date(2026, 9, 1), 50, (), {},
                              "success" if ok else "failure", cohort="run"))
    return experiment_report(facts, arms)


def test_a_planted_arm_effect_is_found_at_the_power_predicted():
    """0.45 against 0.60 over 300 pairs: found as often as the power for 15 points says, within
    sampling error."""
    programs = 200
    reports = [_experiment(seed, 300, 0.45, 0.60) for seed in range(programs)]
    predicted = float(np.mean([r["power_when_ended"] for r in reports]))
    found = sum(r["significant"] and r["difference"]["value"] > 0 for r in reports)
    spread = 3 * math.sqrt(predicted * (1 - predicted) / programs)
    assert abs(found / programs - predicted) <= spread, (found, predicted)


def test_a_null_experiment_is_flagged_at_most_at_the_nominal_rate():
    """The same rate in both arms: significant in no more than 5% of experiments, within
    sampling error."""
    programs = 400
    flagged = sum(_experiment(10_000 + seed, 300, 0.55, 0.55)["significant"]
                  for seed in range(programs))
    assert flagged <= binom.ppf(0.99, programs, 0.05), flagged


def test_the_table_names_the_seed_and_share_needs_an_experiment(run, new_rules, tmp_path):
    """A dry run prints the seed drawn, so that it can be given again; --seed alone is a
    usage error."""
    done = run("pair", COHORT, "--experiment", new_rules, "--seed", "9",
               "--db", f"sqlite:///{tmp_path / 'none.db'}")
    assert done.exit_code == 0, done.output
    assert "Experiment: seed 9; 12 of 24 mentees in arm B (the new rules)" in done.stdout
    refused = run("pair", COHORT, "--seed", "9")
    assert refused.exit_code == 2
    assert "--share and --seed go with --experiment NEW_RULES" in refused.output
