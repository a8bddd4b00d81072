"""What the pairing engine may know of the program's past, for the rules to read.

In: nothing but plain values, built by the audit log's fold (`audit.state`). Out: for each
couple that has a past, a `PairRecord`; for each person, how many places they hold now.
A dry run without a database uses `Standing()`: nobody holds a place, no couple has a past.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The pair fields a rule may read (`pair.FIELD`), and the kind of value each one holds.
PAIR_FIELDS: Mapping[str, str] = {
    "paired_before": "flag",
    "separated_before": "flag",
    "separation_category": "text",
    "forbidden": "flag",
}


@dataclass(frozen=True, slots=True)
class PairRecord:
    """The past of one couple, from the log."""

    paired_before: bool = False
    separated_before: bool = False
    separation_category: str | None = None  # of the last separation
    separation_seq: int | None = None  # the last separation's entry
    forbidden: bool = False
    decision_seq: int | None = None  # the forbidding decision's entry
    decision_reason: str | None = None

    def value(self, name: str) -> Any:
        """The value a rule reads as ``pair.NAME`` (None when it has none)."""
        return getattr(self, name)

    def evidence(self, name: str) -> dict[str, Any]:
        """What an explanation shows for ``pair.NAME``: the value and the entry behind it."""
        out: dict[str, Any] = {f"pair.{name}": self.value(name)}
        if name in ("separated_before", "separation_category") and self.separation_seq:
            out["pair.separation_entry"] = self.separation_seq
        if name == "forbidden" and self.decision_seq:
            out["pair.forbidden_by"] = (f"decision entry {self.decision_seq}: "
                                        f"{self.decision_reason}")
        return out


NO_PAST = PairRecord()


@dataclass(frozen=True)
class Standing:
    """The program's state as the engine needs it.

    ``load``: person id -> places held now (active pairs, and pairs proposed and waiting for
    approval). A mentee holding one is taken; a mentor is taken when the load reaches their
    capacity, and otherwise offers the remaining places. ``pairs``: (mentor, mentee) -> the
    couple's past. ``withdrawn``: the people who left the program; they hold no place and
    no run pairs them.
    """

    load: Mapping[str, int] = field(default_factory=dict)
    pairs: Mapping[tuple[str, str], PairRecord] = field(default_factory=dict)
    withdrawn: frozenset[str] = frozenset()

    def record(self, mentor: str, mentee: str) -> PairRecord:
        return self.pairs.get((mentor, mentee), NO_PAST)

