"""A log of 100,000 entries, and how long the reading and writing commands take on it.

    python benchmarks/log.py                       # build a new log, then time the commands
    python benchmarks/log.py --db sqlite:///big.db # keep the log (built when absent)
    python benchmarks/log.py --entries 20000       # a smaller log

The log is synthetic and seeded, made by its own generator (no external file) through
Tandem's own writers, so every entry is chained and checked as a real one:

- `--runs` pairing runs (default 10), each pairing new mentors with new mentees (2,000 each
  by default), with reasons shaped like the bundled rules' and whole profiles kept;
- check-ins of the active pairs in batches of 10,000 (`record_checkins`, one transaction
  per batch), until the log holds `--entries` entries.

Then, each command as a user runs it (a new `tandem` process; wall time, the CPU time and
the peak RSS of the process): `tandem --help`; `audit show N` of the last entry; `audit log
--limit 10`; `status` twice (the first read after the log was built folds it and keeps the
state, the next reads start from it), and `status --all`; `history` of a person; `explain`
of a pair of examples/cohort.json; a `pair` dry run of examples/cohort.json with that log
as its history and with no log; `report` and `insights` (unless --skip-slow); and 1,000
outcomes recorded one by one in this process (`record_outcome`, the write path without the
start-up). The machine's load average is printed first and last: read the figures as
ratios inside one run. `audit export` as JSON lines, CSV and xlsx is timed after insights,
with the size it wrote. `--only WORD` (repeatable) runs only the commands whose name holds
a word. No time is asserted anywhere.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import structlog

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
RULES_FILES = {"culture.yaml": "rules:\n  - id: culture/same-job-family\n",
               "settings.yaml": "settings:\n  objective: participation\n"}
FAMILIES = ("finance", "it", "legal", "marketing", "hr", "operations")
BECAUSE = ("Partners who share a job family speak the same professional language, so the "
           "mentor's digital advice can be applied to the mentee's real work.")


def _reasons(rng: random.Random, score: int) -> list[dict[str, Any]]:
    return [{"rule": f"culture/rule-{k}", "title": f"Rule number {k}", "because": BECAUSE,
             "effect": "score", "points": score // 3,
             "evidence": {"mentor.job_family": rng.choice(FAMILIES),
                          "mentee.job_family": rng.choice(FAMILIES)}} for k in range(3)]


def run_input(run: int, n: int, rng: random.Random) -> Any:
    """One synthetic run: n new mentors paired with n new mentees, in the engine's contract."""
    from audit.commit import CommitInput

    mentors = [f"M{run:03d}{i:05d}" for i in range(n)]
    mentees = [f"E{run:03d}{i:05d}" for i in range(n)]
    pairs = []
    for m, e in zip(mentors, mentees, strict=True):
        score = rng.randint(10, 90)
        pairs.append({"mentor": m, "mentee": e, "score": score,
                      "sentence": f"Name {m} ({m}) mentors Name {e} ({e}), score {score}.",
                      "reasons": _reasons(rng, score)})
    profiles = [{"id": p, "role": role, "name": f"Name {p}", "job_family": rng.choice(FAMILIES),
                 "department": rng.choice("ABCDEFGH"), "subsidiary": rng.choice("XYZ"),
                 "protected": {"gender": rng.choice("fm"), "birth_year": rng.randint(1960, 2000)}}
                for people, role in ((mentors, "mentor"), (mentees, "mentee")) for p in people]
    result = {"tandem_version": "0.1.0", "rules_digest": "sha256:" + "a" * 64,
              "input_digest": f"sha256:{run:064x}", "as_of": "2026-09-01",
              "settings": {"objective": "participation", "min_score": 0,
                           "default_capacity": 1},
              "pairs": pairs, "unpaired": [],
              "summary": {"mentors": n, "mentees": n, "pairs": n,
                          "total_score": sum(p["score"] for p in pairs), "unpaired": 0}}
    return CommitInput(result, RULES_FILES, profiles)


def build(url: str, entries: int, runs: int, per_run: int, seed: int) -> int:
    """Fill a new log up to `entries` entries; the number written."""
    from audit.commit import commit_pairing
    from audit.followup import record_checkins
    from engine.followup.facts import Checkin

    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    for run in range(runs):
        made = run_input(run, per_run, rng)
        commit_pairing(url, "bench", lambda _busy, made=made: made)
        pairs += [(p["mentor"], p["mentee"]) for p in made.result["pairs"]]
        print(f"  run {run + 1} of {runs} committed", flush=True)
    total = (per_run + 1) * runs
    start = date.today()  # the day the runs above began their pairs
    while total < entries:
        size = min(10_000, entries - total)
        # Check-ins spread over the program's months, as monthly check-ins of a real
        # program are; a repeat of the same pair, day, side and rating is a real duplicate.
        batch = [Checkin(*rng.choice(pairs), rating=rng.randint(1, 5),
                         on=start + timedelta(days=rng.randrange(90)),
                         by=rng.choice(["mentor", "mentee"])) for _ in range(size)]
        record_checkins(url, "bench", batch, today=start + timedelta(days=90),
                        allow_duplicates=True)
        total += size
        print(f"  {total} entries", flush=True)
    return entries_in(url)


