"""Benchmark of the constrained solver: the column, class and pair models of the quotas.

    python benchmarks/constraints.py                     # n = 100, 300, 1,000
    python benchmarks/constraints.py --sizes 100 300 --time-limit 60 --coarse
    python benchmarks/constraints.py --sizes 1000 3000 --models columns

For each n, a synthetic cohort of n mentors x n mentees (benchmarks/cohort_gen.py) is paired
under the bundled rules plus one quota, `per: [mentor.department, mentee.department]`, with
`at_most` = max(3, n // 20). The models of engine/pairing/constraints.py solve the same
weights; the script prints, per model, the variables, the quota rows that can bind, the
solve time (wall and CPU), whether the answer is proved optimal (else the gap), the pairs
and total score, and a check of the answer made apart from the solver (eligible pairs,
capacities, quotas, and for the columns model its weight against the LP bound it proved).
A failed check, or models proved optimal that disagree on the pairs count and the total
score, make the script exit 1. It asserts no time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.optimize  # noqa: F401 - imported before any timing

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.cohort_gen import generate
from engine.base.resources import rules_dir
from engine.pairing.assignment import solver as assignment_solver
from engine.pairing.constraints import (
    Quotas,
    Solution,
    SolverStopped,
    _cell_rows,
    pair_weight_rows,
    quotas_of,
    solve,
    solve_columns,
    weight_matrix,
)
from engine.pairing.pipeline import evaluate
from engine.profiles.validate import load_cohort
from engine.rules.ruleset import Constraint, RuleSet, load_rules

COARSE_FIELDS = {"learning_style", "job_family", "department", "subsidiary"}


HR_CSV: list[Path | None] = [None]  # None: the shipped population


def _cohort(n: int, seed: int, coarse: bool):  # type: ignore[no-untyped-def]
    rules = load_rules(rules_dir())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohort.json"
        path.write_text(json.dumps(generate(n, n, seed, HR_CSV[0])))
        cohort, _ = load_cohort(path, rules.vocabulary)
    at_most = max(3, n // 20)
    limit = Constraint("quota/department-flow", "Department flow", "benchmark",
                       (("mentor", "department"), ("mentee", "department")), at_most,
                       "benchmark", 0)
    pairing = rules.pairing
    kept = tuple(r for r in pairing.rules if not coarse or all(
        f.split(".", 1)[1] in COARSE_FIELDS for f in r.fields))
    rules = replace(rules, rulesets={**rules.rulesets, "pairing": RuleSet(
        "pairing", kept, pairing.settings, (limit,))})
    return cohort, rules, at_most


def run(n: int, seed: int, time_limit: float, coarse: bool,
        models: tuple[str, ...] = ("classes", "pairs")) -> list[dict[str, object]]:
    cohort, rules, at_most = _cohort(n, seed, coarse)
    ev = evaluate(cohort, rules)
    quotas = quotas_of(rules.pairing.constraints, ev.space)
    started = time.perf_counter()
    weights = weight_matrix(ev.space, ev.table, ev.capacities, rules.pairing.settings.objective)
    matrix_seconds = time.perf_counter() - started
    mentors, mentees = np.nonzero(weights > 0)
    cells = quotas.cells[0]
    n_cells = len(np.unique(cells.of(mentors.astype(np.int64), mentees.astype(np.int64))))
    rows, _ = _cell_rows(quotas.cells, mentors.astype(np.int64), mentees.astype(np.int64))
    out: list[dict[str, object]] = []
    # The floor: the same weights without the quota, by the dense assignment solver.
    started, cpu = time.perf_counter(), time.process_time()
    rows_idx, cols_idx = assignment_solver()(-weights)
    formed = weights[rows_idx, cols_idx] > 0
    floor_seconds, floor_cpu = time.perf_counter() - started, time.process_time() - cpu
    out.append({"n": n, "model": "floor: no quota", "variables": n * n,
                "eligible": len(mentors), "share": len(mentors) / n / n, "cells": n_cells,
                "binding_rows": 0, "at_most": "-", "seconds": floor_seconds,
                "cpu_seconds": floor_cpu,
                "solver_seconds": floor_seconds, "matrix_seconds": matrix_seconds,
                "optimal": True, "gap": 0.0, "pairs": int(formed.sum()),
                "total": int(ev.table.score(ev.space.pair_codes(
                    rows_idx[formed].astype(np.int64), cols_idx[formed].astype(np.int64))
                ).sum())})
    for model in models:
        limit = time_limit
        started = time.perf_counter()
        cpu = time.process_time()
        try:
            if model == "columns":  # priced from the pair codes, not from the matrix
                found = solve_columns(pair_weight_rows(ev.space, ev.table, ev.capacities,
                                                       rules.pairing.settings.objective),
                                      ev.capacities, n, quotas.cells, limit)
            else:
                found = solve(weights, ev.capacities, quotas.cells, limit, model)  # type: ignore[arg-type]
        except SolverStopped as exc:
            out.append({"n": n, "model": model, "error": str(exc), "eligible": len(mentors),
                        "share": len(mentors) / n / n, "cells": n_cells, "at_most": at_most,
                        "seconds": time.perf_counter() - started})
            continue
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu
        score = ev.table.score(ev.space.pair_codes(found.mentors, found.mentees))
        check = _check(found, weights, ev.capacities, quotas)
        out.append({"n": n, "model": model, "variables": found.variables,
                    "eligible": len(mentors), "share": len(mentors) / n / n,
                    "cells": n_cells, "binding_rows": len(rows), "at_most": at_most,
                    "seconds": seconds, "cpu_seconds": cpu_seconds,
                    "solver_seconds": found.seconds,
                    "matrix_seconds": matrix_seconds, "optimal": found.optimal,
                    "gap": found.gap, "pairs": len(found.mentors),
                    "total": int(score.sum()), "check": check})
    return out


def _check(found: Solution, weights: np.ndarray, capacities: np.ndarray,
           quotas: Quotas) -> str:
    """The answer checked apart from the solver: every pair eligible, capacities, one mentor
    per mentee, every quota cell within its at_most; for the columns model, its weight
    against the LP bound it proved (an answer called optimal must reach the bound rounded
    down, the weights being whole numbers). Raises AssertionError on a failure."""
    assert (weights[found.mentors, found.mentees] > 0).all(), "an ineligible pair"
    assert (np.bincount(found.mentors, minlength=len(capacities)) <= capacities).all()
    assert len(np.unique(found.mentees)) == len(found.mentees), "a mentee paired twice"
    for limit, held in zip(quotas.cells, quotas.full(found.mentors, found.mentees),
                           strict=True):
        assert max(held.values(), default=0) <= limit.at_most, "a quota overfilled"
    if found.bound is None:
        return "quotas kept"
    value = float(weights[found.mentors, found.mentees].sum())
    assert value <= found.bound + 0.5, "a pairing worth more than the bound"
    if found.optimal:
        assert value >= np.floor(found.bound + 0.5), "called optimal below the bound"
    return f"quotas kept; weight {value:,.0f} of LP bound {found.bound:,.1f}"


def rss_mb() -> float:
    """Peak resident memory of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=300.0,
                        help="seconds each model may take at each n (default 300)")
    parser.add_argument("--coarse", action="store_true",
                        help="keep only the bundled rules on learning style, job family, "
                             "department and subsidiary (fewer classes of people)")
    parser.add_argument("--models", nargs="+", choices=["classes", "pairs", "columns"],
                        default=["columns", "classes", "pairs"],
                        help="the models to run (default all three)")
    parser.add_argument("--hr-csv", type=Path, default=None,
                        help="the HR export the synthetic cohorts are drawn from")
    args = parser.parse_args()
    HR_CSV[0] = args.hr_csv
    print(f"rules: {'coarse (4 fields)' if args.coarse else 'bundled'}; time limit "
          f"{args.time_limit:.0f} s per model")
    print(f"uptime: {os.popen('uptime').read().strip()}")
    print("n | model | variables | eligible pairs | quota cells (at_most) | solve s (wall) | "
          "CPU s | peak RSS MB | optimal (gap) | pairs | total score | checked")
    print("--- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---")
    failed = False
    for n in args.sizes:
        try:
            rows = run(n, args.seed, args.time_limit, args.coarse, tuple(args.models))
        except AssertionError as exc:
            print(f"n = {n}: the check failed: {exc}", file=sys.stderr)
            failed = True
            continue
        for r in rows:
            if "error" in r:
                print(f"{n} | {r['model']} | | {r['eligible']:,} ({float(r['share']):.0%}) | "  # type: ignore[arg-type]
                      f"{r['cells']} ({r['at_most']}) | {float(r['seconds']):.1f} | "  # type: ignore[arg-type]
                      f"{r['error']} | | ", flush=True)
                continue
            proved = "yes" if r["optimal"] else f"no (gap {float(r['gap']):.2%})"  # type: ignore[arg-type]
            print(f"{n} | {r['model']} | {r['variables']:,} | {r['eligible']:,} "
                  f"({float(r['share']):.0%}) | {r['cells']} ({r['at_most']}) | "  # type: ignore[arg-type]
                  f"{float(r['seconds']):.2f} | {float(r['cpu_seconds']):.2f} | "  # type: ignore[arg-type]
                  f"{rss_mb():,.0f} | {proved} | {r['pairs']} | {r['total']} | "
                  f"{r.get('check', '')}", flush=True)
        done = {(r["pairs"], r["total"]) for r in rows
                if r.get("optimal") and not str(r["model"]).startswith("floor")}
        if len(done) > 1:
            print(f"n = {n}: the two models disagree", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
