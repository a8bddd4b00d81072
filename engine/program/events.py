"""The program's lifecycle entry kinds: separation, reassignment, decision, approval, rejection.

Each kind is a frozen dataclass: ``as_doc()`` gives the entry as it is chained (every key
but ``seq``, which `audit.log.entries.link` adds), ``of(doc)`` reads one back. Plain data, no
I/O. The fold in `audit.state` gives each kind its meaning:

- ``separation`` ends an active pair (``pair_seq``: the entry that formed it);
- ``reassignment`` forms a pair, like ``pair``, in a run whose entry says
  ``"command": "reassign"``; ``after`` lists the separations that freed its people;
- ``decision`` is a human's: ``force`` forms a pair, ``forbid`` masks one in later runs;
- ``approval`` makes a proposed run's pairs active, ``rejection`` closes the proposal.

The keys are a shared contract (docs/audit.md): keys may be added, never renamed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.base.protected import strip_protected

KIND_SEPARATION = "separation"
KIND_REASSIGNMENT = "reassignment"
KIND_DECISION = "decision"
KIND_APPROVAL = "approval"
KIND_REJECTION = "rejection"
LIFECYCLE_KINDS = (KIND_SEPARATION, KIND_REASSIGNMENT, KIND_DECISION, KIND_APPROVAL,
                   KIND_REJECTION)
COMMAND_REASSIGN = "reassign"  # the `command` of a reassignment run's `run` entry
APPROVAL_REQUIRED = "required"  # the `approval` of a run entry whose pairs are a proposal

Choice = Literal["force", "forbid"]


@dataclass(frozen=True, slots=True)
class Separation:
    """A couple ended: which pair (and the entry that formed it), why, in which category."""

    run: str
    at: str
    actor: str
    mentor: str
    mentee: str
    category: str
    reason: str
    pair_seq: int

    def as_doc(self) -> dict[str, Any]:
        return {"kind": KIND_SEPARATION, "run": self.run, "at": self.at, "actor": self.actor,
                "mentor": self.mentor, "mentee": self.mentee, "category": self.category,
                "reason": self.reason, "pair_seq": self.pair_seq}

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> Separation:
        return cls(str(doc["run"]), str(doc["at"]), str(doc["actor"]), str(doc["mentor"]),
                   str(doc["mentee"]), str(doc["category"]), str(doc["reason"]),
                   int(doc["pair_seq"]))


@dataclass(frozen=True, slots=True)
class Reassignment:
    """A new partner after a separation, justified like a pair, chained to the separations."""

    run: str
    at: str
    actor: str
    mentor: str
    mentee: str
    score: float
    sentence: str
    reasons: tuple[Mapping[str, Any], ...]
    after: tuple[int, ...] = ()

    def as_doc(self) -> dict[str, Any]:
        return {"kind": KIND_REASSIGNMENT, "run": self.run, "at": self.at,
                "actor": self.actor, "mentor": self.mentor, "mentee": self.mentee,
                "score": self.score, "sentence": self.sentence,
                "reasons": strip_protected(list(self.reasons)), "after": list(self.after)}

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> Reassignment:
        return cls(str(doc["run"]), str(doc["at"]), str(doc["actor"]), str(doc["mentor"]),
                   str(doc["mentee"]), doc["score"], str(doc["sentence"]),
                   tuple(doc["reasons"]), tuple(int(s) for s in doc.get("after", ())))


@dataclass(frozen=True, slots=True)
class Decision:
    """A human's last word on a pair, with what the rules said of it at the time."""

    run: str
    at: str
    actor: str
    decision: Choice
    mentor: str
    mentee: str
    reason: str
    score: float
    reasons: tuple[Mapping[str, Any], ...] = ()
    excluded_by: tuple[str, ...] = ()
    override_exclusion: bool = False
    rules_digest: str = ""  # the rules that judged the pair, when known
    input_digest: str = ""  # the cohort they judged it on, when known

    def as_doc(self) -> dict[str, Any]:
        doc = {"kind": KIND_DECISION, "run": self.run, "at": self.at, "actor": self.actor,
               "decision": self.decision, "mentor": self.mentor, "mentee": self.mentee,
               "reason": self.reason, "score": self.score,
               "reasons": strip_protected(list(self.reasons)),
               "excluded_by": list(self.excluded_by),
               "override_exclusion": self.override_exclusion}
        if self.rules_digest:
            doc["rules_digest"] = self.rules_digest
        if self.input_digest:
            doc["input_digest"] = self.input_digest
        return doc

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> Decision:
        choice: Choice = "force" if doc["decision"] == "force" else "forbid"
        return cls(str(doc["run"]), str(doc["at"]), str(doc["actor"]), choice,
                   str(doc["mentor"]), str(doc["mentee"]), str(doc["reason"]), doc["score"],
                   tuple(doc.get("reasons", ())), tuple(doc.get("excluded_by", ())),
                   bool(doc.get("override_exclusion", False)), str(doc.get("rules_digest", "")),
                   str(doc.get("input_digest", "")))


@dataclass(frozen=True, slots=True)
class Approval:
    """A proposed run approved: its pairs become active."""

    run: str
    at: str
    actor: str
    approves: str
    pairs: Sequence[int] = field(default_factory=tuple)  # seqs of the pairs made active

    def as_doc(self) -> dict[str, Any]:
        return {"kind": KIND_APPROVAL, "run": self.run, "at": self.at, "actor": self.actor,
                "approves": self.approves, "pairs": list(self.pairs)}

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> Approval:
        return cls(str(doc["run"]), str(doc["at"]), str(doc["actor"]), str(doc["approves"]),
                   tuple(int(s) for s in doc.get("pairs", ())))


@dataclass(frozen=True, slots=True)
class Rejection:
    """A proposed run rejected, with the reason: none of its pairs is formed."""

    run: str
    at: str
    actor: str
    rejects: str
    reason: str

    def as_doc(self) -> dict[str, Any]:
        return {"kind": KIND_REJECTION, "run": self.run, "at": self.at, "actor": self.actor,
                "rejects": self.rejects, "reason": self.reason}

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> Rejection:
        return cls(str(doc["run"]), str(doc["at"]), str(doc["actor"]), str(doc["rejects"]),
                   str(doc["reason"]))
