"""How long the my-job-day planner takes on random cohorts of growing size; prints figures.

    python benchmarks/myjobdays.py                    # n = 100, 200, 300
    python benchmarks/myjobdays.py 50 600             # any sizes
    python benchmarks/myjobdays.py --exact 300 400 800  # also the exact model, to compare

Each person discovers 1-3 job families with probability 0.6, hosts (1-3 slots) with
probability 0.3 and has a manager in the cohort with probability 0.5; the bundled rules and
settings (3 days, 2 visits each) apply. The time is the whole `plan_my_job_days` call,
rule evaluation included; the solver (HiGHS through scipy, to proven optimality) dominates.
Each row gives the CPU time of the process during the call (the machine may be shared, so
wall time can be several times more), its peak resident memory so far and the load average
when the call ended. The path is the one that proved the plan (`solver.path`). With --exact,
the exact model (one variable per visit and day, the reference) is solved too, and its plan
value printed beside. Both run under --time-limit (default 600 s, the planner's default
too): the two must agree wherever the exact model finishes, and the script exits 1 (the row
says DIFFERENT) when they do not.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import resource
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.base.errors import TandemError
from engine.base.resources import rules_dir
from engine.myjobdays.candidates import candidates
from engine.myjobdays.plan import _instance, plan_my_job_days
from engine.myjobdays.solve import solve
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


def main(sizes: list[int], exact: bool, time_limit: int) -> int:
    """Prints one row per size; 1 when a proved exact plan differs from the planner's."""
    different = False
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    bundled = load_rules(rules_dir())
    own = bundled.my_job_days
    rules = replace(bundled, rulesets={**bundled.rulesets, "my_job_days": replace(
        own, planner=replace(own.planner, time_limit=time_limit))})
    plan_my_job_days(cohort(20, 0), rules)  # load the engine and the solver once
    print(f"{'people':>7} {'visitors':>9} {'hosts':>6} {'visits':>7} {'score':>7} "
          f"{'cpu s':>8} {'wall s':>8} {'rss MB':>7} {'load':>5} {'path':>17} {'optimal':>8}"
          + ("   exact: visits   score    cpu s   wall s" if exact else ""))
    for n in sizes:
        people = cohort(n, n)
        started, cpu = time.perf_counter(), time.process_time()
        try:
            result = plan_my_job_days(people, rules)
        except TandemError as exc:
            print(f"{n:>7} {time.process_time() - cpu:>8.2f} cpu s, "
                  f"{time.perf_counter() - started:>8.2f} wall s: {exc}", flush=True)
            continue
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        s, solver = result["summary"], result["solver"]
        line = (f"{n:>7} {s['visitors']:>9} {s['hosts']:>6} {s['visits']:>7} "
                f"{s['total_score']:>7} {cpu:>8.2f} {took:>8.2f} {rss:>7.0f} "
                f"{os.getloadavg()[0]:>5.1f} {solver['path']:>17} {solver['optimal']!s:>8}")
        if exact:
            found = candidates(people, rules)
            instance = _instance(found, rules.my_job_days.planner)
            started, cpu = time.perf_counter(), time.process_time()
            try:
                reference = solve(instance, time_limit, method="exact")
                line += (f"   {reference.visits:>13} {reference.total_score:>7} "
                         f"{time.process_time() - cpu:>8.2f} "
                         f"{time.perf_counter() - started:>8.2f}"
                         + ("" if reference.optimal else " (stopped)"))
                if reference.optimal and (reference.visits, reference.total_score) != (
                        s["visits"], s["total_score"]):
                    line += "  DIFFERENT"
                    different = True
            except TandemError as exc:
                line += f"   {exc}"
        print(line, flush=True)
    return 1 if different else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 200, 300])
    parser.add_argument("--exact", action="store_true", help="also solve the exact model")
    parser.add_argument("--time-limit", type=int, default=600)
    args = parser.parse_args()
    sys.exit(main(args.sizes, args.exact, args.time_limit))
