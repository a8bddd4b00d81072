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

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from engine.base.errors import InvalidInput, Problem, Severity
from engine.base.suggest import closest
from engine.evaluation.features import person_value
from engine.evaluation.scoring import OutcomeTable
from engine.profiles.cohort import Participant
from engine.rules.conditions import Test, leaves
from engine.rules.ruleset import Rule, Settings
from engine.rules.vocabulary import Vocabulary

_CHECKED = ("eq", "in", "not_in", "contains")
# The warnings that stop a commit: a text constant no participant has (most often a typo,
# for a field whose values the vocabulary does not declare), and a rule that is dead by the
# rules themselves (every pair it fires on is excluded). "Fires on no pair" and "no eligible
# pair" depend on who is in the cohort, and a small cohort has many: they are shown only.
_UNKNOWN_CONSTANT = ": no participant has "
_DEAD_RULE = ": fires only on pairs that an exclusion removes"




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
                                       f"rule {rule.id}{_UNKNOWN_CONSTANT}{leaf.field} "
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
    excluded = table.excluded_ids
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
            blocking = [rules[k] for k in exclusions if (fired[:, k] & on).any()]
            blockers = ", ".join(r.id for r in blocking)
            if all(any(f.startswith("pair.") for f in r.fields) for r in blocking):
                # Excluded only by the couples' past: it depends on who was paired before.
                message = (f"fires only on couples whose past excludes them ({blockers}), so "
                           "it scores no pair that can be formed")
            else:
                message = (f"{_DEAD_RULE[2:]} ({blockers}), so it scores no pair that can be "
                           "formed")
        else:
            message = (f"fires on no eligible pair: the pairs it fires on are excluded or "
                       f"score under min_score {settings.min_score}")
        out.append(Problem(rule.file, f"line {rule.line}", f"rule {rule.id}: {message}",
                           None, "warning"))
    return out


class WarningsStand(InvalidInput):
    """A run was to be committed while warnings about its rules stand."""

    def summary(self) -> str:
        n = len(self.problems)
        return (f"{n} warning{'s' if n != 1 else ''} about the rules stand{'s' if n == 1 else ''}"
                "; nothing was recorded. Correct the rules (a misspelt constant, a rule that "
                "can never score), or pass --accept-warnings to record the run with the "
                "warnings in its entry")


def blocks_commit(warning: Mapping[str, Any]) -> bool:
    """Whether a warning of a result must be accepted before the run is committed."""
    message = str(warning.get("message", ""))
    return warning.get("severity") == "warning" and (
        _UNKNOWN_CONSTANT in message or _DEAD_RULE in message)


def refuse_unaccepted(warnings: Sequence[Problem], accepted: bool) -> list[str]:
    """Before a commit: refuse while warnings that block it stand (see `blocks_commit`),
    unless they are accepted; accepted, they are returned as lines for the run's entry."""
    standing = [w for w in warnings if blocks_commit(w.as_dict())]
    if standing and not accepted:
        raise WarningsStand(standing, "rules")
    return [render_warning(w.as_dict()) for w in standing]


def render_warning(warning: Mapping[str, Any]) -> str:
    """A warning as one line, without the file's directory (the entry keeps file names)."""
    problem = Problem(**warning)
    return Problem(Path(problem.file).name, problem.path, problem.message, problem.suggestion,
                   problem.severity).render()
