"""The lifecycle, follow-up, witness and export surface, attacked: every hostile value is
refused (exit 1 or 2) or made inert, never a crash, never a hang, never a change to the log."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit.log.db import lock_timeout
from audit.log.errors import LockTimeoutSettingError
from engine.base.spreadsheet import html_text, neutralise
from engine.report.html import environment
from tests.robustness.hardening import (
    EXAMPLE,
    MENTEE,
    MENTOR,
    committed_log,
    copy_of,
    log_rows,
    raw_controls,
    run,
)


@pytest.fixture(scope="module")
def base_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return committed_log(tmp_path_factory.mktemp("base"))


@pytest.fixture
def url(base_log: Path, tmp_path: Path) -> str:
    return copy_of(base_log, tmp_path)


# -- F1: a bare CR never starts a CSV row ---------------------------------------------------
def test_a_bare_cr_in_an_actor_never_starts_a_csv_row_with_a_formula(url: str,
                                                                     tmp_path: Path) -> None:
    """`checkin --actor $'hr\\r=cmd...'` then `audit export --format csv`: no line of the file
    begins with a formula, every field is quoted, and the actor reads back escaped."""
    actor = "hr\r=cmd|' /C calc'!A0"
    assert run("checkin", MENTOR, MENTEE, "--rating", "3", "--by", "mentee", "--actor", actor,
               "--db", url).exit_code == 0
    out = tmp_path / "f.csv"
    assert run("audit", "export", "--format", "csv", "--out", out, "--db", url).exit_code == 0
    raw = out.read_bytes().decode("utf-8")
    assert "\r" not in raw
    assert not [line for line in raw.split("\n") if line.startswith(("=", "+", "-", "@"))]
    assert all(line.startswith('"') for line in raw.splitlines())
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert rows[-1]["actor"] == "hr\\x0d=cmd|' /C calc'!A0"


# -- F12: CSV on a terminal carries no raw control ------------------------------------------
def test_csv_output_of_pair_and_export_carries_no_raw_control(url: str, tmp_path: Path) -> None:
    """ESC, OSC 8, C1 CSI and bidi controls in a name or an actor come out as escapes."""
    hostile = "\x1b]8;;http://evil.example\x1b\\x\x1b]8;;\x1b\\\x9b2J\u202eab"
    cohort = json.loads(EXAMPLE.read_text())
    cohort["participants"][0]["name"] = "Ana" + hostile
    path = tmp_path / "cohort.json"
    path.write_text(json.dumps(cohort))
    paired = run("pair", path, "--format", "csv")
    assert paired.exit_code == 0, paired.output
    assert raw_controls(paired.stdout) == []
    assert run("separate", MENTOR, MENTEE, "--reason", hostile, "--actor", hostile,
               "--commit", "--db", url).exit_code == 0
    exported = run("audit", "export", "--format", "csv", "--db", url)
    assert exported.exit_code == 0
    assert raw_controls(exported.stdout) == []
    assert "\\x1b]8;;http://evil.example" in exported.stdout


@pytest.mark.parametrize(("cell", "inert"), [
    ("a\rb", "a\\x0db"),
    ("\r=1+1", "\\x0d=1+1"),
    ("=1+1", "'=1+1"),
    ("\x1b[2J", "\\x1b[2J"),
    ("\u202eevil", "\\u202eevil"),
    ("\x9b31m", "\\x9b31m"),
    ("-2", "-2"),
])
def test_one_neutraliser_escapes_controls_before_neutralising_formulas(cell: str,
                                                                      inert: str) -> None:
    """Controls become visible escapes; a formula left after escaping gets its '."""
    assert neutralise(cell) == inert


# -- F13: the HTML page escapes controls and isolates bidi text -----------------------------
def test_html_cells_escape_controls_and_isolate_bidi_text() -> None:
    """NUL, ESC and C1 are escapes; a U+202E is kept inside a <bdi> that closes it."""
    page = environment().from_string("<td>{{ name }}</td><td>{{ n }}</td>").render(
        name="Ana\u202e\x00\x1b\x85<b>", n=3)
    assert page == ("<td><bdi>Ana\u202e\\x00\\x1b\\x85&lt;b&gt;\u202c</bdi></td><td>3</td>")
    assert html_text("plain & simple") == "plain &amp; simple"


