"""Validated participants and cohorts: the plain data every later step reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

Role = Literal["mentor", "mentee"]

# Fields a participant has, with the kind of value each holds. Rules may read these,
# except the ones listed in FORBIDDEN_FIELDS.
FIELD_KINDS: Mapping[str, str] = {
    "id": "text",
    "role": "text",
    "name": "text",
    "learning_style": "text",
    "job_family": "text",
    "department": "text",
    "subsidiary": "text",
    "hire_date": "date",
    "tenure_years": "number",  # derived from hire_date and the cohort's as-of date
    "intentions": "list",
    "topics": "list",
    "capacity": "number",
    "manager_id": "text",
    "email": "text",
    "my_job_day": "object",
    "protected": "object",
}


def anniversary(start: date, years: int) -> date:
    """The date ``years`` after ``start``; a 29 February falls on 28 February in other
    years."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 2, 28)


def _add_months(start: date, months: int) -> date:
    """The date ``months`` after ``start``, on the last day of a shorter month."""
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    month += 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, min(start.day, day))
        except ValueError:
            continue
    return date(year, month, 28)


def tenure_of(hire: date, as_of: date) -> float:
    """Years from ``hire`` to ``as_of``, exact to the day, never negative.

    The whole years are the anniversaries passed: tenure reaches 1 on the first
    anniversary, never before (364 days is 0.997). The fraction is the days since the last
    anniversary over the days until the next one (365 or 366).
    """
    if as_of <= hire:
        return 0.0
    years = as_of.year - hire.year
    if anniversary(hire, years) > as_of:
        years -= 1
    last, following = anniversary(hire, years), anniversary(hire, years + 1)
    return years + (as_of - last).days / (following - last).days


def tenure_words(hire: date, as_of: date) -> str:
    """Tenure as people say it: "2 years, 3 months and 4 days", "364 days"."""
    if as_of <= hire:
        return "0 days"
    years = int(tenure_of(hire, as_of))
    last = anniversary(hire, years)
    months = 0
    while months < 11 and _add_months(last, months + 1) <= as_of:
        months += 1
    days = (as_of - _add_months(last, months)).days
    parts = [f"{n} {unit}{'' if n == 1 else 's'}"
             for n, unit in ((years, "year"), (months, "month"), (days, "day")) if n]
    if not parts:
        return "0 days"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


@dataclass(frozen=True, slots=True)
class Participant:
    id: str
    role: Role
    name: str
    learning_style: str
    job_family: str
    department: str
    subsidiary: str
    hire_date: date
    intentions: tuple[str, ...]
    topics: tuple[str, ...] = ()
    capacity: int | None = None
    manager_id: str | None = None
    email: str | None = None
    my_job_day: Mapping[str, Any] | None = None
    protected: Mapping[str, Any] | None = field(default=None, repr=False)
    # Fields the program declares in vocabulary.yaml (`fields:`); lists are tuples.
    extra: Mapping[str, Any] = field(default_factory=dict)

    def tenure_years(self, as_of: date) -> float:
        """Years since hire, exact to the day (see `tenure_of`)."""
        return tenure_of(self.hire_date, as_of)

    def as_record(self) -> dict[str, Any]:
        """The profile as plain JSON-ready data, without empty optional fields."""
        record: dict[str, Any] = {
            "id": self.id, "role": self.role, "name": self.name,
            "learning_style": self.learning_style, "job_family": self.job_family,
            "department": self.department, "subsidiary": self.subsidiary,
            "hire_date": self.hire_date.isoformat(), "intentions": list(self.intentions),
        }
        optional = {"topics": list(self.topics) or None, "capacity": self.capacity,
                    "manager_id": self.manager_id, "email": self.email,
                    "my_job_day": dict(self.my_job_day) if self.my_job_day else None,
                    "protected": dict(self.protected) if self.protected else None}
        record.update({k: v for k, v in optional.items() if v is not None})
        record.update({k: list(v) if isinstance(v, tuple) else v
                       for k, v in sorted(self.extra.items())})
        return record


@dataclass(frozen=True)
class Cohort:
    """Participants sorted by id, so nothing downstream depends on the input file's order."""

    participants: Sequence[Participant]
    as_of: date
    source: str = ""
    program: Mapping[str, Any] = field(default_factory=dict)

    @property
    def mentors(self) -> list[Participant]:
        return [p for p in self.participants if p.role == "mentor"]

    @property
    def mentees(self) -> list[Participant]:
        return [p for p in self.participants if p.role == "mentee"]

    def by_id(self) -> dict[str, Participant]:
        return {p.id: p for p in self.participants}
