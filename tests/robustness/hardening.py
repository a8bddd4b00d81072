"""Shared pieces of the hardening tests: a committed example log, copied per test, and a
runner that reports what the command did."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from click.testing import CliRunner, Result

from cli.main import cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "cohort.json"
ENV: dict[str, str | None] = {"NO_COLOR": "1", "FORCE_COLOR": None, "TANDEM_DB": None,
                              "TANDEM_RULES": None, "TANDEM_WITNESS": None,
                              "TANDEM_SIGNING_KEY": None, "TANDEM_LOCK_TIMEOUT": None,
                              "COLUMNS": "200"}
MENTOR, MENTEE = "M01", "E07"  # the example's first pair


def run(*args: object, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env={**ENV, **(env or {})})


def committed_log(folder: Path) -> Path:
    """An SQLite log with the example cohort's pairing committed (M01 mentors E07)."""
    path = folder / "base.db"
    result = run("pair", EXAMPLE, "--commit", "--db", f"sqlite:///{path}", "--actor", "hr")
    assert result.exit_code == 0, result.output
    return path


def copy_of(base: Path, folder: Path, name: str = "tandem.db") -> str:
    target = folder / name
    shutil.copyfile(base, target)
    return f"sqlite:///{target}"


def log_rows(url: str) -> list[tuple[object, ...]]:
    """Every row of the log and of the notes, as stored, to show nothing changed."""
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        rows = conn.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq").fetchall()
        rows += conn.execute("SELECT note_digest, text FROM audit_note ORDER BY 1").fetchall()
    return rows


def raw_controls(text: str) -> list[str]:
    """Characters a terminal or a spreadsheet would act on (LF, as a line end, is allowed)."""
    return [c for c in text if (ord(c) < 32 and c != "\n") or 0x7f <= ord(c) <= 0x9f
            or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"]
