"""Verifying the hash chain: entries as stored go in one by one, the first problem comes out.

Pure: the store reads the rows, this module judges them. See docs/audit.md for the rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from audit.log.entries import GENESIS, INDEX_COLUMNS, note_state
from audit.log.kinds import (
    KIND_MY_JOB_DAY,
    KIND_MY_JOB_DAY_RUN,
    KIND_MY_JOB_DAY_UNMET,
    KIND_PAIR,
    KIND_REASSIGNMENT,
    KIND_RUN,
    KIND_UNPAIRED,
)
from audit.log.validate import describe, problems
from engine.base.canonical import canonical_json, sha256_hex

IN_RUN = (KIND_PAIR, KIND_REASSIGNMENT, KIND_UNPAIRED)  # the kinds that only come in a run
# The kinds that open a group of entries, and the kinds of the entries each group holds.
_GROUPS = {KIND_RUN: IN_RUN,
           KIND_MY_JOB_DAY_RUN: (KIND_MY_JOB_DAY, KIND_MY_JOB_DAY_UNMET)}
_MEMBERS = {member for members in _GROUPS.values() for member in members}

Problem = Literal["order", "link", "content", "index", "run", "rules", "snapshot", "head",
                  "witness", "signature", "entry", "note", "state"]
_HEAD = re.compile(r"^(\d+):([0-9a-f]{64})$")


@dataclass(frozen=True, slots=True)
class StoredRow:
    """One row of the log table as read back, before any trust is placed in it."""

    seq: int
    prev_hash: str
    entry_hash: str
    entry: str
    columns: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Finding:
    """The first entry found wrong, what is wrong with it, and what that means."""

    seq: int
    problem: Problem
    message: str
    trusted: int | None = None

    @property
    def trusted_upto(self) -> int:
        """The last entry that still checks out: the one before, unless a head kept outside
        the database shows that the change may lie further back."""
        return self.seq - 1 if self.trusted is None else self.trusted


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    entry_hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.entry_hash}"


@dataclass(frozen=True, slots=True)
class Anchor:
    """A head kept outside the database: given with --expect-head, or a witness line.

    ``unsigned`` says why it is not signed by the key verify was given; None when it is, or
    when no key was given."""

    seq: int
    entry_hash: str
    source: str
    problem: Problem = "head"
    unsigned: str | None = None


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    runs: int
    head: Head
    finding: Finding | None
    expected_head: Head | None = None
    witness_heads: int = 0
    signed_by: str | None = None
    notes_kept: int = 0
    notes_erased: int = 0

    @property
    def ok(self) -> bool:
        return self.finding is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "entries": self.entries, "runs": self.runs,
            "head": {"seq": self.head.seq, "entry_hash": self.head.entry_hash},
            "expected_head": str(self.expected_head) if self.expected_head else None,
            "witness_heads": self.witness_heads, "signed_by": self.signed_by,
            "notes": {"kept": self.notes_kept, "erased": self.notes_erased},
            "finding": ({"seq": self.finding.seq, "problem": self.finding.problem,
                         "message": self.finding.message,
                         "trusted_up_to": self.finding.trusted_upto}
                        if self.finding else None),
        }


def parse_head(text: str) -> Head:
    """``SEQ:HASH`` as printed by verify; ValueError when it is not that."""
    match = _HEAD.match(text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not SEQ:HASH (a number, a colon and 64 hex characters)")
    return Head(int(match.group(1)), match.group(2))


@dataclass
class _OpenRun:
    run: str
    seq: int
    announced: int
    seen: int = 0
    members: tuple[str, ...] = IN_RUN

    def short(self) -> str:
        return (f"run {self.run} (entry {self.seq}) announces {self.announced} entries but "
                f"only {self.seen} follow it")


class Verifier:
    """Feed rows in seq order; stop at the first finding; then ``finish``.

    ``anchors``: heads kept outside the database (--expect-head, the witness), each checked
    when its entry goes by; one beyond the end means the tail was removed. With
    ``witnessed``, entries after the witness's last head are not trusted either.
    ``snapshots``: input digest -> {person: digest of the kept profile}, checked against
    the digests a run entry recorded. ``notes``: note_digest -> (salt, text) as kept, each
    checked against the salted digest its entry holds (a note missing is erased, which is
    allowed; one that no longer matches was altered).
    """

    def __init__(self, rules_text_ok: Mapping[str, bool], expected_head: Head | None = None,
                 *, anchors: Sequence[Anchor] = (), witnessed: bool = False,
                 snapshots: Callable[[str], Mapping[str, str]] | None = None,
                 notes: Mapping[str, tuple[str, str]] | None = None) -> None:
        self._notes = notes or {}
        self.notes_kept = self.notes_erased = 0
        self._rules_ok = rules_text_ok
        self._expected = expected_head
        every = list(anchors)
        if expected_head:
            every.append(Anchor(expected_head.seq, expected_head.entry_hash,
                                "the head given with --expect-head"))
        self._anchors: dict[int, list[Anchor]] = {}
        for anchor in every:
            self._anchors.setdefault(anchor.seq, []).append(anchor)
        self._witnessed = witnessed
        self._witness_end = max((a.seq for a in anchors if a.problem == "witness"), default=0)
        self._confirmed = 0
        self._snapshots = snapshots or (lambda _input: {})
        self._kept: dict[str, Mapping[str, str]] = {}
        self._head = Head(0, GENESIS)
        self._entries = 0
        self._runs = 0
        self._open: _OpenRun | None = None
        self.finding: Finding | None = None

    def feed(self, row: StoredRow) -> Finding | None:
        if self.finding is None:
            self.finding = self._check(row) or self._check_anchors(row)
            if self.finding is None:
                self._entries += 1
                self._head = Head(row.seq, row.entry_hash)
        return self.finding

    def finish(self) -> VerifyReport:
        if self.finding is None and self._open and self._open.seen < self._open.announced:
            self.finding = Finding(self._open.seq, "run", self._open.short()
                                   + ": the end of the log is missing")
        if self.finding is None and self._entries == 0 and self._rules_ok:
            self.finding = Finding(1, "order", f"the log is empty, but the rules texts of "
                                               f"{len(self._rules_ok)} committed run(s) are "
                                               "kept: its entries were removed")
        if self.finding is None:
            self.finding = self._check_beyond()
        return VerifyReport(self._entries, self._runs, self._head, self.finding, self._expected,
                            notes_kept=self.notes_kept, notes_erased=self.notes_erased)

    def _check_anchors(self, row: StoredRow) -> Finding | None:
        for anchor in self._anchors.get(row.seq, ()):
            if anchor.unsigned:
                return self._unsigned(anchor)
            if anchor.entry_hash != row.entry_hash:
                return Finding(row.seq, anchor.problem,
                               f"entry {row.seq} has entry_hash {row.entry_hash}, but "
                               f"{anchor.source} recorded {anchor.entry_hash}: the log was "
                               f"rewritten at or before entry {row.seq}, somewhere in entries "
                               f"{self._confirmed + 1} to {row.seq}", self._confirmed)
        if row.seq in self._anchors:
            self._confirmed = row.seq
        return None

    def _unsigned(self, anchor: Anchor) -> Finding:
        return Finding(anchor.seq, "signature", f"{anchor.unsigned}: the head it names "
                       f"(entry {anchor.seq}) may be forged", self._confirmed)

    def _check_beyond(self) -> Finding | None:
        end = self._head.seq
        beyond = sorted((a for seq, group in self._anchors.items() if seq > end
                         for a in group), key=lambda a: a.seq)
        if beyond:
            anchor = beyond[0]
            if anchor.unsigned:
                return self._unsigned(anchor)
            removed = (f"entries {end + 1} to {anchor.seq}" if anchor.seq > end + 1
                       else f"entry {anchor.seq}")
            return Finding(anchor.seq, anchor.problem,
                           f"the log ends at entry {end}, but {anchor.source} recorded entry "
                           f"{anchor.seq} as the head: {removed} were removed", self._confirmed)
        if self._witnessed and end > self._witness_end:
            last = (f"its last head is entry {self._witness_end}" if self._witness_end
                    else "it lists no head")
            first = self._witness_end + 1
            which = (f"entries {first} to {end} are" if end > first else f"entry {end} is")
            return Finding(first, "witness",
                           f"{which} not in the witness ({last}): added without it, or forged "
                           "(or the writer was killed between its commit and the witness)",
                           self._witness_end)
        return None

    def _check_profiles(self, seq: int, doc: Mapping[str, Any]) -> Finding | None:
        recorded = doc.get("profile_digests")
        if not isinstance(recorded, Mapping):
            return None  # a run recorded before profile digests were kept
        input_digest = str(doc.get("input_digest"))
        for person, expected in sorted(recorded.items()):
            if input_digest not in self._kept:
                self._kept[input_digest] = self._snapshots(input_digest)
            kept = self._kept[input_digest].get(person)
            if kept is not None and kept != expected:
                return Finding(seq, "snapshot",
                               f"the kept profile of {person} for run {doc.get('run')} was "
                               f"altered: it no longer matches the digest that run entry "
                               f"{seq} recorded ({expected})")
        return None

    def _check(self, row: StoredRow) -> Finding | None:
        finding, doc = check_row(row, self._head)
        if finding is not None or doc is None:
            return finding
        return self._check_group(row.seq, doc) or self._check_note(row.seq, doc)

    def _check_note(self, seq: int, doc: Mapping[str, Any]) -> Finding | None:
        digest = doc.get("note_digest")
        if not isinstance(digest, str):
            return None
        state = note_state(digest, self._notes.get(digest))
        if state == "erased":
            self.notes_erased += 1
        elif state == "kept":
            self.notes_kept += 1
        else:
            return Finding(seq, "note", f"the note of entry {seq} was altered: its kept text "
                           f"or salt no longer matches the salted digest the entry holds "
                           f"({digest}). A note may be erased (its row deleted), never changed")
        return None

    def _check_group(self, seq: int, doc: Mapping[str, Any]) -> Finding | None:
        kind, run = doc.get("kind"), doc.get("run")
        current = self._open
        if current and current.seen < current.announced:
            if kind in current.members and run == current.run:
                current.seen += 1
                return None
            return Finding(seq, "run", current.short() + f"; entry {seq} interrupts it")
        if kind in _GROUPS:
            self._runs += 1
            announced = doc.get("entries")
            if not isinstance(announced, int) or announced < 0:
                return Finding(seq, "content", f"run entry {seq} has no count of its entries")
            self._open = _OpenRun(str(run), seq, announced, members=_GROUPS[str(kind)])
            text_digest = str(doc.get("rules_text_digest"))
            if text_digest not in self._rules_ok:
                return Finding(seq, "rules", f"the text of the rules in force for run {run} "
                                             f"({text_digest}) is missing from the rules table")
            if not self._rules_ok[text_digest]:
                return Finding(seq, "rules", f"the text of the rules in force for run {run} "
                                             f"no longer matches {text_digest}: it was changed")
            return self._check_profiles(seq, doc)
        if kind in _MEMBERS:
            return Finding(seq, "run", f"entry {seq} belongs to run {run}, but no run entry "
                                       "announces it")
        return None


def check_row(row: StoredRow, prev: Head) -> tuple[Finding | None, dict[str, Any] | None]:
    """One stored row against the head before it: its place, its link, its canonical text,
    its hash and its index columns. The finding, or None and the parsed entry."""
    seq = row.seq
    if seq != prev.seq + 1:
        missing = (f"entry {prev.seq + 1} is missing" if seq > prev.seq + 1
                   else "it repeats an earlier seq")
        return Finding(seq, "order", f"entry {seq} follows entry {prev.seq}: {missing}"), None
    if not isinstance(row.entry, str):
        return Finding(seq, "content",
                       f"entry {seq} is not stored as text: it was changed"), None
    try:
        doc = json.loads(row.entry)
    except ValueError:
        return Finding(seq, "content", f"entry {seq} is not valid JSON: it was changed"), None
    if not isinstance(doc, dict):
        return Finding(seq, "content",
                       f"entry {seq} is not a JSON object: it was changed"), None
    if doc.get("seq") != seq:
        return Finding(seq, "order", f"the entry stored at seq {seq} says it is entry "
                                     f"{doc.get('seq')}: entries were moved or swapped"), None
    if row.prev_hash != prev.entry_hash:
        return Finding(seq, "link", f"entry {seq}'s prev_hash {row.prev_hash} is not the "
                                    f"entry_hash of entry {prev.seq} ({prev.entry_hash}): "
                                    "one of the two was changed, or entries were "
                                    "removed"), None
    if _canonical(doc) != row.entry:
        return Finding(seq, "content", f"entry {seq} is not stored as canonical JSON, the "
                                       "only form Tandem writes (a repeated key, a space, "
                                       "an escape or a reordered key): its stored text was "
                                       "changed, and other tools may read it "
                                       "differently"), None
    actual = sha256_hex(row.prev_hash + row.entry)
    if actual != row.entry_hash:
        return Finding(seq, "content", f"entry {seq}'s content hashes to {actual}, not to "
                                       f"its stored entry_hash {row.entry_hash}: the entry "
                                       f"or its hash was changed"), None
    for column, key in INDEX_COLUMNS.items():
        if row.columns.get(column) != doc.get(key):
            return Finding(seq, "index", f"entry {seq}'s column {column} holds "
                                         f"{row.columns.get(column)!r} but the entry says "
                                         f"{doc.get(key)!r}: the column was changed"), None
    found = problems(doc)
    if found:
        return Finding(seq, "entry", describe(seq, doc, found) + ": Tandem never writes "
                       "such an entry, so it was appended by something else (a forged "
                       "append), or by a newer Tandem"), None
    return None, doc


def _canonical(doc: Any) -> str | None:
    try:
        return canonical_json(doc)
    except (ValueError, TypeError):
        return None
