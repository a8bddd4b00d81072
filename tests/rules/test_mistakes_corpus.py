"""A corpus of deliberate admin mistakes (misspelt field, operator, value, theme, objective
and `then`), each refused by `tandem rules check` with its exact message."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from engine.base.resources import rules_dir

CORPUS = Path(__file__).resolve().parents[1] / "data" / "rules-mistakes.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CORPUS.read_text("utf-8"))
KINDS = ("field", "operator", "value", "theme", "objective", "then")


def test_the_corpus_covers_every_kind_of_mistake() -> None:
    """At least 30 cases, and every kind of mistake the corpus names is there."""
    assert len(CASES) >= 30
    assert {case["mistake"] for case in CASES} == set(KINDS)
    assert len({case["description"] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["description"] for case in CASES])
def test_each_mistake_gets_its_exact_message(case: dict[str, Any], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             run: Callable[..., Result]) -> None:
    """`tandem rules check` exits 1 with exactly the recorded lines."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(rules_dir(), "r")
    if "rules" in case:
        Path("r/extra.yaml").write_text(case["rules"], "utf-8")
    else:
        edit = case["edit"]
        path = Path("r") / edit["file"]
        text = path.read_text("utf-8")
        assert edit["old"] in text, "the bundled file no longer holds the text to change"
        path.write_text(text.replace(edit["old"], edit["new"], 1), "utf-8")
    result = run("rules", "check", "--rules", "r")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == case["expected"]
