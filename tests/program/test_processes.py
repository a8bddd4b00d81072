"""Concurrent lifecycle writers, as real processes: never a person in two active pairs,
never a mentor over capacity, always one chain that verifies."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from audit.log.verify import verify
from audit.review import status
from audit.state import derive_state
from tests.program.conftest import EXAMPLE, entries, example_people

WORKER = Path(__file__).resolve().parents[1] / "helpers" / "program_worker.py"
pytestmark = pytest.mark.slow


def _race(db_url: str, *commands: tuple[object, ...]) -> list[int]:
    """Start every command, let them all go at once, and return their exit codes."""
    procs = [subprocess.Popen([sys.executable, str(WORKER), "--wait-go", "--",
                               *map(str, command), "--db", db_url],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for command in commands]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    codes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        codes.append(int(out.strip().splitlines()[-1]))
    return codes


def _invariants(db_url: str) -> None:
    """Nobody over their places; the chain verifies; a replay gives the same state."""
    state = status(db_url)
    load = Counter(p for pair in state.active for p in (pair.mentor, pair.mentee))
    capacity = {p["id"]: p.get("capacity") or 1 for p in example_people()}
    over = {p: n for p, n in load.items() if n > (capacity[p] if p.startswith("M") else 1)}
    assert over == {}, f"over capacity: {over}"
    assert verify(db_url).ok
    assert derive_state(entries(db_url)) == state


def _setup(tandem) -> None:
    """The example paired; M01 (capacity 2) and M02 (1) separated from their mentees, so
    that mentees E05, E07, E10, E22 and E24 are free, M01 has two places and M02 one."""
    assert tandem("pair", EXAMPLE, "--commit")[0] == 0
    for mentor, mentee in (("M01", "E07"), ("M01", "E10"), ("M02", "E22")):
        assert tandem("separate", mentor, mentee, "--reason", "Stalled", "--commit")[0] == 0


def _force(mentor: str, mentee: str) -> tuple[object, ...]:
    return ("decide", "force", mentor, mentee, "--commit", "--cohort", EXAMPLE, "--reason",
            "race", "--override-exclusion")


def test_forcing_one_mentee_from_four_processes_forms_one_pair(tandem, db_url):
    """Four writers force four mentors onto E24 at once: one wins, three are refused."""
    _setup(tandem)
    codes = _race(db_url, *(_force(m, "E24") for m in ("M01", "M02", "M03", "M06")))
    assert sorted(codes) == [0, 1, 1, 1]
    assert [p.mentee for p in status(db_url).active].count("E24") == 1
    _invariants(db_url)


def test_mixed_writers_never_overfill_a_mentor(tandem, db_url):
    """Forces on M01's two places and M02's one, with a reassignment and a separation, all
    at once: the places are never exceeded, and every run is whole."""
    _setup(tandem)
    codes = _race(db_url, _force("M01", "E05"), _force("M01", "E24"), _force("M01", "E22"),
                  _force("M02", "E05"), _force("M02", "E24"),
                  ("reassign", EXAMPLE, "--commit"),
                  ("separate", "M03", "E13", "--reason", "Moved", "--commit"))
    assert codes[5:] == [0, 0]  # a reassignment and a separation are never refused
    log = entries(db_url)
    runs = [e for e in log if e["kind"] == "run"]
    assert all(sum(1 for x in log if x["run"] == r["run"]) == 1 + r["entries"] for r in runs)
    m01 = [p.mentee for p in status(db_url).active if p.mentor == "M01"]
    assert len(m01) <= 2
    _invariants(db_url)
    assert json.dumps(log)  # the log reads back whole
