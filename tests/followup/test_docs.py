"""The test-and-learn guide matches the commands and the JSON contract."""

from __future__ import annotations

from pathlib import Path

from engine.insights.criteria import KINDS
from engine.insights.report import MIN_GROUP, MIN_OUTCOMES, SMALL_GROUP
from engine.insights.results import KINDS as RESULTS
from tests.insights.test_report import CRITERION_KEYS

REPO = Path(__file__).resolve().parents[2]
GUIDE = (REPO / "docs" / "test-and-learn.md").read_text(encoding="utf-8")


def test_the_guide_documents_every_command():
    """Each command and option this feature adds is in docs/test-and-learn.md."""
    for text in ("tandem checkin", "--from", "--skip-invalid", "tandem outcome",
                 "tandem insights", "--since", "tandem rules compare",
                 "python examples/program/load.py", "--question", "--power", "--difference",
                 "--share", "--partial-as-failure", "--min-group", "--experiment",
                 "--seed", "tandem insights --experiment"):
        assert text in GUIDE, text


def test_the_guide_states_the_minimums_the_code_uses():
    """The documented minimums are the code's."""
    for value in (MIN_OUTCOMES, MIN_GROUP, SMALL_GROUP):
        assert f"{value} " in GUIDE
    assert "| any criterion | 30 pairs with a result |" in GUIDE
    assert "(`--min-group`)" in GUIDE


def test_the_guide_defines_every_result():
    """The one definition of a result: every kind is in the guide's table."""
    table = GUIDE[GUIDE.index("### Only what is known"):GUIDE.index("### The criteria")]
    for kind in RESULTS:
        assert f"`{kind}`" in table, kind


def test_the_guide_names_every_criterion_kind_and_key():
    """Every `kind` and every key of a criterion appears in the JSON contract section."""
    contract = GUIDE[GUIDE.index("### The JSON contract"):]
    for name in (*KINDS, *CRITERION_KEYS):
        assert f"`{name}`" in contract or f'"{name}"' in contract, name


def test_the_readme_tour_loads_the_example():
    """The README's tour shows the one command that loads the example program."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "python examples/program/load.py --db sqlite:///program.db" in readme
