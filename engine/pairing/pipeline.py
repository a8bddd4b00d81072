"""The pairing pipeline: cohort + rules -> features -> outcomes -> assignment -> decisions.

`pair_cohort` is pure: it reads nothing and writes nothing. The CLI prints its result;
`--commit` hands it to the audit log.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from engine import __version__
from engine.base import oplog
from engine.base.canonical import digest
from engine.base.errors import Problem
from engine.evaluation.explain import candidates, reasons, sentence, unpaired_why
from engine.evaluation.features import PairSpace
from engine.evaluation.rete import GroupedEngine
from engine.evaluation.scoring import OutcomeTable
from engine.profiles.cohort import Cohort
from engine.rules.history import Standing
from engine.rules.ruleset import Rules

if TYPE_CHECKING:
    from engine.pairing.assignment import Assignment
    from engine.pairing.classes import Classes
    from engine.pairing.constraints import Quotas, SolverReport

log = oplog.get_logger("tandem.pairing")


def input_digest(cohort: Cohort) -> str:
    """SHA-256 over the canonical profiles (without protected data) and the as-of date."""
    from engine.evaluation.inputs import profiles_for_snapshot

    return digest({"as_of": cohort.as_of.isoformat(),
                   "participants": profiles_for_snapshot(cohort)})


@dataclass
class Evaluation:
    """Everything computed for one cohort, kept for explanations."""

    space: PairSpace
    table: OutcomeTable
    rules: Rules
    capacities: np.ndarray[Any, np.dtype[np.int64]]
    engine: GroupedEngine
    timings: dict[str, float] = field(default_factory=dict)
    # The classes of people, when the class path solved the assignment (explanations read them).
    classes: tuple[Classes, Classes] | None = None


def places(cohort: Cohort, rules: Rules, standing: Standing) -> dict[str, int]:
    """Places each person of the cohort has left: a mentor's capacity minus the places they
    hold, a mentee's one place unless they hold it."""
    default = rules.pairing.settings.default_capacity
    return {p.id: 0 if p.id in standing.withdrawn else
            max(0, (p.capacity or default if p.role == "mentor" else 1)
                - standing.load.get(p.id, 0)) for p in cohort.participants}


def taken_in(cohort: Cohort, rules: Rules, standing: Standing) -> frozenset[str]:
    """The people of the cohort with no place left."""
    return frozenset(pid for pid, n in places(cohort, rules, standing).items() if n <= 0)


def evaluate(cohort: Cohort, rules: Rules, busy: Iterable[str] = (), *,
             standing: Standing | None = None,
             only: tuple[frozenset[str] | None, frozenset[str] | None] = (None, None)
             ) -> Evaluation:
    """Set up the pair features and the outcome table for the available people.

    ``busy`` people are left out. ``standing`` (the program's state) also leaves out the
    people with no place left, gives mentors their remaining places, and lets the rules
    read each couple's past. ``only`` restricts the mentors, the mentees, or both, to the
    given ids.

    Outcomes are learnt lazily: the first sweep over the pairs (the assignment's) meets
    each distinct feature combination; the rule engine sees each distinct combination of
    the features a group of rules reads once.
    """
    standing = standing or Standing()
    left = places(cohort, rules, standing)
    taken = set(busy) | {pid for pid, n in left.items() if n <= 0}
    pairing = rules.pairing
    settings = pairing.settings
    mentors = [p for p in cohort.mentors if p.id not in taken
               and (only[0] is None or p.id in only[0])]
    mentees = [p for p in cohort.mentees if p.id not in taken
               and (only[1] is None or p.id in only[1])]
    conditions = [r.when for r in pairing.rules]
    clock = time.perf_counter()
    space = PairSpace(conditions, mentors, mentees, rules.vocabulary, cohort.as_of,
                      settings.default_capacity, history=standing)
    timings = {"features": time.perf_counter() - clock, "engine": 0.0}
    engine = GroupedEngine(conditions, lambda leaf: space.atom_for(leaf).name)

    def run_engine(codes: Sequence[int]) -> list[frozenset[int]]:
        started = time.perf_counter()
        fired = engine.fired_many([space.features(code) for code in codes])
        timings["engine"] += time.perf_counter() - started
        return fired

    table = OutcomeTable(space.code_space, pairing.rules, settings, run_engine)
    capacities = np.array([left[m.id] for m in mentors], np.int64)
    return Evaluation(space, table, rules, capacities, engine, timings)


