"""The test-and-learn guide matches the commands and the JSON contract."""

from __future__ import annotations

from pathlib import Path

from engine.insights.criteria import KINDS
from engine.insights.report import (
    EVENTS_PER_VARIABLE,
    MIN_GROUP,
    MIN_MODEL_OUTCOMES,
    MIN_OUTCOMES,
)
from tests.insights.test_report import CRITERION_KEYS

REPO = Path(__file__).resolve().parents[2]
GUIDE = (REPO / "docs" / "test-and-learn.md").read_text(encoding="utf-8")


def test_the_guide_documents_every_command():
    """Each command and option this feature adds is in docs/test-and-learn.md."""
    for text in ("tandem checkin", "--from", "--skip-invalid", "tandem outcome",
                 "tandem insights", "--since", "tandem rules compare",
                 "python examples/program/load.py"):
        assert text in GUIDE, text


def test_the_guide_states_the_minimums_the_code_uses():
    """The documented minimums are the code's."""
    for value in (MIN_OUTCOMES, MIN_GROUP, MIN_MODEL_OUTCOMES, EVENTS_PER_VARIABLE):
        assert f"{value} " in GUIDE
    assert "| any criterion | 30 pairs with a result |" in GUIDE


def test_the_guide_names_every_criterion_kind_and_key():
    """Every `kind` and every key of a criterion appears in the JSON contract section."""
    contract = GUIDE[GUIDE.index("### The JSON contract"):]
    for name in (*KINDS, *CRITERION_KEYS):
        assert f"`{name}`" in contract or f'"{name}"' in contract, name


def test_the_readme_tour_loads_the_example():
    """The README's tour shows the one command that loads the example program."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "python examples/program/load.py --db sqlite:///program.db" in readme
