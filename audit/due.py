"""What is due, from the log and the program's calendar: quiet pairs, missing outcomes, the
visits of the coming week.

In: the database and the `Calendar` of tandem.toml. Out: the engine's `DueReport`. The log
is read once, in one transaction: the active pairs, the last check-in and the outcome of
each pair (by ``pair_seq``) come from the state's fold (as kept, `audit.state.folded`), the
visits from the entries of the last committed my-job-day plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from audit.log import db as database
from audit.log import store
from audit.log.kinds import KIND_MY_JOB_DAY, KIND_MY_JOB_DAY_RUN
from audit.state import ProgramState, derive_state, program_state
from engine.settings.calendar import DueReport, PairDates, Visit, due
from engine.settings.program_file import Calendar


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def due_from_state(state: ProgramState, visits: Iterable[Mapping[str, Any]],
                   calendar: Calendar, today: date) -> DueReport:
    """The due report on ``today`` of the program's state (its active pairs, each one's
    latest check-in, the pairs with an outcome) and the visits of the last plan."""
    pairs = [PairDates(p.mentor, p.mentee, p.seq, _day(p.since) or today,
                       _day(state.checked_in.get(p.seq)), p.seq in state.outcome_pairs)
             for p in state.active]
    found = [Visit(day, str(d.get("visitor")), str(d.get("host")), str(d.get("family")))
             for d in visits if (day := _day(d.get("day"))) is not None]
    return due(calendar, today, pairs, found)


def due_from_entries(docs: Iterable[Mapping[str, Any]], calendar: Calendar,
                     today: date) -> DueReport:
    """The due report of these entries (oldest first) on ``today``."""
    entries = list(docs)
    plan_run: str | None = None
    for doc in entries:
        if doc.get("kind") == KIND_MY_JOB_DAY_RUN:
            plan_run = str(doc.get("run"))
    visits = [d for d in entries if d.get("kind") == KIND_MY_JOB_DAY and d.get("run") == plan_run]
    return due_from_state(derive_state(entries), visits, calendar, today)


def due_report(db_url: str | None, calendar: Calendar, today: date) -> DueReport:
    """What is due on ``today`` in the log at ``db_url``: the program's state as kept
    (`audit.state.program_state`), and the visits of the last plan by the index on the
    run."""
    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            state = program_state(conn)
            plan = store.last_of_kind(conn, KIND_MY_JOB_DAY_RUN)
            visits = (store.docs_of_run(conn, str(plan.get("run")), KIND_MY_JOB_DAY)
                      if plan is not None else [])
            return due_from_state(state, visits, calendar, today)
    finally:
        db.dispose()