def test_the_html_report_has_no_raw_control_from_the_log(url: str, tmp_path: Path) -> None:
    """A separation reason with NUL-free controls and bidi marks: the report shows escapes."""
    assert run("separate", MENTOR, MENTEE, "--reason", "R\x1b[2J\x85\u202eX", "--actor",
               "A\u202e", "--commit", "--db", url).exit_code == 0
    out = tmp_path / "report.html"
    assert run("report", "--db", url, "--out", out).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert "R\\x1b[2J\\x85" in page
    assert not [c for c in page if c in "\x1b\x85\x00"]
    assert "<bdi>A\u202e\u202c</bdi>" in page


# -- F5: arguments that are not UTF-8 --------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["separate", MENTOR, MENTEE, "--reason", "bad \udcff byte"],
    ["checkin", MENTOR, MENTEE, "--rating", "3", "--actor", "hr\udcff"],
    ["history", "E\udcff"],
    ["audit", "log", "--run", "\udcff"],
    ["audit", "log", "--person", "M\ud800"],
])
def test_an_argument_that_is_not_utf8_is_refused_with_exit_2(url: str, args: list[str]) -> None:
    """A byte that is not UTF-8 (kept by Python as a lone surrogate) is a usage error."""
    before = log_rows(url)
    result = run(*args, "--db", url)
    assert result.exit_code == 2, result.output
    assert "is not valid UTF-8 text" in result.output
    assert log_rows(url) == before


# -- F6: integers beyond what the database stores --------------------------------------------
@pytest.mark.parametrize("args", [
    ["audit", "show", "9223372036854775808"],
    ["audit", "log", "--limit", "9223372036854775808"],
    ["audit", "show", "99999999999999999999999999"],
])
def test_an_integer_beyond_what_the_database_stores_is_refused(url: str,
                                                              args: list[str]) -> None:
    """SQLite's integers end at 2**63 - 1: a larger one is a usage error, not an overflow."""
    result = run(*args, "--db", url)
    assert result.exit_code == 2, result.output
    assert "9223372036854775807" in result.output


# -- F11: an empty id never means everything -------------------------------------------------
@pytest.mark.parametrize("args", [
    ["approve", ""], ["reject", "", "--reason", "no"], ["history", ""], ["history", "  "],
    ["audit", "log", "--person", ""], ["fairness", "--run", ""], ["report", "--run", ""],
    ["separate", "", MENTEE, "--reason", "x"], ["checkin", MENTOR, " ", "--rating", "3"],
])
def test_an_empty_or_blank_id_is_refused_everywhere(url: str, args: list[str]) -> None:
    """`approve ""`, `history ""`, `--person ""`, `--run ""`: exit 2, nothing written."""
    before = log_rows(url)
    result = run(*args, "--db", url)
    assert result.exit_code == 2, result.output
    assert "cannot be empty or blank" in result.output
    assert log_rows(url) == before


# -- ratings: ASCII digits only, as in files --------------------------------------------------
@pytest.mark.parametrize("rating", ["\u0663", "\uff13", "3.0", "+3", ""])
def test_a_rating_takes_ascii_digits_only(url: str, rating: str) -> None:
    """`--rating ٣` (an Arabic-Indic three) is refused on the command line as in a CSV."""
    result = run("checkin", MENTOR, MENTEE, "--rating", rating, "--db", url)
    assert result.exit_code == 2, result.output


# -- F15: TANDEM_LOCK_TIMEOUT -----------------------------------------------------------------
@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "abc", "1e400", "-inf"])
def test_lock_timeout_must_be_a_finite_positive_number(monkeypatch: pytest.MonkeyPatch,
                                                      value: str) -> None:
    """inf, nan, -1, 0 and abc are refused with a message naming the variable."""
    monkeypatch.setenv("TANDEM_LOCK_TIMEOUT", value)
    with pytest.raises(LockTimeoutSettingError, match="TANDEM_LOCK_TIMEOUT="):
        lock_timeout()


def test_a_bad_lock_timeout_stops_a_writer_with_exit_1(url: str) -> None:
    """The writer says what is wrong and writes nothing."""
    before = log_rows(url)
    result = run("checkin", MENTOR, MENTEE, "--rating", "3", "--db", url,
                 env={"TANDEM_LOCK_TIMEOUT": "abc"})
    assert result.exit_code == 1, result.output
    assert "TANDEM_LOCK_TIMEOUT='abc' is not a number of seconds" in result.output
    assert log_rows(url) == before


