"""Explanations: the evidence behind every fired rule, and why someone stayed unpaired."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.cohort import Participant
from engine.conditions import Overlap, leaves
from engine.features import PairSpace, person_value, themes_of
from engine.ruleset import Rule, Settings
from engine.scoring import Outcome, OutcomeTable


def evidence(rule: Rule, mentor: Participant, mentee: Participant, space: PairSpace
             ) -> dict[str, Any]:
    """The field values this pair showed to the rule, plus the themes an overlap counted."""
    out: dict[str, Any] = {}
    for name in rule.fields:
        side, field = name.split(".", 1)
        person = mentor if side == "mentor" else mentee
        value = person_value(person, field, space.as_of, space.default_capacity)
        out[name] = list(value) if isinstance(value, tuple) else value
    for leaf in leaves(rule.when):
        if isinstance(leaf, Overlap):
            shared = (themes_of(mentor, leaf.field, space.vocabulary)
                      & themes_of(mentee, leaf.field, space.vocabulary))
            out[f"shared {leaf.field} themes"] = sorted(shared)
    return out


def reasons(outcome: Outcome, rules: Sequence[Rule], mentor: Participant, mentee: Participant,
            space: PairSpace) -> list[dict[str, Any]]:
    """Every fired rule with its justification: exclusions first, then by points."""
    fired = [rules[i] for i in outcome.fired]
    fired.sort(key=lambda r: (r.effect != "exclude", -abs(r.points), r.id))
    return [{"rule": r.id, "title": r.title, "because": r.because, "effect": r.effect,
             "points": r.points, "evidence": evidence(r, mentor, mentee, space)} for r in fired]


def sentence(mentor: Participant, mentee: Participant, score: int,
             why: Sequence[dict[str, Any]]) -> str:
    positive = [r["title"].lower() for r in why if r["effect"] == "score" and r["points"] > 0]
    negative = [r["title"].lower() for r in why if r["effect"] == "score" and r["points"] < 0]
    text = (f"{mentor.name} ({mentor.id}) mentors {mentee.name} ({mentee.id}), "
            f"score {score}")
    if positive:
        text += ": " + "; ".join(positive)
    if negative:
        text += f" (against: {'; '.join(negative)})"
    return text + "."


def unpaired_why(person: Participant, row: int, space: PairSpace, table: OutcomeTable,
                 rules: Sequence[Rule], settings: Settings, taken: dict[int, str]
                 ) -> dict[str, Any]:
    """Why a person who could have been paired was not, with counts per rule."""
    is_mentor = person.role == "mentor"
    others = space.mentees if is_mentor else space.mentors
    partner_role = "mentee" if is_mentor else "mentor"
    if not others:
        return {"reason": "no-eligible-partner",
                "why": f"there is no available {partner_role} in this run",
                "detail": {"candidates": 0}}
    index = np.arange(len(others))
    codes = (space.pair_codes(np.full(len(others), row), index) if is_mentor
             else space.pair_codes(index, np.full(len(others), row)))
    excluded_by: Counter[str] = Counter()
    below = 0
    eligible: list[tuple[int, int]] = []
    for k, code in enumerate(codes.tolist()):
        outcome = table.outcome(code)
        if outcome.excluded:
            for i in outcome.fired:
                if rules[i].effect == "exclude":
                    excluded_by[rules[i].id] += 1
        elif outcome.points < settings.min_score:
            below += 1
        else:
            eligible.append((outcome.points, k))
    detail: dict[str, Any] = {"candidates": len(others), "eligible": len(eligible),
                              "excluded_by": dict(sorted(excluded_by.items())),
                              "below_min_score": below, "min_score": settings.min_score}
    if not eligible:
        parts = [f"{rule} excluded {n}" for rule, n in sorted(excluded_by.items())]
        if below:
            parts.append(f"{below} scored under min_score {settings.min_score}")
        return {"reason": "no-eligible-partner",
                "why": f"none of the {len(others)} available {partner_role}s is an eligible "
                       f"partner: {', '.join(parts)}", "detail": detail}
    best_score, best = max(eligible, key=lambda e: (e[0], -e[1]))
    detail["best_score"] = best_score
    detail["best_partner"] = others[best].id
    if settings.objective == "score" and best_score < 0:
        return {"reason": "not-worth",
                "why": f"{len(eligible)} eligible {partner_role}s, but every such pair scores "
                       "below 0 and would lower the cohort's total (objective: score)",
                "detail": detail}
    holder = taken.get(best)
    held = f", who is paired with {holder}" if holder else ""
    return {"reason": "outscored",
            "why": f"{len(eligible)} eligible {partner_role}s (best: {others[best].id}, score "
                   f"{best_score}{held}); every one is in a pair worth more to the cohort",
            "detail": detail}
