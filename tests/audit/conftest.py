"""Databases for the store tests: a fresh SQLite file, and a fresh PostgreSQL schema.

PostgreSQL is the server named by TANDEM_TEST_PG (default: the local one). When it is
unreachable the PostgreSQL tests skip, except in CI (CI set), where they fail: a store
test that never ran on PostgreSQL must not look like a pass.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def pg_server() -> str:
    url = os.environ.get("TANDEM_TEST_PG") or PG_DEFAULT
    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        message = f"PostgreSQL is unreachable at {url}: {str(exc.orig).strip()}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so the PostgreSQL tests fail, not skip)")
        pytest.skip(message)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A URL whose search_path is a new, empty schema, dropped afterwards."""
    schema = f"tandem_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    # synchronous_commit=off: faster tests; durability is the server's business, not ours.
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    url = make_url(pg_server).update_query_dict({"options": options})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tandem.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each store test runs once on SQLite and once on PostgreSQL."""
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite"
                                       else "pg_url"))


def raw_sql(url: str, *statements: str, drop_triggers: bool = False) -> list[list[tuple]]:
    """Run SQL behind Tandem's back, as someone with access to the database would."""
    engine = create_engine(url)
    results = []
    try:
        with engine.begin() as conn:
            if drop_triggers:
                _drop_triggers(conn)
            for statement in statements:
                res = conn.exec_driver_sql(statement)
                results.append([tuple(r) for r in res] if res.returns_rows else [])
    finally:
        engine.dispose()
    return results


def _drop_triggers(conn) -> None:
    """Every trigger on the audit tables, as someone who owns them may."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"))
        for name, table in list(rows):
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
    else:
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        for (name,) in list(rows):
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
