"""The linkage attack on published group figures, as an outsider would run it.

The outsider has the published figures (the groups of `tandem fairness`, the report's tables)
and what else is published: the pairs list and the unpaired list (so, per role, how many
people there were and how many were paired or succeeded). From these alone they try:

- a group shown with fewer than ``k`` people (the only non-binary mentor of the example);
- a mean score shown for fewer than ``k`` pairs (it narrows who they are, from the pairs
  list's scores);
- a hidden value recovered by subtraction: the table's total minus the groups shown, when
  one group is hidden, or a hidden remainder of fewer than ``k`` (when some groups are
  shown: with all hidden, the remainder is the public total);
- certain membership: when fewer than ``k`` people were unpaired (or paired, or succeeded)
  and one group only can hold them (the example's two unpaired mentees, all in one age
  band), each of them is known to be in it.

``attack`` returns what it recovers, in words; an empty list means nothing.
``criteria_attack`` does the same on the criteria of `tandem insights`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

Row = Mapping[str, Any]


def _misses(row: Row) -> int | None:
    if row["people"] is None or row["paired"] is None:
        return None
    return int(row["people"]) - int(row["paired"])


def attack(groups: Iterable[Row], totals: Mapping[str, tuple[int, int]], k: int = 5
           ) -> list[str]:
    """What the outsider recovers from the figures, given per role (people, hits)."""
    found: list[str] = []
    tables: dict[tuple[str, str], list[Row]] = {}
    for row in groups:
        tables.setdefault((str(row["role"]), str(row["attribute"])), []).append(row)
    for (role, attribute), rows in tables.items():
        people, hits = totals[role]
        columns: dict[str, tuple[Callable[[Row], int | None], int]] = {
            "people": (lambda r: r["people"], people),
            "hits": (lambda r: r["paired"], hits),
            "misses": (_misses, people - hits)}
        where = f"{role} {attribute}"
        for row in rows:
            if row["people"] is not None and 0 < row["people"] < k:
                found.append(f"{where}={row['group']}: {row['people']} people shown")
            if (row.get("mean_score") is not None and row["paired"] is not None
                    and 0 < row["paired"] < k):
                found.append(f"{where}={row['group']}: the mean score of {row['paired']} "
                             "pairs shown")
        remainders = {}
        for name, (get, total) in columns.items():
            hidden = [r for r in rows if get(r) is None]
            rest = total - sum(int(v) for r in rows if (v := get(r)) is not None)
            remainders[name] = (hidden, rest)
            if len(hidden) == 1:
                found.append(f"{where}={hidden[0]['group']}: {name} recovered by "
                             f"subtraction: {rest}")
            elif hidden and len(hidden) < len(rows) and 0 < rest < k:
                found.append(f"{where}: the hidden groups hold {rest} {name} together")
        for name in ("hits", "misses"):
            get, total = columns[name]
            if not 0 < total < k:
                continue
            hidden, rest = remainders[name]
            holding = [r for r in rows if get(r) not in (None, 0)] + (hidden if rest else [])
            if len(holding) == 1:
                found.append(f"{where}: the {total} people counted as {name} are all "
                             f"{holding[0]['group']}")
    return found


def unprotected(subjects: Iterable[Any]) -> list[dict[str, Any]]:
    """The figures as they were published before small groups were protected: every
    group's people, hits and mean score."""
    tally: dict[tuple[str, str, str], list[Any]] = {}
    for s in subjects:
        for attribute, group in s.groups.items():
            entry = tally.setdefault((s.role, attribute, group), [0, 0, []])
            entry[0] += 1
            entry[1] += int(s.hit)
            entry[2].extend(s.scores)
    return [{"role": role, "attribute": attribute, "group": group, "people": n,
             "paired": h, "mean_score": sum(sc) / len(sc) if sc else None}
            for (role, attribute, group), (n, h, sc) in sorted(tally.items())]


def role_totals(groups: Iterable[Row], subjects: Iterable[Any]) -> dict[str, tuple[int, int]]:
    """Per role, (people, hits): what the published pairs and unpaired lists give away."""
    out: dict[str, list[int]] = {}
    for s in subjects:
        entry = out.setdefault(s.role, [0, 0])
        entry[0] += 1
        entry[1] += int(s.hit)
    return {role: (n, h) for role, (n, h) in out.items()}


def criteria_attack(report: Mapping[str, Any], k: int = 5) -> list[str]:
    """What subtraction recovers from the criteria of an insights report (its rows and the
    refinements listed under them): a side of a comparison shown with fewer than ``k``
    pairs, or the one hidden category of a trait (its pairs are the total minus the
    categories shown)."""
    found = []
    families: dict[tuple[str, str], list[Row]] = {}
    rows = [*report["criteria"],
            *(sub for r in report["criteria"] for sub in r.get("refinements", ()))]
    for row in rows:
        for side in ("with", "without"):
            n = row[side]["pairs"]
            if n is not None and 0 < n < k:
                found.append(f"{row['criterion']}: {n} pairs {side}")
        first = str(row["criterion"]).split(" ", 1)[0]
        if row["kind"] not in ("rule", "same"):
            families.setdefault((str(row["kind"]), first), []).append(row)
    for key, members in families.items():
        hidden = [r for r in members if r["with"]["pairs"] is None]
        if len(hidden) == 1:
            found.append(f"{key}: {hidden[0]['criterion']} recovered by subtraction")
        rest = (int(report["pairs"]) - int(members[0]["unknown"])
                - sum(int(r["with"]["pairs"]) for r in members if r not in hidden))
        if len(hidden) > 1 and 0 < rest < k:
            found.append(f"{key}: the hidden categories hold {rest} pairs together")
    return found
