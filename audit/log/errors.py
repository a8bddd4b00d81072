"""What can go wrong with the audit database, each message saying what to do about it."""

from __future__ import annotations

from engine.base.errors import TandemError


class AuditError(TandemError):
    """Root of the audit store's errors. Nothing was written when one is raised."""


class DatabaseUnavailableError(AuditError):
    def __init__(self, url: str, reason: str) -> None:
        self.url, self.reason = url, reason
        super().__init__(
            f"cannot open the audit database {url}: {reason}. Check the --db URL "
            "(or TANDEM_DB) and that the database server is running.")


class NoAuditLogError(AuditError):
    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"there is no audit log at {url} yet. `tandem pair COHORT --commit` creates one; "
            "to read another database, pass --db URL or set TANDEM_DB.")


class SchemaTooOldError(AuditError):
    def __init__(self, url: str, current: str, head: str) -> None:
        self.url, self.current, self.head = url, current, head
        super().__init__(
            f"the audit database {url} has schema revision {current}, older than this "
            f"Tandem's {head}; nothing was written. Run `tandem db upgrade --db {url}` "
            "to migrate it, then try again.")


class SchemaTooNewError(AuditError):
    def __init__(self, url: str, current: str) -> None:
        self.url, self.current = url, current
        super().__init__(
            f"the audit database {url} has schema revision {current}, which this Tandem does "
            "not know; nothing was written. Either a newer Tandem wrote it (upgrade Tandem), "
            "or the database belongs to another application (give Tandem its own with --db).")


class NotAnAuditDatabaseError(AuditError):
    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"{url} holds tables but no Tandem schema revision, so it is not a Tandem audit "
            "database; nothing was written. Give an empty database or a Tandem one with --db.")


class LockTimeoutError(AuditError):
    def __init__(self, url: str, seconds: float) -> None:
        self.url, self.seconds = url, seconds
        super().__init__(
            f"another process has held the audit log of {url} for more than {seconds:g} s "
            "(probably another `tandem pair --commit`); nothing was written. Try again when it "
            "has finished, or wait longer with TANDEM_LOCK_TIMEOUT=SECONDS.")


class LockTimeoutSettingError(AuditError):
    def __init__(self, raw: str, most: float) -> None:
        self.raw = raw
        shown = raw.encode("unicode_escape").decode("ascii")
        super().__init__(
            f"TANDEM_LOCK_TIMEOUT={shown!r} is not a number of seconds; nothing was done. Set "
            f"it to a finite number greater than 0 and at most {most:g} (for example "
            "TANDEM_LOCK_TIMEOUT=120), or unset it for the default of 60 s.")


class MalformedEntryError(AuditError):
    """An entry about to be appended does not match the schema of its kind: a bug."""

    def __init__(self, seq: int, kind: str, problems: list[str]) -> None:
        self.seq, self.kind, self.problems = seq, kind, problems
        super().__init__(
            f"entry {seq} ({kind}) cannot be recorded: it does not match the schema of its "
            f"kind ({'; '.join(problems[:3])}); nothing was written. This is a bug in "
            "Tandem: please report it with the command you ran.")


class InvalidResultError(AuditError):
    """The pairing result handed to the audit store breaks its contract: a bug, not user data."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(
            f"the pairing result cannot be recorded: {problem}; nothing was written. "
            "This is a bug in Tandem: please report it with the command you ran.")


class EntryNotFoundError(AuditError):
    def __init__(self, seq: int, head: int) -> None:
        self.seq, self.head = seq, head
        hint = (f"entries run from 1 to {head}" if head else "the log is empty")
        super().__init__(f"there is no audit entry {seq}: {hint}. `tandem audit log` lists them.")


class RevisionMissingError(AuditError):
    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"the audit database {url} is damaged: it holds Tandem's audit tables, but its "
            "schema revision (the row of alembic_version) was deleted; nothing was read or "
            "written. Someone changed the database behind Tandem's back: restore it from a "
            "backup, or have its owner put the row back, then run `tandem audit verify "
            "--witness FILE` to check what else changed.")


class ForeignDatabaseError(AuditError):
    def __init__(self, url: str, tables: list[str]) -> None:
        self.url, self.tables = url, tables
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        super().__init__(
            f"the database {url} holds tables that are not Tandem's ({shown}), so it "
            "probably belongs to another application; nothing was written. Give Tandem a "
            "database of its own with --db, or pass --allow-other-tables to add the audit "
            "tables beside them.")


class ReadOnlyDatabaseError(AuditError):
    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"the audit database {url} is opened read-only (mode=ro in its URL); nothing was "
            "written. Remove ?mode=ro from the URL to record.")


class ValueTooLongError(AuditError):
    def __init__(self, what: str, value: str, limit: int) -> None:
        self.what, self.value, self.limit = what, value, limit
        hint = " Give a shorter --actor." if what == "actor" else ""
        super().__init__(
            f"the {what} {value[:40]!r}{'...' if len(value) > 40 else ''} is {len(value)} "
            f"characters long, and the audit log keeps at most {limit}; nothing was "
            f"written.{hint}")
