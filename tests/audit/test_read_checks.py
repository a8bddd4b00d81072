"""What the reading commands check: the entries they show, their links and the head
against the witness, at a cost in proportion to what they show; `verify` checks it all.

The log: run 1 (entries 1-5), run 2 (entries 6-15), each head in the witness.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.commit import commit_pairing
from audit.log import db as database
from audit.log import store
from audit.log.witness import WitnessConfig
from tests.audit.builders import cohort_input, ids
from tests.audit.conftest import raw_sql

CHANGE_3 = ("UPDATE audit_log SET entry = replace(entry, '\"actor\":\"hr.jane\"', "
            "'\"actor\":\"hr.joan\"') WHERE seq = 3")


@pytest.fixture
def logged(tmp_path: Path) -> tuple[str, Path]:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    witness = tmp_path / "witness.jsonl"
    for n in (3, 5):
        commit_pairing(url, "hr.jane", lambda busy, n=n: cohort_input(
            ids("M", n), ids("E", n + 1), busy), witness=WitnessConfig(witness))
    return url, witness


def test_show_of_a_changed_entry_says_it_is_broken(run, logged) -> None:
    """`audit show 3` of a changed entry 3 leads with the warning and exits 1."""
    url, _ = logged
    raw_sql(url, CHANGE_3, drop_triggers=True)
    result = run("audit", "show", 3, "--db", url)
    assert result.exit_code == 1
    assert result.stderr.startswith("WARNING: the audit log is BROKEN at entry 3 (content)")


def test_show_of_the_entry_after_a_changed_one_sees_the_broken_link(run, logged) -> None:
    """`audit show 4` checks entry 4's link to entry 3, which a changed entry 3 no longer
    hashes to."""
    url, _ = logged
    raw_sql(url, CHANGE_3, drop_triggers=True)
    result = run("audit", "show", 4, "--db", url)
    assert result.exit_code == 1
    assert result.stderr.startswith("WARNING: the audit log is BROKEN at entry 3 (content)")


def test_show_and_log_limit_check_what_they_show_and_verify_checks_the_rest(run,
                                                                            logged) -> None:
    """An entry neither shown nor linked to what is shown is left to `audit verify`: show
    and log --limit read what they print, the head and its link, not the whole log."""
    url, _ = logged
    raw_sql(url, CHANGE_3, drop_triggers=True)
    assert run("audit", "show", 10, "--db", url).exit_code == 0
    assert run("audit", "log", "--limit", 2, "--db", url).exit_code == 0
    verify = run("audit", "verify", "--db", url)
    assert verify.exit_code == 1
    assert "BROKEN at entry 3 (content)" in verify.stdout


def test_log_limit_checks_the_head_against_the_witness(run, logged, tmp_path: Path) -> None:
    """A run appended without the witness is caught by `audit log --limit 1` when
    TANDEM_WITNESS names it."""
    url, witness = logged
    commit_pairing(url, "mallory", lambda busy: cohort_input(ids("M", 2), ids("E", 2), busy))
    result = run("audit", "log", "--limit", 1, "--db", url,
                 env={"TANDEM_WITNESS": str(witness)})
    assert result.exit_code == 1
    assert result.stderr.startswith("WARNING: the audit log is BROKEN at entry 16 (witness): "
                                    "entries 16 to ")


def test_show_catches_a_head_rewritten_after_the_witness_recorded_it(run, logged) -> None:
    """The witness's last head no longer matches the log: `audit show 1` says so."""
    url, witness = logged
    raw_sql(url, "UPDATE audit_log SET entry_hash = '" + "0" * 64 + "' WHERE seq = 15",
            drop_triggers=True)
    result = run("audit", "show", 1, "--db", url, env={"TANDEM_WITNESS": str(witness)})
    assert result.exit_code == 1
    assert "BROKEN at entry 15" in result.stderr


def test_the_bounded_check_reads_only_the_rows_it_checks(logged, monkeypatch) -> None:
    """`check_shown` fetches the shown entries, the head and the rows before them, never a
    pass over the log."""
    from audit.log.verify import check_shown

    url, _ = logged
    fetched: list[list[int]] = []
    real = store.rows_at
    monkeypatch.setattr(store, "rows_at",
                        lambda conn, seqs: fetched.append(sorted(set(seqs))) or real(conn, seqs))
    monkeypatch.setattr(store, "iter_rows", lambda conn: pytest.fail("a full pass"))
    db = database.open_for_read(url)
    try:
        with db.reading() as conn:
            assert check_shown(conn, [7]) is None
    finally:
        db.dispose()
    assert fetched == [[6, 7, 14, 15]]


# -- a long listing is streamed -----------------------------------------------------------------
@pytest.fixture
def long_log(tmp_path: Path) -> str:
    """Two runs of 300 pairs: 602 entries, more than one chunk of `audit log`."""
    url = f"sqlite:///{tmp_path / 'long.db'}"
    for n, prefix in ((300, "A"), (300, "B")):
        commit_pairing(url, "hr.jane", lambda busy, n=n, p=prefix: cohort_input(
            ids(f"M{p}", n), ids(f"E{p}", n), busy))
    return url


def test_a_long_log_streams_as_one_json_array_of_every_entry(run, long_log: str) -> None:
    """`audit log --format json` past one chunk is still one JSON array, newest first, every
    entry verified."""
    import json

    from audit.review import CHUNK

    result = run("audit", "log", "--db", long_log, "--format", "json")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)
    assert len(entries) == 602 > CHUNK
    assert [e["seq"] for e in entries] == list(range(602, 0, -1))
    assert all(e["verified"] for e in entries)


def test_the_chunks_hold_at_most_a_chunk(long_log: str) -> None:
    """The listing is read CHUNK entries at a time."""
    from contextlib import closing

    from audit.review import CHUNK, LogFilter, log_chunks

    with closing(log_chunks(long_log, LogFilter())) as chunks:
        sizes = [len(c.value) for c in chunks]
    assert sizes == [CHUNK, 602 - CHUNK]


def test_audit_log_into_a_closed_pipe_stops_quietly(long_log: str) -> None:
    """`tandem audit log | head -3`: the command stops when the reader goes, without a
    traceback."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-c", "from cli.main import main; main()", "audit", "log",
               "--db", long_log]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          cwd=root) as process:
        assert process.stdout is not None and process.stderr is not None
        for _ in range(3):
            process.stdout.readline()
        process.stdout.close()
        errors = process.stderr.read().decode()
        process.wait(timeout=120)
    assert "Traceback" not in errors and "crash" not in errors.lower()
    assert process.returncode in (0, 1)


def test_history_checks_the_entries_it_shows(run, logged) -> None:
    """`history` of the person in a changed entry leads with the warning and exits 1; the
    history of someone whose entries check out is quiet, and verify finds the rest."""
    url, _ = logged
    raw_sql(url, CHANGE_3, drop_triggers=True)
    broken = run("history", "M0002", "--db", url)
    assert broken.exit_code == 1
    assert broken.stderr.startswith("WARNING: the audit log is BROKEN at entry 3 (content)")
    quiet = run("history", "M0005", "--db", url)
    assert quiet.exit_code == 0 and not quiet.stderr, quiet.output
    assert run("audit", "verify", "--db", url).exit_code == 1
