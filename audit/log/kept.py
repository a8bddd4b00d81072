"""The program's state kept folded up to an entry (``audit_state``): reading it back, checked
against the log at a constant cost, the entries after it, and replacing it.

The fold itself lives above (`audit.state`); this module stores its JSON text. A kept state
is used only when the entry it was folded up to is still in the log with the same hash, and
that entry checks out (its text, hash and index columns); otherwise it is stale and the
reader folds from entry 1. Each entry after it is checked as `verify` checks it, at a cost
in proportion to their number; a state is kept only when they all check out, so that every
entry a kept state holds was checked once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from audit.log import schema, store
from audit.log.chain import Finding, Head, check_row
from audit.log.db import AFTER_READ
from audit.log.entries import GENESIS
from audit.log.validate import well_formed
from engine.base import oplog

_STATE = schema.state
_LOG = oplog.get_logger("tandem.audit")


@dataclass(frozen=True)
class Kept:
    """A kept state whose entry still checks out: folded up to ``head``, as JSON text."""

    head: Head
    text: str


@dataclass(frozen=True)
class Tail:
    """The entries after a kept state (or every entry): the well-formed ones, oldest first,
    parsed; how many there were; the last one; and the first finding of their check."""

    docs: list[dict[str, Any]]
    count: int
    head: Head  # the last entry of the log: the kept state's when there is no tail
    finding: Finding | None


def load(conn: Connection, version: str) -> tuple[Kept | None, bool]:
    """The kept state of this fold version when its entry checks out; and whether a row was
    found and refused (stale, or of another version), so that the next write replaces it."""
    row = stored(conn)
    if row is None:
        return None, False
    seq = int(row["seq"])
    if row["version"] != version:
        return None, True
    entry = store.row_at(conn, seq)
    if entry is None or entry.entry_hash != row["entry_hash"] or \
            check_row(entry, Head(seq - 1, entry.prev_hash))[0] is not None:
        _LOG.info("kept state is stale: folding the whole log", seq=seq)
        return None, True
    return Kept(Head(seq, entry.entry_hash), row["state"]), False


def tail(conn: Connection, after: Head) -> Tail:
    """The entries after ``after`` (Head(0, GENESIS): every entry), each checked as `verify`
    checks it (`audit.log.chain.check_row`: its place, its link back to ``after``, its
    canonical text, hash, index columns and schema). The fold reads every well-formed entry,
    as every reader does (`audit.log.validate.well_formed`): a malformed one is skipped with
    a warning; one that is well formed but fails its check is read, and the first finding
    is reported."""
    rows = store.rows_after(conn, after.seq)
    head, finding = after, None
    docs: list[dict[str, Any]] = []
    for row in rows:
        found, doc = check_row(row, head)
        if doc is not None:
            docs.append(doc)
        else:
            finding = finding or found
            docs.extend(well_formed([_parsed(row.entry)]))
        head = Head(row.seq, row.entry_hash)
    return Tail(docs, len(rows), head, finding)


def _parsed(text: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return None  # `well_formed` warns and skips it


def replace(conn: Connection, head: Head, version: str, text: str, *, stale: bool) -> bool:
    """Keep ``text`` as the state folded up to ``head``, unless a state as new or newer is
    kept already (``stale``: the kept one was refused, so it is replaced anyway). Whether it
    was written. The caller holds the writers' lock."""
    if not stale:
        newest = conn.execute(select(func.max(_STATE.c.seq))
                              .where(_STATE.c.version == version)).scalar()
        if newest is not None and int(newest) >= head.seq:
            return False
    conn.execute(delete(_STATE))
    conn.execute(insert(_STATE).values(seq=head.seq, entry_hash=head.entry_hash,
                                       version=version, state=text))
    return True


def keep(conn: Connection, head: Head, version: str, text: Callable[[], str], *,
         stale: bool) -> None:
    """Keep the state folded up to ``head``, best effort: in a writer's transaction at once
    (in a savepoint, so that a failure costs the writer nothing); in a reader's, once its
    transaction ends (``audit.log.db.Database.reading``), if the writers' lock is free. A
    failure (a read-only role, the lock taken) only means the next read folds more."""
    if head.seq == 0:
        return

    def save(target: Connection) -> None:
        replace(target, head, version, text(), stale=stale)

    if conn.get_execution_options().get("tandem_write", False):
        try:
            with conn.begin_nested():
                save(conn)
        except SQLAlchemyError as exc:
            _LOG.info("kept state not written", reason=str(exc).splitlines()[0])
        return
    conn.info.setdefault(AFTER_READ, []).append(save)


def empty_head() -> Head:
    return Head(0, GENESIS)


def stored(conn: Connection) -> dict[str, Any] | None:
    """The kept row as stored (seq, entry_hash, version, the state's text); None when there
    is none, or when this role may not read the table (granted before it existed: the
    read then folds the whole log, in a savepoint so that the transaction goes on)."""
    try:
        with conn.begin_nested():
            row = conn.execute(select(_STATE.c.seq, _STATE.c.entry_hash, _STATE.c.version,
                                      _STATE.c.state).order_by(_STATE.c.seq.desc())
                               .limit(1)).first()
    except DBAPIError as exc:
        _LOG.info("kept state not readable", reason=str(exc.orig).strip().splitlines()[0])
        return None
    if row is None:
        return None
    return {"seq": int(row[0]), "entry_hash": str(row[1]), "version": str(row[2]),
            "state": str(row[3])}
