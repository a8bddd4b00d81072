"""`tandem db grant` on PostgreSQL: never a role that is, or can become, the owner or a
superuser; and the role it makes runs the whole program, notes included."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from audit.log.grant import GrantError, grant
from audit.log.migrate import upgrade
from tests.audit.conftest import raw_sql
from tests.robustness.hardening import EXAMPLE, MENTEE, MENTOR, run

pytestmark = pytest.mark.postgres


def _as(url: str, role: str) -> str:
    return make_url(url).set(username=role).render_as_string(hide_password=False)


@pytest.fixture
def roles(pg_url: str) -> Iterator[list[str]]:
    """Names for roles the test creates; every one dropped afterwards, with what it owns."""
    made: list[str] = []
    yield made
    for name in reversed(made):
        raw_sql(pg_url, f"DROP OWNED BY {name}", f"DROP ROLE {name}")


def _role(pg_url: str, roles: list[str], sql: str = "") -> str:
    name = f"tandem_r_{uuid.uuid4().hex[:8]}"
    raw_sql(pg_url, f"CREATE ROLE {name} LOGIN {sql}")
    roles.append(name)
    return name


def _owned_by(pg_url: str, roles: list[str]) -> tuple[str, str]:
    """The audit tables created by a role of their own (not a superuser); that role, and
    its URL."""
    owner = _role(pg_url, roles)
    schema_name = make_url(pg_url).query["options"].split("search_path=")[1].split()[0]
    raw_sql(pg_url, f"GRANT USAGE, CREATE ON SCHEMA {schema_name} TO {owner}")
    owner_url = _as(pg_url, owner)
    upgrade(owner_url)
    return owner, owner_url


def test_db_grant_refuses_a_member_of_the_owner_role(pg_url: str, roles: list[str]) -> None:
    """CREATE ROLE app IN ROLE owner: app can SET ROLE owner and drop the triggers."""
    owner, _ = _owned_by(pg_url, roles)
    app = _role(pg_url, roles, f"IN ROLE {owner}")
    with pytest.raises(GrantError, match=f"{app} owns the audit tables through its membership "
                                         f"of {owner}"):
        grant(pg_url, app)
    indirect = _role(pg_url, roles, f"IN ROLE {app}")  # a member of a member
    with pytest.raises(GrantError, match=f"through its membership of {owner}"):
        grant(pg_url, indirect)


def test_db_grant_refuses_a_member_of_a_superuser(pg_url: str, roles: list[str]) -> None:
    """A role that can become postgres is as good as a superuser."""
    _owned_by(pg_url, roles)
    app = _role(pg_url, roles, "IN ROLE postgres")
    with pytest.raises(GrantError, match="is a superuser through its membership of postgres"):
        grant(pg_url, app)


def test_db_grant_refuses_a_role_that_can_create_roles(pg_url: str, roles: list[str]) -> None:
    """CREATEROLE can grant itself the owner's membership."""
    _owned_by(pg_url, roles)
    app = _role(pg_url, roles, "CREATEROLE")
    with pytest.raises(GrantError, match="has CREATEROLE"):
        grant(pg_url, app)


def test_the_granted_role_runs_the_program_tour(pg_url: str, roles: list[str],
                                               tmp_path: Path) -> None:
    """As the granted role: pair, check-in with a note, separate, outcome, status, history,
    report, verify and export all work; tampering is refused."""
    _owned_by(pg_url, roles)
    app = _role(pg_url, roles)
    grant(pg_url, app)
    url = _as(pg_url, app)
    tour = [
        ["pair", EXAMPLE, "--commit", "--actor", "hr"],
        ["checkin", MENTOR, MENTEE, "--rating", "4", "--by", "mentee", "--note", "going well"],
        ["outcome", MENTOR, MENTEE, "--result", "success", "--note", "a good year"],
        # the outcome ended MENTOR and MENTEE's pair: separate the mentor's other pair
        ["separate", MENTOR, "E10", "--reason", "moved team", "--commit"],
        ["status"], ["history", MENTEE], ["audit", "log", "--person", MENTOR],
        ["report", "--out", tmp_path / "report.html"], ["insights"],
        ["audit", "export", "--format", "csv", "--out", tmp_path / "audit.csv"],
        ["audit", "verify"],
    ]
    for args in tour:
        result = run(*args, "--db", url)
        assert result.exit_code == 0, (args, result.output)
    assert "Notes: 2 kept" in run("audit", "verify", "--db", url).output
    for attack in ("ALTER TABLE audit_log DISABLE TRIGGER USER",
                   "UPDATE audit_note SET text = 'x'", "DELETE FROM audit_note",
                   "UPDATE audit_log SET actor = 'x'"):
        with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
            raw_sql(url, attack)


def test_a_role_granted_before_the_kept_state_still_reads_and_writes(pg_url: str,
                                                                     roles: list[str]) -> None:
    """A role granted before `audit_state` existed (no privilege on it) reads and writes as
    before: each read folds the whole log, and keeps nothing."""
    _owned_by(pg_url, roles)
    app = _role(pg_url, roles)
    grant(pg_url, app)
    raw_sql(pg_url, f"REVOKE ALL ON audit_state FROM {app}")
    url = _as(pg_url, app)
    for args in (["pair", EXAMPLE, "--commit", "--actor", "hr"],
                 ["checkin", MENTOR, MENTEE, "--rating", "4", "--by", "mentee"],
                 ["status"], ["pair", EXAMPLE], ["audit", "verify"]):
        result = run(*args, "--db", url)
        assert result.exit_code == 0, (args, result.output)
    assert raw_sql(pg_url, "SELECT count(*) FROM audit_state")[0] == [(0,)]
