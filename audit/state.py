"""The program's one state, folded from the log: every command reads it, none derives its own.

Pure: `derive_state` folds entries in seq order, one branch per kind of entry;
`program_state(conn)` folds the whole log of a connection. The API other modules build on:

- `ProgramState.active` (`ActivePair`: mentor, mentee, score, since, run, seq of the entry
  that formed it, ``via``), ``pending`` (`Proposal`: a run, or a forced pair, waiting for
  approval, with the proposer's ``actor`` and ``vouched`` identity), ``ended``
  (`EndedPair`: formed by entry N, ended by entry M, how), ``separations`` (`Ended`);
- people: ``roles`` (id -> mentor/mentee, for everyone the log names), ``withdrawn``
  (id -> `Withdrawn`), ``free`` (`FreePerson`, in no active or proposed pair and not
  withdrawn, with the last reason the log gives);
- ``history`` (couple -> `engine.rules.history.PairRecord`: paired, separated, forbidden);
  ``forbidden()`` gives the decisions in force;
- ``outcomes`` (couple -> `OutcomeState`: the latest result, corrections superseding);
  ``checked_in`` (pair seq -> the day of its latest check-in) and ``outcome_pairs`` (the
  pair seqs an outcome names), what `tandem due` reads;
- the kept snapshot: `kept_profiles(conn, state)` gives each person's profile as the
  program last recorded it, and `capacities(profiles, state)` each mentor's places; a
  command that needs profiles the user did not pass reads these;
- methods: ``status_of(mentor, mentee)`` (`PairStatus`: active, proposed, ended,
  forbidden or never), ``partners(person)``, ``load()``, ``places_left(capacities)``,
  ``standing()`` (what the pairing engine reads), ``known()``.

The branches:

- ``run``: a run whose entry says ``"approval": "required"`` opens a proposal;
- ``pair`` and ``reassignment``: open a pair, or add it to its run's proposal;
- ``decision``: ``force`` opens a pair (a proposal when it says ``"approval":
  "required"``), ``forbid`` marks the couple forbidden;
- ``separation``: ends a pair; both people are free again;
- ``approval``: opens the pairs of a proposal; ``rejection``: drops them;
- ``withdrawal``: the person leaves the program; ``rejoin``: they come back;
- ``outcome``: records the pair's result and ends the pair when it is active;
  ``correction``: replaces the result (the earlier entry stays);
- ``unpaired``: names a free person, with the reason;
- ``checkin``: records the pair's latest check-in day (it changes no pair).

Nothing else changes who is paired. Replaying the log from entry 1 gives the same state
the commands saw when they wrote it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from audit.log.kinds import KIND_CHECKIN, KIND_OUTCOME, KIND_PAIR, KIND_RUN, KIND_UNPAIRED
from engine.program.events import (
    APPROVAL_REQUIRED,
    KIND_APPROVAL,
    KIND_CORRECTION,
    KIND_DECISION,
    KIND_REASSIGNMENT,
    KIND_REJECTION,
    KIND_REJOIN,
    KIND_SEPARATION,
    KIND_WITHDRAWAL,
)
from engine.rules.history import PairRecord, Standing

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from audit.log.chain import Finding, StoredRow

FORMING = (KIND_PAIR, KIND_REASSIGNMENT)
_T = TypeVar("_T")
Couple = tuple[str, str]


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
    """A run (or a forced pair) whose pairs wait for approval."""

    run: str
    seq: int
    actor: str
    at: str
    command: str
    pairs: tuple[ActivePair, ...] = ()
    vouched: str = ""  # the identity the database vouched for when it was proposed


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


@dataclass(frozen=True, slots=True)
class EndedPair:
    """A pair that was active and no longer is: formed by ``formed``, ended by ``seq``."""

    mentor: str
    mentee: str
    formed: int
    seq: int
    how: Literal["separation", "outcome"]
    detail: str  # the separation's category, or the outcome's result


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """A person out of the program since entry ``seq``."""

    person: str
    seq: int
    at: str
    actor: str
    reason: str


@dataclass(frozen=True, slots=True)
class OutcomeState:
    """A pair's result as it stands: ``seq`` is the latest outcome or correction,
    ``first`` the outcome entry, ``superseded`` the entries the latest one replaced."""

    mentor: str
    mentee: str
    result: str
    seq: int
    first: int
    pair_seq: int
    superseded: tuple[int, ...] = ()


PairState = Literal["active", "proposed", "ended", "forbidden", "never"]


@dataclass(frozen=True, slots=True)
class PairStatus:
    """Where one couple stands in the program, with the entry that says so."""

    state: PairState
    seq: int | None  # formed (active), proposal (proposed), ended, forbidding decision
    detail: str

    def sentence(self) -> str:
        return self.detail


@dataclass(frozen=True)
class ProgramState:
    active: tuple[ActivePair, ...]
    free: tuple[FreePerson, ...]
    pending: tuple[Proposal, ...] = ()
    separations: tuple[Ended, ...] = ()
    history: Mapping[Couple, PairRecord] = field(default_factory=dict)
    freed_by: Mapping[str, int] = field(default_factory=dict)  # person -> separation seq
    runs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # run id -> run entry
    closed: Mapping[str, str] = field(default_factory=dict)  # run id -> "approved (entry N)"
    roles: Mapping[str, str] = field(default_factory=dict)  # person -> mentor/mentee
    withdrawn: Mapping[str, Withdrawn] = field(default_factory=dict)
    ended: tuple[EndedPair, ...] = ()
    outcomes: Mapping[Couple, OutcomeState] = field(default_factory=dict)
    # pair seq -> the day of its latest check-in (ISO); the pair seqs an outcome names
    checked_in: Mapping[int, str] = field(default_factory=dict)
    outcome_pairs: frozenset[int] = frozenset()

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

    def places_left(self, capacities: Mapping[str, int]) -> dict[str, int]:
        """Places each mentor of ``capacities`` has left (0 when withdrawn)."""
        load = self.load()
        return {m: 0 if m in self.withdrawn else max(0, cap - load.get(m, 0))
                for m, cap in capacities.items()}

    def standing(self) -> Standing:
        """What the pairing engine needs of the state: places held, each couple's past, and
        who has withdrawn."""
        return Standing(self.load(), self.history, frozenset(self.withdrawn))

    def forbidden(self) -> dict[Couple, int]:
        """The forbids in force: couple -> the deciding entry."""
        return {k: int(r.decision_seq or 0) for k, r in self.history.items() if r.forbidden}

    def recent_separations(self, now: datetime, days: int = 90) -> tuple[Ended, ...]:
        """The separations of the last ``days`` days before ``now`` (UTC), newest first."""
        since = (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S")
        return tuple(sorted((s for s in self.separations if s.at >= since),
                            key=lambda s: s.seq, reverse=True))

    def active_pair(self, mentor: str, mentee: str) -> ActivePair | None:
        return next((p for p in self.active if (p.mentor, p.mentee) == (mentor, mentee)), None)

    def proposed_pair(self, mentor: str, mentee: str) -> tuple[Proposal, ActivePair] | None:
        for prop in self.pending:
            for pair in prop.pairs:
                if (pair.mentor, pair.mentee) == (mentor, mentee):
                    return prop, pair
        return None

    def partners(self, person: str) -> list[str]:
        """Whom ``person`` is in an active pair with, sorted."""
        return sorted(p.mentee if p.mentor == person else p.mentor for p in self.active
                      if person in (p.mentor, p.mentee))

    def proposed_partners(self, person: str) -> list[str]:
        """Whom ``person`` is proposed with, in pairs waiting for approval, sorted."""
        return sorted(x.mentee if x.mentor == person else x.mentor for p in self.pending
                      for x in p.pairs if person in (x.mentor, x.mentee))

    def status_of(self, mentor: str, mentee: str) -> PairStatus:
        """The couple's status: active, proposed, forbidden, ended, or never formed."""
        active = self.active_pair(mentor, mentee)
        if active is not None:
            return PairStatus("active", active.seq, f"active since entry {active.seq}")
        proposed = self.proposed_pair(mentor, mentee)
        if proposed is not None:
            return PairStatus("proposed", proposed[1].seq,
                              f"proposed by entry {proposed[1].seq} (run {proposed[0].run}), "
                              "waiting for approval")
        record = self.history.get((mentor, mentee))
        if record is not None and record.forbidden:
            return PairStatus("forbidden", record.decision_seq,
                              f"forbidden by entry {record.decision_seq}")
        ended = [e for e in self.ended if (e.mentor, e.mentee) == (mentor, mentee)]
        if ended:
            last = ended[-1]
            how = (f"separation ({last.detail})" if last.how == "separation"
                   else f"outcome ({last.detail})")
            return PairStatus("ended", last.seq, f"ended by entry {last.seq}, a {how}; "
                              f"formed by entry {last.formed}")
        return PairStatus("never", None, "never formed")

    def known(self) -> frozenset[str]:
        """Every person the log names."""
        people = set(self.roles)
        people.update(p for pair in self.active for p in (pair.mentor, pair.mentee))
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
                                for s in self.separations],
                "withdrawn": [{"id": w.person, "role": self.roles.get(w.person, ""),
                               "seq": w.seq, "at": w.at, "actor": w.actor,
                               "reason": w.reason}
                              for w in sorted(self.withdrawn.values(), key=lambda w: w.person)],
                "forbidden": [{"mentor": m, "mentee": e, "seq": seq}
                              for (m, e), seq in sorted(self.forbidden().items())],
                "outcomes": [{"mentor": o.mentor, "mentee": o.mentee, "result": o.result,
                              "seq": o.seq, "pair_seq": o.pair_seq,
                              "superseded": list(o.superseded)}
                             for _, o in sorted(self.outcomes.items())]}


