"""Comparing two rule sets: the "test" half of test-and-learn. Pure.

In: the old and the new rules (``engine.rules.ruleset.Rules``), a cohort, and optionally the past
cohorts with the results of their pairs (``PastCohort``, read by ``audit.compare``).
Out: plain data for `tandem rules compare`:

- ``rules``: the pairing rules added, removed and changed (field by field), and the settings
  changed;
- ``cohort``: both pairings of the cohort, by the same pipeline as `tandem pair`
  (``engine.pairing.pipeline.pair_cohort``): the pairs kept, gained and lost, the people
  newly paired and newly unpaired, and each changed pair's score under both rule sets with
  the rules that made the difference;
- ``history`` (with past cohorts): how many of the past pairs that succeeded (and that
  failed) each rule set would still form, re-pairing each past cohort as a whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.pairing.pipeline import evaluate, pair_cohort
from engine.profiles.cohort import Cohort
from engine.rules.conditions import describe
from engine.rules.ruleset import Rule, Rules

RULE_FIELDS = ("title", "because", "when", "effect", "points", "file")


@dataclass(frozen=True)
class PastCohort:
    """A past pairing run: its profiles as kept, its as-of date, its pairs' results."""

    run: str
    as_of: date
    profiles: Sequence[Mapping[str, Any]]
    results: Mapping[tuple[str, str], str] = field(default_factory=dict)
    erased: int = 0  # pairs with a result whose profiles are no longer kept (or unreadable)


def _fields(rule: Rule) -> dict[str, Any]:
    return {"title": rule.title, "because": rule.because, "when": describe(rule.when),
            "effect": rule.effect, "points": rule.points if rule.effect == "score" else None,
            "file": Path(rule.file).name}


def rule_changes(old: Rules, new: Rules) -> dict[str, Any]:
    """Pairing rules added, removed and changed field by field; settings changed."""
    before = {r.id: _fields(r) for r in old.pairing.rules}
    after = {r.id: _fields(r) for r in new.pairing.rules}
    changed = []
    for rule in sorted(before.keys() & after.keys()):
        diffs = [{"field": name, "old": before[rule][name], "new": after[rule][name]}
                 for name in RULE_FIELDS if before[rule][name] != after[rule][name]]
        if diffs:
            changed.append({"id": rule, "changes": diffs})
    old_settings, new_settings = old.pairing.settings.as_dict(), new.pairing.settings.as_dict()
    return {"added": [{"id": r, **after[r]} for r in sorted(after.keys() - before.keys())],
            "removed": [{"id": r, **before[r]} for r in sorted(before.keys() - after.keys())],
            "changed": changed,
            "settings": [{"field": k, "old": old_settings[k], "new": new_settings[k]}
                         for k in sorted(old_settings) if old_settings[k] != new_settings[k]],
            "unchanged": len([r for r in before.keys() & after.keys()
                              if r not in {c["id"] for c in changed}])}


class _Scorer:
    """Scores any pair of a cohort under one rule set, with the rules that fired."""

    def __init__(self, cohort: Cohort, rules: Rules) -> None:
        self.ev = evaluate(cohort, rules)
        self.rules = rules.pairing.rules
        self.min_score = rules.pairing.settings.min_score
        self.mentors = {p.id: i for i, p in enumerate(self.ev.space.mentors)}
        self.mentees = {p.id: i for i, p in enumerate(self.ev.space.mentees)}

    def __call__(self, mentor: str, mentee: str) -> dict[str, Any]:
        code = int(self.ev.space.pair_codes(np.array([self.mentors[mentor]]),
                                            np.array([self.mentees[mentee]]))[0])
        outcome = self.ev.table.outcome(code)
        fired = {self.rules[i].id: ("exclude" if self.rules[i].effect == "exclude"
                                    else self.rules[i].points) for i in outcome.fired}
        return {"score": outcome.points, "excluded": outcome.excluded,
                "eligible": not outcome.excluded and outcome.points >= self.min_score,
                "fired": fired}


def _effect(value: Any) -> str:
    return "exclude" if value == "exclude" else f"{value:+d}"


