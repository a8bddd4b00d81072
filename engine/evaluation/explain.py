"""Explanations: the evidence behind every fired rule, and why someone stayed unpaired."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.evaluation.features import CHUNK_CELLS, PairSpace, difference_of, person_value
from engine.evaluation.scoring import Outcome, OutcomeTable
from engine.profiles.cohort import Participant, tenure_words
from engine.rules.conditions import LEFT_SIDES
from engine.rules.ruleset import Rule, Settings


def evidence(rule: Rule, mentor: Participant, mentee: Participant, space: PairSpace
             ) -> dict[str, Any]:
    """The field values this pair showed to the rule, plus the themes an overlap counted."""
    out: dict[str, Any] = {}
    for name, side, field in rule.field_parts:
        if side == "pair":
            out.update(space.history.record(mentor.id, mentee.id).evidence(field))
            continue
        person = mentor if side in LEFT_SIDES else mentee
        value = person_value(person, field, space.as_of, space.default_capacity)
        if field == "tenure_years":
            # Exact to the day in the rules; shown cut (never rounded up) to 2 decimals, with
            # the duration in words: 364 days shows 0.99, never 1.0.
            out[name] = math.floor(float(value) * 100) / 100
            out[f"{side}.tenure"] = tenure_words(person.hire_date, space.as_of)
            continue
        out[name] = list(value) if isinstance(value, tuple) else value
    for mentor_field, mentee_field in rule.overlap_fields:
        by_theme = space.vocabulary.counts_themes(mentor_field, mentee_field)
        shared = (space.themes(mentor, mentor_field, by_theme)
                  & space.themes(mentee, mentee_field, by_theme))
        key = (f"shared {mentor_field} themes" if mentor_field == mentee_field else
               f"themes shared by mentor.{mentor_field} and mentee.{mentee_field}")
        out[key] = sorted(shared)
    for mentee_field, mentor_field in rule.differences:
        out[f"mentee.{mentee_field} - mentor.{mentor_field}"] = difference_of(
            person_value(mentee, mentee_field, space.as_of, space.default_capacity),
            person_value(mentor, mentor_field, space.as_of, space.default_capacity))
    return out


def reasons(outcome: Outcome, rules: Sequence[Rule], mentor: Participant, mentee: Participant,
            space: PairSpace) -> list[dict[str, Any]]:
    """Every fired rule with its justification: exclusions first, then by points."""
    fired = [rules[i] for i in outcome.fired]
    fired.sort(key=lambda r: (r.effect != "exclude", -abs(r.points), r.id))
    return [{"rule": r.id, "title": r.title, "because": r.because, "effect": r.effect,
             "points": r.points, "evidence": evidence(r, mentor, mentee, space)} for r in fired]


def reasons_clause(why: Sequence[Mapping[str, Any]]) -> str:
    """The end of a decision's sentence: ``: for; for (against: against).`` from the titles
    of the scoring rules that gave points and took them away."""
    positive = [r["title"].lower() for r in why if r["effect"] == "score" and r["points"] > 0]
    negative = [r["title"].lower() for r in why if r["effect"] == "score" and r["points"] < 0]
    text = ": " + "; ".join(positive) if positive else ""
    if negative:
        text += f" (against: {'; '.join(negative)})"
    return text + "."


def sentence(mentor: Participant, mentee: Participant, score: int,
             why: Sequence[Mapping[str, Any]]) -> str:
    return (f"{mentor.name} ({mentor.id}) mentors {mentee.name} ({mentee.id}), "
            f"score {score}{reasons_clause(why)}")


@dataclass(frozen=True)
class Candidates:
    """What the rules made of one person's possible partners."""

    candidates: int
    eligible: int
    below_min_score: int
    excluded_by: dict[str, int]
    best_score: int | None
    best_partner: int | None  # row of the best eligible partner


def candidates(rows: Sequence[int], is_mentor: bool, space: PairSpace, table: OutcomeTable,
               rules: Sequence[Rule], settings: Settings) -> list[Candidates]:
    """Counts over every possible partner of each given person, computed in chunks."""
    if not rows:
        return []
    n_partners = len(space.mentees) if is_mentor else len(space.mentors)
    if n_partners == 0:
        return [Candidates(0, 0, 0, {}, None, None) for _ in rows]
    exclude_rules = [i for i, r in enumerate(rules) if r.effect == "exclude"]
    lowest = np.iinfo(np.int64).min
    out: list[Candidates] = []
    step = max(1, CHUNK_CELLS // max(1, n_partners))
    for start in range(0, len(rows), step):
        chunk = np.asarray(rows[start:start + step], np.int64)
        codes = space.codes(chunk, slice(None)) if is_mentor else space.codes(
            slice(None), chunk).T
        position = table.resolve(codes)
        fired = table.fired_matrix()
        points, eligible = table.scores, table.eligible_ids
        excluded = table.excluded_ids
        below = ~excluded & (points < settings.min_score)
        ranked = np.where(eligible, points, lowest)
        n_eligible = eligible[position].sum(axis=1)
        n_below = below[position].sum(axis=1)
        per_rule = {rules[i].id: fired[:, i][position].sum(axis=1) for i in exclude_rules}
        scores = ranked[position]
        best = scores.argmax(axis=1)
        for k in range(len(chunk)):
            has = bool(n_eligible[k])
            out.append(Candidates(
                n_partners, int(n_eligible[k]), int(n_below[k]),
                {rid: int(c[k]) for rid, c in sorted(per_rule.items()) if c[k]},
                int(scores[k, best[k]]) if has else None, int(best[k]) if has else None))
    return out


def unpaired_why(person: Participant, found: Candidates, space: PairSpace,
                 settings: Settings, holders: dict[int, str]) -> dict[str, Any]:
    """Why a person who could have been paired was not, in words and in numbers."""
    is_mentor = person.role == "mentor"
    others = space.mentees if is_mentor else space.mentors
    partner_role = "mentee" if is_mentor else "mentor"
    if not others:
        return {"reason": "no-eligible-partner",
                "why": f"there is no available {partner_role} in this run",
                "detail": {"candidates": 0}}
    detail: dict[str, Any] = {"candidates": found.candidates, "eligible": found.eligible,
                              "excluded_by": found.excluded_by,
                              "below_min_score": found.below_min_score,
                              "min_score": settings.min_score}
    if found.best_partner is None:
        parts = [f"{rule} excluded {n}" for rule, n in found.excluded_by.items()]
        if found.below_min_score:
            parts.append(f"{found.below_min_score} scored under min_score {settings.min_score}")
        return {"reason": "no-eligible-partner",
                "why": f"none of the {found.candidates} available {partner_role}s is an "
                       f"eligible partner: {', '.join(parts)}", "detail": detail}
    best = others[found.best_partner].id
    detail["best_score"] = found.best_score
    detail["best_partner"] = best
    if settings.objective == "score" and (found.best_score or 0) < 0:
        return {"reason": "not-worth",
                "why": f"{found.eligible} eligible {partner_role}s, but every such pair scores "
                       "below 0 and would lower the cohort's total (objective: score)",
                "detail": detail}
    holder = holders.get(found.best_partner)
    held = f", who is paired with {holder}" if holder else ""
    return {"reason": "outscored",
            "why": f"{found.eligible} eligible {partner_role}s (best: {best}, score "
                   f"{found.best_score}{held}); every one is in a pair worth more to the cohort",
            "detail": detail}
