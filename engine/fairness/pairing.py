"""Fairness of a pairing run, or of the outcomes of pairs: decisions and profiles in, a
FairnessReport out.

The decisions are the pairing's JSON contract (``pairs``; ``unpaired`` with ``id``) or the
log's entries (``unpaired`` with ``person``): both work. People left out as already paired
were not candidates in the run and are not counted. A person whose profile is missing (its
snapshot was erased) is named in ``erased`` and left out of the figures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from engine.fairness.figures import TOO_SMALL, FairnessReport, Subject, group_figures
from engine.fairness.groups import NOT_GIVEN, VISIBLE, person_groups, protected_attributes

ALREADY_PAIRED = "already-paired"


def _report(people: Iterable[tuple[str, str, bool, tuple[float, ...]]],
            profiles: Mapping[str, Mapping[str, Any]], as_of: date,
            too_small_under: int = TOO_SMALL) -> FairnessReport:
    subjects: list[Subject] = []
    erased: list[str] = []
    protected: list[str] = []
    by_role: dict[str, list[str]] = defaultdict(list)
    for pid, role, hit, scores in people:
        profile = profiles.get(pid)
        if profile is None:
            erased.append(pid)
            continue
        groups = person_groups(profile, as_of)
        for attribute in protected_attributes(groups):
            if attribute not in protected:
                protected.append(attribute)
            if attribute not in by_role[role]:
                by_role[role].append(attribute)
        subjects.append(Subject(pid, role, groups, hit, scores))
    # Everyone is counted under every attribute someone of their role has: a missing value
    # is a group of its own.
    everyone = [Subject(s.id, s.role, {a: s.groups.get(a, NOT_GIVEN)
                                       for a in [*sorted(by_role[s.role], key=protected.index),
                                                 *_visible(s.groups)]},
                        s.hit, s.scores) for s in subjects]
    return FairnessReport(tuple(group_figures(everyone, protected, too_small_under)),
                          len(subjects),
                          tuple(sorted(erased)), tuple(protected))


def _visible(groups: Mapping[str, str]) -> list[str]:
    return [a for a in groups if a in VISIBLE]


def fairness_of_pairing(pairs: Iterable[Mapping[str, Any]],
                        unpaired: Iterable[Mapping[str, Any]],
                        profiles: Mapping[str, Mapping[str, Any]], as_of: date,
                        too_small_under: int = TOO_SMALL) -> FairnessReport:
    """Who was paired, by group, among the candidates of one run."""
    roles: dict[str, str] = {}
    scores: dict[str, list[float]] = defaultdict(list)
    for pair in pairs:
        for role in ("mentor", "mentee"):
            pid = str(pair[role])
            roles[pid] = role
            scores[pid].append(float(pair.get("score", 0)))
    for person in unpaired:
        if person.get("reason") == ALREADY_PAIRED:
            continue
        pid = str(person.get("id", person.get("person")))
        roles.setdefault(pid, str(person.get("role")))
    people = [(pid, roles[pid], pid in scores, tuple(scores.get(pid, ())))
              for pid in sorted(roles)]
    return _report(people, profiles, as_of, too_small_under)


def fairness_of_outcomes(outcomes: Iterable[Mapping[str, Any]],
                         profiles: Mapping[str, Mapping[str, Any]], as_of: date,
                         too_small_under: int = TOO_SMALL) -> FairnessReport:
    """The success rate by group: one trial per person and recorded outcome of their pair
    (``result`` "success" is a hit; "partial" and "failure" are not)."""
    people = [(str(outcome[role]), role, outcome.get("result") == "success", ())
              for outcome in outcomes for role in ("mentor", "mentee")]
    return _report(people, profiles, as_of, too_small_under)
