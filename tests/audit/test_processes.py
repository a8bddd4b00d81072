"""Real processes: concurrent commits all land in one chain; a killed commit leaves no trace.

Each test starts `tests/helpers/commit_worker.py` processes against one database.
"""

from __future__ import annotations

import itertools
import json
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audit.commit import commit_pairing
from audit.log.errors import NoAuditLogError
from audit.log.verify import verify
from audit.review import status
from tests.audit.builders import cohort_input, ids
from tests.audit.conftest import raw_sql

WORKER = Path(__file__).resolve().parents[1] / "helpers" / "commit_worker.py"
pytestmark = pytest.mark.slow


def _start(url, name, *args):
    """A worker, loaded and waiting for `_go`."""
    return subprocess.Popen([sys.executable, str(WORKER), url, name, "--wait-go",
                             *map(str, args)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _line(proc, timeout=60):
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline().strip() if ready else ""


def _go(*procs):
    for proc in procs:
        assert _line(proc) == "ready", proc.stderr.read()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()


def _runs_are_whole(url):
    """Every run entry is followed by exactly the entries it announces."""
    runs = raw_sql(url, "SELECT run_id, entry FROM audit_log WHERE kind = 'run'")[0]
    counts = dict(raw_sql(url, "SELECT run_id, count(*) FROM audit_log GROUP BY run_id")[0])
    for run_id, entry in runs:
        assert counts[run_id] == 1 + json.loads(entry)["entries"], f"run {run_id} is partial"
    assert set(counts) == {run_id for run_id, _ in runs}, "entries without their run entry"
    return len(runs)


def test_concurrent_commits_all_land_in_one_linear_chain(db_url):
    """Four processes commit at once on a new database: all succeed, in one chain that
    verifies, and no person is paired twice although all four compete for the same people."""
    workers = [_start(db_url, f"worker-{i}", "--people", 12, "--max-pairs", 3, "--hold", 0.05)
               for i in range(4)]
    _go(*workers)
    receipts = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        receipts.append(json.loads(out.splitlines()[-1]))
    ranges = sorted((r["first_seq"], r["last_seq"]) for r in receipts)
    assert ranges[0][0] == 1
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(ranges))
    report = verify(db_url)
    assert report.ok
    assert (report.runs, report.head.seq) == (4, ranges[-1][1])
    active = status(db_url).active
    assert len(active) == 12
    assert len({p.mentor for p in active}) == len({p.mentee for p in active}) == 12
    assert sorted(r["pairs"] for r in receipts) == [3, 3, 3, 3]


def test_concurrent_commits_share_one_witness(db_url, tmp_path, monkeypatch):
    """Four processes commit at once with TANDEM_WITNESS set: each appends its head, whole,
    in whatever order, and verify --witness checks every one."""
    witness = tmp_path / "witness.jsonl"
    monkeypatch.setenv("TANDEM_WITNESS", str(witness))
    workers = [_start(db_url, f"witnessed-{i}", "--people", 12, "--max-pairs", 3)
               for i in range(4)]
    _go(*workers)
    heads = set()
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        receipt = json.loads(out.splitlines()[-1])
        heads.add((receipt["last_seq"], receipt["head_hash"]))
    lines = [json.loads(line) for line in witness.read_text().splitlines()]
    assert {(x["seq"], x["entry_hash"]) for x in lines} == heads
    report = verify(db_url, witness=witness)
    assert report.ok and report.witness_heads == 4


def test_a_commit_killed_at_any_moment_leaves_the_whole_run_or_nothing(db_url):
    """SIGKILL at random moments, often inside the transaction: the log always verifies,
    and every run in it is whole."""
    rng = random.Random(20260901)
    completed = killed = killed_inside = 0
    workers = [_start(db_url, f"crash-{i}", "--people", 1000, "--hold", rng.choice([0, 0.05]))
               for i in range(5)]
    for i, worker in enumerate(workers):
        _go(worker)
        inside = False
        if i % 2 == 0:  # anywhere: migrating, waiting, writing, committing
            time.sleep(rng.uniform(0.0, 0.5))
        else:  # inside the locked transaction, while it computes, writes or commits
            inside = _line(worker, 30) == "locked"
            time.sleep(rng.uniform(0.0, 0.15))
        worker.send_signal(signal.SIGKILL)
        out, _ = worker.communicate(timeout=30)
        if worker.returncode == -signal.SIGKILL:
            killed += 1
            killed_inside += inside and '"run_id"' not in out
        completed += '"run_id"' in out
        try:
            report = verify(db_url)
        except NoAuditLogError:
            assert completed == 0  # killed before the schema was first committed
            continue
        assert report.ok, report.finding
        assert _runs_are_whole(db_url) >= completed
    assert killed >= 2, "the kills came too late to test anything"
    assert killed_inside >= 1, "no kill landed inside a transaction"
    commit_pairing(db_url, "after", lambda busy: cohort_input(ids("M", 50), ids("E", 50), busy))
    assert verify(db_url).ok
