"""Opening the audit database: URLs, engines, the schema check, and the writers' lock.

SQLite serialises writers with ``BEGIN IMMEDIATE``; PostgreSQL with ``SELECT ... FOR UPDATE``
on the one row of ``audit_head_lock``. Both wait at most TANDEM_LOCK_TIMEOUT seconds.
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import NullPool

from audit.log import schema
from audit.log.errors import (
    AuditError,
    DatabaseUnavailableError,
    LockTimeoutError,
    LockTimeoutSettingError,
    NoAuditLogError,
    NotAnAuditDatabaseError,
    ReadOnlyDatabaseError,
    RevisionMissingError,
    SchemaTooNewError,
    SchemaTooOldError,
)
from audit.log.location import DEFAULT_URL as DEFAULT_URL
from audit.log.location import resolve_url as resolve_url

if TYPE_CHECKING:
    from audit.log.witness import WitnessConfig

DEFAULT_LOCK_TIMEOUT = 60.0
MAX_LOCK_TIMEOUT = 86400.0  # a day: longer is a mistake, and overflows the drivers' timers
SchemaState = Literal["empty", "current", "old"]
# Where store.append leaves (seq, entry_hash, at, actor) of the new head for the witness.
APPENDED = "tandem_appended_head"
# Where a reader leaves work for after its transaction: each callable runs, best effort, in
# a short write transaction that takes the writers' lock only if it is free (the kept state,
# `audit.log.kept.keep`).
AFTER_READ = "tandem_after_read"
AFTER_READ_WAIT = 0.2  # seconds such work waits for the lock on SQLite before giving up


class DatabaseRefusedError(AuditError):
    def __init__(self, url: str, reason: str) -> None:
        self.url, self.reason = url, reason
        super().__init__(f"the audit database {url} refused the operation: {reason}; "
                         "nothing was written")


def shown(url: str) -> str:
    """The URL as it may be printed: no password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def database_files(url: str) -> tuple[Path, ...]:
    """The files an SQLite audit database lives in (the database, its journal, its WAL and
    shared-memory files); none for a server database. Outputs must never be written there."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return ()
    if parsed.get_backend_name() != "sqlite" or not parsed.database or \
            parsed.database == ":memory:":
        return ()
    name = parsed.database.removeprefix("file:")
    base = Path(name.split("?", 1)[0])
    return (base, *(base.with_name(base.name + s) for s in ("-journal", "-wal", "-shm")))


def lock_timeout(seconds: float | None = None) -> float:
    if seconds is not None:
        return seconds
    raw = os.environ.get("TANDEM_LOCK_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_LOCK_TIMEOUT):
        raise LockTimeoutSettingError(raw, MAX_LOCK_TIMEOUT)
    return value


class Database:
    """One audit database: the engine and what is needed to report on it."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.shown = shown(url)
        self.timeout = timeout
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise DatabaseUnavailableError(url, "this is not a database URL (for example "
                                           "sqlite:///tandem.db)") from None
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise DatabaseUnavailableError(self.shown, "Tandem's audit log runs on SQLite or "
                                                  "PostgreSQL only")
        self.sqlite_path = (Path(parsed.database) if self.dialect == "sqlite" and parsed.database
                            and parsed.database != ":memory:" else None)
        self.read_only = self.dialect == "sqlite" and parsed.query.get("mode") == "ro"
        self.witness: WitnessConfig | None = None
        if self.sqlite_path and "mode" in parsed.query and "uri" not in parsed.query:
            # SQLite honours ?mode= only in its URI form; without it the driver ignores it.
            query = {**parsed.query, "uri": "true"}
            url = parsed.set(database="file:" + quote(str(self.sqlite_path), safe="/"),
                             query=query).render_as_string(hide_password=False)
        try:
            self.engine = self._create_engine(url)
        except (NoSuchModuleError, ImportError) as exc:
            raise DatabaseUnavailableError(self.shown, f"no driver for it ({exc}); for PostgreSQL "
                                                  "install tandem[postgres]") from None

    def _create_engine(self, url: str) -> Engine:
        if self.dialect == "sqlite":
            engine = create_engine(url, poolclass=NullPool,
                                   connect_args={"timeout": self.timeout})

            @event.listens_for(engine, "connect")
            def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
                # We issue BEGIN ourselves (below), so that writers can say IMMEDIATE.
                dbapi_connection.isolation_level = None

            @event.listens_for(engine, "begin")
            def _begin(conn: Connection) -> None:
                write = conn.get_execution_options().get("tandem_write", False)
                conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

            return engine
        return create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 10})

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn driver errors into messages that say what to do."""
        try:
            yield
        except DBAPIError as exc:
            raise self.translate(exc) from None

    def translate(self, exc: DBAPIError) -> AuditError:
        orig = exc.orig
        if getattr(orig, "sqlstate", None) == "55P03" or (
                isinstance(orig, sqlite3.OperationalError) and "locked" in str(orig)):
            return LockTimeoutError(self.shown, self.timeout)
        lines = str(orig).strip().splitlines()
        return DatabaseRefusedError(self.shown, lines[0] if lines else repr(orig))

    def connect(self) -> Connection:
        try:
            return self.engine.connect()
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseUnavailableError(self.shown, reason) from None

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only transaction that sees one consistent state of the log. Work the
        reader left under AFTER_READ runs once it has ended (``_after_read``)."""
        with self.connect() as conn, self.errors():
            if self.dialect == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn
            work = conn.info.pop(AFTER_READ, None)
        if work and not self.read_only:
            self._after_read(work)

    def _after_read(self, work: list[Any]) -> None:
        """Run each callable in one write transaction holding the writers' lock, if it is
        free now; give up quietly otherwise (it is a cache). A connection of its own: the
        reader's may carry streaming options."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with self.connect() as conn:
                self._run_after_read(conn, work)
        except (SQLAlchemyError, DatabaseUnavailableError) as exc:
            from engine.base import oplog

            oplog.get_logger("tandem.audit").info(
                "work after a read not done", reason=str(exc).strip().splitlines()[0])

    def _run_after_read(self, conn: Connection, work: list[Any]) -> None:
        if self.dialect == "sqlite":
            with conn.begin():
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(AFTER_READ_WAIT * 1000)}")
        conn.execution_options(tandem_write=True)
        with conn.begin():
            if self.dialect == "postgresql":
                conn.execute(select(schema.head_lock.c.id).where(schema.head_lock.c.id == 1)
                             .with_for_update(nowait=True))
            for job in work:
                job(conn)

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction holding the chain lock: one writer at a time appends.

        Every writer appends through here and ``store.append``: once the transaction has
        committed, the new head goes to the witness, when one is configured.
        """
        if self.read_only:
            raise ReadOnlyDatabaseError(self.shown)
        witness = self.witness.open(database_files(self.url)) if self.witness else None
        try:
            with self.connect() as conn, self.errors():
                conn.execution_options(tandem_write=True)
                with conn.begin():
                    if self.dialect == "postgresql":
                        self._pg_lock_timeout(conn)
                        conn.execute(select(schema.head_lock.c.id)
                                     .where(schema.head_lock.c.id == 1).with_for_update())
                    yield conn
                appended = conn.info.pop(APPENDED, None)
            if witness is not None and appended is not None:
                witness.record(*appended)
        finally:
            if witness is not None:
                witness.close()

    @contextmanager
    def migrating(self) -> Iterator[Connection]:
        """A write transaction that also serialises schema creation (no lock row exists yet)."""
        with self.connect() as conn, self.errors():
            conn.execution_options(tandem_write=True)
            with conn.begin():
                if self.dialect == "postgresql":
                    self._pg_lock_timeout(conn)
                    conn.execute(text("SELECT pg_advisory_xact_lock(7401263350920041)"))
                yield conn

    def _pg_lock_timeout(self, conn: Connection) -> None:
        conn.execute(text(f"SET LOCAL lock_timeout = {int(self.timeout * 1000)}"))


