"""Cohorts cut from the bundled example, the command line, and the two databases."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.audit.conftest import db_url, pg_server, pg_url, raw_sql, sqlite_url
from tests.helpers.identity import reviewer

__all__ = ["db_url", "pg_server", "pg_url", "raw_sql", "sqlite_url"]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cohort.json"


def example_people() -> list[dict]:
    return json.loads(EXAMPLE.read_text("utf-8"))["participants"]


@pytest.fixture
def cohort(tmp_path: Path) -> Callable[..., Path]:
    """A cohort file holding the given people of the example (managers outside it dropped),
    with changes to some of them: cohort("c1", ["M01", "E07"], M01={"capacity": 2})."""
    def make(name: str, ids: Sequence[str], **changes: dict) -> Path:
        people = {p["id"]: p for p in example_people()}
        chosen = []
        for pid in ids:
            person = {**people[pid], **changes.get(pid, {})}
            if person.get("manager_id") not in ids:
                person.pop("manager_id", None)
            chosen.append(person)
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"program": {"as_of": "2026-09-01"},
                                    "participants": chosen}), "utf-8")
        return path
    return make


@pytest.fixture
def tandem(db_url: str) -> Callable[..., tuple[int, str, str]]:
    """Run a command against the test's database: (exit code, stdout, stderr).

    `approve` runs as a second person, as a real reviewer would: another OS user on
    SQLite, another database role on PostgreSQL (`tests.helpers.identity`)."""
    def invoke(*args: object) -> tuple[int, str, str]:
        url, env = reviewer(db_url) if args and args[0] == "approve" else (db_url, {})
        result = CliRunner().invoke(cli, [*map(str, args), "--db", url], env=env)
        return result.exit_code, result.stdout, result.stderr
    return invoke


def entries(url: str) -> list[dict]:
    """Every entry of the log, oldest first, as stored."""
    try:
        rows = raw_sql(url, "SELECT entry FROM audit_log ORDER BY seq")[0]
    except Exception:  # no table yet: nothing was ever written
        return []
    return [json.loads(r[0]) for r in rows]


@pytest.fixture
def refused(tandem, db_url):
    """Run a command that must be refused: exit 1, this exact message, nothing written."""
    def check(expected: str, *args: object) -> None:
        before = entries(db_url)
        code, out, err = tandem(*args)
        assert (code, err) == (1, f"Error: {expected}\n"), out
        assert entries(db_url) == before
    return check