def _difference(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The rules whose effect on this pair differs: fired under one set only, or with other
    points."""
    out = []
    for rule in sorted(old.keys() | new.keys()):
        if rule not in new:
            out.append(f"{rule} ({_effect(old[rule])}) no longer fires")
        elif rule not in old:
            out.append(f"{rule} ({_effect(new[rule])}) now fires")
        elif old[rule] != new[rule]:
            out.append(f"{rule}: {_effect(old[rule])} -> {_effect(new[rule])}")
    return out


def compare_cohort(cohort: Cohort, old: Rules, new: Rules) -> dict[str, Any]:
    """Both pairings of the cohort, and what changed between them."""
    first, second = pair_cohort(cohort, old), pair_cohort(cohort, new)
    before = {(p["mentor"], p["mentee"]): p for p in first["pairs"]}
    after = {(p["mentor"], p["mentee"]): p for p in second["pairs"]}
    score_old, score_new = _Scorer(cohort, old), _Scorer(cohort, new)
    changed = []
    for key in sorted(before.keys() | after.keys()):
        status = ("kept" if key in before and key in after
                  else "lost" if key in before else "gained")
        a, b = score_old(*key), score_new(*key)
        if status == "kept" and a["score"] == b["score"]:
            continue
        why = _difference(a["fired"], b["fired"])
        if not why:
            why = ["no rule changed for this pair: it was " + (
                "displaced by pairs worth more to the cohort" if status == "lost"
                else "freed by changes elsewhere in the cohort")]
        changed.append({"mentor": key[0], "mentee": key[1], "status": status,
                        "old": {"score": a["score"], "eligible": a["eligible"]},
                        "new": {"score": b["score"], "eligible": b["eligible"]},
                        "because": why})
    paired_before = {p for key in before for p in key}
    paired_after = {p for key in after for p in key}
    return {
        "as_of": cohort.as_of.isoformat(),
        "old": first["summary"], "new": second["summary"],
        "kept": len(before.keys() & after.keys()),
        "gained": len(after.keys() - before.keys()),
        "lost": len(before.keys() - after.keys()),
        "newly_unpaired": sorted(paired_before - paired_after),
        "newly_paired": sorted(paired_after - paired_before),
        "changed_pairs": changed,
    }


def _formed(cohort: Cohort, rules: Rules) -> set[tuple[str, str]]:
    return {(p["mentor"], p["mentee"]) for p in pair_cohort(cohort, rules)["pairs"]}


def compare_history(past: Sequence[PastCohort], old: Rules, new: Rules) -> dict[str, Any]:
    """Of the past pairs with a result, how many each rule set would still form."""
    from engine.profiles.validate import _participant

    counts = {result: {"pairs": 0, "old_rules_form": 0, "new_rules_form": 0}
              for result in ("success", "partial", "failure")}
    erased = sum(p.erased for p in past)
    for run in past:
        try:
            participants = sorted((_participant(p, new.vocabulary) for p in run.profiles),
                                  key=lambda p: p.id)
        except (KeyError, ValueError):  # a kept profile Tandem cannot read back
            erased += len(run.results)
            continue
        cohort = Cohort(participants, run.as_of, f"run {run.run}")
        known = {p.id for p in participants}
        if not cohort.mentors or not cohort.mentees:
            erased += len(run.results)
            continue
        formed_old, formed_new = _formed(cohort, old), _formed(cohort, new)
        for key, result in run.results.items():
            if not set(key) <= known:
                erased += 1
                continue
            counts[result]["pairs"] += 1
            counts[result]["old_rules_form"] += key in formed_old
            counts[result]["new_rules_form"] += key in formed_new
    return {"runs": len(past), **counts, "not_checked": erased}


def fired_pairs(cohort: Cohort, rules: Rules) -> dict[str, npt.NDArray[np.bool_]]:
    """For each pairing rule, whether it fires on each mentor x mentee of the cohort (rows
    and columns in the cohort's order of mentors and mentees)."""
    ev = evaluate(cohort, rules)
    space, table = ev.space, ev.table
    shape = (len(space.mentors), len(space.mentees))
    out = {r.id: np.zeros(shape, bool) for r in rules.pairing.rules}
    for rows in space.chunks():
        ids = table.resolve(space.codes(rows, slice(None)))
        fired = table.fired_matrix()
        for k, rule in enumerate(rules.pairing.rules):
            out[rule.id][rows] = fired[ids, k]
    return out


def firing_changes(cohort: Cohort, old: Rules, new: Rules, same: Sequence[str]
                   ) -> list[dict[str, Any]]:
    """Rules written the same in both sets that fire on other pairs of the cohort: a change
    of the vocabulary (a topic's themes, an intention's) changes what a rule means."""
    if not same:
        return []
    before, after = fired_pairs(cohort, old), fired_pairs(cohort, new)
    vocabulary = old.files.get("vocabulary.yaml") != new.files.get("vocabulary.yaml")
    out = []
    for rule in same:
        was, now = before[rule], after[rule]
        if not np.array_equal(was, now):
            cause = "vocabulary.yaml changed" if vocabulary else "the other rules changed"
            out.append({"id": rule, "changes": [
                {"field": "pairs it fires on",
                 "old": f"{int(was.sum())} pairs",
                 "new": f"{int(now.sum())} pairs ({int((now & ~was).sum())} gained, "
                        f"{int((was & ~now).sum())} lost; {cause})"}]})
    return out


def compare(old: Rules, new: Rules, cohort: Cohort,
            past: Sequence[PastCohort] | None = None) -> dict[str, Any]:
    """`tandem rules compare`: the rule changes, their effect on the cohort and, with past
    cohorts, on the pairs that worked."""
    changes = rule_changes(old, new)
    written = {c["id"] for c in changes["changed"]}
    same = sorted({r.id for r in old.pairing.rules} & {r.id for r in new.pairing.rules}
                  - written)
    moved = firing_changes(cohort, old, new, same)
    if moved:
        changes["changed"] = sorted([*changes["changed"], *moved], key=lambda c: c["id"])
        changes["unchanged"] -= len(moved)
    out: dict[str, Any] = {"old_rules": {"directory": str(old.directory),
                                         "rules_digest": old.digest},
                           "new_rules": {"directory": str(new.directory),
                                         "rules_digest": new.digest},
                           "cohort_file": cohort.source,
                           "rules": changes,
                           "cohort": compare_cohort(cohort, old, new),
                           "history": None}
    if past is not None:
        out["history"] = compare_history(past, old, new)
    return out