def revision(conn: Connection) -> str | None:
    """The schema revision recorded in the database; None when it has no audit schema.

    Raises NotAnAuditDatabaseError when audit tables exist without a revision.
    """
    inspector = inspect(conn)
    url = shown(conn.engine.url.render_as_string(hide_password=False))
    if inspector.has_table("alembic_version"):
        value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if value is None and inspector.has_table(schema.log.name):
            raise RevisionMissingError(url)
        return str(value) if value is not None else None
    if all(inspector.has_table(name) for name in schema.metadata.tables):
        raise RevisionMissingError(url)
    if inspector.has_table(schema.log.name):
        raise NotAnAuditDatabaseError(url)
    return None


def other_tables(conn: Connection) -> list[str]:
    """Tables in the database (its default schema) that are not Tandem's."""
    ours = {*schema.metadata.tables, "alembic_version"}
    return sorted(set(inspect(conn).get_table_names()) - ours)


def classify(db: Database, current: str | None) -> SchemaState:
    if current is None:
        return "empty"
    if current == schema.HEAD:
        return "current"
    if current in schema.REVISIONS:
        return "old"
    raise SchemaTooNewError(db.shown, current)


def open_if_present(url: str, timeout: float | None = None) -> Database | None:
    """The database when it holds a current audit log, else None. Never creates anything;
    refuses an older schema."""
    db = Database(url, lock_timeout(timeout))
    if db.sqlite_path and not db.sqlite_path.is_file():
        return None
    with db.reading() as conn:
        current = revision(conn)
    state = classify(db, current)
    if state == "empty":
        db.dispose()
        return None
    if state == "old":
        db.dispose()
        raise SchemaTooOldError(db.shown, str(current), schema.HEAD)
    return db


def open_for_read(url: str, timeout: float | None = None) -> Database:
    """The database holding a current audit log; NoAuditLogError when there is none."""
    db = open_if_present(url, timeout)
    if db is None:
        raise NoAuditLogError(shown(url))
    return db