def test_a_good_lock_timeout_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    """A finite positive number of seconds is used as given."""
    monkeypatch.setenv("TANDEM_LOCK_TIMEOUT", "2.5")
    assert lock_timeout() == 2.5


# -- F7, F8: the witness, read capped -----------------------------------------------------------
def test_a_deeply_nested_witness_line_is_refused_not_a_crash(url: str, tmp_path: Path) -> None:
    """100,000 nested brackets: a located error (exit 1) from verify and from readers."""
    witness = tmp_path / "w.jsonl"
    witness.write_text("[" * 100_000 + "\n")
    verified = run("audit", "verify", "--witness", witness, "--db", url)
    assert verified.exit_code == 1, verified.output
    assert "line 1" in verified.output
    status = run("status", "--db", url, env={"TANDEM_WITNESS": str(witness)})
    assert status.exit_code == 1, status.output


def _tandem(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command in its own process, so that a hang fails the test (timeout)."""
    return subprocess.run([sys.executable, "-c", "from cli.main import main; main()", *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TANDEM_WITNESS": "", **(env or {})})


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_fifo_as_the_witness_is_refused_without_waiting(url: str, tmp_path: Path) -> None:
    """verify, status and a commit each refuse a named pipe at once (exit 1), never hang."""
    fifo = tmp_path / "w.fifo"
    os.mkfifo(fifo)
    before = log_rows(url)
    verified = _tandem("audit", "verify", "--witness", str(fifo), "--db", url)
    assert verified.returncode == 1, verified.stderr
    assert "named pipe" in verified.stderr
    status = _tandem("status", "--db", url, env={"TANDEM_WITNESS": str(fifo)})
    assert status.returncode == 1, status.stderr
    committed = _tandem("checkin", MENTOR, MENTEE, "--rating", "3", "--witness", str(fifo),
                        "--db", url)
    assert committed.returncode == 1, committed.stderr
    assert "named pipe" in committed.stderr
    assert log_rows(url) == before


# -- F10: lone surrogates in a check-in file ---------------------------------------------------
def test_a_lone_surrogate_in_a_checkin_file_is_an_invalid_row(url: str, tmp_path: Path) -> None:
    """A note with \\ud800 is refused as its row; with --skip-invalid the others are kept."""
    path = tmp_path / "survey.json"
    path.write_text('[{"mentor": "M01", "mentee": "E07", "rating": 4, "note": "a\\ud800b"},'
                    ' {"mentor": "M01", "mentee": "E07", "rating": 2, "by": "mentor"}]')
    before = log_rows(url)
    refused = run("checkin", "--from", path, "--db", url)
    assert refused.exit_code == 1, refused.output
    assert "lone surrogate" in refused.output
    assert log_rows(url) == before
    skipped = run("checkin", "--from", path, "--skip-invalid", "--db", url)
    assert skipped.exit_code == 0, skipped.output
    assert "Recorded 1 check-in" in skipped.output


# -- identical check-ins -------------------------------------------------------------------------
def test_identical_checkins_are_refused_as_duplicates_unless_allowed(url: str,
                                                                     tmp_path: Path) -> None:
    """The same pair, day, side and rating twice in a file, or again later: refused."""
    row = {"mentor": MENTOR, "mentee": MENTEE, "rating": 4, "by": "mentee"}  # today
    path = tmp_path / "survey.jsonl"
    path.write_text("\n".join(json.dumps(row) for _ in range(3)) + "\n")
    twice = run("checkin", "--from", path, "--db", url)
    assert twice.exit_code == 1, twice.output
    assert "already have this check-in" in twice.output
    once = [MENTOR, MENTEE, "--rating", "4", "--by", "mentee"]
    assert run("checkin", *once, "--db", url).exit_code == 0
    before = log_rows(url)
    again = run("checkin", *once, "--db", url)
    assert again.exit_code == 1, again.output
    assert log_rows(url) == before
    assert run("checkin", *once, "--allow-duplicates", "--db", url).exit_code == 0
    assert run("checkin", "--from", path, "--allow-duplicates", "--db", url).exit_code == 0
