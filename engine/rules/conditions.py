"""The condition tree of a rule, as plain typed values.

A rule file's `when:` is parsed into these nodes by `engine.rules.ruleset`. Every later step
(features, the rule engine, explanations) walks this tree; none of them reads YAML.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

# Pairing rules compare a mentor and a mentee (and may read the couple's past, `pair`:
# see engine.program); my-job-day rules compare a visitor and a host. The first side of each
# ruleset is the "left" one: its people are the rows of the pair matrix.
Side = Literal["mentor", "mentee", "pair", "visitor", "host"]
LEFT_SIDES: tuple[Side, ...] = ("mentor", "visitor")
Op = Literal["eq", "in", "not_in", "at_least", "at_most", "contains"]
Scalar = str | int | float | bool


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


@dataclass(frozen=True)
class Test:
    """``mentor.FIELD: VALUE``, ``mentee.FIELD: {op: VALUE}`` or ``pair.FIELD: VALUE``."""

    __test__ = False  # not a test case, whatever pytest thinks of the name

    side: Side
    field: str
    op: Op
    value: Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class Compare:
    """``same:`` / ``different:`` between the mentor's and the mentee's fields.

    In a my-job-day rule ``mentor_field`` is the visitor's field and ``mentee_field`` the host's.
    """

    equal: bool  # True for same, False for different
    mentor_field: str
    mentee_field: str


@dataclass(frozen=True)
class Overlap:
    """Number of themes two list fields share, against bounds.

    ``field`` is the mentor's list field; ``mentee_field`` the mentee's, when it is another
    field (``overlap: {mentor: topics, mentee: intentions, ...}``).
    """

    field: str
    at_least: int | None
    at_most: int | None
    mentee_field: str = ""

    @property
    def sides(self) -> tuple[str, str]:
        """The mentor's field and the mentee's field."""
        return self.field, self.mentee_field or self.field


@dataclass(frozen=True)
class Difference:
    """The mentee's number field minus the mentor's, against bounds."""

    mentee_field: str
    mentor_field: str
    at_least: float | None
    at_most: float | None


Condition = All | AnyOf | Not | Test | Compare | Overlap | Difference
Leaf = Test | Compare | Overlap | Difference


def leaves(condition: Condition) -> Iterator[Leaf]:
    """Every leaf of a condition tree, in order."""
    if isinstance(condition, All | AnyOf):
        for item in condition.items:
            yield from leaves(item)
    elif isinstance(condition, Not):
        yield from leaves(condition.item)
    else:
        yield condition


def describe(condition: Condition) -> str:
    """A short readable rendering of a condition, for tables."""
    if isinstance(condition, All):
        return " and ".join(f"({describe(c)})" if isinstance(c, AnyOf) else describe(c)
                            for c in condition.items)
    if isinstance(condition, AnyOf):
        return " or ".join(f"({describe(c)})" if isinstance(c, All) else describe(c)
                           for c in condition.items)
    if isinstance(condition, Not):
        return f"not ({describe(condition.item)})"
    if isinstance(condition, Test):
        words = {"eq": "is", "in": "in", "not_in": "not in", "at_least": ">=",
                 "at_most": "<=", "contains": "contains"}
        value = list(condition.value) if isinstance(condition.value, tuple) else condition.value
        return f"{condition.side}.{condition.field} {words[condition.op]} {value}"
    if isinstance(condition, Compare):
        verb = "same" if condition.equal else "different"
        if condition.mentor_field == condition.mentee_field:
            return f"{verb} {condition.mentor_field}"
        return f"{verb}: mentor.{condition.mentor_field} vs mentee.{condition.mentee_field}"
    bounds = []
    if condition.at_least is not None:
        bounds.append(f">= {condition.at_least}")
    if condition.at_most is not None:
        bounds.append(f"<= {condition.at_most}")
    if isinstance(condition, Difference):
        return (f"mentee.{condition.mentee_field} - mentor.{condition.mentor_field} "
                f"{' and '.join(bounds)}")
    mentor_field, mentee_field = condition.sides
    if mentor_field == mentee_field:
        return f"{condition.field} overlap {' and '.join(bounds)}"
    return f"mentor.{mentor_field} / mentee.{mentee_field} overlap {' and '.join(bounds)}"
