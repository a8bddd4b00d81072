"""Reading the log for people: the entries, one entry in full, the program's current state."""

from __future__ import annotations

import json
import os
from collections.abc import Generator, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from audit.log import db as database
from audit.log import store
from audit.log.chain import Anchor, Finding, StoredRow
from audit.log.entries import note_state, profile_digest
from audit.log.errors import EntryNotFoundError
from audit.log.kinds import (
    KIND_APPROVAL,
    KIND_CHECKIN,
    KIND_CORRECTION,
    KIND_MY_JOB_DAY,
    KIND_MY_JOB_DAY_RUN,
    KIND_MY_JOB_DAY_UNMET,
    KIND_OUTCOME,
    KIND_PAIR,
    KIND_REJECTION,
    KIND_REJOIN,
    KIND_RUN,
    KIND_UNPAIRED,
    KIND_WITHDRAWAL,
)
from audit.log.store import LogFilter
from audit.log.witness import WITNESS_ENV
from audit.state import ProgramState
from audit.state import program_state as state_of
from engine.program.events import KIND_DECISION, KIND_REASSIGNMENT, KIND_SEPARATION

__all__ = [
    "Checked",
    "EntryView",
    "LogFilter",
    "LoggedEntry",
    "StatusView",
    "history",
    "log",
    "log_checked",
    "log_chunks",
    "places_left",
    "show",
    "status",
    "status_checked",
    "status_view",
    "trust_advice",
    "warning",
]

PUBLIC_KEY_ENV = "TANDEM_PUBLIC_KEY"
# The kinds of entry in a person's timeline (`tandem history`).
TIMELINE = (KIND_PAIR, KIND_UNPAIRED, KIND_SEPARATION, KIND_REASSIGNMENT, KIND_DECISION,
            KIND_APPROVAL, KIND_REJECTION, KIND_WITHDRAWAL, KIND_REJOIN, KIND_CHECKIN,
            KIND_OUTCOME, KIND_CORRECTION, KIND_MY_JOB_DAY, "erasure")


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
    """One entry with what a reviewer needs around it.

    ``profiles``: for each person of the entry, "kept" (the name is in ``names``), "erased",
    "altered" (the kept profile no longer matches the run's digest: no name is given) or
    "unchecked" (kept, but the run recorded no digest of it). ``finding``: the first break
    of the chain up to this entry, or None."""

    entry: LoggedEntry
    run: Mapping[str, Any] | None
    names: Mapping[str, str]
    hash_ok: bool
    rules_files: Mapping[str, str] | None = None
    profiles: Mapping[str, str] | None = None
    finding: Finding | None = None
    note: str | None = None  # the entry's note: "kept", "altered" or "erased"; None: none

    def as_dict(self) -> dict[str, Any]:
        return {**self.entry.as_dict(), "run": dict(self.run) if self.run else None,
                "names": dict(self.names), "hash_ok": self.hash_ok,
                "profiles": dict(self.profiles or {}), "chain": chain_dict(self.finding),
                "rules_files": dict(self.rules_files) if self.rules_files is not None
                else None}


@dataclass(frozen=True)
class Checked:
    """What a reading command prints, with the first break of the chain up to it."""

    value: Any
    finding: Finding | None

    @property
    def ok(self) -> bool:
        return self.finding is None


def chain_dict(finding: Finding | None) -> dict[str, Any]:
    if finding is None:
        return {"ok": True, "finding": None}
    return {"ok": False, "finding": {"seq": finding.seq, "problem": finding.problem,
                                     "message": finding.message,
                                     "trusted_up_to": finding.trusted_upto}}


def trust_advice(finding: Finding) -> str:
    """What may still be trusted after a finding, in one sentence."""
    if finding.problem == "snapshot":
        return ("The chain itself checks out; the kept profile named above is not to be "
                "trusted, and `tandem audit show` reads it as altered.")
    if finding.problem == "state":
        return ("The chain itself checks out; the kept state of the program (a cache) was "
                "replaced by a fold of the log from entry 1, which the next command reads.")
    if finding.problem == "note":
        return ("The chain itself checks out; the kept note named above is not to be "
                "trusted, and `tandem audit show` reads it as altered.")
    if finding.trusted_upto == 1:
        return ("Entry 1 checks out; treat entry 2 and everything after it as untrusted until "
                "it is explained.")
    if finding.trusted_upto > 1:
        return (f"Entries 1 to {finding.trusted_upto} check out; treat entry "
                f"{finding.trusted_upto + 1} and everything after it as untrusted until it "
                "is explained.")
    return ("No entry can be trusted until it is explained: treat entry 1 and everything "
            "after it as untrusted.")


