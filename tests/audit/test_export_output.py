"""`tandem audit export --out`: the log is never lost, and every failure is a clear message."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit.commit import commit_pairing
from cli.outfile import OutputError, output
from tests.audit.builders import cohort_input, ids


def _committed(url: str) -> str:
    commit_pairing(url, "hr.jane", lambda busy: cohort_input(ids("M", 3), ids("E", 4), busy))
    return url


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "m.db"
    _committed(f"sqlite:///{path}")
    return path


def _refused_message(target: Path, kept: Path) -> str:
    return (f"Error: refusing to write to {target}: it is a file of the audit database "
            f"({kept}), and writing there would destroy the log; nothing was written. "
            "Choose another file name for --out.\n")


# -- the database itself is never an output
@pytest.mark.parametrize("suffix", ["", "-wal", "-journal", "-shm"])
def test_export_onto_a_file_of_the_database_is_refused(run, db_file, suffix):
    """--out naming the database, or its journal, WAL or shared-memory file, writes nothing."""
    before = db_file.read_bytes()
    target = db_file.with_name(db_file.name + suffix)
    done = run("audit", "export", "--db", f"sqlite:///{db_file}", "--out", target)
    assert done.exit_code == 1
    assert done.stderr == _refused_message(target, target)
    assert db_file.read_bytes() == before
    assert run("audit", "verify", "--db", f"sqlite:///{db_file}").exit_code == 0
    assert sorted(p.name for p in db_file.parent.iterdir()) == ["m.db"]


def test_export_through_a_symlink_to_the_database_is_refused(run, db_file):
    """A link that leads to the database is the database."""
    link = db_file.with_name("link.jsonl")
    link.symlink_to(db_file)
    before = db_file.read_bytes()
    done = run("audit", "export", "--db", f"sqlite:///{db_file}", "--out", link)
    assert done.exit_code == 1
    assert done.stderr == _refused_message(link, db_file)
    assert db_file.read_bytes() == before


def test_export_onto_a_hard_link_of_the_database_is_refused(run, db_file):
    """A second name for the same file is the same file."""
    hard = db_file.with_name("hard.jsonl")
    os.link(db_file, hard)
    done = run("audit", "export", "--db", f"sqlite:///{db_file}", "--out", hard)
    assert done.exit_code == 1
    assert done.stderr == _refused_message(hard, db_file)


def test_export_never_overwrites_another_sqlite_database(run, db_file, tmp_path):
    """Any SQLite file is kept: an export over it would lose whatever it held."""
    other = tmp_path / "other.db"
    _committed(f"sqlite:///{other}")
    before = other.read_bytes()
    done = run("audit", "export", "--db", f"sqlite:///{db_file}", "--out", other)
    assert done.exit_code == 1
    assert done.stderr == (
        f"Error: refusing to overwrite {other}: it is an SQLite database, and Tandem never "
        "overwrites one with an export; nothing was written. Choose another file name.\n")
    assert other.read_bytes() == before


# -- clear messages instead of tracebacks
def test_export_into_a_missing_directory_says_so(run, db_file, tmp_path):
    """A directory that does not exist is named, and nothing is created."""
    target = tmp_path / "nope" / "x.jsonl"
    done = run("audit", "export", "--db", f"sqlite:///{db_file}", "--out", target)
    assert done.exit_code == 1
    assert done.stderr == (f"Error: cannot write to {target}: the directory {target.parent} "
                           "does not exist; create it first, or choose another --out\n")
    assert not target.parent.exists()


def test_export_onto_a_directory_says_so(run, db_file, tmp_path):
    """A directory given as --out is refused by name."""
    done = run("audit", "export", "--db", f"sqlite:///{db_file}", "--out", tmp_path)
    assert done.exit_code == 2  # click refuses a directory for a file option
    assert "is a directory" in done.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_export_onto_a_full_device_says_so(run, db_file):
    """A write that fails (no space left) is a message, not a traceback."""
    done = run("audit", "export", "--db", f"sqlite:///{db_file}", "--out", "/dev/full")
    assert done.exit_code == 1
    assert done.stderr == ("Error: could not write /dev/full (No space left on device); "
                           "nothing was written to it. Check the path and the free space, "
                           "or choose another --out\n")


def test_export_to_a_closed_standard_output_says_so(db_file):
    """With standard output closed, the command says where to write instead."""
    done = subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", "audit", "export",
         "--db", f"sqlite:///{db_file}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False,
        preexec_fn=lambda: os.close(1), env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 1
    assert done.stderr == ("Error: standard output is closed; give --out FILE to write to a "
                           "file\n")


def test_a_broken_pipe_on_standard_output_is_a_message(monkeypatch):
    """A reader that goes away mid-export ends in a message, not a traceback."""
    class Broken(io.StringIO):
        def write(self, _text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", Broken())
    with pytest.raises(OutputError) as caught, output(None) as stream:
        stream.write("x")
    assert str(caught.value) == ("could not write to standard output (Broken pipe); the "
                                 "output is incomplete. Give --out FILE to write to a file.")


# -- a failed export changes nothing
def test_a_failed_export_leaves_the_old_file_untouched(run, tmp_path):
    """The target is replaced only by a complete export; no temporary file is left behind."""
    target = tmp_path / "audit.jsonl"
    target.write_text("last month's export\n", encoding="utf-8")
    done = run("audit", "export", "--db", f"sqlite:///{tmp_path / 'none.db'}", "--out", target)
    assert done.exit_code == 1
    assert target.read_text(encoding="utf-8") == "last month's export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.jsonl"]


def test_export_replaces_an_old_export_and_keeps_its_permissions(run, db_url, tmp_path):
    """On SQLite and PostgreSQL, a complete export replaces the file, whose mode is kept."""
    _committed(db_url)
    target = tmp_path / "audit.jsonl"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    done = run("audit", "export", "--db", db_url, "--out", target)
    assert done.exit_code == 0, done.output
    assert len(target.read_text(encoding="utf-8").splitlines()) > 1
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".db") == ["audit.jsonl"]
