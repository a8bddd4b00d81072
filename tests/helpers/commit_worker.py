"""A committing process without the engine, for the concurrency and crash tests.

    python tests/helpers/commit_worker.py DB_URL NAME --people N [--max-pairs K] [--hold S]
                                          [--wait-go]

Every worker sees the same people, M0001..MN and E0001..EN, and pairs free mentors with
free mentees in order (at most K pairs), so that workers running at once compete for the
same people. It prints "locked" when its computation starts (inside the locked
transaction), sleeps S seconds there, and prints its receipt as JSON at the end.
With --wait-go it loads everything first, prints "ready" and waits for a line on stdin,
so that a test can start several commits at the same instant, or time a kill precisely.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from audit.commit import CommitInput, commit_pairing
from tests.audit.builders import cohort_input, ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db_url")
    parser.add_argument("name")
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--max-pairs", type=int, default=None)
    parser.add_argument("--hold", type=float, default=0.0)
    parser.add_argument("--lock-timeout", type=float, default=60.0)
    parser.add_argument("--wait-go", action="store_true")
    args = parser.parse_args()
    # stdout is this worker's protocol with the test: operational logs go to stderr.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))
    if args.wait_go:
        import audit.log.db
        import audit.log.migrate
        import audit.log.store

        audit.log.db.Database(args.db_url, 1).dispose()  # loads the dialect and its driver
        print("ready", flush=True)
        sys.stdin.readline()

    def compute(busy: frozenset[str]) -> CommitInput:
        print("locked", flush=True)
        mentors = ids("M", args.people)
        free = [m for m in mentors if m not in busy]
        if args.max_pairs is not None:
            mentors = [m for m in mentors if m in busy or m in free[:args.max_pairs]]
        given = cohort_input(mentors, ids("E", args.people), busy)
        time.sleep(args.hold)
        return given

    receipt = commit_pairing(args.db_url, args.name, compute, lock_timeout=args.lock_timeout)
    print(json.dumps(receipt.as_dict()), flush=True)


if __name__ == "__main__":
    main()
