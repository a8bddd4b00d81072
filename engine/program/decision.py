"""A human's last word on one pair: force it, or forbid it in every later run.

In: a validated cohort, the rules, the program's `Standing`, the pair, the choice and the
reason. Out: a `Decision` carrying what the rules said of the pair (its score, the rules
that fired, the exclusions), or a `RefusedError`. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.evaluation.explain import reasons
from engine.pairing.pipeline import evaluate, places
from engine.profiles.cohort import Cohort
from engine.program.events import Choice, Decision
from engine.program.refusals import RefusedError, need_reason, unknown_person
from engine.rules.history import Standing
from engine.rules.ruleset import Rules


@dataclass(frozen=True)
class Judgement:
    """What the rules say of one pair, whoever is free."""

    score: int
    reasons: Sequence[Mapping[str, Any]]
    excluded_by: tuple[str, ...]
    min_score: int


def judge(cohort: Cohort, rules: Rules, standing: Standing, mentor: str,
          mentee: str) -> Judgement:
    """The rules' verdict on (mentor, mentee), with the couple's past, as if both were free."""
    by_id = cohort.by_id()
    for pid, role in ((mentor, "mentor"), (mentee, "mentee")):
        person = by_id.get(pid)
        if person is None or person.role != role:
            raise unknown_person(pid, [p.id for p in cohort.participants if p.role == role],
                                 f"the {role}s of {cohort.source}")
    ev = evaluate(cohort, rules, standing=Standing({}, standing.pairs),
                  only=(frozenset({mentor}), frozenset({mentee})))
    code = int(ev.space.pair_codes(np.array([0]), np.array([0]))[0])
    outcome = ev.table.outcome(code)
    why = reasons(outcome, rules.pairing.rules, ev.space.mentors[0], ev.space.mentees[0],
                  ev.space)
    excluded = tuple(r["rule"] for r in why if r["effect"] == "exclude")
    return Judgement(outcome.points, why, excluded, rules.pairing.settings.min_score)


def decide(cohort: Cohort, rules: Rules, standing: Standing,
           active: Sequence[tuple[str, str]], *, choice: Choice, mentor: str, mentee: str,
           reason: str, override_exclusion: bool, run: str, at: str,
           actor: str) -> Decision:
    """The decision entry for forcing or forbidding (mentor, mentee), after every check."""
    text = need_reason(reason, f"the pair is {'forced' if choice == 'force' else 'forbidden'}")
    verdict = judge(cohort, rules, standing, mentor, mentee)
    record = standing.record(mentor, mentee)
    if choice == "forbid":
        if record.forbidden:
            raise RefusedError(f"{mentor} and {mentee} are already forbidden (decision entry "
                          f"{record.decision_seq})")
        return Decision(run, at, actor, "forbid", mentor, mentee, text, verdict.score,
                        tuple(verdict.reasons), verdict.excluded_by, False)
    if (mentor, mentee) in set(active):
        raise RefusedError(f"{mentor} and {mentee} are already an active pair")
    left = places(cohort, rules, standing)
    if left[mentee] <= 0:
        partner = next((m for m, e in active if e == mentee), None)
        raise RefusedError(f"{mentee} is already in " + (f"an active pair with {partner}"
                                                      if partner else "a proposed pair")
                      + f"; separate them first with `tandem separate {partner or 'MENTOR'} "
                        f"{mentee} --reason TEXT --commit`")
    if left[mentor] <= 0:
        raise RefusedError(f"{mentor} has no place left: their active or proposed pairs fill their "
                      "capacity; separate one first with `tandem separate`")
    if verdict.excluded_by and not override_exclusion:
        raise RefusedError(f"the rules exclude {mentor} with {mentee} "
                      f"({', '.join(verdict.excluded_by)}); to force the pair anyway, add "
                      "--override-exclusion: the decision records the exclusion overridden")
    return Decision(run, at, actor, "force", mentor, mentee, text, verdict.score,
                    tuple(verdict.reasons), verdict.excluded_by,
                    bool(verdict.excluded_by) and override_exclusion)