def solve(ev: Evaluation, forced: tuple[int, int] | None = None
          ) -> tuple[Assignment, SolverReport, Quotas | None]:
    """The best pairing of an evaluation: the plain assignment when the rules set no
    constraint, else the exact MILP of engine.pairing.constraints."""
    from engine.pairing.assignment import assign_auto
    from engine.pairing.constraints import SolverReport, assign_with_constraints, quotas_of

    pairing = ev.rules.pairing
    settings = pairing.settings
    if not pairing.constraints:
        found = assign_auto(ev.space, ev.table, ev.capacities, settings.objective,
                            forced=forced)
        if found.path == "classes":
            ev.classes = found.classes
            if not found.proved:
                log.warning("class path: the duality certificate does not hold")
            return found, SolverReport("assignment", bool(found.proved), 0.0, path="classes",
                                       classes=(len(found.classes[0]), len(found.classes[1]))
                                       if found.classes else None), None
        return found, SolverReport("assignment", True, 0.0, path="dense"), None
    quotas = quotas_of(pairing.constraints, ev.space)
    found, report = assign_with_constraints(ev.space, ev.table, ev.capacities,
                                            settings.objective, quotas, settings.time_limit,
                                            forced)
    return found, report, quotas


def pair_cohort(cohort: Cohort, rules: Rules, busy: Iterable[str] = (), *,
                standing: Standing | None = None,
                only: tuple[frozenset[str] | None, frozenset[str] | None] = (None, None)
                ) -> dict[str, Any]:
    """Pair a validated cohort under the rules. Returns the JSON contract as plain data.

    ``standing``: the program's state (places held, each couple's past); see `evaluate`.
    """
    standing = standing or Standing()
    taken = frozenset(busy) | taken_in(cohort, rules, standing)
    ev = evaluate(cohort, rules, taken, standing=standing, only=only)
    settings = rules.pairing.settings
    clock = time.perf_counter()
    result, solver, quotas = solve(ev)
    ev.timings["assignment"] = time.perf_counter() - clock - ev.timings["engine"]
    clock = time.perf_counter()
    space, table, rule_list = ev.space, ev.table, rules.pairing.rules
    pairs = []
    outcome_ids = table.resolve(space.pair_codes(result.mentors, result.mentees))
    for m, e, outcome, score in zip(result.mentors.tolist(), result.mentees.tolist(),
                                    outcome_ids.tolist(), result.scores.tolist(), strict=True):
        mentor, mentee = space.mentors[m], space.mentees[e]
        why = reasons(table.outcomes[outcome], rule_list, mentor, mentee, space)
        pairs.append({"mentor": mentor.id, "mentee": mentee.id, "score": score,
                      "sentence": sentence(mentor, mentee, score, why), "reasons": why})
    unpaired = _unpaired(cohort, ev, result.mentors.tolist(), result.mentees.tolist(), taken,
                         standing)
    if quotas is not None:
        _name_full_quotas(unpaired, ev, result, quotas)
    if not solver.optimal:
        log.warning("not proved optimal", gap=solver.gap, time_limit=settings.time_limit)
    warnings = rule_warnings(cohort, ev)
    ev.timings["explanations"] = time.perf_counter() - clock
    log.info("paired", pairs=len(pairs), unpaired=len(unpaired),
             distinct_combinations=len(ev.table.outcomes), engine_calls=ev.engine.calls,
             **{k: round(v, 3) for k, v in ev.timings.items()})
    return result_document(cohort, rules, ev, pairs, unpaired, taken, warnings,
                           solver.as_dict())


