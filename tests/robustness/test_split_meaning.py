"""Splitting a rule over engine rules keeps its meaning: the union of the parts fires on
exactly the facts the whole expression fires on (checked in Python, on every fact)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.evaluation import rete

FIELDS = ("f0", "f1", "f2")
DOMAIN = (0, 1, 2)
_COMPARE = {"$lt": lambda a, b: a < b, "$lte": lambda a, b: a <= b,
            "$gt": lambda a, b: a > b, "$gte": lambda a, b: a >= b,
            "$neq": lambda a, b: a != b}


def holds(expr: dict[str, Any], fact: dict[str, int]) -> bool:
    """What durable-rules decides for an expression, written out in Python."""
    ((key, value),) = expr.items()
    if key == "$and":
        return all(holds(e, fact) for e in value)
    if key == "$or":
        return any(holds(e, fact) for e in value)
    if key in _COMPARE:
        ((name, constant),) = value.items()
        return bool(_COMPARE[key](fact[name], constant))
    return fact[key] == value


leaf = st.one_of(
    st.builds(lambda f, v: {f: v}, st.sampled_from(FIELDS), st.sampled_from(DOMAIN)),
    st.builds(lambda op, f, v: {op: {f: v}}, st.sampled_from(sorted(_COMPARE)),
              st.sampled_from(FIELDS), st.sampled_from(DOMAIN)))
expression = st.recursive(
    leaf, lambda inner: st.builds(lambda op, items: {op: items}, st.sampled_from(["$and", "$or"]),
                                  st.lists(inner, min_size=1, max_size=5)),
    max_leaves=30)


@pytest.fixture(autouse=True)
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny limits, so that most generated expressions must be split."""
    monkeypatch.setattr(rete, "COMPOSITE_LIMIT", 2)
    monkeypatch.setattr(rete, "FANOUT_LIMIT", 2)


@settings(max_examples=settings.default.max_examples * 15)  # cheap: many more cases
@given(expr=expression)
def test_the_split_parts_mean_what_the_rule_means(expr: dict[str, Any]) -> None:
    """For every fact, some part fires exactly when the whole expression fires."""
    parts = rete.split_expression(expr)
    assert parts
    for values in itertools.product(DOMAIN, repeat=len(FIELDS)):
        fact = dict(zip(FIELDS, values, strict=True))
        assert any(holds(p, fact) for p in parts) == holds(expr, fact)
