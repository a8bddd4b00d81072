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
from audit.myjobdays import KIND_MY_JOB_DAY, KIND_MY_JOB_DAY_RUN, KIND_MY_JOB_DAY_UNMET
from audit.state import ProgramState, derive_state
from audit.store import LogFilter

__all__ = ["EntryView", "LogFilter", "LoggedEntry", "log", "show", "status"]


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
    if kind == KIND_PAIR:
        return [str(doc["mentor"]), str(doc["mentee"])]
    if kind in (KIND_UNPAIRED, KIND_MY_JOB_DAY_UNMET):
        return [str(doc["person"])]
    if kind == KIND_MY_JOB_DAY:
        return [str(doc["visitor"]), str(doc["host"])]
    return []


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
            if entry.doc.get("kind") not in (KIND_RUN, KIND_MY_JOB_DAY_RUN):
                opener = (KIND_MY_JOB_DAY_RUN if entry.doc.get("kind") in (
                    KIND_MY_JOB_DAY, KIND_MY_JOB_DAY_UNMET) else KIND_RUN)
                run_row = store.run_row(conn, str(entry.doc.get("run")), opener)
                run_doc = json.loads(run_row.entry) if run_row else None
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
