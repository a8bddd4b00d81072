"""Load the example program into a fresh audit database, so that `tandem insights` has a
real history to show.

    .venv/bin/python examples/program/load.py [--db URL]   # default: sqlite:///program.db

Run it with the Python that Tandem is installed in (the virtualenv's): it imports Tandem
from this checkout, and Tandem's libraries from that environment.

It records, as the commands would: the pairing of each cohort (`tandem pair COHORT
--commit`), the check-ins (`tandem checkin --from checkins.csv`), the outcomes (`tandem
outcome`) and the separation (`tandem separate`). It refuses a database that already holds
an audit log. Then try:

    tandem insights --db sqlite:///program.db
    tandem rules compare rules/ my-rules/ examples/program/cohort-2026.json \
        --db sqlite:///program.db
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

ACTOR = "hr.example"
COHORTS = ("cohort-2024.json", "cohort-2025.json", "cohort-2026.json")


def _rows(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _separate(db_url: str, row: dict[str, str]) -> None:
    """As `tandem separate MENTOR MENTEE --category C --reason TEXT --commit`."""
    from audit.program import separate
    from engine.base.resources import rules_dir
    from engine.rules.vocabulary import load_vocabulary

    separate(db_url, ACTOR, mentor=row["mentor"], mentee=row["mentee"], reason=row["reason"],
             category=row["category"],
             categories=load_vocabulary(rules_dir()).separation_categories, commit=True)


def load(db_url: str) -> str:
    """Record the whole example program in ``db_url``; a summary line."""
    from audit.commit import CommitInput, commit_pairing
    from audit.followup import record_checkins, record_outcomes
    from audit.log import db as database
    from audit.log.errors import AuditError
    from engine.evaluation.inputs import load_inputs, profiles_for_monitoring
    from engine.followup.facts import Outcome
    from engine.followup.records import read_checkins
    from engine.pairing.pipeline import pair_cohort

    present = database.open_if_present(db_url)
    if present is not None:
        present.dispose()
        raise AuditError(f"{database.shown(db_url)} already holds an audit log; give a fresh "
                         "database with --db (the example is loaded once, into a new log)")
    pairs = 0
    for name in COHORTS:
        cohort, rules, _ = load_inputs(HERE / name)

        def compute(busy: frozenset[str], cohort=cohort, rules=rules) -> CommitInput:
            return CommitInput(pair_cohort(cohort, rules, busy), dict(rules.files),
                               profiles_for_monitoring(cohort))

        pairs += commit_pairing(db_url, ACTOR, compute).pairs
    checkins = read_checkins(HERE / "checkins.csv").checkins
    record_checkins(db_url, ACTOR, checkins, file="checkins.csv")
    outcomes = _rows("outcomes.csv")
    record_outcomes(db_url, ACTOR, [Outcome(row["mentor"], row["mentee"],
                                            row["result"], row["note"] or None)  # type: ignore[arg-type]
                                    for row in outcomes])
    separations = _rows("separations.csv")
    for row in separations:
        _separate(db_url, row)
    return (f"Loaded the example program into {database.shown(db_url)}: {len(COHORTS)} "
            f"cohorts, {pairs} pairs, {len(checkins)} check-ins, {len(outcomes)} outcomes, "
            f"{len(separations)} separation.")


def _check_environment() -> None:
    """Stop with the fix, not a traceback, when this Python lacks Tandem's libraries."""
    import importlib.util

    missing = [m for m in ("sqlalchemy", "structlog", "click", "durable", "scipy")
               if importlib.util.find_spec(m) is None]
    if missing:
        raise SystemExit(
            f"{sys.executable} does not have Tandem's libraries ({', '.join(missing)} "
            "missing). Run this script with the Python Tandem is installed in, e.g. "
            "`.venv/bin/python examples/program/load.py` after `python3 -m venv .venv && "
            ".venv/bin/pip install .`")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite:///program.db",
                        help="a fresh database URL (default: sqlite:///program.db)")
    args = parser.parse_args()
    _check_environment()
    from cli.logs import configure
    from engine.base.errors import TandemError

    configure(0, "console")  # warnings only, on stderr, as `tandem` does without -v
    try:
        print(load(args.db))
    except TandemError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
