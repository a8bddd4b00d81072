"""Scoped constraints (`where:`): the time to build each constraint's mask of the pairs it
counts, and the solver's time with and without the scope, on generated cohorts.

    python -m benchmarks.scoped_constraints [--n 100 300 1000] [--solve-up-to 300] \
        [--hr-csv PATH]

Prints one line per size: the mask's build time (its own pair features, each distinct
combination through the rule engine once), and for the smaller sizes the classes model's
solve time and total under `per: [mentor.department, mentee.department]` with and without
`where: {not: {same: department}}`.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from benchmarks import cohort_gen, constraints
from engine.pairing.constraints import quotas_of, solve, weight_matrix, where_mask
from engine.pairing.pipeline import evaluate
from engine.rules.conditions import Compare, Not
from engine.rules.ruleset import RuleSet

WHERE = Not(Compare(True, "department", "department"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--solve-up-to", type=int, default=300)
    parser.add_argument("--hr-csv", type=Path, default=None,
                        help="The HR sample the cohorts are drawn from.")
    args = parser.parse_args()
    real = cohort_gen.generate
    constraints.generate = lambda m, e, seed=0: real(m, e, seed, args.hr_csv)  # type: ignore[assignment]
    for n in args.n:
        cohort, rules, at_most = constraints._cohort(n, 0, coarse=True)
        ev = evaluate(cohort, rules)
        started = time.perf_counter()
        mask = where_mask(WHERE, ev.space)
        mask_seconds = time.perf_counter() - started
        line = (f"n={n}: mask {mask_seconds:.3f} s over {mask.size:,} pairs "
                f"({mask.mean():.1%} counted)")
        if n <= args.solve_up_to:
            weights = weight_matrix(ev.space, ev.table, ev.capacities,
                                    rules.pairing.settings.objective)
            limit = rules.pairing.constraints[0]
            for label, constraint in (("unscoped", limit),
                                      ("scoped", replace(limit, where=WHERE))):
                scoped = replace(rules, rulesets={**rules.rulesets, "pairing": RuleSet(
                    "pairing", rules.pairing.rules, rules.pairing.settings, (constraint,))})
                quotas = quotas_of(scoped.pairing.constraints, ev.space)
                started = time.perf_counter()
                found = solve(weights, ev.capacities, quotas.cells, 120, "classes")
                seconds = time.perf_counter() - started
                total = int(ev.table.score(ev.space.pair_codes(found.mentors,
                                                                found.mentees)).sum())
                line += (f"; {label} at_most {at_most}: {seconds:.2f} s, {found.variables} "
                         f"variables, {len(found.mentors)} pairs, total {total}, "
                         f"optimal {found.optimal}")
        print(line, flush=True)


if __name__ == "__main__":
    main()
