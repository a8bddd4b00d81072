"""The my-job-day plan is optimal and respects every constraint: checked by brute force.

Two independent checks. The solver alone, on random instances, against an exhaustive
search. The whole planner, on random small cohorts under the bundled rules, against a
search that computes eligibility and scores from the profiles by hand (the bundled rules
written out in Python), never through Tandem's engine.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from engine.base.resources import rules_dir
from engine.myjobdays.plan import plan_my_job_days
from engine.myjobdays.solve import Edge, Instance, Method, solve, violations
from engine.profiles.cohort import Cohort, Participant
from engine.rules.ruleset import load_rules
from tests.pairing.factories import AS_OF, person

ROUNDS = 400 if os.environ.get("TANDEM_FUZZ") == "long" else 60
RULES = load_rules(rules_dir())
DAYS = RULES.my_job_days.planner.days
FAMILIES = ["finance", "it", "legal"]


# -- the solver against an exhaustive search ------------------------------------------------
def _feasible(instance: Instance, chosen: Sequence[tuple[int, int]]) -> bool:
    """Every constraint, written out again from its definition."""
    for h in range(len(instance.slots)):
        for d in range(instance.days):
            visitors = [e for e, day in chosen if day == d and instance.edges[e].host == h]
            if len(visitors) > instance.slots[h]:
                return False
            me = instance.host_is_visitor[h]
            if visitors and any(instance.edges[e].visitor == me for e, day in chosen
                                if day == d):
                return False
    visitors = {edge.visitor for edge in instance.edges}
    for v in visitors:
        mine = [(e, d) for e, d in chosen if instance.edges[e].visitor == v]
        if len(mine) > instance.visits_per_person:
            return False
        if len({d for _, d in mine}) < len(mine):
            return False
        families = [instance.edges[e].family for e, _ in mine]
        if len(set(families)) < len(families):
            return False
    return True


def _best(instance: Instance) -> tuple[int, int]:
    """(most visits, best score among plans with that many), by trying every plan."""
    options = [(e, d) for e in range(len(instance.edges)) for d in range(instance.days)]
    best = (0, 0)

    def walk(i: int, chosen: list[tuple[int, int]]) -> None:
        nonlocal best
        if i == len(options):
            value = (len(chosen), sum(instance.edges[e].score for e, _ in chosen))
            best = max(best, value)
            return
        walk(i + 1, chosen)
        chosen.append(options[i])
        if _feasible(instance, chosen):
            walk(i + 1, chosen)
        chosen.pop()

    walk(0, [])
    return best


def _random_instance(rng: random.Random) -> Instance:
    n_people = rng.randint(3, 6)
    hosts = rng.sample(range(n_people), rng.randint(1, min(4, n_people)))
    family = {p: rng.choice(FAMILIES) for p in range(n_people)}
    edges = []
    for v in range(n_people):
        wants = rng.sample(FAMILIES, rng.randint(1, 3))
        for h_index, h in enumerate(hosts):
            if h != v and family[h] in wants and rng.random() < 0.85:
                edges.append(Edge(v, h_index, family[h], rng.randint(-5, 40)))
    rng.shuffle(edges)
    edges = edges[:8]  # keep the exhaustive search small
    return Instance(edges, [rng.randint(1, 2) for _ in hosts], list(hosts),
                    rng.randint(1, 2), rng.randint(1, 2))


@pytest.mark.parametrize("method", ["exact", "visits-then-days"])
@pytest.mark.parametrize("seed", range(ROUNDS))
def test_solver_matches_an_exhaustive_search(seed: int, method: Method) -> None:
    """On a random instance, the plan breaks no constraint and equals the best by search,
    by either path."""
    instance = _random_instance(random.Random(seed))
    solution = solve(instance, method=method)
    assert solution.optimal
    assert violations(instance, solution.chosen) == []
    assert _feasible(instance, solution.chosen)
    assert (solution.visits, solution.total_score) == _best(instance)


def test_violations_names_each_broken_constraint() -> None:
    """The plan checker run after every solve names what a bad plan breaks."""
    edges = [Edge(0, 0, "it", 1), Edge(1, 0, "it", 1), Edge(0, 1, "it", 1)]
    instance = Instance(edges, [1, 1], [-1, 1], 2, 1)
    assert violations(instance, [(0, 0), (1, 0), (2, 0)]) == [
        "host 0 has 2 visitors on day 0, over 1",
        "host 1 hosts and visits on day 0",
        "visitor 0 makes 2 visits on day 0",
        "visitor 0 makes 2 visits, over 1",
        "visitor 0 visits it 2 times",
    ]


# -- the whole planner against a search over the profiles -----------------------------------
def _bundled_score(visitor: Participant, host: Participant) -> int | None:
    """The bundled my_job_days.yaml, by hand: None when excluded, else the points."""
    if host.manager_id == visitor.id or visitor.manager_id == host.id:
        return None
    points = 0
    if visitor.subsidiary != host.subsidiary:
        points += 20
    if visitor.department != host.department:
        points += 10
    if host.tenure_years(AS_OF) >= 5:
        points += 5
    return points


def _random_cohort(rng: random.Random) -> Cohort:
    n = rng.randint(4, 6)
    ids = [f"P{i}" for i in range(n)]
    people = []
    for pid in ids:
        job = {}
        if rng.random() < 0.8:
            job["discover"] = rng.sample(FAMILIES, rng.randint(1, 2))
        if rng.random() < 0.6:
            job["host"] = True
            if rng.random() < 0.3:
                job["slots"] = 2
        people.append(person(
            pid, rng.choice(["mentor", "mentee"]), job_family=rng.choice(FAMILIES),
            department=rng.choice(["A", "B"]), subsidiary=rng.choice(["X", "Y"]),
            hire_date=date(rng.choice([2010, 2024]), 1, 1),
            manager_id=rng.choice([i for i in ids if i != pid]) if rng.random() < 0.3 else None,
            my_job_day=job or None))
    return Cohort(people, AS_OF, "random")


def _plan_by_search(cohort: Cohort) -> tuple[int, int]:
    people = cohort.by_id()
    settings = RULES.my_job_days.planner
    options = []
    for v in cohort.participants:
        for h in cohort.participants:
            mine, theirs = v.my_job_day or {}, h.my_job_day or {}
            if v.id == h.id or not theirs.get("host") or h.job_family not in mine.get(
                    "discover", []):
                continue
            score = _bundled_score(v, h)
            if score is not None:
                options += [(v.id, h.id, d, score) for d in range(len(settings.days))]
    slots = {p.id: (p.my_job_day or {}).get("slots", settings.slots_per_host_per_day)
             for p in cohort.participants}
    best = (0, 0)

    def ok(chosen: list[tuple[str, str, int, int]]) -> bool:
        for pid in people:
            visits = [c for c in chosen if c[0] == pid]
            if len(visits) > settings.visits_per_person:
                return False
            days = [c[2] for c in visits]
            hosted = {c[2] for c in chosen if c[1] == pid}
            if len(set(days)) < len(days) or hosted & set(days):
                return False
            families = [people[c[1]].job_family for c in visits]
            if len(set(families)) < len(families):
                return False
            for d in hosted:
                if len([c for c in chosen if c[1] == pid and c[2] == d]) > slots[pid]:
                    return False
        return True

    def walk(i: int, chosen: list[tuple[str, str, int, int]]) -> None:
        nonlocal best
        if i == len(options):
            best = max(best, (len(chosen), sum(c[3] for c in chosen)))
            return
        if len(chosen) + (len(options) - i) < best[0]:
            return  # cannot reach the best count any more
        walk(i + 1, chosen)
        chosen.append(options[i])
        if ok(chosen):
            walk(i + 1, chosen)
        chosen.pop()

    walk(0, [])
    return best


@pytest.mark.parametrize("seed", range(ROUNDS // 3))
def test_plan_of_a_random_cohort_is_optimal_and_valid(seed: int) -> None:
    """Every visit is allowed, every constraint holds, and no plan is better."""
    cohort = _random_cohort(random.Random(seed))
    result = plan_my_job_days(cohort, RULES)
    people = cohort.by_id()
    days = [d.isoformat() for d in DAYS]
    seen: set[tuple[str, str]] = set()
    for visit in result["visits"]:
        visitor, host = people[visit["visitor"]], people[visit["host"]]
        assert visitor.id != host.id
        assert (host.my_job_day or {}).get("host") is True
        assert host.job_family in (visitor.my_job_day or {})["discover"]
        assert visit["family"] == host.job_family
        assert visit["day"] in days
        assert _bundled_score(visitor, host) == visit["score"]
        assert (visitor.id, visit["day"]) not in seen, "two visits on one day"
        seen.add((visitor.id, visit["day"]))
        assert not any(v["host"] == visitor.id and v["day"] == visit["day"]
                       for v in result["visits"]), "visiting on a day one hosts"
    by_search = _plan_by_search(cohort)
    assert (len(result["visits"]), result["summary"]["total_score"]) == by_search
    wanted = {p.id: min(len((p.my_job_day or {}).get("discover", [])),
                        RULES.my_job_days.planner.visits_per_person)
              for p in cohort.participants}
    got = {pid: len([v for v in result["visits"] if v["visitor"] == pid]) for pid in wanted}
    assert {u["id"]: (u["wanted"], u["got"]) for u in result["unmet"]} == {
        pid: (wanted[pid], got[pid]) for pid in wanted if got[pid] < wanted[pid]}


def test_the_bundled_settings_are_those_the_search_assumes() -> None:
    """The search above reads the bundled settings; they give it something to decide."""
    assert len(DAYS) == 3
    assert RULES.my_job_days.planner.visits_per_person == 2
    assert Path(RULES.my_job_days.planner.where).name == "my_job_days.yaml"