def busy_people(rows: Iterable[tuple[str, str | None, str | None]]) -> frozenset[str]:
    """Ids in an active pair, from (kind, mentor, mentee) of the entries, oldest first.

    A quick reading for logs without approvals: it cannot tell a proposal from a pair.
    """
    active: Counter[Couple] = Counter()
    for kind, mentor, mentee in rows:
        if not (mentor and mentee):
            continue
        if kind in FORMING:
            active[(mentor, mentee)] += 1
        elif kind == KIND_SEPARATION and active[(mentor, mentee)] > 0:
            active[(mentor, mentee)] -= 1
    return frozenset(p for key, n in active.items() if n > 0 for p in key)


def _make(cls: Callable[..., _T], values: Sequence[Any]) -> _T:
    return cls(*values)


def _values(item: Any) -> list[Any]:
    """A dataclass's field values, in the order its constructor takes them."""
    return [getattr(item, f.name) for f in fields(item)]


class _Fold:
    """The state being folded: one method per kind of entry."""

    def __init__(self) -> None:
        self.active: dict[Couple, ActivePair] = {}
        self.roles: dict[str, str] = {}
        self.last_unpaired: dict[str, Mapping[str, Any]] = {}
        self.proposals: dict[str, Proposal] = {}
        self.runs: dict[str, Mapping[str, Any]] = {}
        self.closed: dict[str, str] = {}
        self.separations: list[Ended] = []
        self.history: dict[Couple, PairRecord] = {}
        self.freed_by: dict[str, int] = {}
        self.freed: dict[str, FreePerson] = {}  # person -> why free, since an outcome
        self.withdrawn: dict[str, Withdrawn] = {}
        self.ended: list[EndedPair] = []
        self.outcomes: dict[Couple, OutcomeState] = {}
        self.checked_in: dict[int, str] = {}
        self.outcome_pairs: set[int] = set()

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
        elif kind == KIND_WITHDRAWAL:
            self.withdrawal(doc)
        elif kind == KIND_REJOIN:
            self.withdrawn.pop(str(doc["person"]), None)
        elif kind in (KIND_OUTCOME, KIND_CORRECTION):
            self.outcome(doc)
        elif kind == KIND_CHECKIN:
            self.checkin(doc)
        elif kind == KIND_UNPAIRED:
            person = str(doc["person"])
            self.roles[person] = str(doc.get("role", self.roles.get(person, "")))
            self.last_unpaired[person] = doc
            self.freed.pop(person, None)

    def run(self, doc: Mapping[str, Any]) -> None:
        run = str(doc["run"])
        self.runs[run] = doc
        if doc.get("approval") == APPROVAL_REQUIRED:
            self.proposals[run] = Proposal(run, int(doc["seq"]), str(doc.get("actor", "")),
                                           str(doc["at"]), str(doc.get("command", "pair")),
                                           vouched=str(doc.get("vouched", "")))

    def _open(self, pair: ActivePair) -> None:
        key = (pair.mentor, pair.mentee)
        self.active[key] = pair
        self.history[key] = replace(self.history.get(key, PairRecord()), paired_before=True)
        for person in key:
            self.freed_by.pop(person, None)
            self.freed.pop(person, None)

    def _end(self, key: Couple, seq: int, how: Literal["separation", "outcome"],
             detail: str) -> ActivePair | None:
        pair = self.active.pop(key, None)
        if pair is not None:
            self.ended.append(EndedPair(key[0], key[1], pair.seq, seq, how, detail))
        return pair

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
            pair = ActivePair(mentor, mentee, doc.get("score", 0), str(doc["at"]),
                              str(doc["run"]), int(doc["seq"]), KIND_DECISION)
            if doc.get("approval") == APPROVAL_REQUIRED:
                self.proposals[pair.run] = Proposal(pair.run, pair.seq, str(doc["actor"]),
                                                    pair.since, "decide", (pair,),
                                                    str(doc.get("vouched", "")))
            else:
                self._open(pair)
        else:
            key = (mentor, mentee)
            self.history[key] = replace(self.history.get(key, PairRecord()), forbidden=True,
                                        decision_seq=int(doc["seq"]),
                                        decision_reason=str(doc.get("reason", "")))

    def separation(self, doc: Mapping[str, Any]) -> None:
        key = (str(doc["mentor"]), str(doc["mentee"]))
        seq = int(doc["seq"])
        self._end(key, seq, "separation", str(doc.get("category", "")))
        self.history[key] = replace(self.history.get(key, PairRecord()), paired_before=True,
                                    separated_before=True,
                                    separation_category=str(doc.get("category", "")),
                                    separation_seq=seq)
        for person in key:
            self.freed_by[person] = seq
            self.freed.pop(person, None)
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

    def withdrawal(self, doc: Mapping[str, Any]) -> None:
        person = str(doc["person"])
        if doc.get("role"):
            self.roles.setdefault(person, str(doc["role"]))
        self.withdrawn[person] = Withdrawn(person, int(doc["seq"]), str(doc["at"]),
                                           str(doc.get("actor", "")), str(doc["reason"]))

    def checkin(self, doc: Mapping[str, Any]) -> None:
        """The pair's latest check-in day (``on``), by the seq of the entry that formed it."""
        try:
            day = date.fromisoformat(str(doc.get("on"))[:10]).isoformat()
        except ValueError:
            return
        pair_seq = int(doc.get("pair_seq", 0))
        if day > self.checked_in.get(pair_seq, ""):
            self.checked_in[pair_seq] = day

    def outcome(self, doc: Mapping[str, Any]) -> None:
        key = (str(doc["mentor"]), str(doc["mentee"]))
        if doc.get("kind") == KIND_OUTCOME:
            self.outcome_pairs.add(int(doc.get("pair_seq", 0)))
        seq, result = int(doc["seq"]), str(doc["result"])
        before = self.outcomes.get(key)
        if doc.get("kind") == KIND_CORRECTION and before is not None:
            self.outcomes[key] = replace(before, result=result, seq=seq,
                                         superseded=(*before.superseded, before.seq))
            return
        self.outcomes[key] = OutcomeState(key[0], key[1], result, seq, seq,
                                          int(doc.get("pair_seq", 0)))
        if self._end(key, seq, "outcome", result) is not None:
            for person, other in (key, key[::-1]):
                self.freed[person] = FreePerson(
                    person, self.roles.get(person, ""), "completed",
                    f"the pair with {other} ended with its outcome ({result})", seq)

    def dump(self) -> dict[str, Any]:
        """The fold as plain JSON values: `restore` gives it back exactly. Each dataclass is
        a list of its fields' values, in order; a mapping keyed by its values' own fields is
        a list of those values, in insertion order."""
        return {"active": [_values(p) for p in self.active.values()],
                "roles": dict(self.roles),
                "last_unpaired": {person: {k: doc[k] for k in ("reason", "why", "seq")
                                           if k in doc}
                                  for person, doc in self.last_unpaired.items()},
                "proposals": [[*_values(p)[:-2], [_values(x) for x in p.pairs], p.vouched]
                              for p in self.proposals.values()],
                "runs": [[run, dict(doc)] for run, doc in self.runs.items()],
                "closed": dict(self.closed),
                "separations": [_values(s) for s in self.separations],
                "history": [[*key, _values(r)] for key, r in self.history.items()],
                "freed_by": dict(self.freed_by),
                "freed": [_values(f) for f in self.freed.values()],
                "withdrawn": [_values(w) for w in self.withdrawn.values()],
                "ended": [_values(e) for e in self.ended],
                "outcomes": [[*_values(o)[:-1], list(o.superseded)]
                             for o in self.outcomes.values()],
                "checked_in": [[seq, day] for seq, day in self.checked_in.items()],
                "outcome_pairs": sorted(self.outcome_pairs)}

    @classmethod
    def restore(cls, data: Mapping[str, Any]) -> _Fold:
        """The fold that `dump` gave ``data``."""
        fold = cls()
        fold.active = {(p.mentor, p.mentee): p for p in (ActivePair(*v) for v in data["active"])}
        fold.roles = dict(data["roles"])
        fold.last_unpaired = dict(data["last_unpaired"])
        fold.proposals = {}
        for *head, pairs, vouched in data["proposals"]:
            proposal = _make(Proposal, [*head, tuple(ActivePair(*v) for v in pairs), vouched])
            fold.proposals[proposal.run] = proposal
        fold.runs = {str(run): doc for run, doc in data["runs"]}
        fold.closed = dict(data["closed"])
        fold.separations = [Ended(*v) for v in data["separations"]]
        fold.history = {(m, e): PairRecord(*v) for m, e, v in data["history"]}
        fold.freed_by = dict(data["freed_by"])
        fold.freed = {f.id: f for f in (FreePerson(*v) for v in data["freed"])}
        fold.withdrawn = {w.person: w for w in (Withdrawn(*v) for v in data["withdrawn"])}
        fold.ended = [EndedPair(*v) for v in data["ended"]]
        fold.outcomes = {}
        for *head, superseded in data["outcomes"]:
            outcome = _make(OutcomeState, [*head, tuple(superseded)])
            fold.outcomes[(outcome.mentor, outcome.mentee)] = outcome
        fold.checked_in = {int(seq): str(day) for seq, day in data["checked_in"]}
        fold.outcome_pairs = {int(seq) for seq in data["outcome_pairs"]}
        return fold

    def state(self) -> ProgramState:
        taken = {p for key in self.active for p in key}
        taken.update(p for prop in self.proposals.values() for pair in prop.pairs
                     for p in (pair.mentor, pair.mentee))
        free = []
        ended = {s.seq: s for s in self.separations}
        for person in sorted(set(self.roles) - taken - set(self.withdrawn)):
            last = self.last_unpaired.get(person, {})
            sep = ended.get(self.freed_by.get(person, 0))
            if person in self.freed:
                free.append(self.freed[person])
                continue
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
                            dict(self.runs), dict(self.closed), dict(self.roles),
                            dict(self.withdrawn), tuple(self.ended), dict(self.outcomes),
                            dict(self.checked_in), frozenset(self.outcome_pairs))


