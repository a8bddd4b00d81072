"""Candidate criteria: for each, which pairs have it (True), lack it (False) or cannot say
(None: a profile was erased). Pure.

Names, as the report and its JSON print them (mentor first where both sides appear):

- a pairing rule: its id, e.g. ``culture/same-job-family`` (fired against not fired);
- ``learning_style activist x pragmatist``: the mentor's style x the mentee's;
- ``same job_family``, ``same department``, ``same subsidiary``;
- ``tenure gap 10-20 years``: the mentee's tenure minus the mentor's, in ``GAP_BANDS``;
- ``mentor tenure 0-2 years``, ``mentee tenure 20+ years``: in ``TENURE_BANDS``;
- ``mentor job_family finance``, ``mentee subsidiary Tandem Iberia``;
- ``score 50-69``: the pair's score, in ``SCORE_BANDS``.

Tenure is measured, like the rules measure it, at the as-of date of the run that formed
the pair, from the profile's hire_date (days / 365.25).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.insights.facts import PairFact

Band = tuple[float, float, str]
TENURE_BANDS: tuple[Band, ...] = ((0, 2, "0-2"), (2, 5, "2-5"), (5, 10, "5-10"),
                                  (10, 20, "10-20"), (20, math.inf, "20+"))
GAP_BANDS: tuple[Band, ...] = ((-math.inf, 5, "under 5"), (5, 10, "5-10"), (10, 20, "10-20"),
                               (20, math.inf, "20+"))
SCORE_BANDS: tuple[Band, ...] = ((-math.inf, 30, "under 30"), (30, 50, "30-49"),
                                 (50, 70, "50-69"), (70, math.inf, "70+"))
SAME_FIELDS = ("job_family", "department", "subsidiary")
SIDE_FIELDS = ("job_family", "subsidiary")
KINDS = ("rule", "same", "learning_style", "tenure_gap", "tenure", "job_family",
         "subsidiary", "score")


@dataclass(frozen=True)
class Criterion:
    name: str
    kind: str
    has: tuple[bool | None, ...]  # one per fact, in the facts' order


def band(value: float, bands: Sequence[Band]) -> str:
    return next(label for low, high, label in bands if low <= value < high)


def tenure(profile: Mapping[str, Any] | None, as_of: date | None) -> float | None:
    """Years since hire at the as-of date, never negative; None when unknown."""
    if profile is None or as_of is None:
        return None
    try:
        hired = date.fromisoformat(str(profile.get("hire_date")))
    except ValueError:
        return None
    return max((as_of - hired).days, 0) / 365.25


def _value(fact: PairFact, side: str, name: str) -> str | None:
    profile = fact.mentor_profile if side == "mentor" else fact.mentee_profile
    if profile is None or profile.get(name) is None:
        return None
    return str(profile[name])


def _categorical(facts: Sequence[PairFact], kind: str, label: Callable[[str], str],
                 value: Callable[[PairFact], str | None]) -> list[Criterion]:
    values = [value(f) for f in facts]
    return [Criterion(label(v), kind, tuple(None if x is None else x == v for x in values))
            for v in sorted({v for v in values if v is not None})]


def _gap(fact: PairFact) -> str | None:
    mentor = tenure(fact.mentor_profile, fact.as_of)
    mentee = tenure(fact.mentee_profile, fact.as_of)
    return None if mentor is None or mentee is None else band(mentee - mentor, GAP_BANDS)


def _tenure_band(side: str) -> Callable[[PairFact], str | None]:
    def value(fact: PairFact) -> str | None:
        years = tenure(fact.mentor_profile if side == "mentor" else fact.mentee_profile,
                       fact.as_of)
        return None if years is None else band(years, TENURE_BANDS)
    return value


def _same(name: str) -> Callable[[PairFact], bool | None]:
    def has(fact: PairFact) -> bool | None:
        mentor, mentee = _value(fact, "mentor", name), _value(fact, "mentee", name)
        return None if mentor is None or mentee is None else mentor == mentee
    return has


def _styles(fact: PairFact) -> str | None:
    mentor = _value(fact, "mentor", "learning_style")
    mentee = _value(fact, "mentee", "learning_style")
    return None if mentor is None or mentee is None else f"{mentor} x {mentee}"


def _label(template: str) -> Callable[[str], str]:
    return template.format


def _field(side: str, name: str) -> Callable[[PairFact], str | None]:
    def value(fact: PairFact) -> str | None:
        return _value(fact, side, name)
    return value


def criteria(facts: Sequence[PairFact]) -> list[Criterion]:
    """Every candidate criterion the facts allow, in a fixed order (kind, then name)."""
    out: list[Criterion] = []
    rules = sorted({rule for f in facts for rule in f.fired})
    out += [Criterion(rule, "rule", tuple(rule in f.fired for f in facts)) for rule in rules]
    for name in SAME_FIELDS:
        has = _same(name)
        out.append(Criterion(f"same {name}", "same", tuple(has(f) for f in facts)))
    out += _categorical(facts, "learning_style", lambda v: f"learning_style {v}", _styles)
    out += _categorical(facts, "tenure_gap", lambda v: f"tenure gap {v} years", _gap)
    for side in ("mentor", "mentee"):
        out += _categorical(facts, "tenure", _label(f"{side} tenure {{}} years"),
                            _tenure_band(side))
    for name in SIDE_FIELDS:
        for side in ("mentor", "mentee"):
            out += _categorical(facts, name, _label(f"{side} {name} {{}}"), _field(side, name))
    out += _categorical(facts, "score", lambda v: f"score {v}",
                        lambda f: band(float(f.score), SCORE_BANDS))
    return out
