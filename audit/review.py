"""Reading the log for people: the entries, one entry in full, the program's current state."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audit import db as database
from audit import store
from audit.chain import StoredRow
from audit.entries import KIND_PAIR, KIND_RUN, KIND_UNPAIRED, entry_hash
from audit.errors import EntryNotFoundError
from audit.lifecycle import KIND_DECISION, KIND_REASSIGNMENT, KIND_SEPARATION
from audit.state import ProgramState, derive_state
from audit.store import LogFilter

__all__ = ["EntryView", "LogFilter", "LoggedEntry", "history", "log", "show", "status"]

# The kinds of entry in a person's timeline (`tandem history`).
TIMELINE = (KIND_PAIR, KIND_UNPAIRED, KIND_SEPARATION, KIND_REASSIGNMENT, KIND_DECISION,
            "checkin", "outcome")


@dataclass(frozen=True)
class LoggedEntry:
    seq: int
    prev_hash: str
    entry_hash: str
    doc: Mapping[str, Any]

    @classmethod
    def of(cls, row: StoredRow) -> LoggedEntry:
        return cls(row.seq, row.prev_hash, row.entry_hash, json.loads(row.entry))

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "prev_hash": self.prev_hash, "entry_hash": self.entry_hash,
                "entry": dict(self.doc)}


@dataclass(frozen=True)
class EntryView:
    """One entry with what a reviewer needs around it."""

    entry: LoggedEntry
    run: Mapping[str, Any] | None
    names: Mapping[str, str]
    hash_ok: bool
    rules_files: Mapping[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**self.entry.as_dict(), "run": dict(self.run) if self.run else None,
                "names": dict(self.names), "hash_ok": self.hash_ok,
                "rules_files": dict(self.rules_files) if self.rules_files is not None
                else None}


def _subjects(doc: Mapping[str, Any]) -> list[str]:
    kind = doc.get("kind")
    if kind in (KIND_PAIR, KIND_REASSIGNMENT, KIND_SEPARATION, KIND_DECISION):
        return [str(doc["mentor"]), str(doc["mentee"])]
    if kind == KIND_UNPAIRED:
        return [str(doc["person"])]
    return []


def _input_of(conn: Any, doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """Where the names of a lifecycle entry's people are kept: a decision's own input, or
    the input of the run that formed a separated pair."""
    if doc.get("input_digest"):
        return {"input_digest": doc["input_digest"]}
    if doc.get("kind") == KIND_SEPARATION and isinstance(doc.get("pair_seq"), int):
        formed = store.row_at(conn, int(doc["pair_seq"]))
        if formed is not None:
            return _input_of(conn, json.loads(formed.entry)) or _run_input(conn, formed)
    return None


def _run_input(conn: Any, row: StoredRow) -> dict[str, Any] | None:
    run_row = store.run_row(conn, str(json.loads(row.entry).get("run")))
    return {"input_digest": json.loads(run_row.entry).get("input_digest")} if run_row else None


def log(db_url: str | None, where: LogFilter) -> list[LoggedEntry]:
    """The entries matching ``where``, newest first."""
    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            return [LoggedEntry.of(row) for row in store.select_rows(conn, where)]
    finally:
        db.dispose()


def show(db_url: str | None, seq: int, *, rules_text: bool = False) -> EntryView:
    """Entry ``seq`` with its run, the people's names while kept, and the rules if asked."""
    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            row = store.row_at(conn, seq)
            if row is None:
                raise EntryNotFoundError(seq, store.head(conn)[0])
            entry = LoggedEntry.of(row)
            run_doc: Mapping[str, Any] | None = entry.doc
            if entry.doc.get("kind") != KIND_RUN:
                run_row = store.run_row(conn, str(entry.doc.get("run")))
                run_doc = json.loads(run_row.entry) if run_row else None
            if run_doc is None:
                run_doc = _input_of(conn, entry.doc)
            names: dict[str, str] = {}
            files = None
            if run_doc:
                names = store.snapshot_names(conn, str(run_doc.get("input_digest")),
                                             _subjects(entry.doc))
                if rules_text:
                    files = store.rules_files(conn, str(run_doc.get("rules_text_digest")))
                    files = files if files is not None else {}
    finally:
        db.dispose()
    ok = entry_hash(row.prev_hash, entry.doc) == row.entry_hash
    return EntryView(entry, run_doc, names, ok, files)


def status(db_url: str | None) -> ProgramState:
    """The active pairs and the free people, derived from the whole log."""
    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            return derive_state(store.state_docs(conn))
    finally:
        db.dispose()


def history(db_url: str | None, person: str) -> list[LoggedEntry]:
    """One person's timeline, oldest first: pairs, unpaired, separations, reassignments,
    decisions, check-ins and outcomes. An id the log does not know is refused with the
    closest one."""
    from engine.errors import TandemError
    from engine.suggest import closest

    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            rows = store.select_rows(conn, LogFilter(person=person))
            entries = [LoggedEntry.of(r) for r in reversed(rows)]
            if not entries:
                known = store.program_state(conn).known()
    finally:
        db.dispose()
    if not entries:
        hint = closest(person, sorted(known))
        raise TandemError(f"there is no {person} in the audit log (`tandem status` lists "
                          "the people)" + (f"; did you mean {hint!r}?" if hint else ""))
    return [e for e in entries if e.doc.get("kind") in TIMELINE]
