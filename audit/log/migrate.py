"""Schema migrations, run programmatically: alembic with no alembic.ini on disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audit.log import schema
from audit.log.db import Database, classify, lock_timeout, other_tables, resolve_url, revision
from audit.log.errors import (
    DatabaseUnavailableError,
    ForeignDatabaseError,
    ReadOnlyDatabaseError,
    SchemaTooOldError,
)

if TYPE_CHECKING:
    from alembic.config import Config

    from audit.log.witness import WitnessConfig

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class SchemaReport:
    db: str
    before: str | None
    after: str | None
    head: str = schema.HEAD

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def describe(self) -> str:
        if not self.changed:
            return (f"{self.db}: schema already at revision {self.after} (the newest); "
                    "nothing to do")
        if self.before is None:
            return f"{self.db}: created the audit schema at revision {self.after}"
        return f"{self.db}: upgraded the audit schema from revision {self.before} to {self.after}"

    def describe_current(self) -> str:
        if self.after is None:
            return (f"{self.db}: no audit schema yet; the first `tandem pair COHORT --commit`, "
                    f"or `tandem db upgrade`, creates it at revision {self.head}")
        if self.after == self.head:
            return f"{self.db}: schema revision {self.after}, the newest; nothing to do"
        return (f"{self.db}: schema revision {self.after}, older than this Tandem's "
                f"{self.head}; run `tandem db upgrade` to migrate it")


def alembic_config(conn: object) -> Config:
    from alembic.config import Config  # alembic loads only when there is work to do

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def migrate(db: Database, target: str = "head", *, only_if_empty: bool = False,
            allow_other_tables: bool = False) -> tuple[str | None, str | None]:
    """Bring the schema to ``target`` under the migration lock; (before, after) revisions.

    With ``only_if_empty``, do nothing unless the database has no schema yet: this is how
    two first commits racing on a new database create it once. A database without a schema
    that holds other tables is refused unless ``allow_other_tables``.
    """
    if db.read_only:
        raise ReadOnlyDatabaseError(db.shown)
    with db.migrating() as conn:
        before = revision(conn)
        classify(db, before)
        if only_if_empty and before is not None:
            return before, before
        if before is None and not allow_other_tables:
            others = other_tables(conn)
            if others:
                raise ForeignDatabaseError(db.shown, others)
        if before != (schema.HEAD if target == "head" else target):
            from alembic import command

            command.upgrade(alembic_config(conn), target)
        after = revision(conn)
    return before, after


def upgrade(db_url: str | None, target: str = "head", *,
            allow_other_tables: bool = False) -> SchemaReport:
    """`tandem db upgrade`: create or migrate the schema; a no-op on a current one."""
    db = Database(resolve_url(db_url), lock_timeout())
    try:
        before, after = migrate(db, target, allow_other_tables=allow_other_tables)
    finally:
        db.dispose()
    return SchemaReport(db.shown, before, after)


def current(db_url: str | None) -> SchemaReport:
    """`tandem db current`: the revision the database is at, and the newest one."""
    db = Database(resolve_url(db_url), lock_timeout())
    try:
        if db.sqlite_path and not db.sqlite_path.is_file():
            return SchemaReport(db.shown, None, None)
        with db.reading() as conn:
            found = revision(conn)
        classify(db, found)
    finally:
        db.dispose()
    return SchemaReport(db.shown, found, found)


def open_for_write(url: str, timeout: float | None = None, *,
                   witness: WitnessConfig | None = None,
                   allow_other_tables: bool = False) -> Database:
    """The database, its schema created on first use; refused when the schema is older.

    ``witness``: where new heads go; by default TANDEM_WITNESS and TANDEM_SIGNING_KEY.
    A database holding tables that are not Tandem's gets no schema unless
    ``allow_other_tables``.
    """
    from audit.log.witness import WitnessConfig

    db = Database(url, lock_timeout(timeout))
    db.witness = witness if witness is not None else WitnessConfig.resolve()
    if db.read_only:
        raise ReadOnlyDatabaseError(db.shown)
    if db.sqlite_path and not db.sqlite_path.resolve().parent.is_dir():
        raise DatabaseUnavailableError(db.shown, f"the directory {db.sqlite_path.parent} does "
                                            "not exist")
    with db.reading() as conn:
        current = revision(conn)
    state = classify(db, current)
    if state == "empty":
        migrate(db, only_if_empty=True, allow_other_tables=allow_other_tables)
    elif state == "old":
        db.dispose()
        raise SchemaTooOldError(db.shown, str(current), schema.HEAD)
    return db
