"""How long the my-job-day planner takes on random cohorts of growing size; prints figures.

    python benchmarks/myjobdays.py            # n = 100, 200, 300
    python benchmarks/myjobdays.py 50 600     # any sizes

Each person discovers 1-3 job families with probability 0.6, hosts (1-3 slots) with
probability 0.3 and has a manager in the cohort with probability 0.5; the bundled rules and
settings (3 days, 2 visits each) apply. The time is the whole `plan_my_job_days` call,
rule evaluation included; the solver (scipy's milp, HiGHS, to proven optimality) dominates.
"""

from __future__ import annotations

import logging
import random
import sys
import time
from datetime import date
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.base.resources import rules_dir
from engine.myjobdays.plan import plan_my_job_days
from engine.profiles.cohort import Cohort, Participant
from engine.rules.ruleset import load_rules

AS_OF = date(2026, 9, 1)


def cohort(n: int, seed: int) -> Cohort:
    rules = load_rules(rules_dir())
    families = list(rules.vocabulary.job_families)
    rng = random.Random(seed)
    ids = [f"P{i:05d}" for i in range(n)]
    people = []
    for pid in ids:
        role = rng.choice(["mentor", "mentee"])
        job: dict[str, object] = {}
        if rng.random() < 0.6:
            job["discover"] = rng.sample(families, rng.randint(1, 3))
        if rng.random() < 0.3:
            job.update(host=True, slots=rng.randint(1, 3))
        people.append(Participant(
            id=pid, role=role, name=f"Person {pid}", learning_style="reflector",
            job_family=rng.choice(families), department=rng.choice("ABCDEFGH"),
            subsidiary=rng.choice("XYZ"), hire_date=date(rng.randint(1995, 2025), 1, 1),
            intentions=(rules.vocabulary.intention_codes(role)[0],),
            manager_id=rng.choice(ids) if rng.random() < 0.5 else None,
            my_job_day=job or None))
    return Cohort(people, AS_OF, "benchmark")


def main(sizes: list[int]) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    rules = load_rules(rules_dir())
    plan_my_job_days(cohort(20, 0), rules)  # load the engine and the solver once
    print(f"{'people':>7} {'visitors':>9} {'hosts':>6} {'visits':>7} {'seconds':>8}")
    for n in sizes:
        people = cohort(n, n)
        started = time.perf_counter()
        result = plan_my_job_days(people, rules)
        took = time.perf_counter() - started
        s = result["summary"]
        print(f"{n:>7} {s['visitors']:>9} {s['hosts']:>6} {s['visits']:>7} {took:>8.2f}",
              flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 200, 300])
