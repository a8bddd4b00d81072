"""A person leaving the program, or coming back: the checks, and the entries they allow.

In: the active pairs (mentor, mentee, seq of the entry that formed them), each person's
role, who has withdrawn (person -> the withdrawal's seq), the people in pairs waiting for
approval, the request. Out: the `Separation` of each active pair of the person and their
`Withdrawal`, or a `Rejoin`; or a `RefusedError` that says why and what to do. Pure.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from engine.program.events import Rejoin, Separation, Withdrawal
from engine.program.refusals import RefusedError, need_reason, unknown_person


def withdraw(active: Sequence[tuple[str, str, int]], roles: Mapping[str, str],
             withdrawn: Mapping[str, int], proposed: Mapping[str, str], *, person: str,
             reason: str, run: str, at: str, actor: str, category: str = "other",
             skip: Collection[tuple[str, str]] = ()) -> list[Separation | Withdrawal]:
    """A separation for each active pair of ``person`` (but the couples of ``skip``), then
    their withdrawal. ``proposed``: person -> the run of a proposal that holds them.
    ``category``: of the separations (``left-company`` when they left the company)."""
    text = need_reason(reason, f"{person} withdraws")
    if person not in roles:
        raise unknown_person(person, roles, "the audit log")
    if person in withdrawn:
        raise RefusedError(f"{person} already withdrew (entry {withdrawn[person]}); "
                           f"`tandem rejoin {person} --reason TEXT` brings them back")
    if person in proposed:
        raise RefusedError(f"{person} is in run {proposed[person]}, which waits for approval: "
                           f"approve or reject it first (`tandem reject {proposed[person]} "
                           "--reason TEXT`)")
    ended = [(m, e, seq) for m, e, seq in active if person in (m, e) and (m, e) not in skip]
    out: list[Separation | Withdrawal] = [
        Separation(run, at, actor, m, e, category, f"{person} withdrew: {text}", seq)
        for m, e, seq in ended]
    pairs = tuple(seq for m, e, seq in active if person in (m, e))
    out.append(Withdrawal(run, at, actor, person, roles[person], text, pairs))
    return out


def rejoin(roles: Mapping[str, str], withdrawn: Mapping[str, int], *, person: str,
           reason: str, run: str, at: str, actor: str) -> Rejoin:
    """The rejoin of a withdrawn person."""
    text = need_reason(reason, f"{person} rejoins")
    if person not in withdrawn:
        if person not in roles:
            raise unknown_person(person, roles, "the audit log")
        raise RefusedError(f"{person} has not withdrawn: they are in the program")
    return Rejoin(run, at, actor, person, text, withdrawn[person])
