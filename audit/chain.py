"""Verifying the hash chain: entries as stored go in one by one, the first problem comes out.

Pure: the store reads the rows, this module judges them. See docs/audit.md for the rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from audit.entries import GENESIS, INDEX_COLUMNS, KIND_PAIR, KIND_RUN, KIND_UNPAIRED, entry_hash
from audit.lifecycle import KIND_REASSIGNMENT

IN_RUN = (KIND_PAIR, KIND_REASSIGNMENT, KIND_UNPAIRED)  # the kinds that only come in a run

Problem = Literal["order", "link", "content", "index", "run", "rules", "head"]
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


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    entry_hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.entry_hash}"


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    runs: int
    head: Head
    finding: Finding | None
    expected_head: Head | None = None

    @property
    def ok(self) -> bool:
        return self.finding is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "entries": self.entries, "runs": self.runs,
            "head": {"seq": self.head.seq, "entry_hash": self.head.entry_hash},
            "expected_head": str(self.expected_head) if self.expected_head else None,
            "finding": ({"seq": self.finding.seq, "problem": self.finding.problem,
                         "message": self.finding.message} if self.finding else None),
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

    def short(self) -> str:
        return (f"run {self.run} (entry {self.seq}) announces {self.announced} entries but "
                f"only {self.seen} follow it")


class Verifier:
    """Feed rows in seq order; stop at the first finding; then ``finish``."""

    def __init__(self, rules_text_ok: Mapping[str, bool], expected_head: Head | None = None):
        self._rules_ok = rules_text_ok
        self._expected = expected_head
        self._expected_seen: str | None = None
        self._head = Head(0, GENESIS)
        self._entries = 0
        self._runs = 0
        self._open: _OpenRun | None = None
        self.finding: Finding | None = None

    def feed(self, row: StoredRow) -> Finding | None:
        if self.finding is None:
            self.finding = self._check(row)
            if self.finding is None:
                self._entries += 1
                self._head = Head(row.seq, row.entry_hash)
                if self._expected and row.seq == self._expected.seq:
                    self._expected_seen = row.entry_hash
        return self.finding

    def finish(self) -> VerifyReport:
        if self.finding is None and self._open and self._open.seen < self._open.announced:
            self.finding = Finding(self._open.seq, "run", self._open.short()
                                   + ": the end of the log is missing")
        if self.finding is None and self._expected:
            self.finding = self._check_expected(self._expected)
        return VerifyReport(self._entries, self._runs, self._head, self.finding, self._expected)

    def _check_expected(self, expected: Head) -> Finding | None:
        if expected.seq > self._head.seq:
            return Finding(expected.seq, "head",
                           f"the log ends at entry {self._head.seq}, but entry {expected.seq} "
                           f"was recorded as the head: entries {self._head.seq + 1} to "
                           f"{expected.seq} were removed")
        if self._expected_seen != expected.entry_hash:
            return Finding(expected.seq, "head",
                           f"entry {expected.seq} has entry_hash {self._expected_seen}, but "
                           f"{expected.entry_hash} was recorded: the log was rewritten at or "
                           f"before entry {expected.seq}")
        return None

    def _check(self, row: StoredRow) -> Finding | None:
        seq, prev = row.seq, self._head
        if seq != prev.seq + 1:
            missing = (f"entry {prev.seq + 1} is missing" if seq > prev.seq + 1
                       else "it repeats an earlier seq")
            return Finding(seq, "order", f"entry {seq} follows entry {prev.seq}: {missing}")
        try:
            doc = json.loads(row.entry)
        except ValueError:
            return Finding(seq, "content", f"entry {seq} is not valid JSON: it was changed")
        if not isinstance(doc, dict):
            return Finding(seq, "content", f"entry {seq} is not a JSON object: it was changed")
        if doc.get("seq") != seq:
            return Finding(seq, "order", f"the entry stored at seq {seq} says it is entry "
                                         f"{doc.get('seq')}: entries were moved or swapped")
        if row.prev_hash != prev.entry_hash:
            return Finding(seq, "link", f"entry {seq}'s prev_hash {row.prev_hash} is not the "
                                        f"entry_hash of entry {prev.seq} ({prev.entry_hash}): "
                                        f"one of the two was changed, or entries were removed")
        actual = entry_hash(row.prev_hash, doc)
        if actual != row.entry_hash:
            return Finding(seq, "content", f"entry {seq}'s content hashes to {actual}, not to "
                                           f"its stored entry_hash {row.entry_hash}: the entry "
                                           f"or its hash was changed")
        for column, key in INDEX_COLUMNS.items():
            if row.columns.get(column) != doc.get(key):
                return Finding(seq, "index", f"entry {seq}'s column {column} holds "
                                             f"{row.columns.get(column)!r} but the entry says "
                                             f"{doc.get(key)!r}: the column was changed")
        return self._check_group(seq, doc)

    def _check_group(self, seq: int, doc: Mapping[str, Any]) -> Finding | None:
        kind, run = doc.get("kind"), doc.get("run")
        current = self._open
        if current and current.seen < current.announced:
            if kind in IN_RUN and run == current.run:
                current.seen += 1
                return None
            return Finding(seq, "run", current.short() + f"; entry {seq} interrupts it")
        if kind == KIND_RUN:
            self._runs += 1
            announced = doc.get("entries")
            if not isinstance(announced, int) or announced < 0:
                return Finding(seq, "content", f"run entry {seq} has no count of its entries")
            self._open = _OpenRun(str(run), seq, announced)
            text_digest = str(doc.get("rules_text_digest"))
            if text_digest not in self._rules_ok:
                return Finding(seq, "rules", f"the text of the rules in force for run {run} "
                                             f"({text_digest}) is missing from the rules table")
            if not self._rules_ok[text_digest]:
                return Finding(seq, "rules", f"the text of the rules in force for run {run} "
                                             f"no longer matches {text_digest}: it was changed")
            return None
        if kind in IN_RUN:
            return Finding(seq, "run", f"entry {seq} belongs to run {run}, but no run entry "
                                       "announces it")
        return None
