"""The facts a person reports about a pair, and the pairs the log has formed. Plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

Result = Literal["success", "partial", "failure"]
RESULTS: tuple[Result, ...] = ("success", "partial", "failure")
REPORTERS = ("mentor", "mentee")
RATING_RANGE = (1, 5)
# A separation in these categories counts as a failure unless an outcome says otherwise.
FAILURE_CATEGORIES = ("mismatch", "conflict")


@dataclass(frozen=True, slots=True)
class Checkin:
    """One check-in: how the pair is going, on a day, rated 1 to 5 by one side."""

    mentor: str
    mentee: str
    rating: int
    on: date | None = None  # None: today
    by: str | None = None
    note: str | None = None
    where: str = ""  # where it was read: "row 3", "$[2]", "line 4, $"


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a pair ended: success, partial or failure."""

    mentor: str
    mentee: str
    result: Result
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PairRecord:
    """One pair the log formed: where, when, with what score and reasons, and what followed."""

    mentor: str
    mentee: str
    seq: int  # the entry that formed it (pair, reassignment or forced decision)
    run: str
    began: date
    score: float
    reasons: tuple[Mapping[str, Any], ...]
    active: bool
    ended: date | None = None
    separation: str | None = None  # its category, when a separation ended it
    outcome: Result | None = None
    outcome_seq: int | None = None


@dataclass(frozen=True)
class PairBook:
    """Every pair the log formed, the latest formation of each (mentor, mentee)."""

    pairs: Mapping[tuple[str, str], PairRecord] = field(default_factory=dict)
    proposed: Mapping[tuple[str, str], str] = field(default_factory=dict)  # -> run id

    def get(self, mentor: str, mentee: str) -> PairRecord | None:
        return self.pairs.get((mentor, mentee))
