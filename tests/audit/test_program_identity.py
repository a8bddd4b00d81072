"""The program's name in every entry, and a second program refused on the same database,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from audit.erase import Erasure
from tests.audit.conftest import raw_sql

ROOT = Path(__file__).resolve().parents[2]
COHORT = ROOT / "examples" / "cohort.json"
Run = Callable[..., Result]


def _program(tmp_path: Path, name: str) -> dict[str, str]:
    folder = tmp_path / name.replace(" ", "-")
    folder.mkdir()
    (folder / "tandem.toml").write_text(f'[program]\nname = "{name}"\n', encoding="utf-8")
    return {"TANDEM_PROGRAM": str(folder / "tandem.toml")}


def test_a_second_program_is_refused_on_the_same_database(run: Run, db_url: str,
                                                          tmp_path: Path) -> None:
    """Entries name the first program; the second may not append unless it says so; a
    command run without a program file still may."""
    first, second = _program(tmp_path, "First"), _program(tmp_path, "Second")
    assert run("pair", COHORT, "--commit", "--db", db_url, env=first).exit_code == 0
    names = {json.loads(r[0])["program"]
             for r in raw_sql(db_url, "SELECT entry FROM audit_log")[0]}
    assert names == {"First"}
    count = len(raw_sql(db_url, "SELECT seq FROM audit_log")[0])
    refused = run("checkin", "M01", "E07", "--rating", "3", "--by", "mentor", "--db", db_url,
                  env=second)
    assert refused.exit_code == 1
    assert f"belongs to the program 'First' (entry {count}), not to 'Second'" in refused.stderr
    assert len(raw_sql(db_url, "SELECT seq FROM audit_log")[0]) == count
    forced = run("checkin", "M01", "E07", "--rating", "3", "--by", "mentor", "--db", db_url,
                 "--allow-other-program", env=second)
    assert forced.exit_code == 0, forced.output
    plain = run("outcome", "M01", "E07", "--result", "success", "--db", db_url)
    assert plain.exit_code == 0, plain.output
    last = json.loads(raw_sql(db_url, "SELECT entry FROM audit_log ORDER BY seq DESC")[0][0][0])
    assert "program" not in last
    assert run("audit", "verify", "--db", db_url).exit_code == 0


def test_the_owner_is_the_last_named_entry_behind_unnamed_ones(run: Run, db_url: str,
                                                              tmp_path: Path) -> None:
    """Entries written without a program file after the program's own do not free the
    database: the check reads back past them to the last entry that names a program."""
    first, second = _program(tmp_path, "First"), _program(tmp_path, "Second")
    assert run("pair", COHORT, "--commit", "--db", db_url, env=first).exit_code == 0
    named = len(raw_sql(db_url, "SELECT seq FROM audit_log")[0])
    for rating in (3, 4):
        plain = run("checkin", "M01", "E07", "--rating", rating, "--by", "mentor", "--db",
                    db_url)
        assert plain.exit_code == 0, plain.output
    refused = run("checkin", "M01", "E07", "--rating", "5", "--by", "mentor", "--db", db_url,
                  env=second)
    assert refused.exit_code == 1
    assert f"belongs to the program 'First' (entry {named}), not to 'Second'" in refused.stderr


def test_the_documented_erasure_entry_has_the_keys_the_code_writes() -> None:
    """docs/audit.md's stored erasure entry has exactly the keys of an `Erasure` entry."""
    text = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    block = text[text.index("### Erasure"):]
    found = re.search(r"```json\n(.*?)```", block, re.S)
    assert found is not None
    documented = json.loads(found.group(1))
    written = Erasure("R", "T", "A", "E07", "why", ("sha256:x",), (), ()).to_doc()
    assert set(documented) == set(written) | {"seq", "program"}
    assert set(documented["rows"]) == set(written["rows"])
