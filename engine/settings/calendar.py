"""The program's calendar as pure checks: days outside the program, and what is due.

In: the `Calendar` of the program file, today's date, and plain records of the program's
state (active pairs, the last check-in and the outcome of each, the visits planned). Out: a
`DueReport`: the pairs without a check-in within the cadence (oldest first, with the days
since the last one), the pairs past the program's end with no outcome, and the my-job-day
visits of the coming week.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from engine.settings.program_file import Calendar

WEEK = 7


@dataclass(frozen=True, slots=True)
class PairDates:
    """An active pair as the calendar needs it: when it began, its last check-in, whether
    an outcome is recorded."""

    mentor: str
    mentee: str
    seq: int
    since: date
    last_checkin: date | None = None
    has_outcome: bool = False


@dataclass(frozen=True, slots=True)
class Quiet:
    """A pair without a check-in within the cadence."""

    mentor: str
    mentee: str
    seq: int
    last: date  # the last check-in, or the day the pair began
    days: int
    ever: bool  # has it ever had a check-in?

    def as_dict(self) -> dict[str, Any]:
        return {"mentor": self.mentor, "mentee": self.mentee, "pair_seq": self.seq,
                "last": self.last.isoformat(), "days": self.days,
                "checked_in": self.ever}


@dataclass(frozen=True, slots=True)
class Visit:
    day: date
    visitor: str
    host: str
    family: str

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "visitor": self.visitor, "host": self.host,
                "family": self.family}


@dataclass(frozen=True, slots=True)
class DueReport:
    today: date
    cadence: int | None
    quiet: tuple[Quiet, ...]
    overdue_outcomes: tuple[PairDates, ...]
    visits: tuple[Visit, ...]
    calendar: Calendar

    @property
    def empty(self) -> bool:
        return not (self.quiet or self.overdue_outcomes or self.visits)

    def summary(self) -> str:
        """One sentence: how many pairs are quiet, how many lack an outcome, how many
        visits come."""
        quiet, visits = len(self.quiet), len(self.visits)
        return (f"Due on {self.today}: {quiet} pair{'' if quiet == 1 else 's'} without a "
                f"recent check-in, {len(self.overdue_outcomes)} without an outcome past the "
                f"end, {visits} visit{'' if visits == 1 else 's'} in the coming week.")

    def as_dict(self) -> dict[str, Any]:
        return {"today": self.today.isoformat(), "checkin_every_days": self.cadence,
                "start": _iso(self.calendar.start), "end": _iso(self.calendar.end),
                "no_recent_checkin": [q.as_dict() for q in self.quiet],
                "past_end_without_outcome": [
                    {"mentor": p.mentor, "mentee": p.mentee, "pair_seq": p.seq}
                    for p in self.overdue_outcomes],
                "visits_this_week": [v.as_dict() for v in self.visits]}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def outside_days(calendar: Calendar, days: Iterable[date]) -> list[date]:
    """The days of ``days`` outside the program's dates, sorted."""
    return sorted({d for d in days if calendar.outside(d)})


def due(calendar: Calendar, today: date, pairs: Sequence[PairDates],
        visits: Sequence[Visit]) -> DueReport:
    """What needs attention on ``today``."""
    quiet: list[Quiet] = []
    if calendar.checkin_every_days:
        for p in pairs:
            last = p.last_checkin or p.since
            days = (today - last).days
            if days > calendar.checkin_every_days:
                quiet.append(Quiet(p.mentor, p.mentee, p.seq, last, days,
                                   p.last_checkin is not None))
    quiet.sort(key=lambda q: (q.last, q.mentor, q.mentee))
    overdue = tuple(sorted((p for p in pairs if calendar.end and today > calendar.end
                            and not p.has_outcome),
                           key=lambda p: (p.since, p.mentor, p.mentee)))
    horizon = today + timedelta(days=WEEK)
    coming = tuple(sorted((v for v in visits if today <= v.day < horizon),
                          key=lambda v: (v.day, v.host, v.visitor)))
    return DueReport(today, calendar.checkin_every_days, tuple(quiet), overdue, coming,
                     calendar)
