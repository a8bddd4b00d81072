"""One pair with a result, as the statistics see it. Plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class PairFact:
    """A pair the log formed, what the rules said of it, and how it ended.

    ``result`` is one of ``engine.insights.results.KINDS`` (success, partial, failure,
    ineligible, attrition, no result, running); ``source`` says where it comes from:
    "outcome" (recorded by a person), "separation" or "none". ``cohort`` is the run that
    formed the pair. Profiles are None once erased.
    """

    mentor: str
    mentee: str
    seq: int
    began: date
    score: float
    fired: tuple[str, ...]
    points: Mapping[str, int]
    result: str
    source: str = "outcome"
    as_of: date | None = None
    mentor_profile: Mapping[str, Any] | None = field(default=None, repr=False)
    mentee_profile: Mapping[str, Any] | None = field(default=None, repr=False)
    cohort: str = ""

    @property
    def success(self) -> bool:
        return self.result == "success"
