"""The cohort-wide assignment: optimal, capacity-aware, never forms an excluded pair."""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path

import pytest

from engine.evaluation.features import PairSpace
from engine.evaluation.rete import RuleEngine
from engine.evaluation.scoring import outcome_of
from engine.pairing.pipeline import pair_cohort
from engine.profiles.cohort import Cohort
from engine.profiles.validate import load_cohort
from engine.rules.conditions import Compare, Test
from engine.rules.ruleset import Rules
from tests.pairing.factories import (
    AS_OF,
    THEMED_VOCABULARY,
    VOCABULARY,
    cohort,
    person,
    random_cohort,
    random_rules,
    rule,
    rules_of,
)


def _brute_force(c: Cohort, rules: Rules) -> tuple[int, int]:
    """Best (pairs, score) for participation or (score, pairs) for score, by enumeration."""
    ruleset = rules.pairing
    settings = ruleset.settings
    conditions = [r.when for r in ruleset.rules]
    space = PairSpace(conditions, c.mentors, c.mentees, VOCABULARY, AS_OF,
                      settings.default_capacity)
    engine = RuleEngine(conditions, lambda leaf: space.atom_for(leaf).name)
    scores: dict[tuple[int, int], int] = {}
    for i, m in enumerate(c.mentors):
        for j, e in enumerate(c.mentees):
            o = outcome_of(engine.fired(space.pair_features(m, e)), ruleset.rules)
            if not o.excluded and o.points >= settings.min_score:
                if settings.objective == "score" and o.points < 0:
                    continue
                scores[i, j] = o.points
    capacity = tuple(m.capacity or settings.default_capacity for m in c.mentors)

    @cache
    def best(j: int, left: tuple[int, ...]) -> tuple[int, int]:
        if j == len(c.mentees):
            return (0, 0)
        options = [best(j + 1, left)]
        for i in range(len(c.mentors)):
            if left[i] and (i, j) in scores:
                rest = list(left)
                rest[i] -= 1
                pairs, total = best(j + 1, tuple(rest))
                options.append((pairs + 1, total + scores[i, j]))
        if settings.objective == "score":
            return max(options, key=lambda o: (o[1], o[0]))
        return max(options)

    return best(0, capacity)


# -- optimality against brute force ---------------------------------------------------------
@pytest.mark.parametrize("objective", ["participation", "score"])
@pytest.mark.parametrize("seed", range(30))
def test_assignment_is_optimal_against_brute_force(seed: int, objective: str) -> None:
    """Random small cohorts and rules: the solver's pairs and total equal the true optimum."""
    rng = random.Random(seed)
    c = random_cohort(rng, rng.randint(1, 4), rng.randint(1, 6))
    rules = rules_of(*random_rules(rng, 6), objective=objective,
                     min_score=rng.choice([-10, 0, 10]), default_capacity=rng.choice([1, 2]))
    result = pair_cohort(c, rules)
    expected_pairs, expected_total = _brute_force(c, rules)
    assert (result["summary"]["pairs"], result["summary"]["total_score"]) == (
        expected_pairs, expected_total)
    per_mentor: dict[str, int] = {}
    for p in result["pairs"]:
        per_mentor[p["mentor"]] = per_mentor.get(p["mentor"], 0) + 1
    capacity = {m.id: m.capacity or rules.pairing.settings.default_capacity for m in c.mentors}
    assert all(n <= capacity[m] for m, n in per_mentor.items())
    assert len({p["mentee"] for p in result["pairs"]}) == len(result["pairs"])


# -- the exclusion mask ---------------------------------------------------------------------
def test_excluded_pair_is_never_formed_even_with_the_highest_score() -> None:
    """An exclude rule wins over any number of points: the pair is masked, not outweighed."""
    c = cohort(person("M1"), person("E1", "mentee", manager_id="M1"))
    rules = rules_of(
        rule("reporting", Compare(True, "id", "manager_id")),
        rule("huge", Compare(True, "job_family", "job_family"), 1_000_000),
    )
    result = pair_cohort(c, rules)
    assert result["pairs"] == []
    assert result["unpaired"][0]["reason"] == "no-eligible-partner"
    assert result["unpaired"][0]["detail"]["excluded_by"] == {"reporting": 1}


