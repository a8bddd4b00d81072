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
        """Whole days since hire, in years of 365.25 days, never negative, rounded to 0.01."""
        return round(max((as_of - self.hire_date).days, 0) / 365.25, 2)

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
