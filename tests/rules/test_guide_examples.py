"""The rules guide's own examples run: every YAML block of docs/rules.md is extracted,
checked with the rules it belongs to, and paired on the example cohort; a block marked
with the rules it fires is asserted to fire them.

Each block is preceded by a comment `<!-- example: kind=K base=B fires=ID,ID -->`:
- kind: file (a whole rule file, alone with the vocabulary), rules (rule list items, added
  to the base rules), my_job_days (my-job-day rule items), constraints (a `constraints:`
  list), vocabulary (top-level `fields:`), vocabulary-section (a section of `vocabulary:`);
- base: bundled (rules/ with examples/cohort.json) or second-edition
  (examples/rules-second-edition/ with examples/cohort-second-edition.json);
- fires: the rule ids that must fire on at least one pair of the cohort.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.evaluation.compile import compile_rules
from engine.evaluation.inputs import load_inputs
from engine.pairing.compare import fired_pairs
from engine.pairing.pipeline import pair_cohort
from engine.rules.ruleset import load_rules

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "rules.md"
BASES = {"bundled": (ROOT / "rules", ROOT / "examples" / "cohort.json"),
         "second-edition": (ROOT / "examples" / "rules-second-edition",
                            ROOT / "examples" / "cohort-second-edition.json")}
_BLOCK = re.compile(r"^([ \t]*)```yaml\n(.*?)^[ \t]*```", re.S | re.M)
_MARK = re.compile(r"<!-- example: (.*?) -->\s*$")


@dataclass(frozen=True)
class Example:
    line: int
    text: str
    kind: str
    base: str
    fires: tuple[str, ...]


def _examples() -> list[Example]:
    guide = GUIDE.read_text("utf-8")
    out = []
    for match in _BLOCK.finditer(guide):
        line = guide.count("\n", 0, match.start()) + 1
        before = guide[:match.start()].rstrip("\n").splitlines()
        mark = _MARK.search(before[-1]) if before else None
        assert mark, f"docs/rules.md, line {line}: a YAML block without an example comment"
        attrs = dict(a.split("=", 1) for a in mark.group(1).split() if "=" in a)
        fires = tuple(f for f in attrs.get("fires", "").split(",") if f)
        out.append(Example(line, textwrap.dedent(match.group(2)), attrs["kind"],
                           attrs["base"], fires))
    return out


EXAMPLES = _examples()


def _renamed(text: str) -> str:
    """Rule and constraint ids prefixed with doc/, so that none clashes with the base's."""
    return re.sub(r"^(\s*- id: )", r"\1doc/", text, flags=re.M)


def _directory(example: Example, target: Path) -> Path:
    base, _ = BASES[example.base]
    if example.kind == "file":
        target.mkdir()
        shutil.copy(base / "vocabulary.yaml", target)
        (target / "example.yaml").write_text(example.text, "utf-8")
        return target
    shutil.copytree(base, target)
    vocabulary = target / "vocabulary.yaml"
    if example.kind == "rules":
        (target / "example.yaml").write_text(
            "ruleset: pairing\nrules:\n" + _renamed(example.text), "utf-8")
    elif example.kind == "my_job_days":
        (target / "example.yaml").write_text(
            "ruleset: my_job_days\nrules:\n" + textwrap.indent(_renamed(example.text), "  "),
            "utf-8")
    elif example.kind == "constraints":
        (target / "example.yaml").write_text("ruleset: pairing\n" + _renamed(example.text),
                                             "utf-8")
    elif example.kind == "vocabulary":
        vocabulary.write_text(vocabulary.read_text("utf-8") + "\n" + example.text, "utf-8")
    elif example.kind == "vocabulary-section":
        text = vocabulary.read_text("utf-8")
        at = text.index("  separation_categories:")
        vocabulary.write_text(text[:at] + textwrap.indent(example.text, "  ") + "\n" + text[at:],
                              "utf-8")
    else:
        raise AssertionError(f"docs/rules.md, line {example.line}: unknown kind {example.kind}")
    return target


def test_every_yaml_block_of_the_guide_is_an_example() -> None:
    """The guide has YAML blocks, each marked, and some marked to fire."""
    assert len(EXAMPLES) >= 10
    assert sum(1 for e in EXAMPLES if e.fires) >= 4


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"line {e.line}" for e in EXAMPLES])
def test_the_guides_example_checks_pairs_and_fires(example: Example, tmp_path: Path) -> None:
    """The block is accepted by the checks, the cohort pairs under it, and each rule it is
    meant to fire fires on some pair of the example cohort."""
    directory = _directory(example, tmp_path / "rules")
    rules = load_rules(directory)
    compile_rules(rules)
    _, cohort_path = BASES[example.base]
    cohort, rules, _ = load_inputs(cohort_path, directory)
    result = pair_cohort(cohort, rules)
    assert result["pairs"], f"docs/rules.md, line {example.line}: no pair formed"
    if example.fires:
        fired = fired_pairs(cohort, rules)
        names = {rule.id: rule.id for rule in rules.pairing.rules}
        for rule_id in example.fires:
            own = f"doc/{rule_id}" if example.kind != "file" else rule_id
            assert own in names, f"docs/rules.md, line {example.line}: no rule {rule_id}"
            assert fired[own].any(), (f"docs/rules.md, line {example.line}: {rule_id} fires "
                                      "on no pair")
