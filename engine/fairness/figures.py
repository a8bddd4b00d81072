"""Rates by group, the four-fifths rule and exact tests: subjects in, one record per group out.

A *subject* is one trial for one person: a person in a run (hit: paired), or a person in a
pair with an outcome (hit: success). For each role and attribute, per group:

- ``people`` and ``paired`` (hits), the ``rate`` and its 95% Wilson interval;
- the mean score of the group's pairs;
- ``ratio``: the rate over the best rate among the groups big enough to judge;
  ``flagged`` when it is under 0.8 (the four-fifths rule) for a group big enough to judge;
- ``p_value``: Fisher's exact test (two-sided) of the group against the rest of its role,
  and ``p_adjusted``, Benjamini-Hochberg over every judged group of the call, so that
  ``significant`` (p_adjusted < 0.05) is not a product of testing many groups at once.

Groups of fewer than TOO_SMALL people are kept and marked ``too_small``: never flagged, never
hidden.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from scipy import stats

FOUR_FIFTHS = 0.8
TOO_SMALL = 5
ALPHA = 0.05
CONFIDENCE = 0.95


@dataclass(frozen=True, slots=True)
class Subject:
    """One person's trial: their role, their groups, whether it was a hit, their scores."""

    id: str
    role: str
    groups: Mapping[str, str]
    hit: bool
    scores: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupFigure:
    """The figures of one group (the JSON contract of `tandem fairness`, plus extras)."""

    role: str
    attribute: str
    group: str
    people: int
    paired: int
    rate: float
    rate_low: float
    rate_high: float
    mean_score: float | None
    ratio: float | None
    flagged: bool
    too_small: bool
    best: bool
    p_value: float | None
    p_adjusted: float | None
    significant: bool
    protected: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FairnessReport:
    """The figures of one run (or of outcomes), with what could not be counted."""

    figures: tuple[GroupFigure, ...]
    people: int
    erased: tuple[str, ...] = ()
    protected_attributes: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def flagged(self) -> tuple[GroupFigure, ...]:
        return tuple(f for f in self.figures if f.flagged)

    def sections(self) -> list[tuple[str, str, list[GroupFigure]]]:
        """(role, attribute, figures), in the order the figures come."""
        out: dict[tuple[str, str], list[GroupFigure]] = {}
        for f in self.figures:
            out.setdefault((f.role, f.attribute), []).append(f)
        return [(role, attribute, rows) for (role, attribute), rows in out.items()]

    def as_dict(self) -> dict[str, Any]:
        return {"people": self.people, "erased": list(self.erased),
                "protected_attributes": list(self.protected_attributes),
                "figures": [f.as_dict() for f in self.figures]}


def wilson(hits: int, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval of hits/n; (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    ci = stats.binomtest(hits, n).proportion_ci(confidence_level=CONFIDENCE, method="wilson")
    return float(ci.low), float(ci.high)


def fisher(hits: int, n: int, rest_hits: int, rest_n: int) -> float | None:
    """Two-sided Fisher exact p-value of a group against the rest; None without a rest."""
    if n == 0 or rest_n == 0:
        return None
    table = [[hits, n - hits], [rest_hits, rest_n - rest_hits]]
    return float(stats.fisher_exact(table, alternative="two-sided").pvalue)


def _adjust(p_values: Sequence[float]) -> list[float]:
    if not p_values:
        return []
    return [float(p) for p in stats.false_discovery_control(list(p_values), method="bh")]


@dataclass
class _Tally:
    people: int = 0
    hits: int = 0
    scores: list[float] = field(default_factory=list)


def group_figures(subjects: Iterable[Subject], protected: Iterable[str] = (),
                  too_small_under: int = TOO_SMALL) -> list[GroupFigure]:
    """One record per role, attribute and group, sorted by role, attribute (protected ones
    first, in order of appearance), then group. A group of fewer than ``too_small_under``
    people is too small to judge (the program file's ``smallest_group``)."""
    protected_set = set(protected)
    tallies: dict[tuple[str, str], dict[str, _Tally]] = defaultdict(lambda: defaultdict(_Tally))
    order: list[str] = []
    for s in subjects:
        for attribute, group in s.groups.items():
            if attribute not in order:
                order.append(attribute)
            tally = tallies[(s.role, attribute)][group]
            tally.people += 1
            tally.hits += int(s.hit)
            tally.scores.extend(s.scores)
    rank = {a: (a not in protected_set, i) for i, a in enumerate(order)}
    keys = sorted(tallies, key=lambda k: (k[0], rank[k[1]]))
    raw: list[dict[str, Any]] = []
    for role, attribute in keys:
        groups = tallies[(role, attribute)]
        total_n = sum(t.people for t in groups.values())
        total_hits = sum(t.hits for t in groups.values())
        judged = [t.hits / t.people for t in groups.values() if t.people >= too_small_under]
        best = max(judged) if judged else None
        for name in sorted(groups):
            t = groups[name]
            rate = t.hits / t.people
            low, high = wilson(t.hits, t.people)
            too_small = t.people < too_small_under
            ratio = rate / best if best else None
            raw.append({
                "role": role, "attribute": attribute, "group": name, "people": t.people,
                "paired": t.hits, "rate": rate, "rate_low": low, "rate_high": high,
                "mean_score": sum(t.scores) / len(t.scores) if t.scores else None,
                "ratio": ratio, "too_small": too_small,
                "flagged": bool(not too_small and ratio is not None and ratio < FOUR_FIFTHS),
                "best": bool(not too_small and best is not None and rate == best),
                "p_value": fisher(t.hits, t.people, total_hits - t.hits, total_n - t.people),
                "protected": attribute in protected_set})
    tested = [i for i, r in enumerate(raw) if not r["too_small"] and r["p_value"] is not None]
    adjusted = dict(zip(tested, _adjust([raw[i]["p_value"] for i in tested]), strict=True))
    return [GroupFigure(**r, p_adjusted=adjusted.get(i),
                        significant=adjusted.get(i, 1.0) < ALPHA)
            for i, r in enumerate(raw)]
