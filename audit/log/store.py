"""Reading and appending rows of the audit tables. Every function takes an open connection;
``audit.log.db`` decides the transaction and the lock. Never an UPDATE or a DELETE (the
kept state, a cache outside the chain, is replaced in `audit.log.kept`)."""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, Row, and_, cast, func, insert, or_, select

from audit.log import schema
from audit.log.chain import StoredRow
from audit.log.db import APPENDED
from audit.log.entries import GENESIS, INDEX_COLUMNS, Entry, link, profile_digest, rules_text_digest
from audit.log.errors import MalformedEntryError, ValueTooLongError
from audit.log.identity import check_owner
from audit.log.kinds import KIND_MY_JOB_DAY, KIND_RUN
from audit.log.validate import problems, well_formed
from engine.base.canonical import canonical_json

_LOG = schema.log
_ROW_COLUMNS = [_LOG.c.seq, _LOG.c.prev_hash, _LOG.c.entry_hash, _LOG.c.entry,
                *(_LOG.c[name] for name in INDEX_COLUMNS)]
_BATCH = 1000
# Streamed reads fetch in batches (a server-side cursor on PostgreSQL). Given to one
# statement only: `Connection.execution_options` would set it on the connection itself,
# and a later SAVEPOINT would then be sent through a cursor, which PostgreSQL refuses.
_STREAM = {"yield_per": _BATCH}


@dataclass(frozen=True)
class LogFilter:
    """Which entries `tandem audit log` shows. Every given criterion must hold."""

    person: str | None = None
    pair: tuple[str, str] | None = None
    run: str | None = None
    since: datetime | None = None
    limit: int | None = None


def _stored(row: Row[Any]) -> StoredRow:
    m = row._mapping
    return StoredRow(m["seq"], m["prev_hash"], m["entry_hash"], m["entry"],
                     {name: m[name] for name in INDEX_COLUMNS})


# -- writing --------------------------------------------------------------------------------

def head(conn: Connection) -> tuple[int, str]:
    """(seq, entry_hash) of the last entry; (0, 64 zeros) for an empty log."""
    row = conn.execute(select(_LOG.c.seq, _LOG.c.entry_hash)
                       .order_by(_LOG.c.seq.desc()).limit(1)).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def all_docs(conn: Connection) -> list[dict[str, Any]]:
    """Every well-formed entry, oldest first, parsed; a malformed one is skipped with a
    warning (`audit.log.validate.well_formed`). Not streamed: the writers fold the log
    inside their transaction, where a server-side cursor may not stay open."""
    rows = conn.execute(select(_LOG.c.entry).order_by(_LOG.c.seq)).all()
    return list(well_formed(_parsed(row[0]) for row in rows))


def _parsed(text: Any) -> Any:
    """An entry's text parsed; None when it is not JSON (verify reports it)."""
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return None


def _check_fits(entries: Sequence[Entry]) -> None:
    """Refuse an entry its kind's schema refuses, and a value longer than its column, on
    SQLite as on PostgreSQL."""
    limits = {c.name: int(getattr(c.type, "length", 0)) for c in _LOG.columns
              if isinstance(getattr(c.type, "length", None), int)}
    for entry in entries:
        for column, value in entry.columns().items():
            limit = limits.get(column)
            if limit is not None and isinstance(value, str) and len(value) > limit:
                raise ValueTooLongError(INDEX_COLUMNS.get(column, column), value, limit)
    for entry in entries:
        found = problems(entry.doc)
        if found:
            raise MalformedEntryError(entry.seq, str(entry.doc.get("kind")), found)


def append(conn: Connection, entries: Sequence[Entry]) -> None:
    """Insert linked entries after the head, inside the caller's write transaction
    (``Database.writing``), which hands the new head to the witness once committed."""
    _check_fits(entries)
    if entries:
        check_owner(conn)
    for start in range(0, len(entries), _BATCH):
        conn.execute(insert(_LOG), [e.columns() for e in entries[start:start + _BATCH]])
    if entries:
        last = entries[-1]
        conn.info[APPENDED] = (last.seq, last.entry_hash, str(last.doc.get("at")),
                               str(last.doc.get("actor")))


