"""Simulated programs for the statistics tests: pairs with profiles, fired rules, results.

A program has ``pairs`` pairs with profiles drawn with the seed (4 learning styles, 5 job
families, 2 departments per family, 4 subsidiaries, tenures of 0-6 years for mentors and
5-30 for mentees), the rules that the bundled rules would fire on them, and a result:
success with probability ``base``, or with ``planted(fact) -> probability`` when given.
Each program is one cohort (``cohort``); ``running`` makes a cohort still running.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import numpy as np

from engine.insights.facts import PairFact

AS_OF = date(2026, 9, 1)
STYLES = ("activist", "reflector", "theorist", "pragmatist")
FAMILIES = ("finance", "sales", "research", "it", "marketing")
SUBSIDIARIES = ("Tandem Group", "Tandem Bank", "Tandem Insurance", "Tandem Iberia")
NEIGHBOURS = {("reflector", "theorist"), ("theorist", "reflector"),
              ("activist", "pragmatist"), ("pragmatist", "activist")}
POINTS = {"culture/same-job-family": 30, "culture/same-department": 10,
          "culture/same-subsidiary": 10, "learning-style/same-style": 20,
          "learning-style/neighbours": 25, "intentions/overlap": 15,
          "intentions/strong-overlap": 10, "intentions/shared-topic": 5}


def _profile(rng: np.random.Generator, pid: str, role: str) -> dict[str, object]:
    family = str(rng.choice(FAMILIES, p=[0.3, 0.25, 0.2, 0.15, 0.1]))
    years = rng.uniform(0, 6) if role == "mentor" else rng.uniform(5, 30)
    return {"id": pid, "role": role, "learning_style": str(rng.choice(STYLES)),
            "job_family": family, "department": f"{family}-{rng.integers(2)}",
            "subsidiary": str(rng.choice(SUBSIDIARIES, p=[0.4, 0.3, 0.2, 0.1])),
            "hire_date": (AS_OF - timedelta(days=int(years * 365.25))).isoformat()}


def program(seed: int, pairs: int = 300, base: float = 0.6,
            planted: Callable[[PairFact], float] | None = None, cohort: str = "2025",
            extra: tuple[str, ...] = ()) -> list[PairFact]:
    """One ended cohort: every pair has a result. ``extra``: rules that fire in every pair
    (a rule added for this cohort)."""
    rng = np.random.default_rng(seed)
    facts = []
    for i in range(pairs):
        mentor, mentee = _profile(rng, f"M{i}", "mentor"), _profile(rng, f"E{i}", "mentee")
        fired = [rule for rule, same in (
            ("culture/same-job-family", mentor["job_family"] == mentee["job_family"]),
            ("culture/same-department", mentor["department"] == mentee["department"]),
            ("culture/same-subsidiary", mentor["subsidiary"] == mentee["subsidiary"]),
            ("learning-style/same-style",
             mentor["learning_style"] == mentee["learning_style"]),
            ("learning-style/neighbours",
             (mentor["learning_style"], mentee["learning_style"]) in NEIGHBOURS)) if same]
        overlap = rng.random() < 0.6
        fired += ["intentions/overlap"] * overlap
        fired += ["intentions/strong-overlap"] * bool(overlap and rng.random() < 0.4)
        fired += ["intentions/shared-topic"] * bool(rng.random() < 0.5)
        fired += list(extra)
        fact = PairFact(f"M{i}", f"E{i}", i + 1, AS_OF,
                        sum(POINTS.get(r, 10) for r in fired),
                        tuple(sorted(fired)), POINTS, "failure", as_of=AS_OF,
                        mentor_profile=mentor, mentee_profile=mentee)
        chance = planted(fact) if planted else base
        result = "success" if rng.random() < chance else str(rng.choice(["partial",
                                                                          "failure"]))
        facts.append(PairFact(f"{cohort}-{fact.mentor}", f"{cohort}-{fact.mentee}", fact.seq,
                              fact.began, fact.score, fact.fired, fact.points, result,
                              as_of=AS_OF, mentor_profile=mentor, mentee_profile=mentee,
                              cohort=cohort))
    return facts


def running(seed: int, pairs: int, separated: float, extra: tuple[str, ...] = (),
            cohort: str = "2026") -> list[PairFact]:
    """A cohort still running: a share ``separated`` of its pairs already separated for
    mismatch (early failures), the others running (their successes are still to come)."""
    rng = np.random.default_rng(seed)
    out = []
    for fact in program(seed, pairs, cohort=cohort, extra=extra):
        result = "failure" if rng.random() < separated else "running"
        out.append(replace(fact, result=result,
                           source="separation" if result == "failure" else "none",
                           seq=fact.seq + 100_000))
    return out