def warning(finding: Finding) -> str:
    """The line that leads a reading command's output when the chain is broken."""
    return (f"WARNING: the audit log is BROKEN at entry {finding.seq} ({finding.problem}): "
            f"{finding.message}. {trust_advice(finding)} Run `tandem audit verify`.")


def _check_shown(conn: Connection, shown: list[int]) -> Finding | None:
    """The bounded check of what a reading command shows (see
    ``audit.log.verify.check_shown``), against the witness and key of TANDEM_WITNESS and
    TANDEM_PUBLIC_KEY when set."""
    from audit.log.verify import check_shown

    witness = os.environ.get(WITNESS_ENV) or None
    return check_shown(conn, shown, _witness_heads(), witnessed=witness is not None)


def _witness_heads() -> list[Anchor]:
    from audit.log.verify import anchors

    witness = os.environ.get(WITNESS_ENV) or None
    key = os.environ.get(PUBLIC_KEY_ENV) or None
    heads: list[Anchor] = []
    if witness and Path(witness).exists():  # not yet written: it lists no head
        heads, _ = anchors(Path(witness), Path(key) if key else None)
    return heads


def _subjects(doc: Mapping[str, Any]) -> list[str]:
    kind = doc.get("kind")
    keys: tuple[str, ...] = ()
    if kind in (KIND_PAIR, KIND_REASSIGNMENT, KIND_SEPARATION, KIND_DECISION):
        keys = ("mentor", "mentee")
    elif kind in (KIND_UNPAIRED, KIND_MY_JOB_DAY_UNMET):
        keys = ("person",)
    elif kind == KIND_MY_JOB_DAY:
        keys = ("visitor", "host")
    # a malformed entry (verify reports it) may lack them: shown as stored, never a crash
    return [doc[k] for k in keys if isinstance(doc.get(k), str)]


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
    if run_row is None:
        return None
    run_doc = json.loads(run_row.entry)
    return {"input_digest": run_doc.get("input_digest"),
            "profile_digests": run_doc.get("profile_digests")}


def log(db_url: str | None, where: LogFilter) -> list[LoggedEntry]:
    """The entries matching ``where``, newest first, unchecked (see ``log_checked``)."""
    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            return [_logged(row) for row in store.select_rows(conn, where)]
    finally:
        db.dispose()


def log_checked(db_url: str | None, where: LogFilter) -> Checked:
    """The entries matching ``where``, newest first, and the first break of the chain up to
    the newest of them (the whole log when that is the last entry)."""
    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            rows = store.select_rows(conn, where)
            finding = _check_shown(conn, [r.seq for r in rows])
            return Checked([_logged(row) for row in rows], finding)
    finally:
        db.dispose()


CHUNK = 500  # entries read, checked and printed at a time by a streamed `audit log`


def log_chunks(db_url: str | None, where: LogFilter) -> Generator[Checked, None, None]:
    """The entries matching ``where``, newest first, CHUNK at a time, each chunk with the
    first break found so far by the bounded check of what it holds (see
    ``audit.log.verify.check_shown``): memory bounded by a chunk, and a reader that stops
    early (`audit log | head`) stops the reading. Close the iterator when done."""
    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            finding: Finding | None = None
            chunk: list[StoredRow] = []
            given = 0
            with closing(store.iter_selected(conn, where)) as rows:
                for row in rows:
                    chunk.append(row)
                    if len(chunk) == CHUNK:
                        finding = finding or _check_shown(conn, [r.seq for r in chunk])
                        yield Checked([_logged(r) for r in chunk], finding)
                        chunk, given = [], given + 1
            if chunk or not given:
                finding = finding or _check_shown(conn, [r.seq for r in chunk])
                yield Checked([_logged(r) for r in chunk], finding)
    finally:
        db.dispose()