def append_group(conn: Connection, docs: Sequence[Mapping[str, Any]]) -> list[Entry]:
    """Number a group of entries after the head, chain them, and append them: the one way
    every writer adds to the log, inside ``Database.writing``."""
    head_seq, head_hash = head(conn)
    chain = link(docs, head_seq, head_hash)
    append(conn, chain)
    return chain


def keep_rules(conn: Connection, rules_digest: str, files: Mapping[str, str], at: str) -> str:
    """Store the rule files' text once per distinct text; its digest."""
    text_digest = rules_text_digest(files)
    found = conn.execute(select(schema.rules.c.rules_text_digest)
                         .where(schema.rules.c.rules_text_digest == text_digest)).first()
    if not found:
        conn.execute(insert(schema.rules).values(
            rules_text_digest=text_digest, rules_digest=rules_digest,
            files=canonical_json(dict(files)), first_seen=at))
    return text_digest


def keep_snapshot(conn: Connection, input_digest: str, rows: Sequence[Mapping[str, str]]) -> int:
    """Store the profiles not yet kept under this input digest; how many were added."""
    table = schema.snapshot
    have = {r[0] for r in conn.execute(select(table.c.person_id)
                                       .where(table.c.input_digest == input_digest))}
    new = [{"input_digest": input_digest, **r} for r in rows if r["person_id"] not in have]
    for start in range(0, len(new), _BATCH):
        conn.execute(insert(table), new[start:start + _BATCH])
    return len(new)


# -- reading --------------------------------------------------------------------------------

def iter_rows(conn: Connection) -> Generator[StoredRow, None, None]:
    """Every entry, oldest first, streamed."""
    result = conn.execute(select(*_ROW_COLUMNS).order_by(_LOG.c.seq), execution_options=_STREAM)
    for row in result:
        yield _stored(row)


def select_rows(conn: Connection, where: LogFilter) -> list[StoredRow]:
    """The entries matching the filter, newest first."""
    return list(iter_selected(conn, where))


def iter_selected(conn: Connection, where: LogFilter) -> Generator[StoredRow, None, None]:
    """The entries matching the filter, newest first, streamed."""
    query = select(*_ROW_COLUMNS).order_by(_LOG.c.seq.desc())
    if where.person:
        # A my-job-day visit names its visitor and host in the entry only: the entry is
        # canonical JSON, so `"visitor":"ID"` appears in it exactly when ID is the visitor.
        visit = and_(_LOG.c.kind == KIND_MY_JOB_DAY, or_(*(
            _LOG.c.entry.contains(canonical_json({key: where.person})[1:-1], autoescape=True)
            for key in ("visitor", "host"))))
        query = query.where(or_(_LOG.c.mentor_id == where.person,
                                _LOG.c.mentee_id == where.person,
                                _LOG.c.person_id == where.person, visit))
    if where.pair:
        query = query.where(_LOG.c.mentor_id == where.pair[0],
                            _LOG.c.mentee_id == where.pair[1])
    if where.run:
        query = query.where(_LOG.c.run_id.startswith(where.run, autoescape=True))
    if where.since:
        query = query.where(_LOG.c.at >= where.since.strftime("%Y-%m-%dT%H:%M:%S"))
    if where.limit:
        query = query.limit(where.limit)
    for row in conn.execute(query, execution_options=_STREAM):
        yield _stored(row)


def rows_after(conn: Connection, seq: int) -> list[StoredRow]:
    """The entries after entry ``seq``, oldest first. Not streamed: read inside a writer's
    transaction too."""
    query = select(*_ROW_COLUMNS).where(_LOG.c.seq > seq).order_by(_LOG.c.seq)
    return [_stored(row) for row in conn.execute(query)]


def rows_of_kinds(conn: Connection, kinds: Sequence[str]) -> list[StoredRow]:
    """The entries of these kinds, oldest first, through the index on the kind."""
    query = select(*_ROW_COLUMNS).where(_LOG.c.kind.in_(list(kinds))).order_by(_LOG.c.seq)
    return [_stored(row) for row in conn.execute(query)]


def row_at(conn: Connection, seq: int) -> StoredRow | None:
    row = conn.execute(select(*_ROW_COLUMNS).where(_LOG.c.seq == seq)).first()
    return _stored(row) if row else None


