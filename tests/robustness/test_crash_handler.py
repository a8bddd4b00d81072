"""The last line of defence: an unexpected exception is a short message, a file and exit 3."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "cohort.json"


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("an unexpected \x1b[2J failure")


@pytest.fixture
def crashing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The pairing raises an exception no part of Tandem expects; crash files go to tmp."""
    monkeypatch.setattr("engine.pairing.pipeline.pair_cohort", _boom)
    monkeypatch.setenv("TANDEM_CRASH_DIR", str(tmp_path))
    return tmp_path


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"TANDEM_DB": None, "TANDEM_RULES": None})


def test_a_crash_exits_3_with_one_message_and_a_crash_file(crashing: Path) -> None:
    """One message on stderr names the failure, asks for a report and gives the file."""
    result = _run("pair", str(EXAMPLE))
    assert result.exit_code == 3
    (crash,) = crashing.glob("tandem-crash-*.txt")
    assert result.stderr == (
        f"tandem: internal error (RuntimeError) in 'tandem pair {EXAMPLE}'. This is a bug in "
        "Tandem, not in your input; please report it. Nothing was recorded; the details are "
        f"in {crash}.\n")
    assert result.stdout == ""


def test_the_crash_file_holds_the_traceback(crashing: Path) -> None:
    """The traceback goes to the crash file, with the command and the versions."""
    _run("pair", str(EXAMPLE))
    (crash,) = crashing.glob("tandem-crash-*.txt")
    text = crash.read_text("utf-8")
    assert f"command: tandem pair {EXAMPLE}\n" in text
    assert "Traceback (most recent call last):" in text
    assert "RuntimeError: an unexpected \x1b[2J failure" in text


def test_the_traceback_shows_on_stderr_only_with_v(crashing: Path) -> None:
    """With -v the traceback is printed too, its control characters escaped."""
    quiet = _run("pair", str(EXAMPLE))
    assert "Traceback" not in quiet.stderr
    loud = _run("-v", "pair", str(EXAMPLE))
    assert loud.exit_code == 3
    assert "Traceback (most recent call last):" in loud.stderr
    assert "RuntimeError: an unexpected \\x1b[2J failure" in loud.stderr
    assert "\x1b" not in loud.stderr


def test_errors_in_the_input_never_reach_the_crash_handler(crashing: Path) -> None:
    """Bad input is still exit 1 and usage errors exit 2, with no crash file."""
    assert _run("pair", str(REPO / "tests/data/invalid/unknown-field.json")).exit_code == 1
    assert _run("pair").exit_code == 2
    assert list(crashing.glob("tandem-crash-*.txt")) == []


def test_no_crash_file_can_be_written(crashing: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash folder that cannot be written still gives the message and exit 3."""
    monkeypatch.setenv("TANDEM_CRASH_DIR", str(crashing / "missing" / "folder"))
    result = _run("pair", str(EXAMPLE))
    assert result.exit_code == 3
    assert result.stderr.endswith("no crash file could be written; run again with -v to see "
                                  "the details.\n")


def test_a_closed_output_pipe_is_not_a_crash(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    """When the reader of the output goes away (`| head`), exit 1 without a crash file."""
    def closed(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("cli.views.show_pairing", closed)
    monkeypatch.setenv("TANDEM_CRASH_DIR", str(tmp_path))
    result = _run("pair", str(EXAMPLE))
    assert result.exit_code == 1
    assert list(tmp_path.glob("tandem-crash-*.txt")) == []
