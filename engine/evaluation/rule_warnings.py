"""Warnings about rules that cannot do what they say on this cohort, found at pair time.

In: the pairing rules, the cohort's participants, and the outcome table of an evaluation
whose assignment has swept every pair. Out: `Problem`s of severity "warning", located at
the rule's file and line. Nothing here stops a run: a rule that never fires is legal, but
it is usually a mistake an admin wants to hear about.

- a text constant that no participant of the cohort has (a misspelt subsidiary), with a
  "did you mean" among the cohort's own values;
- a scoring rule that fires on no pair, fires only on pairs an exclusion removes, or
  fires only on pairs that are not eligible for another reason (min_score).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from engine.base.errors import Problem, Severity
from engine.base.suggest import closest
from engine.evaluation.features import person_value
from engine.evaluation.scoring import OutcomeTable
from engine.profiles.cohort import Participant
from engine.rules.conditions import Test, leaves
from engine.rules.ruleset import Rule, Settings
from engine.rules.vocabulary import Vocabulary

_CHECKED = ("eq", "in", "not_in", "contains")


def _cohort_values(people: Sequence[Participant], name: str) -> set[str]:
    found: set[str] = set()
    for person in people:
        value = person_value(person, name, date.min, 1)
        if isinstance(value, tuple | list):
            found.update(v for v in value if isinstance(v, str))
        elif isinstance(value, str):
            found.add(value)
    return found


def constant_warnings(rules: Sequence[Rule], people: Sequence[Participant],
                      vocabulary: Vocabulary | None = None, *,
                      severity: Severity = "warning") -> list[Problem]:
    """A warning for each text constant of a rule that no participant has.

    With a vocabulary, the fields whose values it closes are left out: their constants were
    checked against it with the rules, and a known value no one of this cohort has is no
    typo. ``severity="error"`` is `tandem rules check --cohort`'s refusal.
    """
    out: list[Problem] = []
    values: dict[str, set[str]] = {}
    for rule in rules:
        seen: set[tuple[str, str]] = set()
        for leaf in leaves(rule.when):
            if not isinstance(leaf, Test) or leaf.side not in ("mentor", "mentee") or (
                    leaf.op not in _CHECKED or leaf.field == "role") or (
                    vocabulary is not None and vocabulary.values_of(leaf.field, leaf.side)
                    is not None):
                continue
            constants = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
            for constant in constants:
                if not isinstance(constant, str) or (leaf.field, constant) in seen:
                    continue
                seen.add((leaf.field, constant))
                known = values.get(leaf.field)
                if known is None:
                    known = values[leaf.field] = _cohort_values(people, leaf.field)
                if constant not in known:
                    fix = ("" if severity == "warning" else
                           "; correct it, or declare the field's known values in "
                           "vocabulary.yaml")
                    out.append(Problem(rule.file, f"line {rule.line}",
                                       f"rule {rule.id}: no participant has {leaf.field} "
                                       f"{constant!r}{fix}", closest(constant, sorted(known)),
                                       severity))
    return out


def firing_warnings(rules: Sequence[Rule], settings: Settings, table: OutcomeTable
                    ) -> list[Problem]:
    """A warning for each scoring rule that scores no eligible pair, saying why."""
    if not table.outcomes:
        return []
    fired = table.fired_matrix()
    eligible = table.eligible_ids
    excluded = np.array([o.excluded for o in table.outcomes], bool)
    exclusions = [i for i, r in enumerate(rules) if r.effect == "exclude"]
    out: list[Problem] = []
    for i, rule in enumerate(rules):
        if rule.effect != "score":
            continue
        on = fired[:, i]
        if (on & eligible).any():
            continue
        if not on.any():
            message = "fires on no pair of this cohort, so it scores nothing"
        elif not (on & ~excluded).any():
            blockers = [rules[k].id for k in exclusions if (fired[:, k] & on).any()]
            message = (f"fires only on pairs that an exclusion removes ("
                       f"{', '.join(blockers)}), so it scores no pair that can be formed")
        else:
            message = (f"fires on no eligible pair: the pairs it fires on are excluded or "
                       f"score under min_score {settings.min_score}")
        out.append(Problem(rule.file, f"line {rule.line}", f"rule {rule.id}: {message}",
                           None, "warning"))
    return out
