"""Erasure as a command: a person's kept profiles and notes deleted, and an ``erasure``
entry that says so, with no personal data in it.

The chain never holds a profile or a note: it holds their digests, and the rows themselves
live in `audit_snapshot` and `audit_note`, where they may be deleted. `erase` deletes one
person's rows (every kept profile, their protected data, and the notes of their check-ins
and outcomes) and appends, in the same transaction, an ``erasure`` entry naming who erased,
when, why, and which rows by key (input digests and note digests: no name, no profile text).
`retention` does the same for everyone whose last pair ended before a date.
`accounting` reads the log back: every kept profile a run announced and that is gone is
either erased by entry N, or missing with no erasure entry (deleted outside Tandem).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from audit.commit import default_actor, new_run_id, utc_now
from audit.log.kinds import (
    KIND_CHECKIN,
    KIND_ERASURE,
    KIND_OUTCOME,
    KIND_PAIR,
    KIND_REASSIGNMENT,
    KIND_RUN,
)
from audit.state import derive_state
from engine.base.errors import TandemError
from engine.base.suggest import closest
from engine.program.events import KIND_DECISION, KIND_SEPARATION

PROFILES, PROTECTED_ROWS, NOTES = "profiles", "protected", "notes"


@dataclass(frozen=True, slots=True)
class Erasure:
    """One erasure entry: who erased whose rows, when, why, under which policy, and which
    rows by key. No personal data: ids, digests and the reason given."""

    run: str
    at: str
    actor: str
    person: str
    reason: str
    profiles: tuple[str, ...]  # input digests whose kept profile of the person was deleted
    protected: tuple[str, ...]  # monitoring keys whose protected data was deleted
    notes: tuple[str, ...]  # note digests whose text was deleted
    policy: Mapping[str, str] | None = None

    @property
    def rows(self) -> int:
        return len(self.profiles) + len(self.protected) + len(self.notes)

    def to_doc(self) -> dict[str, Any]:
        return {"kind": KIND_ERASURE, "run": self.run, "at": self.at, "actor": self.actor,
                "person": self.person, "reason": self.reason,
                "policy": dict(self.policy) if self.policy else None,
                "rows": {PROFILES: list(self.profiles), PROTECTED_ROWS: list(self.protected),
                         NOTES: list(self.notes)}}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Erasure:
        rows = doc.get("rows") or {}
        return cls(str(doc.get("run")), str(doc.get("at")), str(doc.get("actor")),
                   str(doc.get("person")), str(doc.get("reason")),
                   tuple(rows.get(PROFILES) or ()), tuple(rows.get(PROTECTED_ROWS) or ()),
                   tuple(rows.get(NOTES) or ()), doc.get("policy"))


@dataclass(frozen=True)
class Erased:
    """What `tandem erase` wrote, or would write (``committed`` False)."""

    db: str
    committed: bool
    erasures: list[Erasure]
    first_seq: int = 0
    head: str = ""
    skipped: list[str] = field(default_factory=list)  # retention: people with nothing kept

    def as_dict(self) -> dict[str, Any]:
        return {"db": self.db, "committed": self.committed, "first_seq": self.first_seq or None,
                "head": self.head or None, "erasures": [e.to_doc() for e in self.erasures],
                "skipped": self.skipped}


def _people_in(doc: Mapping[str, Any]) -> set[str]:
    return {str(doc[k]) for k in ("mentor", "mentee", "person") if doc.get(k)}


def retention_candidates(docs: Sequence[Mapping[str, Any]], before: date) -> list[str]:
    """Everyone whose every pair has ended (a separation, or an outcome recorded), the last
    one before ``before``, and who is in no other active or proposed pair."""
    state = derive_state(docs)
    finished = {int(d.get("pair_seq", 0)) for d in docs if d.get("kind") == KIND_OUTCOME}
    held = {p for pair in state.active if pair.seq not in finished
            for p in (pair.mentor, pair.mentee)}
    held |= {p for prop in state.pending for pair in prop.pairs
             for p in (pair.mentor, pair.mentee)}
    formed: dict[str, str] = {}
    ended: dict[str, str] = {}
    for doc in docs:
        kind, at = doc.get("kind"), str(doc.get("at", ""))
        couple = [str(doc[k]) for k in ("mentor", "mentee") if doc.get(k)]
        if kind in (KIND_PAIR, KIND_REASSIGNMENT) or (
                kind == KIND_DECISION and doc.get("decision") == "force"):
            for person in couple:
                formed[person] = max(formed.get(person, ""), at)
        elif kind in (KIND_SEPARATION, KIND_OUTCOME):
            for person in couple:
                ended[person] = max(ended.get(person, ""), at)
    limit = before.isoformat()
    return sorted(p for p, last in ended.items()
                  if p in formed and p not in held and last < limit and formed[p] < limit)


def _notes_of(docs: Iterable[Mapping[str, Any]], person: str) -> list[str]:
    return sorted({str(d["note_digest"]) for d in docs
                   if d.get("kind") in (KIND_CHECKIN, KIND_OUTCOME) and d.get("note_digest")
                   and person in _people_in(d)})


def erase(db_url: str | None, people: Sequence[str] | None, reason: str, actor: str | None,
          *, commit: bool, ended_before: date | None = None) -> Erased:
    """Delete the kept rows of ``people`` (or, with ``ended_before``, of everyone the
    retention policy names) and record one ``erasure`` entry per person, in one transaction.
    Without ``commit``, nothing is written: the erasures it would record."""
    from sqlalchemy import delete, select

    from audit.log import db as database
    from audit.log import schema, store
    from audit.log.migrate import open_for_write

    if not reason.strip():
        raise TandemError("give the reason for the erasure with --reason; nothing was erased")
    url = database.resolve_url(db_url)
    reader = database.open_for_read(url)  # never create a log to erase from
    reader.dispose()
    db = open_for_write(url) if commit else database.open_for_read(url)
    who = actor or default_actor()
    try:
        with (db.writing() if commit else db.reading()) as conn:
            docs = [json.loads(r[0]) for r in
                    conn.execute(select(schema.log.c.entry).order_by(schema.log.c.seq)).all()]
            policy = None
            if ended_before is not None:
                chosen = retention_candidates(docs, ended_before)
                policy = {"ended_before": ended_before.isoformat()}
            else:
                chosen = list(dict.fromkeys(people or ()))
                known = derive_state(docs).known() | {p for d in docs for p in _people_in(d)}
                for person in chosen:
                    if person not in known:
                        hint = closest(person, sorted(known))
                        raise TandemError(
                            f"the audit log {db.shown} names no one with the id {person!r}"
                            + (f"; did you mean {hint!r}?" if hint else ".")
                            + " Give an id as the cohort file spells it. Nothing was erased.")
            at = utc_now()
            run = new_run_id(at)
            snap, note = schema.snapshot, schema.note
            made: list[Erasure] = []
            skipped: list[str] = []
            for person in chosen:
                keys = sorted(str(k) for (k,) in conn.execute(
                    select(snap.c.input_digest).where(snap.c.person_id == person)))
                notes = [n for n in _notes_of(docs, person) if conn.execute(
                    select(note.c.note_digest).where(note.c.note_digest == n)).first()]
                profiles = tuple(k for k in keys if not k.startswith("protected:"))
                protected = tuple(k for k in keys if k.startswith("protected:"))
                if not keys and not notes:
                    skipped.append(person)
                    continue
                made.append(Erasure(run, at, who, person, reason, profiles, protected,
                                    tuple(notes), policy))
            if ended_before is None and skipped:
                by = {str(d.get("person")): int(d["seq"]) for d in docs
                      if d.get("kind") == KIND_ERASURE}
                raise TandemError(
                    "nothing is kept of " + ", ".join(
                        f"{p}" + (f" (erased by entry {by[p]})" if p in by else "")
                        for p in skipped) + "; nothing was erased.")
            if not commit or not made:
                return Erased(db.shown, False, made, skipped=skipped)
            for e in made:
                conn.execute(delete(snap).where(snap.c.person_id == e.person))
                if e.notes:
                    conn.execute(delete(note).where(note.c.note_digest.in_(list(e.notes))))
            chain = store.append_group(conn, [e.to_doc() for e in made])
    finally:
        db.dispose()
    return Erased(db.shown, True, made, chain[0].seq, f"{chain[-1].seq}:{chain[-1].entry_hash}",
                  skipped)


@dataclass(frozen=True)
class Accounting:
    """Kept profiles a run announced that are gone: erased by an entry, or unexplained."""

    erased: dict[tuple[str, str], int]  # (input digest, person) -> erasure entry
    unexplained: list[tuple[int, str]]  # (run entry, person): gone, no erasure entry
    erasures: list[tuple[int, Erasure]]


def accounting(db_url: str | None) -> Accounting:
    """Every profile a committed run recorded a digest of, and that the snapshot no longer
    keeps: which erasure entry deleted it, or none."""
    from sqlalchemy import select

    from audit.log import db as database
    from audit.log import schema

    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            docs = [json.loads(r[0]) for r in
                    conn.execute(select(schema.log.c.entry).order_by(schema.log.c.seq)).all()]
            kept = {(str(k), str(p)) for k, p in conn.execute(
                select(schema.snapshot.c.input_digest, schema.snapshot.c.person_id))}
    finally:
        db.dispose()
    erasures = [(int(d["seq"]), Erasure.from_doc(d)) for d in docs
                if d.get("kind") == KIND_ERASURE]
    erased = {(key, e.person): seq for seq, e in erasures for key in e.profiles}
    unexplained = []
    for doc in docs:
        if doc.get("kind") != KIND_RUN or not isinstance(doc.get("profile_digests"), dict):
            continue
        key = str(doc.get("input_digest"))
        for person in sorted(doc["profile_digests"]):
            if (key, person) not in kept and (key, person) not in erased:
                unexplained.append((int(doc["seq"]), person))
    return Accounting(erased, unexplained, erasures)


def describe(e: Erasure, seq: int | None = None) -> str:
    """One erasure in words, with no personal data."""
    where = f"Entry {seq}: " if seq else ""
    policy = (f" under the retention policy (last pair ended before "
              f"{e.policy.get('ended_before')})" if e.policy else "")
    return (f"{where}{e.actor} erased what was kept of {e.person}{policy} on {e.at[:10]}: "
            f"{len(e.profiles)} profile(s), {len(e.protected)} protected-data row(s), "
            f"{len(e.notes)} note(s); reason: {e.reason}")
