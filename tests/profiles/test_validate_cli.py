"""`tandem validate` as a user meets it: output formats, exit codes, and no side effects."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import Result

from engine import __version__
from tests.profiles.conftest import DATA, REPO

EXAMPLE_JSON = "examples/cohort.json"
EXAMPLE_CSV = "examples/cohort.csv"


@pytest.fixture
def at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the repository root, so paths in messages are short and stable."""
    monkeypatch.chdir(REPO)


def _snapshot(root: Path) -> dict[str, str]:
    """Every file and directory under root, with a digest of each file's bytes."""
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest()
                                       if p.is_file() else "dir")
            for p in sorted(root.rglob("*"))}


# --format json

@pytest.mark.usefixtures("at_repo")
def test_json_output_lists_each_error_with_file_path_message_suggestion(
        run: Callable[..., Result]) -> None:
    """Each error in --format json has its file, JSON path, severity, message and suggestion."""
    file = "tests/data/invalid/unknown-learning-style.json"
    result = run("validate", file, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "valid": False,
        "files": [{"file": file, "valid": False}],
        "errors": [{
            "file": file,
            "path": "$[1].learning_style",
            "severity": "error",
            "message": "'theorst' is not one of ['activist', 'reflector', 'theorist', "
                       "'pragmatist']",
            "suggestion": "theorist",
        }],
    }


@pytest.mark.usefixtures("at_repo")
def test_json_output_of_a_valid_file_counts_its_people(run: Callable[..., Result]) -> None:
    """A valid file in --format json reports its counts and an empty error list."""
    result = run("validate", EXAMPLE_JSON, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "valid": True,
        "files": [{"file": EXAMPLE_JSON, "valid": True, "participants": 42, "mentors": 18,
                   "mentees": 24}],
        "errors": [],
    }


@pytest.mark.usefixtures("at_repo")
def test_json_output_keeps_warnings_with_their_severity(run: Callable[..., Result]) -> None:
    """A warning appears in --format json with severity 'warning' and a valid file."""
    file = "tests/data/invalid/manager-not-in-cohort.json"
    result = run("validate", file, "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0
    assert report["valid"] is True
    assert [(e["path"], e["severity"]) for e in report["errors"]] == [
        ("$[1].manager_id", "warning")]


# Exit codes

@pytest.mark.usefixtures("at_repo")
@pytest.mark.parametrize(("args", "code"), [
    # 0: every file valid
    ((EXAMPLE_JSON,), 0),
    ((EXAMPLE_JSON, EXAMPLE_CSV), 0),
    (("tests/data/invalid/manager-not-in-cohort.json",), 0),
    # 1: a file has errors
    (("tests/data/invalid/duplicate-ids.json",), 1),
    ((EXAMPLE_JSON, "tests/data/invalid/empty.json"), 1),
    (("missing.csv",), 1),
    # 2: wrong usage
    ((), 2),
    (("--format", "yaml", EXAMPLE_JSON), 2),
    (("--no-such-option", EXAMPLE_JSON), 2),
    (("tests/data",), 2),
])
def test_exit_code(args: tuple[str, ...], code: int, run: Callable[..., Result]) -> None:
    """validate exits 0 when every file is valid, 1 when one has errors, 2 on wrong usage."""
    assert run("validate", *args).exit_code == code


@pytest.mark.usefixtures("at_repo")
def test_no_file_argument_says_what_is_missing(run: Callable[..., Result]) -> None:
    """Without a file, validate prints its usage and names the missing argument."""
    result = run("validate")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "Usage: tandem validate [OPTIONS] FILES..."
    assert result.stderr.splitlines()[-1] == "Error: Missing argument 'FILES...'."


@pytest.mark.usefixtures("at_repo")
def test_a_broken_file_does_not_stop_the_others(run: Callable[..., Result]) -> None:
    """Each file is checked even when an earlier one is broken, and the valid one says so."""
    result = run("validate", "tests/data/invalid/empty.json", EXAMPLE_CSV)
    assert result.exit_code == 1
    assert result.stdout == f"{EXAMPLE_CSV}: valid: 42 participants (18 mentors, 24 mentees)\n"
    assert result.stderr.startswith("tests/data/invalid/empty.json: error: the file is empty")
    assert result.stderr.endswith("\n1 error found; nothing was written\n")


# Nothing written

@pytest.mark.parametrize("args", [
    ("cohort.json",),
    ("cohort.csv", "--format", "json"),
    ("broken.json", "cohort.json"),
])
def test_validate_writes_nothing(args: tuple[str, ...], run: Callable[..., Result],
                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """validate leaves its working directory exactly as it was: no new, changed or lost file."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(REPO / EXAMPLE_JSON, "cohort.json")
    shutil.copy(REPO / EXAMPLE_CSV, "cohort.csv")
    shutil.copy(DATA / "invalid" / "json-syntax-error.json", "broken.json")
    before = _snapshot(tmp_path)
    result = run("validate", *args)
    assert result.exit_code in (0, 1)
    assert _snapshot(tmp_path) == before


# --version and --help

def test_version_prints_the_package_version(run: Callable[..., Result]) -> None:
    """`tandem --version` prints the version the package declares."""
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"tandem, version {__version__}\n"


def test_help_lists_validate(run: Callable[..., Result]) -> None:
    """`tandem --help` exits 0 and lists the validate command."""
    result = run("--help")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: tandem [OPTIONS] COMMAND [ARGS]...")
    assert any(line.split()[:1] == ["validate"] for line in result.stdout.splitlines())


def test_registering_commands_twice_changes_nothing(tandem: click.Group) -> None:
    """cli.main._register() is idempotent: a second call registers the same commands."""
    from cli import main

    before = dict(tandem.commands)
    main._register()
    assert tandem.commands == before
