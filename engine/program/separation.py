"""Ending an active pair: the checks, and the `separation` entry they allow.

In: the active pairs (mentor, mentee, seq of the entry that formed them), the people the log
knows, each couple's past, the pairs waiting for approval, the request. Out: a
`Separation`, or a `RefusedError` that says why and what to do.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from engine.base.suggest import closest
from engine.program.events import Separation
from engine.program.refusals import RefusedError, need_reason, unknown_person
from engine.rules.history import PairRecord


def check_category(category: str, categories: Sequence[str]) -> str:
    if category not in categories:
        raise RefusedError(f"{category!r} is not a separation category; use one of: "
                           f"{', '.join(categories)} (separation_categories in vocabulary.yaml)",
                           closest(category, categories))
    return category


def separate(active: Sequence[tuple[str, str, int]], known: Collection[str],
             past: Mapping[tuple[str, str], PairRecord],
             proposed: Mapping[tuple[str, str], str], *, mentor: str, mentee: str,
             reason: str, category: str, categories: Sequence[str], run: str, at: str,
             actor: str) -> Separation:
    """The separation of the active pair (mentor, mentee), after every check."""
    text = need_reason(reason, "the couple is separated")
    check_category(category, categories)
    for pid, other in ((mentor, mentee), (mentee, mentor)):
        if pid not in known:
            partners = sorted({m if e == other else e for m, e, _ in active
                               if other in (m, e)})
            close = closest(pid, partners)
            raise (RefusedError(f"there is no {pid} in the audit log", close) if close
                   else unknown_person(pid, known, "the audit log"))
    formed = {(m, e): seq for m, e, seq in active}
    if (mentor, mentee) in formed:
        return Separation(run, at, actor, mentor, mentee, category, text,
                          formed[(mentor, mentee)])
    record = past.get((mentor, mentee))
    if (mentor, mentee) in proposed:
        why = (f"they are proposed in run {proposed[(mentor, mentee)]}, which waits for "
               "approval: reject the run with `tandem reject RUN --reason TEXT` instead")
    elif record is not None and record.separated_before:
        why = (f"they were already separated (entry {record.separation_seq}, "
               f"{record.separation_category})")
    else:
        partners = sorted(f"{m}-{e}" for m, e, _ in active if mentor in (m, e) or
                          mentee in (m, e))
        why = ("they were never paired" + (f"; their active pairs: {', '.join(partners)}"
                                            if partners else "")
               + ". `tandem status` lists the active pairs")
    raise RefusedError(f"{mentor} and {mentee} are not an active pair: {why}")