def test_pair_under_min_score_is_not_eligible() -> None:
    """A pair scoring below min_score stays unpaired, with the count under min_score."""
    c = cohort(person("M1"), person("E1", "mentee"))
    rules = rules_of(rule("same-family", Compare(True, "job_family", "job_family"), 5),
                     min_score=10)
    result = pair_cohort(c, rules)
    assert result["pairs"] == []
    mentee = next(u for u in result["unpaired"] if u["id"] == "E1")
    assert mentee["detail"]["below_min_score"] == 1
    assert "1 scored under min_score 10" in mentee["why"]


# -- objectives -----------------------------------------------------------------------------
def _triangle() -> Cohort:
    """M1 fits E1 best, but E2 can only take M1: participation and score disagree."""
    return cohort(person("M1", job_family="finance", department="A"),
                  person("M2", job_family="it", department="B"),
                  person("E1", "mentee", job_family="finance", department="B"),
                  person("E2", "mentee", job_family="finance", department="A"))


def test_participation_pairs_the_most_people_first() -> None:
    """participation: two pairs with a lower total beat one pair with a higher total."""
    rules = rules_of(rule("family", Compare(True, "job_family", "job_family"), 30),
                     rule("department", Compare(True, "department", "department"), 50),
                     rule("min", Test("mentee", "job_family", "eq", "finance"), 0),
                     objective="participation", min_score=1)
    result = pair_cohort(_triangle(), rules)
    assert [(p["mentor"], p["mentee"]) for p in result["pairs"]] == [("M1", "E2"), ("M2", "E1")]


def test_score_objective_may_leave_people_unpaired() -> None:
    """score: negative pairs are never formed, even if that leaves people out."""
    c = cohort(person("M1", job_family="it"), person("E1", "mentee", job_family="finance"))
    rules = rules_of(rule("different", Compare(False, "job_family", "job_family"), -5),
                     objective="score", min_score=-100)
    result = pair_cohort(c, rules)
    assert result["pairs"] == []
    assert {u["reason"] for u in result["unpaired"]} == {"not-worth"}
    participation = pair_cohort(c, rules_of(*rules.pairing.rules, min_score=-100))
    assert len(participation["pairs"]) == 1


def test_mentor_capacity_is_respected_and_defaults_from_settings() -> None:
    """A mentor takes at most capacity mentees; without one, settings.default_capacity."""
    mentees = [person(f"E{i}", "mentee") for i in range(5)]
    c = cohort(person("M1", capacity=2), person("M2"), *mentees)
    same = rule("family", Compare(True, "job_family", "job_family"), 10)
    assert pair_cohort(c, rules_of(same))["summary"]["pairs"] == 3
    assert pair_cohort(c, rules_of(same, default_capacity=3))["summary"]["pairs"] == 5


# -- determinism ----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_result_does_not_depend_on_input_order(seed: int, tmp_path: Path) -> None:
    """The same cohort written in two orders gives the same JSON, digests included."""
    rng = random.Random(seed)
    c = random_cohort(rng, 12, 15)
    rules = rules_of(*random_rules(rng, 6))
    records = [p.as_record() for p in c.participants]
    outputs = []
    for name in ("sorted.json", "shuffled.json"):
        path = tmp_path / name
        path.write_text(json.dumps({"program": {"as_of": AS_OF.isoformat()},
                                    "participants": records}))
        loaded, _ = load_cohort(path, THEMED_VOCABULARY)  # declares the random extra fields
        outputs.append(json.dumps(pair_cohort(loaded, rules), sort_keys=True))
        rng.shuffle(records)
    assert outputs[0] == outputs[1]
    assert outputs[0] == json.dumps(pair_cohort(c, rules), sort_keys=True)


def test_everyone_on_one_side_busy_leaves_the_other_side_unpaired_with_why() -> None:
    """When every mentee is already paired, free mentors are told there is no one left."""
    c = cohort(person("M1"), person("M2"), person("E1", "mentee"))
    result = pair_cohort(c, rules_of(rule("family", Compare(True, "job_family", "job_family"),
                                          10)), busy={"E1", "M1"})
    assert result["pairs"] == []
    reasons = {u["id"]: u["reason"] for u in result["unpaired"]}
    assert reasons == {"E1": "already-paired", "M1": "already-paired",
                       "M2": "no-eligible-partner"}
    m2 = next(u for u in result["unpaired"] if u["id"] == "M2")
    assert m2["why"] == "there is no available mentee in this run"