def _logged(row: StoredRow) -> LoggedEntry:
    try:
        return LoggedEntry.of(row)
    except (ValueError, TypeError):
        return LoggedEntry(row.seq, row.prev_hash, row.entry_hash,
                           {"kind": "(unreadable)", **dict(row.columns)})


def show(db_url: str | None, seq: int, *, rules_text: bool = False) -> EntryView:
    """Entry ``seq`` with its run, the people's names while kept, and the rules if asked."""
    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            row = store.row_at(conn, seq)
            if row is None:
                raise EntryNotFoundError(seq, store.head(conn)[0])
            finding = _check_shown(conn, [seq])
            entry = _logged(row)
            digest = entry.doc.get("note_digest")
            note = (note_state(digest, store.note_of(conn, digest))
                    if isinstance(digest, str) else None)
            run_doc: Mapping[str, Any] | None = entry.doc
            if entry.doc.get("kind") not in (KIND_RUN, KIND_MY_JOB_DAY_RUN):
                opener = (KIND_MY_JOB_DAY_RUN if entry.doc.get("kind") in (
                    KIND_MY_JOB_DAY, KIND_MY_JOB_DAY_UNMET) else KIND_RUN)
                run_row = store.run_row(conn, str(entry.doc.get("run")), opener)
                run_doc = json.loads(run_row.entry) if run_row else None
            if run_doc is None:
                run_doc = _input_of(conn, entry.doc)
            names: dict[str, str] = {}
            profiles: dict[str, str] = {}
            files = None
            if run_doc:
                names, profiles = _people(conn, run_doc, _subjects(entry.doc))
                finding = _altered(run_doc, profiles) or finding
                if rules_text:
                    files = store.rules_files(conn, str(run_doc.get("rules_text_digest")))
                    files = files if files is not None else {}
    finally:
        db.dispose()
    ok = finding is None or finding.seq > seq or (finding.problem in ("snapshot", "note"))
    return EntryView(entry, run_doc, names, ok, files, profiles, finding, note)


def _altered(run_doc: Mapping[str, Any], profiles: Mapping[str, str]) -> Finding | None:
    """A kept profile of the people shown that no longer matches its run's digest."""
    recorded = run_doc.get("profile_digests")
    for person, state in sorted(profiles.items()):
        if state == "altered" and isinstance(recorded, Mapping) and \
                isinstance(run_doc.get("seq"), int):
            return Finding(int(run_doc["seq"]), "snapshot",
                           f"the kept profile of {person} for run {run_doc.get('run')} was "
                           f"altered: it no longer matches the digest that run entry "
                           f"{run_doc['seq']} recorded ({recorded.get(person)})")
    return None


def _people(conn: Connection, run_doc: Mapping[str, Any], people: list[str]
            ) -> tuple[dict[str, str], dict[str, str]]:
    """Names of the people that may be shown, and the state of each one's kept profile."""
    input_digest = str(run_doc.get("input_digest"))
    kept = store.snapshot_profiles(conn, input_digest, people)
    recorded = run_doc.get("profile_digests")
    names: dict[str, str] = {}
    states: dict[str, str] = {}
    for person in people:
        text = kept.get(person)
        expected = recorded.get(person) if isinstance(recorded, Mapping) else None
        if text is None:
            states[person] = "erased" if expected else "not kept"
            continue
        if expected is None:
            states[person] = "unchecked"
        elif profile_digest(text) != expected:
            states[person] = "altered"
            continue
        else:
            states[person] = "kept"
        try:
            name = json.loads(text).get("name")
        except (ValueError, AttributeError):
            name = None
        if isinstance(name, str):
            names[person] = name
    return names, states


def status(db_url: str | None) -> ProgramState:
    """The program's state (the kept state and the fold of the entries after it,
    `audit.state.folded`), unchecked (see ``status_checked``)."""
    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            return state_of(conn)
    finally:
        db.dispose()