def result_document(cohort: Cohort, rules: Rules, ev: Evaluation, pairs: list[dict[str, Any]],
                    unpaired: list[dict[str, Any]], taken: frozenset[str],
                    warnings: Sequence[Problem], solver: dict[str, Any],
                    extra: dict[str, Any] | None = None,
                    summary_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON contract of `tandem pair --format json`: one place that builds it, for a run
    and for an experiment (``extra`` goes before the summary, ``summary_extra`` before its
    count of distinct combinations)."""
    return {
        "tandem_version": __version__,
        "rules_digest": rules.digest,
        "input_digest": input_digest(cohort),
        "as_of": cohort.as_of.isoformat(),
        "settings": rules.pairing.settings.as_dict(),
        "pairs": pairs,
        "unpaired": unpaired,
        "warnings": [w.as_dict() for w in warnings],
        "solver": solver,
        **(extra or {}),
        "summary": {"mentors": len(cohort.mentors), "mentees": len(cohort.mentees),
                    "pairs": len(pairs), "total_score": int(sum(p["score"] for p in pairs)),
                    "unpaired": len(unpaired), "already_paired": len(
                        [p for p in cohort.participants if p.id in taken]),
                    **(summary_extra or {}),
                    "distinct_combinations": len(ev.table.outcomes)},
    }


def _name_full_quotas(unpaired: list[dict[str, Any]], ev: Evaluation, result: Assignment,
                      quotas: Quotas) -> None:
    """Say so when a full quota kept an outscored person from a partner who had room.

    With room on both sides, only a quota can stop an eligible pair worth forming: the
    pairing would otherwise be improved by adding it.
    """
    from engine.pairing.constraints import weight_matrix

    space = ev.space
    weights = weight_matrix(space, ev.table, ev.capacities, ev.rules.pairing.settings.objective)
    load = np.bincount(result.mentors, minlength=len(space.mentors))
    mentor_room = load < ev.capacities
    mentee_free = np.ones(len(space.mentees), bool)
    mentee_free[result.mentees] = False
    full = quotas.full(result.mentors, result.mentees)
    rows = {("mentor", p.id): i for i, p in enumerate(space.mentors)}
    rows.update({("mentee", p.id): j for j, p in enumerate(space.mentees)})
    for entry in unpaired:
        row = rows.get((entry["role"], entry["id"]))
        if entry["reason"] != "outscored" or row is None:
            continue
        if entry["role"] == "mentee":
            options = np.flatnonzero((weights[:, row] > 0) & mentor_room)
            pairs = [(int(i), row) for i in options]
        else:
            options = np.flatnonzero((weights[row] > 0) & mentee_free)
            pairs = [(row, int(j)) for j in options]
        pairs.sort(key=lambda p: (-weights[p], p))
        for mentor, mentee in pairs:
            note = quotas.blocking(full, mentor, mentee)
            if note is not None:
                partner = (space.mentors[mentor] if entry["role"] == "mentee"
                           else space.mentees[mentee])
                code = space.pair_codes(np.array([mentor]), np.array([mentee]))
                score = int(ev.table.score(code)[0])
                entry["why"] = (f"outscored: {note}; {partner.id} had room for this pair "
                                f"(score {score})")
                entry["detail"]["quota"] = note
                break


def rule_warnings(cohort: Cohort, ev: Evaluation) -> list[Problem]:
    """Rules that cannot do what they say on this cohort (see engine.evaluation.rule_warnings)."""
    from engine.evaluation.rule_warnings import constant_warnings, firing_warnings

    pairing = ev.rules.pairing
    return (constant_warnings(pairing.rules, cohort.participants, ev.rules.vocabulary)
            + firing_warnings(pairing.rules, pairing.settings, ev.table))


def commit_warnings(cohort: Cohort, rules: Rules) -> list[Problem]:
    """The warnings that stop a commit (engine.evaluation.rule_warnings.blocks_commit),
    judged on the whole cohort without its past: a constant no participant has, and a rule
    whose every pair is excluded by other rules. A run on the few people left free, or a
    couple's past, never makes a rule look dead."""
    from engine.evaluation.rule_warnings import blocks_commit

    ev = evaluate(cohort, rules)
    for rows in ev.space.chunks():  # the outcome of every pair, as an assignment would see
        ev.table.resolve(ev.space.codes(rows, slice(None)))
    return [w for w in rule_warnings(cohort, ev) if blocks_commit(w.as_dict())]


def _unpaired(cohort: Cohort, ev: Evaluation, mentor_rows: list[int], mentee_rows: list[int],
              taken: frozenset[str], standing: Standing) -> list[dict[str, Any]]:
    from engine.pairing.assignment import sweep_threads
    from engine.pairing.classes import candidates_by_class

    space, ruleset = ev.space, ev.rules.pairing
    holders = {"mentee": {m: space.mentees[e].id for m, e in zip(mentor_rows, mentee_rows,
                                                                  strict=True)},
               "mentor": {e: space.mentors[m].id for m, e in zip(mentor_rows, mentee_rows,
                                                                  strict=True)}}
    paired = {"mentor": set(mentor_rows), "mentee": set(mentee_rows)}
    left = {"mentor": [i for i in range(len(space.mentors)) if i not in paired["mentor"]],
            "mentee": [j for j in range(len(space.mentees)) if j not in paired["mentee"]]}
    found = {}
    for role, people in (("mentor", space.mentors), ("mentee", space.mentees)):
        if ev.classes is not None:
            counts = candidates_by_class(left[role], role == "mentor", space, ev.table,
                                         ruleset.rules, ruleset.settings, *ev.classes,
                                         threads=sweep_threads())
        else:
            counts = candidates(left[role], role == "mentor", space, ev.table, ruleset.rules,
                                ruleset.settings)
        for row, info in zip(left[role], counts, strict=True):
            found[people[row].id] = (row, info)
    out: list[dict[str, Any]] = []
    for person in cohort.participants:
        if person.id in standing.withdrawn:
            out.append({"id": person.id, "role": person.role, "reason": "withdrawn",
                        "why": "withdrew from the program (`tandem history` says when and "
                               "why); not paired", "detail": {}})
        elif person.id in taken:
            held = standing.load.get(person.id, 0)
            text = ("already in an active pair; not paired again in this run"
                    if person.role == "mentee" or held <= 1 else
                    f"already in {held} active or proposed pairs, which fill their "
                    "capacity; not paired again in this run")
            out.append({"id": person.id, "role": person.role, "reason": "already-paired",
                        "why": text, "detail": {}})
        elif person.id in found:
            row, info = found[person.id]
            why = unpaired_why(person, info, space, ruleset.settings,
                               holders["mentee" if person.role == "mentee" else "mentor"])
            out.append({"id": person.id, "role": person.role, **why})
    return out


def explain_pair(cohort: Cohort, rules: Rules, mentor_id: str, mentee_id: str,
                 busy: Iterable[str] = (), *, standing: Standing | None = None
                 ) -> dict[str, Any]:
    """The full reasoning for one pair, formed or not, and the cost of forcing it.

    ``standing``: the program's state; the two people are judged as if free, the others
    keep the places they hold, and the rules read the couples' past."""
    from engine.base.errors import TandemError
    from engine.base.suggest import closest

    people = cohort.by_id()
    for pid, role in ((mentor_id, "mentor"), (mentee_id, "mentee")):
        person = people.get(pid)
        if person is None or person.role != role:
            ids = [p.id for p in cohort.participants if p.role == role]
            hint = closest(pid, ids)
            raise TandemError(f"{pid!r} is not a {role} of {cohort.source}"
                              + (f"; did you mean {hint!r}?" if hint else ""))
    taken = frozenset(busy) - {mentor_id, mentee_id}
    held = standing or Standing()
    others = Standing({p: n for p, n in held.load.items() if p not in (mentor_id, mentee_id)},
                      held.pairs, held.withdrawn - {mentor_id, mentee_id})
    ev = evaluate(cohort, rules, taken, standing=others)
    space, table, settings = ev.space, ev.table, rules.pairing.settings
    m = next(i for i, p in enumerate(space.mentors) if p.id == mentor_id)
    e = next(i for i, p in enumerate(space.mentees) if p.id == mentee_id)
    mentor, mentee = space.mentors[m], space.mentees[e]
    code = int(space.pair_codes(np.array([m]), np.array([e]))[0])
    outcome = table.outcome(code)
    why = reasons(outcome, rules.pairing.rules, mentor, mentee, space)
    best, solver, quotas = solve(ev)
    formed = any(a == m and b == e for a, b in zip(best.mentors.tolist(), best.mentees.tolist(),
                                                   strict=True))
    eligible = not outcome.excluded and outcome.points >= settings.min_score
    # An excluded pair has no score: the points of its other rules are what it *would*
    # score without the exclusion, and are never shown as its score.
    out: dict[str, Any] = {
        "mentor": mentor_id, "mentee": mentee_id,
        "score": None if outcome.excluded else outcome.points,
        "eligible": eligible, "formed": formed, "reasons": why,
        "rules_digest": rules.digest, "input_digest": input_digest(cohort),
        "settings": settings.as_dict(),
        "cohort": {"pairs": len(best.mentors), "total_score": best.total},
        "solver": solver.as_dict(),
    }
    if outcome.excluded:
        blockers = [r["rule"] for r in why if r["effect"] == "exclude"]
        out["excluded_by"] = blockers
        out["would_score"] = outcome.points
        out["verdict"] = f"cannot be formed: excluded by {', '.join(blockers)}"
    elif not eligible:
        out["verdict"] = (f"cannot be formed: score {outcome.points} is under min_score "
                          f"{settings.min_score}")
    elif formed:
        out["verdict"] = "formed: this pair is part of the best pairing of the cohort"
    else:
        from engine.pairing.constraints import Infeasible

        note = quotas.blocking(quotas.full(best.mentors, best.mentees), m, e) if (
            quotas is not None) else None
        try:
            forced = solve(ev, forced=(m, e))[0]
        except Infeasible:
            out["verdict"] = (f"eligible but not chosen: {note or 'a quota was full'}, and "
                              "the quota allows no such pair at all")
            return out
        out["if_forced"] = {"pairs": len(forced.mentors), "total_score": forced.total,
                            "pairs_lost": len(best.mentors) - len(forced.mentors),
                            "score_lost": best.total - forced.total}
        lost = out["if_forced"]
        if note is not None:
            out["verdict"] = (f"eligible but not chosen: {note}; forcing it would cost the "
                              f"cohort {lost['pairs_lost']} pair(s) and {lost['score_lost']} "
                              "points of total score")
        elif lost["pairs_lost"] == 0 and lost["score_lost"] == 0:
            out["verdict"] = ("eligible but not chosen: a pairing that includes it is just as "
                              "good, and the deterministic tie-break chose another")
        else:
            out["verdict"] = (f"eligible but not chosen: forcing it would cost the cohort "
                              f"{lost['pairs_lost']} pair(s) and {lost['score_lost']} points "
                              "of total score")
    return out
