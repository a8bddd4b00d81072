"""What is due, from the log and the program's calendar: quiet pairs, missing outcomes, the
visits of the coming week.

In: the database and the `Calendar` of tandem.toml. Out: the engine's `DueReport`. The log
is read once, in one transaction: the active pairs come from the state's fold, the last
check-in and the outcome of each pair from its `checkin` and `outcome` entries (by
``pair_seq``), the visits from the last committed my-job-day plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from audit.log import db as database
from audit.log import store
from audit.log.kinds import KIND_CHECKIN, KIND_MY_JOB_DAY, KIND_MY_JOB_DAY_RUN, KIND_OUTCOME
from audit.state import derive_state
from engine.settings.calendar import DueReport, PairDates, Visit, due
from engine.settings.program_file import Calendar


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def due_from_entries(docs: Iterable[Mapping[str, Any]], calendar: Calendar,
                     today: date) -> DueReport:
    """The due report of these entries (oldest first) on ``today``."""
    entries = list(docs)
    state = derive_state(entries)
    last_checkin: dict[int, date] = {}
    outcomes: set[int] = set()
    plan_run: str | None = None
    for doc in entries:
        kind = doc.get("kind")
        if kind == KIND_CHECKIN:
            on = _day(doc.get("on"))
            seq = int(doc.get("pair_seq", 0))
            if on and (seq not in last_checkin or on > last_checkin[seq]):
                last_checkin[seq] = on
        elif kind == KIND_OUTCOME:
            outcomes.add(int(doc.get("pair_seq", 0)))
        elif kind == KIND_MY_JOB_DAY_RUN:
            plan_run = str(doc.get("run"))
    pairs = [PairDates(p.mentor, p.mentee, p.seq, _day(p.since) or today,
                       last_checkin.get(p.seq), p.seq in outcomes) for p in state.active]
    visits = [Visit(day, str(d.get("visitor")), str(d.get("host")), str(d.get("family")))
              for d in entries if d.get("kind") == KIND_MY_JOB_DAY and d.get("run") == plan_run
              and (day := _day(d.get("day"))) is not None]
    return due(calendar, today, pairs, visits)


def due_report(db_url: str | None, calendar: Calendar, today: date) -> DueReport:
    """What is due on ``today`` in the log at ``db_url``."""
    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            return due_from_entries(store.state_docs(conn), calendar, today)
    finally:
        db.dispose()
