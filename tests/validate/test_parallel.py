"""Large cohorts are validated on several cores: the problems found are exactly the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import validate
from engine.read import read_cohort_file
from engine.resources import rules_dir
from engine.validate import check_cohort, column_kinds
from engine.vocabulary import load_vocabulary

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cohort.json"


def test_parallel_validation_reports_the_same_problems(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked workers find every error, in the same order and words, as one process."""
    data = json.loads(EXAMPLE.read_text())
    data["participants"][3]["learning_style"] = "theorst"
    data["participants"][17]["hire_date"] = "2021-02-30"
    data["participants"][30]["lerning_style"] = "x"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    vocabulary = load_vocabulary(rules_dir())
    raw = read_cohort_file(broken, column_kinds())
    _, alone = check_cohort(raw, vocabulary)
    monkeypatch.setattr(validate, "PARALLEL_FROM", 2)
    _, spread = check_cohort(raw, vocabulary)
    assert [p.render() for p in spread] == [p.render() for p in alone]
    assert len([p for p in alone if p.severity == "error"]) == 3
