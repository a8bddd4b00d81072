"""Rates by group, the four-fifths rule and exact tests: subjects in, one record per group out.

A *subject* is one trial for one person: a person in a run (hit: paired), or a person in a
pair with a result (hit: success). For each role and attribute (one *table*), per group:

- ``people`` and ``paired`` (hits), the ``rate`` and its 95% Wilson interval, the mean score
  of the group's pairs;
- the *reference* group: the largest group with a known value (never "(not given)") whose
  figures are shown;
- ``ratio``: the rate over the reference group's rate; ``flagged`` when it is under 0.8
  (the four-fifths rule);
- ``p_value``: Fisher's exact test (two-sided) of the group against the reference group,
  and ``p_adjusted``, Benjamini-Hochberg within the table (one family per role and
  attribute), so that ``significant`` (p_adjusted < 0.05) is not a product of testing many
  groups at once; ``direction``: "lower" or "higher" than the reference.

A flag that is significant and lower is a *disadvantage*; a flag that is not significant
could be chance, and is counted apart.

**Small groups are protected** (``suppress``). With the threshold ``min_group`` (at least
``TOO_SMALL``, 5): a group of fewer people shows no count, rate or score (``too_small``);
when the whole table has fewer than ``min_group`` hits or misses (but some), as when two
mentees are left unpaired, every group shows its size but no split (``suppressed``), since
any split would say which groups those few people are in. Then, so that no hidden value
can be recovered by subtraction from the totals (which the published pairs list gives
away), more groups are hidden, smallest first, until every column of hidden values
(people, hits, misses) holds two groups or more and sums to ``min_group`` or more (or to
nothing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from scipy import stats

from engine.fairness.groups import NOT_GIVEN

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
    """The figures of one group (the JSON contract of `tandem fairness`). A hidden value is
    None: ``too_small`` hides them all, ``suppressed`` all but ``people``."""

    role: str
    attribute: str
    group: str
    people: int | None
    paired: int | None
    rate: float | None
    rate_low: float | None
    rate_high: float | None
    mean_score: float | None
    ratio: float | None
    flagged: bool
    too_small: bool
    suppressed: bool
    reference: bool
    p_value: float | None
    p_adjusted: float | None
    significant: bool
    direction: str | None
    protected: bool

    @property
    def disadvantage(self) -> bool:
        """Flagged under four fifths, significant, and lower than the reference."""
        return self.flagged and self.significant and self.direction == "lower"

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
    min_group: int = TOO_SMALL

    @property
    def flagged(self) -> tuple[GroupFigure, ...]:
        """Every group under four fifths of its reference, significant or not."""
        return tuple(f for f in self.figures if f.flagged)

    @property
    def disadvantages(self) -> tuple[GroupFigure, ...]:
        """The significant disadvantages: the headline."""
        return tuple(f for f in self.figures if f.disadvantage)

    @property
    def chance_flags(self) -> tuple[GroupFigure, ...]:
        """Flags that could be chance (not significant), counted apart."""
        return tuple(f for f in self.figures if f.flagged and not f.significant)

    def reference(self, role: str, attribute: str) -> GroupFigure | None:
        return next((f for f in self.figures if f.role == role and f.attribute == attribute
                     and f.reference), None)

    def sections(self) -> list[tuple[str, str, list[GroupFigure]]]:
        """(role, attribute, figures), in the order the figures come."""
        out: dict[tuple[str, str], list[GroupFigure]] = {}
        for f in self.figures:
            out.setdefault((f.role, f.attribute), []).append(f)
        return [(role, attribute, rows) for (role, attribute), rows in out.items()]

    def as_dict(self) -> dict[str, Any]:
        return {"people": self.people, "erased": list(self.erased),
                "protected_attributes": list(self.protected_attributes),
                "min_group": self.min_group,
                "disadvantages": len(self.disadvantages),
                "chance_flags": len(self.chance_flags),
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


def suppress(cells: Mapping[str, tuple[int, int]], k: int) -> tuple[set[str], set[str]]:
    """Which groups of one table hide their size, and which hide their split (hits,
    misses, rate, score), from {group: (people, hits)}; see the module's docstring."""
    size = {g for g, (n, _) in cells.items() if n < k}
    hits = sum(h for _, h in cells.values())
    misses = sum(n - h for n, h in cells.values())
    split = set(cells) if 0 < hits < k or 0 < misses < k else set(size)
    def value(g: str, column: int) -> int:  # 0: people, 1: hits, 2: misses
        n, h = cells[g]
        return (n, h, n - h)[column]

    while True:
        grow: set[str] | None = None
        for hidden, column in ((size, 0), (split, 1), (split, 2)):
            shown = sorted((g for g in cells if g not in hidden),
                           key=lambda g: (cells[g][0], g))
            total = sum(value(g, column) for g in hidden)
            if hidden and shown and (len(hidden) == 1 or 0 < total < k):
                grow = size if hidden is size else split
                grow.add(shown[0])
                split.add(shown[0])
                break
        if grow is None:
            return size, split


