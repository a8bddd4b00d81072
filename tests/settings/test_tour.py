"""The README's tour, run from a program folder with no --db, --rules or --witness."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

ROOT = Path(__file__).resolve().parents[2]
COHORT = str(ROOT / "examples" / "cohort.json")


def test_the_whole_tour_from_a_program_folder(run: Callable[..., Result], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Every step reads tandem.toml; the report names the program and checks the witness."""
    monkeypatch.chdir(tmp_path)

    def ok(*args: str) -> Result:
        done = run(*args)
        assert done.exit_code == 0, (args, done.output)
        return done

    ok("init", "mentoring", "--name", "Reverse mentoring 2027", "--start", "2026-08-01",
       "--end", "2027-06-30")
    monkeypatch.chdir(tmp_path / "mentoring")
    ok("validate", COHORT)
    assert "clean" in ok("rules", "check").stdout
    ok("rules", "show")
    ok("pair", COHORT)
    ok("explain", COHORT, "M01", "E07")
    ok("pair", COHORT, "--commit", "--actor", "hr.jane")
    assert "run" in ok("audit", "log").stdout
    ok("audit", "show", "2")
    verified = ok("audit", "verify")
    assert "Every head the witness lists (1)" in verified.stdout
    ok("status")
    ok("fairness", COHORT)
    ok("myjobdays", COHORT)
    ok("myjobdays", COHORT, "--commit", "--outside-calendar")
    ok("checkin", "M06", "E04", "--rating", "4", "--by", "mentee")
    ok("outcome", "M06", "E04", "--result", "success")
    ok("separate", "M01", "E07", "--reason", "Sessions kept being cancelled",
       "--category", "mismatch", "--commit")
    ok("reassign", COHORT, "--commit")
    ok("history", "E07")
    due = json.loads(ok("due", "--format", "json").stdout)
    assert due["checkin_every_days"] == 30 and due["end"] == "2027-06-30"
    ok("erase", "E07", "--reason", "Asked for erasure", "--commit")
    final = ok("audit", "verify")
    assert "erased what was kept of E07" in final.stdout
    assert "Every head the witness lists (" in final.stdout
    ok("report", "--out", "report.html")
    page = (tmp_path / "mentoring" / "report.html").read_text(encoding="utf-8")
    assert "Program: <strong>Reverse mentoring 2027</strong>" in page
    assert f"witness {tmp_path / 'mentoring' / 'witness.jsonl'}: " in page
    assert "heads checked" in page
    assert "Erased: the kept data of E07" in page
    folder = tmp_path / "mentoring"
    assert sorted(p.name for p in folder.iterdir()) == [
        ".gitignore", "report.html", "rules", "tandem.db", "tandem.toml", "witness.jsonl"]
    ok("audit", "export", "--out", "audit.jsonl")
    exported = [json.loads(line) for line in
                (folder / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    entries = [e["entry"] for e in exported if "entry" in e]
    assert len(entries) > 40
    assert {e["program"] for e in entries} == {"Reverse mentoring 2027"}
    ok("audit", "export", "--format", "xlsx", "--out", "audit.xlsx")
    from openpyxl import load_workbook

    runs = list(load_workbook(folder / "audit.xlsx", read_only=True)["runs"].values)
    column = list(runs[0]).index("program")
    assert {row[column] for row in runs[1:]} == {"Reverse mentoring 2027"}