def entries_in(url: str) -> int:
    from audit.log import db as database
    from audit.log import store

    db = database.open_for_read(url)
    try:
        with db.reading() as conn:
            return store.count(conn)
    finally:
        db.dispose()


def timed(args: list[str], cwd: Path) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds, peak RSS in MB, exit code) of `tandem ARGS` in a new
    process.

    The peak is read by /usr/bin/time when it is there: a child forked from this (large)
    process would otherwise report this process's size as its own. Without it, the peak
    comes from wait4 and is at least this process's size.
    """
    measure = ["/usr/bin/time", "-f", "TANDEM_MAXRSS_KB %M"] if Path("/usr/bin/time").exists() \
        else []
    started = time.perf_counter()
    child = subprocess.Popen([*measure, sys.executable, "-c", "from cli.main import main; main()",
                              *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.stderr is not None
    errors = child.stderr.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    peak_kb = usage.ru_maxrss
    for line in errors.splitlines():
        if line.startswith("TANDEM_MAXRSS_KB "):
            peak_kb = int(line.split()[1])
    if child.returncode not in (0, 1):
        print(f"  tandem {' '.join(args)} exited {child.returncode}: {errors.strip()[-300:]}",
              flush=True)
    return wall, cpu, peak_kb // 1024, child.returncode


def active_pairs(url: str) -> list[tuple[str, str]]:
    """The active pairs of the log, as the program's state gives them."""
    from audit.log import db as database
    from audit.state import program_state

    db = database.open_for_read(url)
    try:
        with db.reading() as conn:
            return [(p.mentor, p.mentee) for p in program_state(conn).active]
    finally:
        db.dispose()


def outcomes(url: str, n: int, seed: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) to record n outcomes one by one, each its own write."""
    from audit.followup import record_outcome
    from engine.followup.facts import Outcome

    rng = random.Random(seed)
    chosen = rng.sample(active_pairs(url), n)
    started, cpu = time.perf_counter(), time.process_time()
    for mentor, mentee in chosen:
        record_outcome(url, "bench", Outcome(mentor, mentee,
                                             rng.choice(["success", "partial", "failure"])))
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="keep the log here (built when absent)")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--per-run", type=int, default=2_000)
    parser.add_argument("--outcomes", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--skip-slow", action="store_true",
                        help="leave out report, insights and the exports (the log's other "
                             "readers)")
    parser.add_argument("--only", action="append", default=[], metavar="WORD",
                        help="only the commands whose name holds this word (repeatable); "
                             "no outcomes unless one word is 'outcomes'")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    work = Path(tempfile.mkdtemp(prefix="tandem-log-bench-"))
    url = args.db or f"sqlite:///{work / 'tandem.db'}"
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{os.cpu_count()} CPUs; log {url}", flush=True)
    from audit.log import location

    if location.absent(url) or args.db is None:
        started = time.perf_counter()
        count = build(url, args.entries, args.runs, args.per_run, args.seed)
        print(f"built {count} entries in {time.perf_counter() - started:.1f} s", flush=True)
    else:
        count = entries_in(url)
    db = ["--db", url]
    cohort = str(ROOT / "examples" / "cohort.json")
    print(f"{'work':<44} {'wall s':>8} {'CPU s':>8} {'RSS MB':>7} {'exit':>5}")
    rows: list[tuple[str, float, float, int, int]] = []

    def row(name: str, command: list[str], out: Path | None = None) -> None:
        if args.only and not any(word in name for word in args.only):
            return
        wall, cpu, rss, code = timed(command, work)
        rows.append((name, wall, cpu, rss, code))
        size = f" {out.stat().st_size / 1e6:>8.1f} MB written" if out and out.exists() else ""
        print(f"{name:<44} {wall:>8.2f} {cpu:>8.2f} {rss:>7} {code:>5}{size}", flush=True)

    row("tandem --help", ["--help"])
    row("audit show N (the last entry)", ["audit", "show", str(count), *db])
    row("audit log --limit 10", ["audit", "log", "--limit", "10", *db])
    row("status (no kept state yet: folds, keeps it)", ["status", *db])
    row("status", ["status", *db])
    active = active_pairs(url)
    person = active[len(active) // 2][1]
    row("status --all", ["status", "--all", *db])
    row(f"history {person}", ["history", person, *db])
    row("explain examples/cohort.json M12 E05, that log",
        ["explain", cohort, "M12", "E05", *db])
    row("pair dry run, examples/cohort.json, that log", ["pair", cohort, *db])
    row("pair dry run, examples/cohort.json, no log",
        ["pair", cohort, "--db", f"sqlite:///{work / 'none.db'}"])
    if not args.skip_slow:
        row("report", ["report", "--out", str(work / "report.html"), *db], work / "report.html")
        row("insights", ["insights", *db])
        for fmt in ("jsonl", "csv", "xlsx"):
            out = work / f"audit.{fmt}"
            row(f"audit export --format {fmt}",
                ["audit", "export", "--format", fmt, "--out", str(out), *db], out)
    if not args.only or "outcomes" in args.only:
        wall, cpu = outcomes(url, args.outcomes, args.seed)
        print(f"{f'{args.outcomes} outcomes, one by one (in process)':<44} {wall:>8.2f} "
              f"{cpu:>8.2f}", flush=True)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    main()