def rows_at(conn: Connection, seqs: Sequence[int]) -> dict[int, StoredRow]:
    """The entries at these seqs (by the primary key), those that exist."""
    wanted = sorted(set(seqs))
    found: dict[int, StoredRow] = {}
    for start in range(0, len(wanted), _BATCH):
        query = select(*_ROW_COLUMNS).where(_LOG.c.seq.in_(wanted[start:start + _BATCH]))
        found.update((row.seq, row) for row in map(_stored, conn.execute(query)))
    return found


def run_row(conn: Connection, run_id: str, kind: str = KIND_RUN) -> StoredRow | None:
    """The entry that opens a run: a ``run`` entry, or another group's first ``kind``."""
    row = conn.execute(select(*_ROW_COLUMNS)
                       .where(_LOG.c.run_id == run_id, _LOG.c.kind == kind)).first()
    return _stored(row) if row else None


def runs_of_kind(conn: Connection, kind: str) -> tuple[int, dict[str, Any]] | None:
    """How many entries of this kind the log holds, and the last one, parsed."""
    total = int(conn.execute(select(func.count()).select_from(_LOG)
                             .where(_LOG.c.kind == kind)).scalar_one())
    if not total:
        return None
    last = conn.execute(select(_LOG.c.entry).where(_LOG.c.kind == kind)
                        .order_by(_LOG.c.seq.desc()).limit(1)).scalar_one()
    return total, json.loads(last)


def last_of_kind(conn: Connection, kind: str) -> dict[str, Any] | None:
    """The last well-formed entry of this kind, parsed (through the index on the kind)."""
    rows = conn.execute(select(_LOG.c.entry).where(_LOG.c.kind == kind)
                        .order_by(_LOG.c.seq.desc()))
    for (text,) in rows:
        found = list(well_formed([_parsed(text)]))
        if found:
            return found[0]
    return None


def docs_of_run(conn: Connection, run_id: str, kind: str) -> list[dict[str, Any]]:
    """The well-formed entries of this kind in this run, oldest first, parsed."""
    rows = conn.execute(select(_LOG.c.entry).where(_LOG.c.run_id == run_id, _LOG.c.kind == kind)
                        .order_by(_LOG.c.seq))
    return list(well_formed(_parsed(text) for (text,) in rows))


def docs_about(conn: Connection, people: Sequence[str], kinds: Sequence[str]
               ) -> list[dict[str, Any]]:
    """The entries naming any of these people in an indexed column (mentor, mentee,
    person), every entry of these kinds, and the run entries of the runs those belong to
    that wait for approval (``"approval":"required"`` in their canonical text: a run that
    needs none changes nothing a pair's state reads, and a run entry holds the digests of
    every profile of its cohort), oldest first, parsed. Read inside a write transaction, so
    not streamed."""
    ids = list(people)
    query = (select(_LOG.c.seq, _LOG.c.run_id, _LOG.c.entry)
             .where(or_(_LOG.c.mentor_id.in_(ids), _LOG.c.mentee_id.in_(ids),
                        _LOG.c.person_id.in_(ids), _LOG.c.kind.in_(list(kinds)))))
    rows = conn.execute(query).all()
    found = {int(seq): text for seq, _run, text in rows}
    runs = sorted({str(run) for _seq, run, _text in rows if run})
    if runs:
        waiting = canonical_json({"approval": "required"})[1:-1]
        opening = select(_LOG.c.seq, _LOG.c.entry).where(
            _LOG.c.kind == KIND_RUN, _LOG.c.run_id.in_(runs),
            _LOG.c.entry.contains(waiting, autoescape=True))
        found.update((int(seq), text) for seq, text in conn.execute(opening).all())
    return list(well_formed(_parsed(found[seq]) for seq in sorted(found)))


def state_docs(conn: Connection) -> Iterator[dict[str, Any]]:
    """The entries the program's state is derived from (every well-formed one), oldest
    first, parsed; a malformed one is skipped with a warning."""
    result = conn.execute(select(_LOG.c.entry).order_by(_LOG.c.seq), execution_options=_STREAM)
    yield from well_formed(_parsed(row[0]) for row in result)


def rules_files(conn: Connection, text_digest: str) -> dict[str, str] | None:
    row = conn.execute(select(schema.rules.c.files)
                       .where(schema.rules.c.rules_text_digest == text_digest)).first()
    return json.loads(row[0]) if row else None


