"""Generate the example program: three cohorts, their check-ins, outcomes and a separation.

    python examples/program/generate.py [--hr-csv PATH] [--seed 2026]

Writes, next to this file: ``cohort-2024.json``, ``cohort-2025.json``, ``cohort-2026.json``,
``checkins.csv``, ``outcomes.csv`` and ``separations.csv``. The same seed always gives the
same files. People are drawn from an HRIS export when ``--hr-csv`` names one (the committed
files were drawn from the IBM HR Analytics sample, ``hr-employees.csv``), and otherwise from
the population of ``benchmarks/hr_model.py``, calibrated on that sample and shipped with the
repository: generating needs nothing outside it, and neither does loading (see load.py).

What is made:

- three cohorts (as of 1 September 2024, 2025 and 2026) of 60 mentors and 64 mentees, drawn
  by ``benchmarks.cohort_gen.generate`` (seed + year), with ids prefixed by the year
  (``24M00001``, ``25E00012``);
- the pairs the bundled rules form in each cohort (``engine.pairing.pipeline.pair_cohort``, the same
  pipeline as `tandem pair`);
- a result for each pair of 2024 and 2025, drawn with a planted effect: the odds of success
  follow ``logit p = -0.4 + 1.1 [same job_family] + 0.5 [intentions/strong-overlap fired]
  - 0.9 [tenure gap of 20 years or more]``; a pair that does not succeed ends "partial"
  (40%) or "failure" (60%);
- the 2026 pairs are still running: they have check-ins, no outcome, and one of them, the
  pair with the lowest chance, was separated for "mismatch" (a failure for the statistics);
- check-ins: two per finished pair (mentor and mentee), one per running pair, rated from
  the pair's result (success 4-5, partial 3-4, failure 1-3), a note on about one in five.
  They carry no date: the log dates each pair from the day it is loaded, so a check-in
  defaults to that day.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
YEARS = (2024, 2025, 2026)
RUNNING = 2026
MENTORS, MENTEES = 60, 64
NOTES = ("Hard to find a common slot this month.", "Great session on generative AI tools.",
         "We agreed on a project to work on together.", "Talks drift; we need a clearer goal.",
         "Very useful view of how the business decides.", "Sessions keep getting cancelled.")


def _cohort(year: int, seed: int, hr_csv: Path | None) -> dict[str, Any]:
    sys.path.insert(0, str(REPO))
    from benchmarks import cohort_gen

    cohort = cohort_gen.generate(MENTORS, MENTEES, seed=seed + year, hr_csv=hr_csv)
    shift = date(year, 9, 1) - cohort_gen.AS_OF
    renamed = {p["id"]: f"{year % 100}{p['id']}" for p in cohort["participants"]}
    for person in cohort["participants"]:
        person["id"] = renamed[person["id"]]
        person["name"] = f"{person['role'].title()} {person['id']}"
        person["hire_date"] = (date.fromisoformat(person["hire_date"]) + shift).isoformat()
        if "manager_id" in person:
            person["manager_id"] = renamed[person["manager_id"]]
        if "protected" in person:
            person["protected"]["birth_year"] += shift.days // 365
    cohort["program"] = {"name": "Tandem reverse mentoring", "cohort": str(year),
                         "as_of": f"{year}-09-01",
                         "description": "Example program, made by "
                                        "examples/program/generate.py."}
    return cohort


def _chance(pair: dict[str, Any], people: dict[str, dict[str, Any]], as_of: date) -> float:
    mentor, mentee = people[pair["mentor"]], people[pair["mentee"]]
    fired = {r["rule"] for r in pair["reasons"]}

    def tenure(person: dict[str, Any]) -> float:
        return (as_of - date.fromisoformat(person["hire_date"])).days / 365.25

    logit = (-0.4 + 1.1 * (mentor["job_family"] == mentee["job_family"])
             + 0.5 * ("intentions/strong-overlap" in fired)
             - 0.9 * (tenure(mentee) - tenure(mentor) >= 20))
    return 1 / (1 + math.exp(-logit))


def generate(seed: int, hr_csv: Path | None, out: Path) -> None:
    sys.path.insert(0, str(REPO))
    from engine.evaluation.inputs import load_inputs
    from engine.pairing.pipeline import pair_cohort

    rng = np.random.default_rng(seed)
    checkins: list[list[Any]] = []
    outcomes: list[list[Any]] = []
    running: list[tuple[float, dict[str, Any]]] = []
    for year in YEARS:
        path = out / f"cohort-{year}.json"
        path.write_text(json.dumps(_cohort(year, seed, hr_csv), indent=1, ensure_ascii=False)
                        + "\n", encoding="utf-8")
        cohort, rules, _ = load_inputs(path)
        people = {p.id: p.as_record() for p in cohort.participants}
        for pair in pair_cohort(cohort, rules)["pairs"]:
            chance = _chance(pair, people, cohort.as_of)
            if year == RUNNING:
                running.append((chance, pair))
                result = ("success" if chance > 0.6 else "partial" if chance > 0.4
                          else "failure")
                sides = [str(rng.choice(["mentor", "mentee"]))]
            else:
                result = ("success" if rng.random() < chance
                          else str(rng.choice(["partial", "failure"], p=[0.4, 0.6])))
                outcomes.append([pair["mentor"], pair["mentee"], result, ""])
                sides = ["mentor", "mentee"]
            low, high = {"success": (4, 5), "partial": (3, 4), "failure": (1, 3)}[result]
            for side in sides:
                note = str(rng.choice(NOTES)) if rng.random() < 0.2 else ""
                checkins.append([pair["mentor"], pair["mentee"], "", side,
                                 int(rng.integers(low, high + 1)), note])
    worst = min(running, key=lambda item: (item[0], item[1]["mentor"]))[1]
    _csv(out / "checkins.csv", ["mentor", "mentee", "on", "by", "rating", "note"], checkins)
    _csv(out / "outcomes.csv", ["mentor", "mentee", "result", "note"], outcomes)
    _csv(out / "separations.csv", ["mentor", "mentee", "category", "reason"],
         [[worst["mentor"], worst["mentee"], "mismatch",
           "Learning paces never matched; both asked to stop after two months."]])


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--hr-csv", type=Path, default=None,
                        help="an HRIS export to draw people from (default: the population "
                             "of benchmarks/hr_model.py, shipped with the repository)")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    generate(args.seed, args.hr_csv, args.out)


if __name__ == "__main__":
    main()
