"""A command-line fuzzer: every command, its arguments drawn from hostile values.

Non-UTF-8 bytes (lone surrogates), empty and blank strings, huge integers, control and bidi
characters, markup and formulas, in every id, reason, actor, note, number and date. Each
command line must end with exit 0, 1 or 2, leave no crash file (TANDEM_CRASH_DIR), and, when
it is refused, leave the log exactly as it was.

The bounded profile runs in CI (a few dozen command lines). TANDEM_FUZZ_LONG=1 runs at
least 5,000 (TANDEM_FUZZ_EXAMPLES=N sets another number, to run shards side by side); the
count is printed at the end (`pytest -s`) and, with TANDEM_FUZZ_PROGRESS=FILE, appended to
that file as it goes. The commands that read a cohort get a small one (four people of the
example, the committed pair M01-E07 among them): the fuzzer attacks the arguments, and the
benchmarks measure the scale.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.robustness.hardening import EXAMPLE, committed_log, log_rows, run

LONG = os.environ.get("TANDEM_FUZZ_LONG") == "1"
EXAMPLES = int(os.environ.get("TANDEM_FUZZ_EXAMPLES") or (5200 if LONG else 40))
PROGRESS = os.environ.get("TANDEM_FUZZ_PROGRESS")
SMALL = ("M01", "M02", "E07", "E01")
OSC8 = "\x1b]8;;http://evil.example\x1b\\x\x1b]8;;\x1b\\"

hostile = st.one_of(
    st.sampled_from([
        "", " ", "\t", "\n", "M01", "E07", "M02", "success", "mentee", "other", "4",
        "\udcff", "bad \udcff byte", "\ud800", "A\udfffB", "\udc80\udc80",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "99999999999999999999999999999", "0", "-1", "1", "nan", "inf", "1e309", "0x10",
        "\x1b[2J", OSC8, "\x9b31m", "\x00", "\x7f", "\u202eevil", "\u2066x", "\u200f",
        "[/bold]", "[link=http://evil.example]y", "<script>alert(1)</script>", "</bdi>",
        "=cmd|' /C calc'!A0", "\r=1+1", "a\rb", "+1", "@SUM(A1)", "\u0663", "\uff13",
        "x" * 300, "-", "--", "2026-02-30", "2026-10-01", "/dev/null", "%s%n", "{}", "null",
    ]),
    st.text(max_size=16),
    st.integers(-(2**70), 2**70).map(str),
)
mentor = st.one_of(st.just("M01"), hostile)
mentee = st.one_of(st.just("E07"), hostile)
H, M, E = "H", "M", "E"
COHORT, OUT = "COHORT", "OUT"

# Every command, with a slot for a hostile value wherever the user types one.
TEMPLATES: list[list[str]] = [
    ["status"],
    ["history", H],
    ["audit", "log", "--person", H],
    ["audit", "log", "--run", H, "--format", "json"],
    ["audit", "log", "--pair", H],
    ["audit", "log", "--limit", H],
    ["audit", "log", "--since", H],
    ["audit", "show", H],
    ["audit", "show", H, "--format", "json"],
    ["audit", "verify", "--expect-head", H],
    ["audit", "export", "--format", "csv", "--out", OUT],
    ["approve", H, "--actor", H],
    ["reject", H, "--reason", H, "--actor", H],
    ["separate", M, E, "--reason", H, "--actor", H, "--category", H, "--commit"],
    ["separate", M, E, "--reason", H, "--commit"],
    ["checkin", M, E, "--rating", H, "--by", "mentee", "--note", H, "--actor", H],
    ["checkin", M, E, "--rating", "3", "--on", H, "--note", H],
    ["checkin", M, E, "--rating", "4", "--by", H],
    ["outcome", M, E, "--result", H, "--note", H],
    ["outcome", M, E, "--result", "success", "--note", H, "--actor", H],
    ["fairness", "--run", H],
    ["report", "--run", H, "--out", OUT],
    ["report", "--since", H, "--out", OUT],
    ["insights", "--since", H],
    ["decide", "forbid", M, E, "--cohort", COHORT, "--reason", H, "--actor", H],
    ["decide", "force", M, E, "--cohort", COHORT, "--reason", H],
    ["reassign", COHORT, H, "--actor", H],
    ["explain", COHORT, M, E],
    ["db", "grant", H],
    ["pair", COHORT, "--actor", H, "--commit"],
    ["myjobdays", COHORT, "--actor", H, "--format", "csv"],
]
_NO_DB = {"explain", "pair", "myjobdays"}  # take --db too, but read the cohort first

_seen = {"lines": 0, "refused": 0}


@pytest.fixture(scope="module")
def base_log() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="tandem-fuzz-"))
    cohort = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    cohort["participants"] = [p for p in cohort["participants"] if p["id"] in SMALL]
    (folder / "small.json").write_text(json.dumps(cohort), encoding="utf-8")
    yield committed_log(folder)
    shutil.rmtree(folder, ignore_errors=True)
    print(f"\nfuzzer: {_seen['lines']} command lines, {_seen['refused']} refused, "
          "none exited 3")


@st.composite
def command_line(draw: st.DrawFn) -> list[str]:
    template = draw(st.sampled_from(TEMPLATES))
    slots = {H: hostile, M: mentor, E: mentee}
    return [draw(slots[part]) if part in slots else part for part in template]


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(args=command_line())
def test_no_command_line_crashes_or_changes_the_log_when_refused(base_log: Path,
                                                                 args: list[str]) -> None:
    """Exit 0, 1 or 2; never an exception or a crash file; a refusal writes nothing."""
    with tempfile.TemporaryDirectory(prefix="tandem-fuzz-") as scratch:
        folder = Path(scratch)
        crashes = folder / "crashes"
        crashes.mkdir()
        db = folder / "tandem.db"
        shutil.copyfile(base_log, db)
        url = f"sqlite:///{db}"
        small = base_log.parent / "small.json"
        line = [str(small) if a == COHORT else str(folder / "out.file") if a == OUT else a
                for a in args]
        before = log_rows(url)
        result = run(*line, "--db", url, env={"TANDEM_CRASH_DIR": str(crashes)})
        _seen["lines"] += 1
        assert result.exit_code in (0, 1, 2), (line, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            line, repr(result.exception))
        assert list(crashes.iterdir()) == [], (line, result.output)
        if result.exit_code != 0:
            _seen["refused"] += 1
            assert log_rows(url) == before, (line, result.output)
        if PROGRESS:
            with Path(PROGRESS).open("a", encoding="utf-8") as progress:
                progress.write(f"{result.exit_code}\n")
