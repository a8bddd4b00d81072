"""The program's current state, derived from the log: the active pairs and who is free.

Pure: a fold over entries in seq order. A ``pair`` entry opens a pair. Entry kinds that close
one (separation, reassignment) will change this fold and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from audit.entries import KIND_PAIR, KIND_UNPAIRED


@dataclass(frozen=True, slots=True)
class ActivePair:
    mentor: str
    mentee: str
    score: float
    since: str
    run: str
    seq: int


@dataclass(frozen=True, slots=True)
class FreePerson:
    id: str
    role: str
    reason: str
    why: str
    seq: int


@dataclass(frozen=True)
class ProgramState:
    active: tuple[ActivePair, ...]
    free: tuple[FreePerson, ...]

    def busy(self) -> frozenset[str]:
        return frozenset(p for pair in self.active for p in (pair.mentor, pair.mentee))

    def as_dict(self) -> dict[str, Any]:
        return {"active_pairs": [
                    {"mentor": p.mentor, "mentee": p.mentee, "score": p.score,
                     "since": p.since, "run": p.run, "seq": p.seq} for p in self.active],
                "free": [{"id": f.id, "role": f.role, "reason": f.reason, "why": f.why,
                          "seq": f.seq} for f in self.free]}


def busy_people(rows: Iterable[tuple[str, str | None, str | None]]) -> frozenset[str]:
    """Ids in an active pair, from (kind, mentor, mentee) of the entries, oldest first."""
    active: set[str] = set()
    for kind, mentor, mentee in rows:
        if kind == KIND_PAIR and mentor and mentee:
            active.update((mentor, mentee))
    return frozenset(active)


def derive_state(docs: Iterable[Mapping[str, Any]]) -> ProgramState:
    """Active pairs and free people from the entries, oldest first.

    Free means: named by some entry, in no active pair now. Each free person comes with the
    last reason the log gives for them being unpaired.
    """
    active: dict[tuple[str, str], ActivePair] = {}
    roles: dict[str, str] = {}
    last_unpaired: dict[str, Mapping[str, Any]] = {}
    for doc in docs:
        if doc.get("kind") == KIND_PAIR:
            mentor, mentee = str(doc["mentor"]), str(doc["mentee"])
            active[(mentor, mentee)] = ActivePair(mentor, mentee, doc.get("score", 0),
                                                  str(doc["at"]), str(doc["run"]),
                                                  int(doc["seq"]))
            roles.setdefault(mentor, "mentor")
            roles.setdefault(mentee, "mentee")
        elif doc.get("kind") == KIND_UNPAIRED:
            person = str(doc["person"])
            roles[person] = str(doc.get("role", roles.get(person, "")))
            last_unpaired[person] = doc
    busy = {p for key in active for p in key}
    free = []
    for person in sorted(set(roles) - busy):
        last = last_unpaired.get(person, {})
        free.append(FreePerson(person, roles[person], str(last.get("reason", "")),
                               str(last.get("why", "")), int(last.get("seq", 0))))
    pairs = tuple(sorted(active.values(), key=lambda p: (p.mentor, p.mentee)))
    return ProgramState(pairs, tuple(free))