def rules_text_ok(conn: Connection) -> dict[str, bool]:
    """For each kept rules text: does it still match the digest it is kept under?"""
    checks: dict[str, bool] = {}
    for key, files in conn.execute(select(schema.rules.c.rules_text_digest,
                                          schema.rules.c.files)):
        try:
            checks[key] = rules_text_digest(json.loads(files)) == key
        except ValueError:
            checks[key] = False
    return checks


def iter_rules(conn: Connection) -> Iterator[dict[str, Any]]:
    table = schema.rules
    for row in conn.execute(select(table).order_by(table.c.first_seen,
                                                   table.c.rules_text_digest)):
        m = row._mapping
        yield {"rules_text_digest": m["rules_text_digest"], "rules_digest": m["rules_digest"],
               "first_seen": m["first_seen"], "files": json.loads(m["files"])}


def snapshot_names(conn: Connection, input_digest: str,
                   people: Sequence[str]) -> dict[str, str]:
    """Names of these people in the snapshot of that input, for those not erased."""
    table = schema.snapshot
    rows = conn.execute(select(table.c.person_id, table.c.profile)
                        .where(table.c.input_digest == input_digest,
                               table.c.person_id.in_(list(people))))
    names = {}
    for person, profile in rows:
        name = json.loads(profile).get("name")
        if isinstance(name, str):
            names[str(person)] = name
    return names


def snapshot_digests(conn: Connection, input_digest: str) -> dict[str, str]:
    """Person -> digest of the profile text as kept, for every profile kept for an input."""
    table = schema.snapshot
    result = conn.execute(select(table.c.person_id, table.c.profile)
                          .where(table.c.input_digest == input_digest))
    return {str(p): profile_digest(text) for p, text in result}


def snapshot_profiles(conn: Connection, input_digest: str,
                      people: Sequence[str]) -> dict[str, str]:
    """The kept profile text of these people in the snapshot of that input, as stored."""
    table = schema.snapshot
    rows = conn.execute(select(table.c.person_id, table.c.profile)
                        .where(table.c.input_digest == input_digest,
                               table.c.person_id.in_(list(people))))
    return {str(person): profile for person, profile in rows}


def iter_snapshots(conn: Connection) -> Iterator[dict[str, Any]]:
    table = schema.snapshot
    result = conn.execute(select(table).order_by(table.c.input_digest, table.c.person_id),
                          execution_options=_STREAM)
    for row in result:
        m = row._mapping
        yield {"input_digest": m["input_digest"], "person_id": m["person_id"],
               "role": m["role"], "profile": json.loads(m["profile"])}


def notes(conn: Connection) -> dict[str, tuple[str, str]]:
    """note_digest -> (salt, text) of every kept note, as stored."""
    table = schema.note
    return {str(d): (s, t) for d, s, t in conn.execute(
        select(table.c.note_digest, table.c.salt, table.c.text))}


def note_of(conn: Connection, digest: str) -> tuple[str, str] | None:
    """(salt, text) of the note kept under this digest; None when it was erased."""
    table = schema.note
    row = conn.execute(select(table.c.salt, table.c.text)
                       .where(table.c.note_digest == digest)).first()
    return (row[0], row[1]) if row else None


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(_LOG)).scalar_one())


def kept_profiles(conn: Connection, keys: Sequence[str]) -> list[tuple[str, str, Any]]:
    """(key, person id, parsed profile) of every snapshot row kept under these keys."""
    table = schema.snapshot
    rows = conn.execute(select(table.c.input_digest, table.c.person_id, table.c.profile)
                        .where(table.c.input_digest.in_(list(keys))))
    return [(str(key), str(person), json.loads(text)) for key, person, text in rows]


def kept_capacities(conn: Connection, keys: Sequence[str]) -> list[tuple[str, str, str, Any]]:
    """(key, person id, role, the profile's ``capacity`` as the database reads it) of every
    snapshot row kept under these keys: the database reads the one value out of the JSON
    text (SQLite ``json_extract``, PostgreSQL ``json_extract_path_text``), so that no
    profile is sent whole or parsed."""
    table = schema.snapshot
    if conn.dialect.name == "postgresql":
        value = func.json_extract_path_text(cast(table.c.profile, JSON), "capacity")
    else:
        value = func.json_extract(table.c.profile, "$.capacity")
    rows = conn.execute(select(table.c.input_digest, table.c.person_id, table.c.role, value)
                        .where(table.c.input_digest.in_(list(keys))))
    return [tuple(row) for row in rows]
