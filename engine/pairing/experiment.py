"""A rule change run as an experiment: cohort + two rule sets + seed -> one pairing.

Each available mentee is put at random in arm A (the rules in force) or arm B (the new
rules): a seeded permutation of the mentees sorted by id, the first ``share`` of it in B, so
that the same seed gives the same arms. The whole cohort is then paired in one optimal
assignment, each candidate pair scored (and judged eligible) by the rules of its mentee's
arm; mentors are shared by both arms. Each pair says its arm; the result says the seed, the
share, the new rules' digest and every mentee's arm, for the audit log.

An experiment pairs with the plain assignment: rule sets with cohort-wide constraints are
refused. The objective and the mentors' places are those of the rules in force. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.base.errors import TandemError
from engine.evaluation.explain import reasons, sentence
from engine.pairing.pipeline import (
    Evaluation,
    _unpaired,
    evaluate,
    result_document,
    rule_warnings,
    taken_in,
)
from engine.profiles.cohort import Cohort
from engine.rules.history import Standing
from engine.rules.ruleset import Rules

ARMS = ("A", "B")


def randomise(mentees: Sequence[str], share: float, seed: int) -> dict[str, str]:
    """Mentee id -> arm: ``round(share x n)`` of them in B, chosen by the seed."""
    ids = sorted(mentees)
    order = np.random.default_rng(seed).permutation(len(ids))
    in_b = round(share * len(ids))
    return {ids[i]: "B" if rank < in_b else "A" for rank, i in enumerate(order.tolist())}


def _weights(scores: np.ndarray[Any, Any], eligible: np.ndarray[Any, Any], objective: str,
             low: int, big: float) -> np.ndarray[Any, Any]:
    """As in the plain assignment: more pairs first, then a higher total (participation),
    or a higher total first (score); 0 for a pair that may not be formed."""
    if objective == "participation":
        return np.where(eligible, (scores - low).astype(np.float64) + big, 0.0)
    return np.where(eligible & (scores >= 0), scores.astype(np.float64) * big + 1.0, 0.0)


def _check(a: Evaluation, b: Evaluation) -> None:
    if a.rules.pairing.constraints or b.rules.pairing.constraints:
        raise TandemError("an experiment pairs with the plain assignment, and these rules set "
                          "cohort-wide constraints; run it with rule sets without them")
    same = ([m.id for m in a.space.mentors] == [m.id for m in b.space.mentors]
            and [e.id for e in a.space.mentees] == [e.id for e in b.space.mentees])
    if not same:
        raise TandemError("the two rule sets leave different people available (their "
                          "default capacities differ); give the new rules the same settings")


def pair_experiment(cohort: Cohort, rules: Rules, new: Rules, *, share: float, seed: int,
                    standing: Standing | None = None) -> dict[str, Any]:
    """The pairing of ``cohort`` with each mentee's pairs scored by their arm's rules: the
    JSON contract of `tandem pair`, each pair with its ``arm``, and ``experiment``."""
    from engine.pairing.assignment import solver

    if not 0 < share < 1:
        raise TandemError(f"--share must be between 0 and 1, not {share}")
    standing = standing or Standing()
    taken = taken_in(cohort, rules, standing)
    a = evaluate(cohort, rules, taken, standing=standing)
    b = evaluate(cohort, new, taken, standing=standing)
    _check(a, b)
    mentors, mentees = a.space.mentors, a.space.mentees
    arms = randomise([e.id for e in mentees], share, seed)
    in_b = np.array([arms[e.id] == "B" for e in mentees], bool)
    pairs: list[dict[str, Any]] = []
    chosen_m: list[int] = []
    chosen_e: list[int] = []
    if len(mentors) and len(mentees):
        ids_a = a.table.resolve(a.space.codes(slice(None), slice(None)))
        ids_b = b.table.resolve(b.space.codes(slice(None), slice(None)))
        scores = np.where(in_b[None, :], b.table.scores[ids_b], a.table.scores[ids_a])
        eligible = np.where(in_b[None, :], b.table.eligible_ids[ids_b],
                            a.table.eligible_ids[ids_a])
        low = min(a.table.score_bounds()[0], b.table.score_bounds()[0])
        high = max(a.table.score_bounds()[1], b.table.score_bounds()[1])
        owner = np.concatenate([np.arange(len(mentors)),  # first places, then further ones
                                np.repeat(np.arange(len(mentors)),
                                          np.maximum(a.capacities - 1, 0))])
        most = min(len(owner), len(mentees))
        objective = rules.pairing.settings.objective
        big = float((high - low) * most + 1) if objective == "participation" else float(
            most + 1)
        cost = -_weights(scores, eligible, objective, low, big)[owner]
        rows, cols = solver()(cost)
        formed = cost[rows, cols] < 0
        order = np.lexsort((cols[formed], owner[rows[formed]]))
        chosen_m = owner[rows[formed]][order].tolist()
        chosen_e = cols[formed][order].tolist()
    for m, e in zip(chosen_m, chosen_e, strict=True):
        ev = b if in_b[e] else a
        code = int(ev.space.pair_codes(np.array([m]), np.array([e]))[0])
        outcome = ev.table.outcome(code)
        mentor, mentee = ev.space.mentors[m], ev.space.mentees[e]
        why = reasons(outcome, ev.rules.pairing.rules, mentor, mentee, ev.space)
        pairs.append({"mentor": mentor.id, "mentee": mentee.id, "score": outcome.points,
                      "sentence": sentence(mentor, mentee, outcome.points, why),
                      "reasons": why, "arm": "B" if in_b[e] else "A"})
    explained = {arm: {u["id"]: u for u in _unpaired(cohort, ev, chosen_m, chosen_e, taken,
                                                     standing)}
                 for arm, ev in (("A", a), ("B", b))}
    unpaired = [explained[arms.get(u["id"], "A") if u["role"] == "mentee" else "A"][u["id"]]
                for u in explained["A"].values()]
    return result_document(
        cohort, rules, a, pairs, unpaired, taken, rule_warnings(cohort, a),
        {"method": "assignment", "optimal": True},
        extra={"experiment": {"seed": seed, "share": share, "rules_digest_b": new.digest,
                              "arms": dict(sorted(arms.items()))}},
        summary_extra={"arm_b": sum(1 for arm in arms.values() if arm == "B")})
