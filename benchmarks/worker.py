"""Run one contender on one cohort file in a fresh process, print its figures as JSON.

    python benchmarks/worker.py floor|per-pair|peer COHORT.json [--runs N]

`benchmarks/pairing.py` starts it as a subprocess, so each contender's peak RSS is its own
(read by the parent from the child's resource usage) and nothing it allocates outlives it.
The time reported is measured inside, from the profiles in memory to the pairs formed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import contenders


def run(name: str, cohort_path: Path, runs: int) -> dict[str, object]:
    cohort = json.loads(cohort_path.read_text("utf-8"))
    settings = contenders.read_settings()
    results = []
    for _ in range(runs):
        if name == "floor":
            results.append(contenders.floor(cohort, settings))
        elif name == "per-pair":
            results.append(contenders.per_pair(cohort_path))
        else:
            results.append(contenders.peer(cohort, settings))
    seconds = [r.seconds for r in results]
    middle = sorted(results, key=lambda r: r.seconds)[len(results) // 2]
    if len({(r.pairs, r.total) for r in results}) != 1:
        raise SystemExit(f"{name}: runs disagree with each other")
    return {"runs": seconds, "median": statistics.median(seconds),
            "cpu_median": statistics.median(r.cpu_seconds for r in results), **middle.as_dict()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contender", choices=["floor", "per-pair", "peer"])
    parser.add_argument("cohort", type=Path)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(run(args.contender, args.cohort, args.runs)))


if __name__ == "__main__":
    main()