# A read that folds this many entries or more after the kept state keeps the state it
# reached (`audit.log.kept`): reads then fold fewer than this many, whatever the log's size.
KEEP_AFTER = 500
_FORMAT = "1"  # the layout of `_Fold.dump`; with the digest below, the fold's version


@cache
def fold_version() -> str:
    """What a kept state must have been folded by: the dump's layout, and a digest of this
    module and of the entry schemas (which decide which entries are folded). A kept state
    of any other version is ignored and rebuilt."""
    from engine.base.resources import schemas_dir

    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted((schemas_dir() / "entries").glob("*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{_FORMAT}:{digest.hexdigest()[:40]}"


@dataclass(frozen=True)
class Folded:
    """The state now, how it was reached, and the check of the entries folded to reach it.

    ``kept``: the entry the kept state was folded up to (0: folded from entry 1); ``tail``:
    how many entries were folded after it; ``head``: the last entry; ``finding``: the first
    of those entries that does not check out (`audit.log.kept.tail`)."""

    state: ProgramState
    kept: int
    tail: int
    head: int
    finding: Finding | None


def folded(conn: Connection) -> Folded:
    """The program's state in the caller's transaction: the kept state when its entry still
    has the hash it recorded, plus the fold of the entries after it; the whole log folded
    otherwise. A long tail leaves a newer kept state behind (`KEEP_AFTER`)."""
    from audit.log import kept as cache

    version = fold_version()
    found, stale = cache.load(conn, version)
    fold: _Fold | None = None
    if found is not None:
        try:
            fold = _Fold.restore(json.loads(found.text))
        except (ValueError, TypeError, KeyError, IndexError):
            fold, stale = None, True
    start = found.head if fold is not None and found is not None else cache.empty_head()
    fold = fold or _Fold()
    rows = cache.tail(conn, start)
    for doc in rows.docs:
        fold.feed(doc)
    if rows.finding is None and (rows.count >= KEEP_AFTER or (stale and rows.count)):
        done = fold
        cache.keep(conn, rows.head, version,
                   lambda: json.dumps(done.dump(), separators=(",", ":")), stale=stale)
    return Folded(fold.state(), start.seq, rows.count, rows.head.seq, rows.finding)


def program_state(conn: Connection) -> ProgramState:
    """The program's state now, read in the caller's transaction: the kept state and the
    fold of the entries after it (`folded`), the same as the fold of the whole log."""
    return folded(conn).state


class KeptStateCheck:
    """`tandem audit verify`'s check of the kept state: fed every entry in order (after the
    chain checked it), it folds from scratch and compares the fold, at the kept state's
    entry, with what is kept. ``finding``: the kept state disagrees with the log (it is
    then rebuilt by the next read)."""

    def __init__(self, kept: Mapping[str, Any] | None) -> None:
        self._kept = kept if kept and kept["version"] == fold_version() else None
        self._head = ((int(self._kept["seq"]), str(self._kept["entry_hash"])) if self._kept
                      else (0, ""))
        self._fresh = ""
        self._fold = _Fold()
        self.finding: Finding | None = None
        self.checked = False

    def feed(self, row: StoredRow) -> None:
        if self._kept is None:
            return
        self._fold.feed(json.loads(row.entry))
        if row.seq == self._kept["seq"]:
            if row.entry_hash == self._kept["entry_hash"]:
                self._compare()  # else it is stale: readers ignore it
            self._kept = None

    def _compare(self) -> None:
        assert self._kept is not None
        self.checked = True
        self._fresh = json.dumps(self._fold.dump(), separators=(",", ":"))
        fresh = json.loads(self._fresh)
        try:
            same = json.loads(self._kept["state"]) == fresh
        except ValueError:
            same = False
        if not same:
            from audit.log.chain import Finding as Found

            self.finding = Found(int(self._kept["seq"]), "state",
                                 f"the program's state kept at entry {self._kept['seq']} "
                                 "(table audit_state) is not the fold of the log up to that "
                                 "entry: it was changed behind Tandem's back, or a fold of "
                                 "this version wrote it wrongly")
        self._kept = None

    def repair(self, conn: Connection) -> None:
        """Replace the kept state that disagrees with the fold from scratch (once the
        reading transaction has ended)."""
        from audit.log import kept as cache
        from audit.log.chain import Head

        fresh = self._fresh
        cache.keep(conn, Head(*self._head), fold_version(), lambda: fresh, stale=True)


def _inputs(state: ProgramState) -> list[str]:
    """The input digests of the runs, oldest first: where the kept profiles are."""
    return [str(doc["input_digest"]) for doc in state.runs.values() if doc.get("input_digest")]


def kept_profiles(conn: Connection, state: ProgramState) -> dict[str, dict[str, Any]]:
    """Each person's profile as the program last kept it: from the snapshot of the latest
    run (or decision) whose input holds them. Erased profiles are absent."""
    from audit.log import store

    order = _inputs(state)
    rank = {digest: i for i, digest in enumerate(order)}
    best: dict[str, tuple[int, dict[str, Any]]] = {}
    for key, person, profile in store.kept_profiles(conn, order):
        if isinstance(profile, dict) and rank[key] >= best.get(person, (-1, {}))[0]:
            best[person] = (rank[key], profile)
    return {person: profile for person, (_, profile) in best.items()}


def capacities(profiles: Mapping[str, Mapping[str, Any]], state: ProgramState
               ) -> dict[str, int]:
    """Each mentor's capacity: their kept profile's, else the default capacity of the
    latest run's settings, else 1."""
    default = _default_capacity(state)
    out = {p: default for p, role in state.roles.items() if role == "mentor"}
    for person, profile in profiles.items():
        if profile.get("role") == "mentor":
            out[person] = int(profile.get("capacity") or default)
    return out


def kept_capacities(conn: Connection, state: ProgramState) -> dict[str, int]:
    """``capacities(kept_profiles(conn, state), state)``, reading only each kept profile's
    role and capacity (the database extracts the one value): what `status` and `explain`
    need, without parsing every profile."""
    from audit.log import store

    order = _inputs(state)
    rank = {digest: i for i, digest in enumerate(order)}
    best: dict[str, tuple[int, str, Any]] = {}
    for key, person, role, value in store.kept_capacities(conn, order):
        if rank[key] >= best.get(person, (-1, "", None))[0]:
            best[person] = (rank[key], role, value)
    default = _default_capacity(state)
    out = {p: default for p, role in state.roles.items() if role == "mentor"}
    for person, (_, role, value) in best.items():
        if role == "mentor":
            out[person] = _whole(value, default)
    return out


def _whole(value: Any, default: int) -> int:
    """A capacity as `capacities` reads it (``int(value or default)``), from the value the
    database extracted (a number, or its text on PostgreSQL)."""
    if value in (None, "", 0, "0", "false", "null") or value is False:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return default


def _default_capacity(state: ProgramState) -> int:
    """The default capacity of the latest run's settings, else 1."""
    default = 1
    for doc in state.runs.values():
        settings = doc.get("settings")
        if isinstance(settings, Mapping) and isinstance(settings.get("default_capacity"), int):
            default = int(settings["default_capacity"])
    return default


def standing_for(state: ProgramState, people: Collection[str]) -> Standing:
    """``state.standing()`` about these people only: the places each holds, the past of
    every couple one of them is in, and who of them withdrew."""
    full = state.standing()
    wanted = frozenset(people)
    return Standing({p: n for p, n in full.load.items() if p in wanted},
                    {k: r for k, r in full.pairs.items() if k[0] in wanted or k[1] in wanted},
                    full.withdrawn & wanted)


def derive_state(docs: Iterable[Mapping[str, Any]]) -> ProgramState:
    """The program's state from the entries, oldest first.

    Free means: named by some entry, in no active or proposed pair now, and not withdrawn.
    Each free person comes with the last reason the log gives for them being unpaired.
    """
    fold = _Fold()
    for doc in docs:
        fold.feed(doc)
    return fold.state()
