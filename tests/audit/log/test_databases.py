"""Which databases Tandem writes to: not a damaged one, not another application's, not one
opened read-only; and on PostgreSQL, a role that may only read and append."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from audit.commit import commit_pairing
from audit.log.errors import (
    ForeignDatabaseError,
    ReadOnlyDatabaseError,
    RevisionMissingError,
)
from audit.log.grant import GrantError, grant
from audit.log.migrate import upgrade
from audit.log.verify import verify
from audit.review import LogFilter, log
from tests.audit.builders import cohort_input, ids
from tests.audit.conftest import raw_sql


def _commit(url, **options):
    return commit_pairing(url, "hr", lambda busy: cohort_input(ids("M", 2), ids("E", 2), busy),
                          **options)


def _tables(url):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_a_deleted_schema_revision_is_reported_as_damage(db_url):
    """verify, reads and commits all say the database is damaged, never "no audit log"."""
    _commit(db_url)
    raw_sql(db_url, "DELETE FROM alembic_version")
    for attempt in (lambda: verify(db_url), lambda: log(db_url, LogFilter()),
                    lambda: _commit(db_url)):
        with pytest.raises(RevisionMissingError, match="is damaged: it holds Tandem's audit "
                                                       "tables, but its schema revision"):
            attempt()
    assert raw_sql(db_url, "SELECT count(*) FROM audit_log")[0] == [(3,)]


def test_a_dropped_revision_table_is_reported_as_damage(db_url):
    """Without the alembic_version table, Tandem's four tables still say whose it is."""
    _commit(db_url)
    raw_sql(db_url, "DROP TABLE alembic_version")
    with pytest.raises(RevisionMissingError):
        verify(db_url)


def test_another_applications_database_is_refused_unless_asked(db_url):
    """A database holding other tables gets no audit tables; --allow-other-tables adds them."""
    raw_sql(db_url, "CREATE TABLE customers (id integer)", "CREATE TABLE orders (id integer)")
    with pytest.raises(ForeignDatabaseError) as info:
        _commit(db_url)
    assert "holds tables that are not Tandem's (customers, orders), so it probably belongs " \
        "to another application; nothing was written. Give Tandem a database of its own " \
        "with --db, or pass --allow-other-tables" in str(info.value)
    assert _tables(db_url) == ["customers", "orders"]
    with pytest.raises(ForeignDatabaseError):
        upgrade(db_url)
    _commit(db_url, allow_other_tables=True)
    assert verify(db_url).ok


def test_mode_ro_is_honoured_on_sqlite(tmp_path):
    """?mode=ro reads, and refuses to write with a message; nothing is written."""
    path = tmp_path / "tandem.db"
    url = f"sqlite:///{path}"
    _commit(url)
    before = path.read_bytes()
    read_only = f"{url}?mode=ro"
    assert verify(read_only).ok
    assert len(log(read_only, LogFilter())) == 3
    with pytest.raises(ReadOnlyDatabaseError) as info:
        _commit(read_only)
    assert str(info.value) == (
        f"the audit database {read_only} is opened read-only (mode=ro in its URL); nothing "
        "was written. Remove ?mode=ro from the URL to record.")
    assert path.read_bytes() == before


# -- a least-privilege role on PostgreSQL ---------------------------------------------------

@pytest.fixture
def app_role(pg_url):
    """A login role that owns nothing, dropped afterwards."""
    name = f"tandem_app_{uuid.uuid4().hex[:8]}"
    raw_sql(pg_url, f"CREATE ROLE {name} LOGIN")
    yield name
    raw_sql(pg_url, f"DROP OWNED BY {name}", f"DROP ROLE {name}")


def _as(url, role):
    return make_url(url).set(username=role).render_as_string(hide_password=False)


@pytest.mark.postgres
def test_db_grant_gives_a_role_read_and_append_only(pg_url, app_role):
    """Under the granted role commits land; no delete, truncate, trigger switch or update."""
    _commit(pg_url)
    report = grant(pg_url, app_role)
    assert f"GRANT SELECT, INSERT ON audit_log, audit_rules, audit_snapshot TO {app_role}" \
        in report.statements
    app = _as(pg_url, app_role)
    commit_pairing(app, "hr", lambda busy: cohort_input(ids("M", 3), ids("E", 3), busy))
    assert verify(app).ok
    for attack in ("DELETE FROM audit_log", "TRUNCATE audit_log",
                   "ALTER TABLE audit_log DISABLE TRIGGER ALL",
                   "SET session_replication_role = replica",
                   "UPDATE audit_snapshot SET profile = '{}'",
                   "DROP TABLE audit_log"):
        with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
            raw_sql(app, attack)
    assert verify(app).ok


@pytest.mark.postgres
def test_db_grant_refuses_a_superuser(pg_url):
    """A superuser can switch triggers off: granting to one would protect nothing."""
    _commit(pg_url)
    with pytest.raises(GrantError, match="postgres is a superuser, who can switch the "
                                         "triggers off"):
        grant(pg_url, "postgres")


def test_db_grant_needs_postgresql(sqlite_url):
    """On SQLite there are no roles; the message says what to do instead."""
    _commit(sqlite_url)
    with pytest.raises(GrantError, match="roles exist on PostgreSQL only"):
        grant(sqlite_url, "tandem_app")
