"""The program's current state, derived from the log: the active pairs and who is free.

Pure: a fold over entries in seq order, one branch per kind of entry.

- ``run``: a run whose entry says ``"approval": "required"`` opens a proposal;
- ``pair`` and ``reassignment``: open a pair, or add it to its run's proposal;
- ``decision``: ``force`` opens a pair, ``forbid`` marks the couple forbidden;
- ``separation``: closes a pair; both people are free again;
- ``approval``: opens the pairs of a proposal; ``rejection``: drops them;
- ``unpaired``: names a free person, with the reason.

Nothing else changes who is paired. Replaying the log from entry 1 gives the same state
the commands saw when they wrote it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from audit.log.kinds import KIND_PAIR, KIND_RUN, KIND_UNPAIRED
from engine.program.events import (
    APPROVAL_REQUIRED,
    KIND_APPROVAL,
    KIND_DECISION,
    KIND_REASSIGNMENT,
    KIND_REJECTION,
    KIND_SEPARATION,
)
from engine.rules.history import PairRecord, Standing

if TYPE_CHECKING:
    from sqlalchemy import Connection

FORMING = (KIND_PAIR, KIND_REASSIGNMENT)


@dataclass(frozen=True, slots=True)
class ActivePair:
    mentor: str
    mentee: str
    score: float
    since: str
    run: str
    seq: int  # the entry that formed the pair
    via: str = KIND_PAIR  # pair, reassignment or decision


@dataclass(frozen=True, slots=True)
class FreePerson:
    id: str
    role: str
    reason: str
    why: str
    seq: int


@dataclass(frozen=True, slots=True)
class Proposal:
    """A run whose pairs wait for approval."""

    run: str
    seq: int
    actor: str
    at: str
    command: str
    pairs: tuple[ActivePair, ...] = ()


@dataclass(frozen=True, slots=True)
class Ended:
    """A separation: the couple, when, why, and its entry."""

    mentor: str
    mentee: str
    at: str
    actor: str
    category: str
    reason: str
    seq: int
    pair_seq: int


@dataclass(frozen=True)
class ProgramState:
    active: tuple[ActivePair, ...]
    free: tuple[FreePerson, ...]
    pending: tuple[Proposal, ...] = ()
    separations: tuple[Ended, ...] = ()
    history: Mapping[tuple[str, str], PairRecord] = field(default_factory=dict)
    freed_by: Mapping[str, int] = field(default_factory=dict)  # person -> separation seq
    runs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # run id -> run entry
    closed: Mapping[str, str] = field(default_factory=dict)  # run id -> "approved (entry N)"

    def busy(self) -> frozenset[str]:
        """Everyone in an active pair."""
        return frozenset(p for pair in self.active for p in (pair.mentor, pair.mentee))

    def load(self) -> dict[str, int]:
        """Places each person holds: active pairs, and pairs proposed and not yet decided."""
        counts: Counter[str] = Counter()
        for pair in (*self.active, *(p for prop in self.pending for p in prop.pairs)):
            counts[pair.mentor] += 1
            counts[pair.mentee] += 1
        return dict(counts)

    def standing(self) -> Standing:
        """What the pairing engine needs of the state: places held, and each couple's past."""
        return Standing(self.load(), self.history)

    def recent_separations(self, now: datetime, days: int = 90) -> tuple[Ended, ...]:
        """The separations of the last ``days`` days before ``now`` (UTC), newest first."""
        since = (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S")
        return tuple(sorted((s for s in self.separations if s.at >= since),
                            key=lambda s: s.seq, reverse=True))

    def active_pair(self, mentor: str, mentee: str) -> ActivePair | None:
        return next((p for p in self.active if (p.mentor, p.mentee) == (mentor, mentee)), None)

    def known(self) -> frozenset[str]:
        """Every person the log names."""
        people = {p for pair in self.active for p in (pair.mentor, pair.mentee)}
        people.update(f.id for f in self.free)
        people.update(p for key in self.history for p in key)
        people.update(p for prop in self.pending for pair in prop.pairs
                      for p in (pair.mentor, pair.mentee))
        return frozenset(people)

    def as_dict(self) -> dict[str, Any]:
        return {"active_pairs": [
                    {"mentor": p.mentor, "mentee": p.mentee, "score": p.score,
                     "since": p.since, "run": p.run, "seq": p.seq, "via": p.via}
                    for p in self.active],
                "free": [{"id": f.id, "role": f.role, "reason": f.reason, "why": f.why,
                          "seq": f.seq} for f in self.free],
                "pending": [{"run": p.run, "seq": p.seq, "actor": p.actor, "at": p.at,
                             "command": p.command,
                             "pairs": [{"mentor": x.mentor, "mentee": x.mentee,
                                        "score": x.score, "seq": x.seq} for x in p.pairs]}
                            for p in self.pending],
                "separations": [{"mentor": s.mentor, "mentee": s.mentee, "at": s.at,
                                 "actor": s.actor, "category": s.category,
                                 "reason": s.reason, "seq": s.seq, "pair_seq": s.pair_seq}
                                for s in self.separations]}


def busy_people(rows: Iterable[tuple[str, str | None, str | None]]) -> frozenset[str]:
    """Ids in an active pair, from (kind, mentor, mentee) of the entries, oldest first.

    A quick reading for logs without approvals: it cannot tell a proposal from a pair.
    """
    active: Counter[tuple[str, str]] = Counter()
    for kind, mentor, mentee in rows:
        if not (mentor and mentee):
            continue
        if kind in FORMING:
            active[(mentor, mentee)] += 1
        elif kind == KIND_SEPARATION and active[(mentor, mentee)] > 0:
            active[(mentor, mentee)] -= 1
    return frozenset(p for key, n in active.items() if n > 0 for p in key)


class _Fold:
    """The state being folded: one method per kind of entry."""

    def __init__(self) -> None:
        self.active: dict[tuple[str, str], ActivePair] = {}
        self.roles: dict[str, str] = {}
        self.last_unpaired: dict[str, Mapping[str, Any]] = {}
        self.proposals: dict[str, Proposal] = {}
        self.runs: dict[str, Mapping[str, Any]] = {}
        self.closed: dict[str, str] = {}
        self.separations: list[Ended] = []
        self.history: dict[tuple[str, str], PairRecord] = {}
        self.freed_by: dict[str, int] = {}

    def feed(self, doc: Mapping[str, Any]) -> None:
        kind = doc.get("kind")
        if kind == KIND_RUN:
            self.run(doc)
        elif kind in FORMING:
            self.form(doc, str(kind))
        elif kind == KIND_DECISION:
            self.decision(doc)
        elif kind == KIND_SEPARATION:
            self.separation(doc)
        elif kind == KIND_APPROVAL:
            self.approval(doc)
        elif kind == KIND_REJECTION:
            self.rejection(doc)
        elif kind == KIND_UNPAIRED:
            person = str(doc["person"])
            self.roles[person] = str(doc.get("role", self.roles.get(person, "")))
            self.last_unpaired[person] = doc

    def run(self, doc: Mapping[str, Any]) -> None:
        run = str(doc["run"])
        self.runs[run] = doc
        if doc.get("approval") == APPROVAL_REQUIRED:
            self.proposals[run] = Proposal(run, int(doc["seq"]), str(doc.get("actor", "")),
                                           str(doc["at"]), str(doc.get("command", "pair")))

    def _open(self, pair: ActivePair) -> None:
        key = (pair.mentor, pair.mentee)
        self.active[key] = pair
        self.history[key] = replace(self.history.get(key, PairRecord()), paired_before=True)
        for person in key:
            self.freed_by.pop(person, None)

    def form(self, doc: Mapping[str, Any], kind: str) -> None:
        mentor, mentee = str(doc["mentor"]), str(doc["mentee"])
        self.roles.setdefault(mentor, "mentor")
        self.roles.setdefault(mentee, "mentee")
        pair = ActivePair(mentor, mentee, doc.get("score", 0), str(doc["at"]), str(doc["run"]),
                          int(doc["seq"]), kind)
        proposal = self.proposals.get(str(doc["run"]))
        if proposal is not None:
            self.proposals[proposal.run] = replace(proposal, pairs=(*proposal.pairs, pair))
        else:
            self._open(pair)

    def decision(self, doc: Mapping[str, Any]) -> None:
        mentor, mentee = str(doc["mentor"]), str(doc["mentee"])
        self.roles.setdefault(mentor, "mentor")
        self.roles.setdefault(mentee, "mentee")
        if doc.get("decision") == "force":
            self._open(ActivePair(mentor, mentee, doc.get("score", 0), str(doc["at"]),
                                  str(doc["run"]), int(doc["seq"]), KIND_DECISION))
        else:
            key = (mentor, mentee)
            self.history[key] = replace(self.history.get(key, PairRecord()), forbidden=True,
                                        decision_seq=int(doc["seq"]),
                                        decision_reason=str(doc.get("reason", "")))

    def separation(self, doc: Mapping[str, Any]) -> None:
        key = (str(doc["mentor"]), str(doc["mentee"]))
        seq = int(doc["seq"])
        self.active.pop(key, None)
        self.history[key] = replace(self.history.get(key, PairRecord()), paired_before=True,
                                    separated_before=True,
                                    separation_category=str(doc.get("category", "")),
                                    separation_seq=seq)
        for person in key:
            self.freed_by[person] = seq
        self.separations.append(Ended(key[0], key[1], str(doc["at"]), str(doc["actor"]),
                                      str(doc.get("category", "")), str(doc.get("reason", "")),
                                      seq, int(doc.get("pair_seq", 0))))

    def approval(self, doc: Mapping[str, Any]) -> None:
        run = str(doc["approves"])
        proposal = self.proposals.pop(run, None)
        self.closed[run] = f"approved by {doc.get('actor')} (entry {doc['seq']})"
        for pair in proposal.pairs if proposal else ():
            self._open(replace(pair, since=str(doc["at"])))

    def rejection(self, doc: Mapping[str, Any]) -> None:
        run = str(doc["rejects"])
        self.proposals.pop(run, None)
        self.closed[run] = f"rejected by {doc.get('actor')} (entry {doc['seq']})"

    def state(self) -> ProgramState:
        taken = {p for key in self.active for p in key}
        taken.update(p for prop in self.proposals.values() for pair in prop.pairs
                     for p in (pair.mentor, pair.mentee))
        free = []
        ended = {s.seq: s for s in self.separations}
        for person in sorted(set(self.roles) - taken):
            last = self.last_unpaired.get(person, {})
            sep = ended.get(self.freed_by.get(person, 0))
            if sep is not None and sep.seq > int(last.get("seq", 0)):
                other = sep.mentee if person == sep.mentor else sep.mentor
                free.append(FreePerson(person, self.roles[person], "separated",
                                       f"separated from {other} ({sep.category}): "
                                       f"{sep.reason}", sep.seq))
                continue
            free.append(FreePerson(person, self.roles[person], str(last.get("reason", "")),
                                   str(last.get("why", "")), int(last.get("seq", 0))))
        pairs = tuple(sorted(self.active.values(), key=lambda p: (p.mentor, p.mentee)))
        return ProgramState(pairs, tuple(free), tuple(self.proposals.values()),
                            tuple(self.separations), dict(self.history), dict(self.freed_by),
                            dict(self.runs), dict(self.closed))


def program_state(conn: Connection) -> ProgramState:
    """The program's state now: the fold of the whole log, read in the caller's
    transaction."""
    from audit.log import store  # the database code loads only when a reader needs it

    return derive_state(store.all_docs(conn))


def derive_state(docs: Iterable[Mapping[str, Any]]) -> ProgramState:
    """The program's state from the entries, oldest first.

    Free means: named by some entry, in no active or proposed pair now. Each free person
    comes with the last reason the log gives for them being unpaired.
    """
    fold = _Fold()
    for doc in docs:
        fold.feed(doc)
    return fold.state()
