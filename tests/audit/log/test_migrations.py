"""The schema is managed by alembic migrations, run from the package, never guessed."""

from __future__ import annotations

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from audit.commit import commit_pairing
from audit.log import schema
from audit.log.errors import NotAnAuditDatabaseError, SchemaTooNewError, SchemaTooOldError
from audit.log.migrate import MIGRATIONS, current, upgrade
from audit.log.verify import verify
from audit.review import LogFilter, log
from tests.audit.builders import cohort_input, ids
from tests.audit.conftest import raw_sql


def _commit(url):
    return commit_pairing(url, "hr", lambda busy: cohort_input(ids("M", 2), ids("E", 2), busy))


def _revision(url):
    return raw_sql(url, "SELECT version_num FROM alembic_version")[0][0][0]


def test_the_known_revisions_are_the_migration_scripts_in_order():
    """schema.REVISIONS lists the scripts in audit/log/migrations/versions, oldest first."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    history = [s.revision for s in reversed(list(scripts.walk_revisions()))]
    assert tuple(history) == schema.REVISIONS
    assert scripts.get_current_head() == schema.HEAD


def test_the_migrations_ship_inside_the_package():
    """env.py and the versions live under audit/log/, which the wheel includes whole."""
    assert MIGRATIONS.parent.parts[-2:] == ("audit", "log")
    assert (MIGRATIONS / "env.py").is_file()
    assert len(list((MIGRATIONS / "versions").glob("*.py"))) == len(schema.REVISIONS)


def test_an_empty_database_is_migrated_to_head_on_first_use(db_url):
    """The first commit creates every table and stamps the newest revision."""
    assert current(db_url).after is None
    _commit(db_url)
    assert _revision(db_url) == schema.HEAD
    assert current(db_url).describe_current().endswith("the newest; nothing to do")


def test_db_upgrade_on_a_current_database_is_a_no_op(db_url):
    """Upgrading a current database changes nothing and says so."""
    _commit(db_url)
    before = [e.as_dict() for e in log(db_url, LogFilter())]
    report = upgrade(db_url)
    assert (report.before, report.after, report.changed) == (schema.HEAD, schema.HEAD, False)
    assert "nothing to do" in report.describe()
    assert [e.as_dict() for e in log(db_url, LogFilter())] == before


def test_db_upgrade_creates_the_schema_of_an_empty_database(db_url):
    """`tandem db upgrade` on an empty database creates the schema."""
    report = upgrade(db_url)
    assert (report.before, report.after) == (None, schema.HEAD)
    assert "created the audit schema" in report.describe()


def test_an_older_schema_is_refused_with_the_command_to_run(db_url):
    """A database at an older revision is neither written nor read; the message says
    to run `tandem db upgrade`. After the upgrade, commits work again."""
    upgrade(db_url, target=schema.REVISIONS[0])
    with pytest.raises(SchemaTooOldError) as info:
        _commit(db_url)
    message = str(info.value)
    assert f"schema revision {schema.REVISIONS[0]}, older than this Tandem's {schema.HEAD}" \
        in message
    assert "nothing was written. Run `tandem db upgrade --db " in message
    assert raw_sql(db_url, "SELECT count(*) FROM audit_log")[0][0][0] == 0
    assert _revision(db_url) == schema.REVISIONS[0]
    with pytest.raises(SchemaTooOldError):
        verify(db_url)
    assert "run `tandem db upgrade`" in current(db_url).describe_current()

    report = upgrade(db_url)
    assert (report.before, report.after) == (schema.REVISIONS[0], schema.HEAD)
    _commit(db_url)
    assert verify(db_url).ok


def test_a_newer_schema_is_refused(db_url):
    """A revision this Tandem does not know was written by a newer one."""
    _commit(db_url)
    raw_sql(db_url, "UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SchemaTooNewError, match="revision 9999, which this Tandem does not"):
        _commit(db_url)


def test_audit_tables_without_a_revision_are_refused(db_url):
    """A database with an audit_log table that alembic does not manage is left alone."""
    raw_sql(db_url, "CREATE TABLE audit_log (seq integer)")
    with pytest.raises(NotAnAuditDatabaseError, match="not a Tandem audit database"):
        _commit(db_url)
