"""New partners for free people: the pairing engine, run on who is free, with the past.

In: a validated cohort, the rules, the program's `Standing` (places held, each couple's
past), and optionally the ids of the people to pair. Out: the pairing result (the same
JSON contract as `tandem pair`) for the free people, ready to be recorded as
`reassignment` entries. Pure.

The people named are paired; a role with nobody named draws on every person of that role
with a free place (a mentee in no pair, a mentor with places left). With no id at all,
everyone free is paired. Everyone of the cohort whom the program's state leaves out is
listed as unpaired, with the reason: withdrawn, or already paired (no place left); a
committed reassignment records the withdrawn, not the already paired (`audit.program`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.pairing.pipeline import pair_cohort, places
from engine.profiles.cohort import Cohort
from engine.program.refusals import RefusedError, unknown_person
from engine.rules.history import Standing
from engine.rules.ruleset import Rules


def reassign(cohort: Cohort, rules: Rules, standing: Standing,
             people: Sequence[str] = ()) -> dict[str, Any]:
    """Pair the free people (or the named ones) under the rules and the couples' past."""
    by_id = cohort.by_id()
    left = places(cohort, rules, standing)
    named: dict[str, set[str]] = {"mentor": set(), "mentee": set()}
    for pid in people:
        person = by_id.get(pid)
        if person is None:
            raise unknown_person(pid, by_id, str(cohort.source))
        if pid in standing.withdrawn:
            raise RefusedError(f"{pid} withdrew from the program; `tandem rejoin {pid} "
                               "--reason TEXT --commit` brings them back first")
        if left[pid] <= 0:
            what = ("is in an active or proposed pair" if person.role == "mentee" else
                    "has no place left: their active or proposed pairs fill their capacity")
            raise RefusedError(f"{pid} {what}; separate a pair first with `tandem separate`, or "
                          "leave them out")
        named[person.role].add(pid)
    only = (frozenset(named["mentor"]) or None, frozenset(named["mentee"]) or None)
    return pair_cohort(cohort, rules, standing=standing, only=only)
