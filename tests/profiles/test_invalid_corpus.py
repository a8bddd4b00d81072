"""The broken-input corpus: each file in tests/data/invalid/ and what `tandem validate` prints.

The cases live in tests/data/invalid/cases.yaml, one entry per file, with the exact lines
expected on stderr. The tests here only run them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from engine.base.errors import Problem
from tests.profiles.conftest import DATA, REPO

INVALID = DATA / "invalid"
MANIFEST = INVALID / "cases.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(MANIFEST.read_text("utf-8"))["cases"]
MAKERS = ("huge", "directory", "nothing", "fifo", "device-link")


def _lines(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _prepare(case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work from the repository root, or from tmp_path for a file made on the spot."""
    make = case.get("make")
    if make in (None, "nothing"):
        monkeypatch.chdir(REPO)
        return
    monkeypatch.chdir(tmp_path)
    target = tmp_path / case["file"]
    target.parent.mkdir(parents=True)
    if make == "directory":
        target.mkdir()
    elif make == "fifo":  # a named pipe no one writes to: reading it would wait for ever
        os.mkfifo(target)
    elif make == "device-link":  # reports 0 bytes, and never ends
        target.symlink_to("/dev/zero")
    else:  # sparse: over the limit on disk without writing 50 MB
        with target.open("wb") as handle:
            handle.write(b"[")
            handle.truncate(50 * 1024 * 1024 + 1)


# The manifest itself

def test_manifest_covers_at_least_35_cases() -> None:
    """The corpus holds at least 35 broken inputs."""
    assert len(CASES) >= 35


def test_manifest_lists_every_file_in_the_corpus_once() -> None:
    """Every file in tests/data/invalid/ has exactly one case, so none is left untested."""
    on_disk = {p.name for p in INVALID.iterdir()} - {MANIFEST.name}
    listed = [Path(c["file"]).name for c in CASES if c.get("make") is None]
    assert sorted(listed) == sorted(on_disk)


def test_manifest_cases_are_complete() -> None:
    """Each case names its file, a description, an exit code, the stderr lines and a known maker."""
    for case in CASES:
        assert set(case) <= {"file", "description", "exit", "stderr", "stdout", "make"}, case
        assert case["file"].startswith("tests/data/invalid/"), case
        assert case["description"].strip(), case
        assert case["exit"] in (0, 1, 2), case
        assert case["stderr"], case
        assert case.get("make") in (None, *MAKERS), case


def test_made_files_are_not_committed() -> None:
    """Files the test makes (huge, directory, absent) are not stored in the corpus."""
    for case in CASES:
        if case.get("make"):
            assert not (REPO / case["file"]).exists(), case["file"]


def test_warning_only_cases_exit_0_and_report_no_error() -> None:
    """A case that exits 0 prints warnings only, never an error."""
    for case in CASES:
        if case["exit"] == 0:
            assert all(": warning: " in line for line in case["stderr"]), case["file"]


# Running each case

@pytest.mark.parametrize("case", CASES, ids=[Path(c["file"]).name for c in CASES])
def test_validate_prints_the_expected_lines(case: dict[str, Any], run: Callable[..., Result],
                                            tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """`tandem validate FILE` prints exactly the case's stderr lines and exits with its code."""
    _prepare(case, tmp_path, monkeypatch)
    result = run("validate", case["file"])
    assert result.stderr == _lines(case["stderr"])
    assert result.stdout == _lines(case.get("stdout", []))
    assert result.exit_code == case["exit"]


@pytest.mark.parametrize("case", [c for c in CASES if c["exit"] == 1],
                         ids=[Path(c["file"]).name for c in CASES if c["exit"] == 1])
def test_json_output_holds_the_same_problems(case: dict[str, Any], run: Callable[..., Result],
                                             tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """`--format json` lists the same problems as the text output, and prints nothing else."""
    _prepare(case, tmp_path, monkeypatch)
    result = run("validate", case["file"], "--format", "json")
    assert result.exit_code == 1
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["files"] == [{"file": case["file"], "valid": False}]
    rendered = [Problem(**error).render() for error in report["errors"]]
    assert rendered == case["stderr"][:-1]  # the last line is the count
