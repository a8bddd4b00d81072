"""The my-job-day planner: cohort + rules -> visits and unmet wishes, explained.

`plan_my_job_days` is pure: it reads nothing and writes nothing. It reads the profiles and
the `my_job_days` ruleset only, never the pairing rules or a pairing result. The CLI prints
its result; `--commit` hands it to the audit log.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from engine import __version__
from engine.base import oplog
from engine.base.canonical import digest
from engine.base.errors import InvalidInput, Problem
from engine.evaluation.explain import reasons_clause
from engine.myjobdays.candidates import Candidates, candidates, discover
from engine.myjobdays.solve import Edge, Instance, Solution, solve
from engine.profiles.cohort import Cohort, Participant
from engine.rules.ruleset import PlannerSettings, Rules

log = oplog.get_logger("tandem.myjobdays")


def plan_profiles(cohort: Cohort) -> list[dict[str, Any]]:
    """The profiles as the planner reads them (my_job_day included), never protected data."""
    out = []
    for p in cohort.participants:
        record = p.as_record()
        record.pop("protected", None)
        out.append(record)
    return out


def plan_input_digest(cohort: Cohort) -> str:
    """SHA-256 over the canonical profiles the planner reads and the as-of date."""
    return digest({"as_of": cohort.as_of.isoformat(), "participants": plan_profiles(cohort)})


def check_settings(rules: Rules) -> PlannerSettings:
    """The planner's settings, or InvalidInput saying what to add."""
    settings = rules.my_job_days.planner
    if not settings.days:
        files = sorted(name for name, ruleset in rules.ruleset_of.items()
                       if ruleset == "my_job_days")
        where = str(rules.directory / files[0]) if files else str(rules.directory)
        raise InvalidInput([Problem(where, "", "the my-job-day settings give no days, so "
                                               "there is nothing to plan; add the dates under "
                                               "a file with 'ruleset: my_job_days', e.g. "
                                               "settings: {days: [2026-10-06, 2026-10-13]}")],
                           "rules")
    return settings


def _instance(found: Candidates, settings: PlannerSettings) -> Instance:
    visitors, hosts = np.nonzero(found.eligible)  # row-major: by visitor, then host
    families = [h.job_family for h in found.hosts]
    edges = [Edge(v, h, families[h], s) for v, h, s in
             zip(visitors.tolist(), hosts.tolist(),
                 found.scores[visitors, hosts].tolist(), strict=True)]
    row = {p.id: v for v, p in enumerate(found.visitors)}
    return Instance(edges, [int(s) for s in found.slots],
                    [row.get(h.id, -1) for h in found.hosts], len(settings.days),
                    settings.visits_per_person)


def sentence(visitor: Participant, host: Participant, day: str, score: int,
             why: Sequence[Mapping[str, Any]]) -> str:
    return (f"{visitor.name} ({visitor.id}) visits {host.name} ({host.id}) in "
            f"{host.job_family} on {day}, score {score}{reasons_clause(why)}")


def plan_my_job_days(cohort: Cohort, rules: Rules) -> dict[str, Any]:
    """Plan the my job days of a validated cohort. Returns the JSON contract as plain data."""
    settings = check_settings(rules)
    clock = time.perf_counter()
    found = candidates(cohort, rules)
    instance = _instance(found, settings)
    timings = {"candidates": time.perf_counter() - clock}
    clock = time.perf_counter()
    solution = solve(instance, settings.time_limit)
    timings["solver"] = time.perf_counter() - clock
    days = [d.isoformat() for d in settings.days]
    visits = []
    for e, d in solution.chosen:
        edge = instance.edges[e]
        visitor, host = found.visitors[edge.visitor], found.hosts[edge.host]
        why = found.reasons(edge.visitor, edge.host)
        visits.append({"visitor": visitor.id, "host": host.id, "day": days[d],
                       "family": edge.family, "score": edge.score,
                       "sentence": sentence(visitor, host, days[d], edge.score, why),
                       "reasons": why})
    visits.sort(key=lambda v: (v["day"], v["host"], v["visitor"]))
    unmet = _unmet(found, instance, solution, settings)
    note = None
    if not found.visitors:
        note = "nobody asked to discover a job family (my_job_day.discover): nothing to plan"
    elif not found.hosts:
        note = "there is no host in this cohort (nobody has my_job_day.host: true): nothing " \
               "was planned"
    wanted = sum(min(len(discover(v)), settings.visits_per_person) for v in found.visitors)
    log.info("my job days planned", visits=len(visits), unmet=len(unmet),
             candidate_visits=len(instance.edges), days=len(days), path=solution.path,
             **{k: round(v, 3) for k, v in timings.items()})
    if not solution.optimal:
        log.warning("my job days not proved optimal", gap=solution.gap,
                    stopped_at=solution.stopped_at, time_limit=settings.time_limit)
    return {
        "tandem_version": __version__,
        "rules_digest": rules.digest_of("my_job_days"),
        "input_digest": plan_input_digest(cohort),
        "as_of": cohort.as_of.isoformat(),
        "settings": settings.as_dict(),
        "visits": visits,
        "unmet": unmet,
        "note": note,
        "summary": {"people": len(cohort.participants), "visitors": len(found.visitors),
                    "hosts": len(found.hosts),
                    "places": int(found.slots.sum()) * len(days), "days": len(days),
                    "wanted": wanted, "visits": len(visits),
                    "total_score": int(solution.total_score), "unmet": len(unmet)},
        "solver": solver_report(solution, settings),
    }


