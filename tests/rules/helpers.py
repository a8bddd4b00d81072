"""Rules directories for the tests of this package: a copy of the bundled rules, edited."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.base.resources import rules_dir

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cohort.json"
RULE = "  - id: {id}\n    title: T\n    because: B\n    when: {when}\n    then: {then}\n"


def rules_copy(target: Path, extra: str | None = None, *, vocabulary: str | None = None,
               source: Path | None = None) -> Path:
    """A copy of the bundled rules (or ``source``) with ``extra.yaml`` added and text
    inserted into vocabulary.yaml before its `separation_categories` section."""
    shutil.copytree(source or rules_dir(), target)
    if extra is not None:
        (target / "extra.yaml").write_text(extra, "utf-8")
    if vocabulary is not None:
        path = target / "vocabulary.yaml"
        text = path.read_text("utf-8")
        at = text.index("  separation_categories:")
        path.write_text(text[:at] + vocabulary + text[at:], "utf-8")
    return target


def rule_file(*rules: tuple[str, str, str]) -> str:
    """A pairing rule file holding (id, when, then) rules, each 5 lines from line 3."""
    return "ruleset: pairing\nrules:\n" + "".join(
        RULE.format(id=i, when=w, then=t) for i, w, t in rules)