def status_checked(db_url: str | None) -> Checked:
    """The program's state, and the first break found by a check whose cost follows the
    entries folded, plus a constant: each entry folded after the kept state (all of them
    when none is kept) as `verify` checks it, the kept state's entry, the head, and the
    witness's last head (TANDEM_WITNESS)."""
    from audit.state import folded

    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            now = folded(conn)
            found = [f for f in (_check_shown(conn, [now.kept] if now.kept else []),
                                 now.finding) if f is not None]
            return Checked(now.state, min(found, key=lambda f: f.seq) if found else None)
    finally:
        db.dispose()


@dataclass(frozen=True)
class StatusView:
    """What `tandem status` shows: the state, the mentors with places left (by id), and
    where the state was read from: the last entry, the kept state's entry (0: none) and
    how many entries were folded after it."""

    state: ProgramState
    places: Mapping[str, int]
    head: int
    kept: int
    folded: int


def status_view(db_url: str | None) -> Checked:
    """`status_checked` and `places_left` in one read: a `StatusView` and the first break."""
    from audit.state import folded, kept_capacities

    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            now = folded(conn)
            found = [f for f in (_check_shown(conn, [now.kept] if now.kept else []),
                                 now.finding) if f is not None]
            state = now.state
            left = state.places_left(kept_capacities(conn, state))
    finally:
        db.dispose()
    places = {m: n for m, n in sorted(left.items()) if n > 0}
    return Checked(StatusView(state, places, now.head, now.kept, now.tail),
                   min(found, key=lambda f: f.seq) if found else None)


def places_left(db_url: str | None) -> dict[str, int]:
    """Each mentor of the program with places left (capacities from the kept snapshot),
    by id; mentors who withdrew or whose pairs fill their capacity are left out."""
    from audit.state import kept_capacities

    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            state = state_of(conn)
            left = state.places_left(kept_capacities(conn, state))
    finally:
        db.dispose()
    return {m: n for m, n in sorted(left.items()) if n > 0}


def _with_reviews(conn: Connection, entries: list[LoggedEntry]) -> list[LoggedEntry]:
    """The timeline with the approvals and rejections of the proposals that held the
    person: they name runs, not people."""
    runs = {str(e.doc.get("run")) for e in entries
            if e.doc.get("kind") in (KIND_PAIR, KIND_REASSIGNMENT, KIND_DECISION)}
    reviews = [LoggedEntry.of(r) for r in store.rows_of_kinds(conn, (KIND_APPROVAL,
                                                                      KIND_REJECTION))]
    mine = [e for e in reviews
            if str(e.doc.get("approves") or e.doc.get("rejects")) in runs]
    return sorted([*entries, *mine], key=lambda e: e.seq)


def history(db_url: str | None, person: str) -> list[LoggedEntry]:
    """One person's timeline, oldest first (see ``history_checked``), unchecked."""
    return list(history_checked(db_url, person).value)


def history_checked(db_url: str | None, person: str) -> Checked:
    """One person's timeline, oldest first: pairs, unpaired, separations, reassignments,
    decisions, the approvals and rejections of their proposed pairs, withdrawals and
    rejoins, check-ins, outcomes and their corrections, and my-job-day visits; read through
    the indexes on the people and the kind. With the first break found by the bounded
    check of what it shows (each entry shown and its link, the head, the witness's last
    head: ``audit.log.verify.check_shown``). An id the log does not know is refused with
    the closest one."""
    from engine.base.errors import TandemError
    from engine.base.suggest import closest

    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            rows = store.select_rows(conn, LogFilter(person=person))
            entries = [LoggedEntry.of(r) for r in reversed(rows)]
            shown: list[LoggedEntry] = []
            if not entries:
                known = state_of(conn).known()
            else:
                shown = [e for e in _with_reviews(conn, entries)
                         if e.doc.get("kind") in TIMELINE]
                finding = _check_shown(conn, [e.seq for e in shown])
    finally:
        db.dispose()
    if not entries:
        hint = closest(person, sorted(known))
        raise TandemError(f"there is no {person} in the audit log (`tandem status` lists "
                          "the people)" + (f"; did you mean {hint!r}?" if hint else ""))
    return Checked(shown, finding)