def solver_report(solution: Solution, settings: PlannerSettings) -> dict[str, Any]:
    """How the plan was proved: the path, whether it is optimal and, when the time limit
    stopped the solver, the stage it stopped in and the gap it proved there."""
    out: dict[str, Any] = {"path": solution.path, "optimal": solution.optimal,
                           "time_limit": settings.time_limit}
    if not solution.optimal:
        out["stopped_at"] = solution.stopped_at
        out["gap"] = solution.gap
    return out


def _unmet(found: Candidates, instance: Instance, solution: Solution,
           settings: PlannerSettings) -> list[dict[str, Any]]:
    """Everyone who asked and got fewer visits than they wanted, with why."""
    got: dict[int, list[str]] = {}
    hosting: dict[str, set[int]] = {}
    for e, d in solution.chosen:
        edge = instance.edges[e]
        got.setdefault(edge.visitor, []).append(edge.family)
        hosting.setdefault(found.hosts[edge.host].id, set()).add(d)
    days = [d.isoformat() for d in settings.days]
    out = []
    for v, visitor in enumerate(found.visitors):
        asked = discover(visitor)
        wanted = min(len(asked), settings.visits_per_person)
        made = got.get(v, [])
        if len(made) >= wanted:
            continue
        families = {}
        for family in asked:
            if family in made:
                continue
            families[family] = _family_detail(found, v, family)
        hosts_on = sorted(days[d] for d in hosting.get(visitor.id, ()))
        reason, why = _why(found, visitor, wanted, len(made), families, hosts_on, len(days))
        out.append({"id": visitor.id, "wanted": wanted, "got": len(made), "reason": reason,
                    "why": why, "detail": {"visited": sorted(made), "families": families,
                                           "hosting_days": hosts_on}})
    return out


def _family_detail(found: Candidates, v: int, family: str) -> dict[str, Any]:
    """What the rules made of the hosts of one job family, for one visitor."""
    hosts = [h for h, host in enumerate(found.hosts)
             if host.job_family == family and not found.oneself[v, h]]
    excluded_by: dict[str, int] = {}
    eligible = []
    for h in hosts:
        blockers = found.excluded_by(v, h) if found.excluded[v, h] else []
        for rule in blockers:
            excluded_by[rule] = excluded_by.get(rule, 0) + 1
        if not blockers:
            eligible.append(h)
    detail: dict[str, Any] = {"hosts": len(hosts), "eligible": len(eligible),
                              "excluded_by": dict(sorted(excluded_by.items()))}
    if eligible:
        best = max(eligible, key=lambda h: (int(found.scores[v, h]), -h))
        detail["best_host"] = found.hosts[best].id
        detail["best_score"] = int(found.scores[v, best])
    return detail


def _why(found: Candidates, visitor: Participant, wanted: int, got: int,
         families: Mapping[str, Mapping[str, Any]], hosting_days: Sequence[str],
         n_days: int) -> tuple[str, str]:
    """A reason code and a sentence for an unmet wish."""
    head = f"got {got} of the {wanted} visit{'s' if wanted != 1 else ''} wanted"
    if not found.hosts:
        return "no-host", f"{head}: there is no host in this cohort"
    parts = []
    open_families = []
    for family, detail in families.items():
        if not detail["hosts"]:
            parts.append(f"no host from {family}")
        elif not detail["eligible"]:
            rules = ", ".join(f"{rule} ({n})" for rule, n in detail["excluded_by"].items())
            parts.append(f"every host from {family} is excluded: {rules}")
        else:
            open_families.append(family)
            plural = "s" if detail["eligible"] != 1 else ""
            parts.append(f"{detail['eligible']} eligible host{plural} from {family} (best: "
                         f"{detail['best_host']}, score {detail['best_score']})")
    if not open_families:
        return "no-eligible-host", f"{head}: " + "; ".join(parts)
    busy = ""
    if got + len(hosting_days) >= n_days:
        busy = (f"; every day is taken ({got} visiting"
                + (f", hosting on {', '.join(hosting_days)}" if hosting_days else "") + ")")
    elif hosting_days:
        busy = f"; {visitor.id} hosts visitors on {', '.join(hosting_days)}"
    return "outscored", (f"{head}: " + "; ".join(parts) + busy + "; the places and days "
                         "another visit would need go to other visits of the best plan (the "
                         "most visits, then the highest score)")
