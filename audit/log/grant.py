"""`tandem db grant ROLE`: the least privilege Tandem needs on PostgreSQL, for a role that
owns nothing.

The role may read every audit table, insert into the log, the rules texts, the snapshots
and the notes, and lock the writers' row; it may not update, delete, truncate, alter or drop
anything, nor switch the triggers off (only an owner or a superuser can). The one exception
is the kept state (``audit_state``), a cache of the fold that readers replace (INSERT and
DELETE): changing it behind Tandem's back misleads reads until `tandem audit verify`, which
compares it with the log, reports and rebuilds it. Run it as the owner of the tables, after
`tandem db upgrade`.

A role that is, or can become, the owner of the tables (or of their schema) or a superuser
is refused: a member of such a role (``pg_has_role(..., 'MEMBER')``, directly or through
other roles) can ``SET ROLE`` to it and switch the triggers off, and a role with CREATEROLE
can make itself such a member.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from audit.log import db as database
from audit.log import schema
from audit.log.errors import AuditError

TABLES = (schema.log.name, schema.rules.name, schema.snapshot.name, schema.note.name)


class GrantError(AuditError):
    def __init__(self, url: str, reason: str) -> None:
        self.url, self.reason = url, reason
        super().__init__(f"cannot grant on {url}: {reason}; nothing was changed.")


@dataclass(frozen=True)
class GrantReport:
    db: str
    role: str
    statements: tuple[str, ...]

    def describe(self) -> str:
        return (f"{self.db}: the role {self.role} may now read the audit tables and append to "
                "them, and nothing else:\n" + "\n".join(f"  {s};" for s in self.statements))


def statements(role: str, schema_name: str) -> list[str]:
    """The SQL that gives ``role`` (already quoted) exactly what Tandem needs."""
    every = ", ".join((*TABLES, schema.state.name, schema.head_lock.name, "alembic_version"))
    return [
        f"REVOKE ALL ON {every} FROM {role}",
        f"GRANT USAGE ON SCHEMA {schema_name} TO {role}",
        f"GRANT SELECT, INSERT ON {', '.join(TABLES)} TO {role}",
        f"GRANT SELECT ON alembic_version TO {role}",
        # The kept state is a cache of the fold (`audit.log.kept`), replaced whole.
        f"GRANT SELECT, INSERT, DELETE ON {schema.state.name} TO {role}",
        # SELECT ... FOR UPDATE needs UPDATE on one column; the lock row's trigger refuses
        # any real UPDATE.
        f"GRANT SELECT, UPDATE (id) ON {schema.head_lock.name} TO {role}",
    ]


# Every role ``:r`` is a member of (itself included), with what that role could do.
_POWERS = text("""
SELECT m.rolname, m.rolsuper, m.rolcreaterole
FROM pg_roles m
WHERE pg_has_role(:r, m.oid, 'MEMBER')
ORDER BY m.rolname = :r DESC, m.rolname
""")
_OWNERS = text("""
SELECT t.tableowner, n.nspowner::regrole::text
FROM pg_tables t JOIN pg_namespace n ON n.nspname = t.schemaname
WHERE t.tablename = :t AND t.schemaname = current_schema()
""")


def _check_role(conn: Connection, url: str, role: str) -> None:
    """Refuse a role that is, or can become, a superuser or an owner of the audit tables or
    of their schema."""
    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() \
            is None:
        raise GrantError(url, f"there is no role {role!r}; create it first, for example "
                              f"CREATE ROLE {role} LOGIN PASSWORD '...'")
    owners = conn.execute(_OWNERS, {"t": schema.log.name}).first()
    table_owner, schema_owner = (owners[0], owners[1].strip('"')) if owners else (None, None)
    for member_of, is_super, creates_roles in conn.execute(_POWERS, {"r": role}):
        through = "" if member_of == role else f" through its membership of {member_of}"
        if is_super:
            raise GrantError(url, f"{role} is a superuser{through}, who can switch the "
                                  "triggers off; run Tandem under a role that is not")
        if member_of == table_owner:
            raise GrantError(url, f"{role} owns the audit tables{through}, and an owner can "
                                  "drop the triggers; run Tandem under a role that is not a "
                                  f"member of {table_owner}")
        if member_of == schema_owner:
            raise GrantError(url, f"{role} owns the schema of the audit tables{through}, and "
                                  "a schema's owner can drop its tables; run Tandem under "
                                  f"a role that is not a member of {schema_owner}")
        if creates_roles:
            raise GrantError(url, f"{role} has CREATEROLE{through}, and can make itself a "
                                  "member of the owner; run Tandem under a role without it")


def grant(db_url: str | None, role: str, *, dry_run: bool = False) -> GrantReport:
    """Give ``role`` least privilege on the audit tables (PostgreSQL); with ``dry_run``,
    only say what would be run."""
    db = database.open_for_read(database.resolve_url(db_url))
    try:
        if db.dialect != "postgresql":
            raise GrantError(db.shown, "roles exist on PostgreSQL only; on SQLite, let the "
                                       "account that runs Tandem write the file, and keep "
                                       "the witness elsewhere")
        with db.connect() as conn, db.errors(), conn.begin():
            _check_role(conn, db.shown, role)
            quote = conn.dialect.identifier_preparer.quote
            schema_name = quote(str(conn.execute(text("SELECT current_schema()")).scalar()))
            sql = statements(quote(role), schema_name)
            if not dry_run:
                for statement in sql:
                    conn.execute(text(statement))
    finally:
        db.dispose()
    return GrantReport(db.shown, role, tuple(sql))
