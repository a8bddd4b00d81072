"""Audit log speed: commit a 3,000 x 3,000 cohort's result, then verify the log.

    python benchmarks/audit_commit.py                    # SQLite, and PostgreSQL if reachable
    python benchmarks/audit_commit.py --pairs 1000 --runs 5
    python benchmarks/audit_commit.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

The result is synthetic, shaped like the engine's: n pairs, each with 5 fired rules whose
`because` and evidence are as long as the bundled rules', and 2n whole profiles for the
snapshot. The computation is done before the clock starts, so the figures are the audit
store's alone. For each database, on a new log (schema made before timing):

- commit: `commit_pairing` of the n pairs (1 + n entries, 2n snapshot profiles);
- verify: `tandem audit verify`'s work on those entries;
- commit on top: the same cohort again, everyone now busy (1 + 2n `already-paired` entries);
- verify all: the whole log, 2 + 3n entries.

Times are medians over --runs fresh logs. No time is asserted anywhere.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.commit import CommitInput, commit_pairing
from audit.log.migrate import upgrade
from audit.log.verify import verify

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BECAUSE = ("Partners who share a job family speak the same professional language, so the "
           "mentor's digital advice can be applied to the mentee's real work.")
RULES_FILES = {f"rules-{i}.yaml": "rules:\n" + "  - id: x\n    because: " + BECAUSE + "\n" * 40
               for i in range(6)}


def _reasons(i: int) -> list[dict[str, Any]]:
    out = []
    for k in range(5):
        out.append({"rule": f"family-{k}/rule", "title": f"Rule number {k}", "because": BECAUSE,
                    "effect": "score", "points": 5 + 5 * k,
                    "evidence": {"mentor.intentions": ["teach-digital-tools", "build-a-network"],
                                 "mentee.intentions": ["master-digital-tools"],
                                 "shared intentions themes": ["digital-tools"],
                                 "mentor.job_family": "finance", "pair": i % 97}})
    return out


def synthetic(n: int, busy: frozenset[str] = frozenset()) -> CommitInput:
    mentors = [f"M{i:05d}" for i in range(n)]
    mentees = [f"E{i:05d}" for i in range(n)]
    pairs = [{"mentor": m, "mentee": e, "score": 75, "reasons": _reasons(i),
              "sentence": f"Mentor {m} ({m}) mentors Mentee {e} ({e}), score 75: same "
                          "professional language; neighbouring learning styles."}
             for i, (m, e) in enumerate(zip(mentors, mentees, strict=True))
             if m not in busy and e not in busy]
    unpaired = [{"id": p, "role": "mentor" if p[0] == "M" else "mentee",
                 "reason": "already-paired",
                 "why": "already in an active pair; not paired again in this run", "detail": {}}
                for p in [*mentors, *mentees] if p in busy]
    result = {"tandem_version": "0.1.0", "rules_digest": "sha256:" + "a" * 64,
              "input_digest": "sha256:" + "b" * 64, "as_of": "2026-09-01",
              "settings": {"objective": "participation", "min_score": 0, "default_capacity": 1},
              "pairs": pairs, "unpaired": unpaired,
              "summary": {"mentors": n, "mentees": n, "pairs": len(pairs),
                          "total_score": 75 * len(pairs), "unpaired": len(unpaired)}}
    profiles = [{"id": p, "role": "mentor" if p[0] == "M" else "mentee", "name": f"Person {p}",
                 "learning_style": "reflector", "job_family": "finance",
                 "department": "Finance", "subsidiary": "Bank", "hire_date": "2020-01-01",
                 "intentions": ["teach-digital-tools"], "topics": ["ai", "no-code"],
                 "email": f"{p.lower()}@example.com", "protected": {"gender": "x"}}
                for p in [*mentors, *mentees]]
    return CommitInput(result, RULES_FILES, profiles)


@contextmanager
def sqlite_log() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'tandem.db'}"


@contextmanager
def pg_log(base: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"tandem_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield make_url(base).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def pg_reachable(url: str) -> str | None:
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect():
            return None
    except OperationalError as exc:
        return str(exc.orig).strip().splitlines()[0]
    finally:
        engine.dispose()


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def measure(make_log: Callable[[], Any], n: int, runs: int) -> dict[str, float]:
    first, again = synthetic(n), None
    times: dict[str, list[float]] = {}
    for _ in range(runs):
        with make_log() as url:
            upgrade(url)
            seconds, receipt = _timed(lambda url=url: commit_pairing(url, "bench",
                                                                     lambda busy: first))
            times.setdefault("commit", []).append(seconds)
            seconds, report = _timed(lambda url=url: verify(url))
            assert report.ok and report.entries == receipt.entries == n + 1
            times.setdefault("verify", []).append(seconds)
            if again is None:
                again = synthetic(n, frozenset(p for pair in first.result["pairs"]
                                               for p in (pair["mentor"], pair["mentee"])))
            seconds, _ = _timed(lambda url=url, second=again: commit_pairing(
                url, "bench", lambda busy: second))
            times.setdefault("commit on top", []).append(seconds)
            seconds, report = _timed(lambda url=url: verify(url))
            assert report.ok and report.entries == 2 + 3 * n
            times.setdefault("verify all", []).append(seconds)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3000, help="n: an n x n cohort")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", default=os.environ.get("TANDEM_TEST_PG") or PG_DEFAULT,
                        help="PostgreSQL URL (default: TANDEM_TEST_PG, else the local server)")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    n = args.pairs
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    print(f"Audit log: a {n:,} x {n:,} cohort, {n:,} pairs with 5 rules each; median of "
          f"{args.runs} runs; Python {platform.python_version()}, {os.cpu_count()} CPUs")
    databases: list[tuple[str, Callable[[], Any]]] = [("SQLite", sqlite_log)]
    if not args.no_pg:
        problem = pg_reachable(args.pg)
        if problem:
            print(f"PostgreSQL skipped: {problem}")
        else:
            databases.append(("PostgreSQL", lambda: pg_log(args.pg)))
    rows = {name: measure(make, n, args.runs) for name, make in databases}
    steps = [("commit", f"commit {n:,} pairs ({n + 1:,} entries, {2 * n:,} profiles)"),
             ("verify", f"verify {n + 1:,} entries"),
             ("commit on top", f"commit on top ({2 * n + 1:,} already-paired entries)"),
             ("verify all", f"verify all {3 * n + 2:,} entries")]
    width = max(len(label) for _, label in steps)
    print(f"{'':{width}}  " + "  ".join(f"{name:>10}" for name in rows))
    for key, label in steps:
        print(f"{label:{width}}  " + "  ".join(f"{rows[name][key]:>9.2f}s" for name in rows))


if __name__ == "__main__":
    main()