def _table(role: str, attribute: str, groups: Mapping[str, _Tally], protected: bool, k: int
           ) -> list[dict[str, Any]]:
    """The rows of one table (role x attribute), suppressed, judged against the reference."""
    cells = {name: (t.people, t.hits) for name, t in groups.items()}
    size, split = suppress(cells, k)
    known = [g for g in groups if g != NOT_GIVEN and g not in split]
    ref = max(known, key=lambda g: (groups[g].people, g)) if known else None
    ref_rate = groups[ref].hits / groups[ref].people if ref else None
    rows: list[dict[str, Any]] = []
    for name in sorted(groups):
        t = groups[name]
        shown = name not in split
        rate = t.hits / t.people if shown else None
        low, high = wilson(t.hits, t.people) if shown else (None, None)
        judged = shown and ref is not None and name != ref
        ratio = (rate / ref_rate if judged and ref_rate and rate is not None
                 else 1.0 if name == ref else None)
        p = (fisher(t.hits, t.people, groups[ref].hits, groups[ref].people)
             if judged and ref is not None else None)
        rows.append({
            "role": role, "attribute": attribute, "group": name,
            "people": t.people if name not in size else None,
            "paired": t.hits if shown else None, "rate": rate, "rate_low": low,
            "rate_high": high,
            "mean_score": (sum(t.scores) / len(t.scores) if shown and t.scores else None),
            "ratio": ratio, "too_small": name in size, "suppressed": name in split,
            "reference": name == ref,
            "flagged": bool(judged and ratio is not None and ratio < FOUR_FIFTHS),
            "p_value": p,
            "direction": (None if not judged or rate is None or ref_rate is None
                          else "lower" if rate < ref_rate else "higher" if rate > ref_rate
                          else "same"),
            "protected": protected})
    tested = [i for i, r in enumerate(rows) if r["p_value"] is not None]
    adjusted = dict(zip(tested, _adjust([float(rows[i]["p_value"]) for i in tested]),
                        strict=True))
    for i, row in enumerate(rows):
        row["p_adjusted"] = adjusted.get(i)
        row["significant"] = adjusted.get(i, 1.0) < ALPHA
    return rows


def group_figures(subjects: Iterable[Subject], protected: Iterable[str] = (),
                  min_group: int = TOO_SMALL) -> list[GroupFigure]:
    """One record per role, attribute and group, sorted by role, attribute (protected ones
    first, in order of appearance), then group. ``min_group`` below TOO_SMALL is refused."""
    if min_group < TOO_SMALL:
        raise ValueError(f"the smallest group shown is {TOO_SMALL} or more, not {min_group}")
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
    return [GroupFigure(**row) for role, attribute in keys
            for row in _table(role, attribute, tallies[(role, attribute)],
                              attribute in protected_set, min_group)]
