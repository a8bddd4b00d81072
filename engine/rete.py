"""The rule engine: rules compiled to durable-rules rulesets, evaluated on pair features.

This is the only module that imports durable-rules. Traps it avoids (see the field notes):
- facts, not events, so that every matching rule fires;
- one closure with exactly one parameter per rule, since the action cannot tell which
  rule fired it and a two-parameter action is silently taken as asynchronous;
- a host whose background dispatcher does nothing, so every action has run when
  `assert_fact` returns;
- fact fields named f0, f1, ... (a field named `id` hangs the engine);
- one short-lived state per evaluation, deleted at once (fact identity is a 32-bit hash);
- an internal catch-all rule, so that a fact no rule matches is not an error;
- exceptions in actions come back in the state and are raised here.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from durable.engine import Host

from engine.conditions import (
    All,
    AnyOf,
    Compare,
    Condition,
    Difference,
    Leaf,
    Not,
    Overlap,
    leaves,
)
from engine.errors import TandemError
from engine.features import MISSING_NUMBER

JSON = dict[str, Any]
Resolve = Callable[[Leaf], str]
_PRESENT = "k"  # a field every fact carries, for the catch-all rule
# A bound on a number is also a test that the number is there: a missing number is
# engine.features.MISSING_NUMBER, below every bound a rule may write.
_PRESENT_NUMBER = MISSING_NUMBER


class _SyncHost(Host):  # type: ignore[misc]
    """A host whose timer-driven dispatcher is off: actions run inside assert_fact."""

    def _run(self) -> None:
        return None


_HOST: _SyncHost | None = None
_LOCK = threading.Lock()
_NAMES = itertools.count()


def _host() -> _SyncHost:
    global _HOST
    if _HOST is None:
        _HOST = _SyncHost()
    return _HOST


def _leaf(leaf: Leaf, resolve: Resolve) -> JSON:
    name = resolve(leaf)
    if isinstance(leaf, Compare):
        return {name: 1 if leaf.equal else 0}
    if isinstance(leaf, Overlap | Difference):
        parts: list[JSON] = []
        if leaf.at_least is not None:
            parts.append({"$gte": {name: leaf.at_least}})
        if leaf.at_most is not None:
            parts.append({"$lte": {name: leaf.at_most}})
        if isinstance(leaf, Difference):
            parts.append({"$gt": {name: _PRESENT_NUMBER}})
        return parts[0] if len(parts) == 1 else {"$and": parts}
    if leaf.op == "contains":
        return {name: 1}
    if leaf.op == "eq":
        return {name: leaf.value}
    if leaf.op == "at_least":
        return {"$and": [{"$gte": {name: leaf.value}}, {"$gt": {name: _PRESENT_NUMBER}}]}
    if leaf.op == "at_most":
        return {"$and": [{"$lte": {name: leaf.value}}, {"$gt": {name: _PRESENT_NUMBER}}]}
    values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
    if leaf.op == "in":
        return _join("$or", [{name: v} for v in values])
    return _join("$and", [{"$neq": {name: v}} for v in values])


def _join(op: str, parts: list[JSON]) -> JSON:
    return parts[0] if len(parts) == 1 else {op: parts}


_NEGATE = {"$gte": "$lt", "$lte": "$gt", "$lt": "$gte", "$gt": "$lte"}


def _negate(expr: JSON) -> JSON:
    """Push a `not` down to the leaves: durable-rules has no negation operator."""
    ((key, value),) = expr.items()
    if key == "$and":
        return {"$or": [_negate(e) for e in value]}
    if key == "$or":
        return {"$and": [_negate(e) for e in value]}
    if key == "$neq":
        return dict(value)
    if key in _NEGATE:
        return {_NEGATE[key]: dict(value)}
    return {"$neq": {key: value}}


def compile_condition(condition: Condition, resolve: Resolve) -> JSON:
    """A condition tree as a durable-rules expression over the atoms' fact fields."""
    if isinstance(condition, All):
        return _join("$and", [compile_condition(c, resolve) for c in condition.items])
    if isinstance(condition, AnyOf):
        return _join("$or", [compile_condition(c, resolve) for c in condition.items])
    if isinstance(condition, Not):
        return _negate(compile_condition(condition.item, resolve))
    return _leaf(condition, resolve)


class RuleEngine:
    """A set of rules loaded once into durable-rules, evaluated on feature dicts."""

    def __init__(self, conditions: Sequence[Condition], resolve: Resolve) -> None:
        self.size = len(conditions)
        self.name = f"tandem_{next(_NAMES)}"
        self.expressions = [compile_condition(c, resolve) for c in conditions]
        definition: dict[str, JSON] = {}
        for index, expression in enumerate(self.expressions):
            definition[f"r{index}"] = {"all": [{"m": expression}], "run": self._action(index)}
        definition["seen"] = {"all": [{"m": {"$ex": {_PRESENT: 1}}}], "run": self._action(-1)}
        self._sid = itertools.count()
        with _LOCK:
            # set_rulesets deletes the `run` keys of what it is given: give it a copy.
            _host().set_rulesets({self.name: copy.deepcopy(definition)})

    @staticmethod
    def _action(index: int) -> Callable[[Any], None]:
        key = f"r{index}"

        def act(c: Any) -> None:
            if index >= 0:
                c.s[key] = 1
        return act

    def fired(self, features: Mapping[str, Any]) -> frozenset[int]:
        """Indexes of the rules that fire on one feature dict."""
        sid = str(next(self._sid))
        fact = dict(features)
        fact[_PRESENT] = 1
        fact["sid"] = sid
        with _LOCK:
            host = _host()
            try:
                state = host.assert_fact(self.name, fact)
            except Exception as exc:  # the engine raises plain Exceptions with codes
                raise TandemError(f"the rule engine failed on {features}: {exc}") from exc
            finally:
                with contextlib.suppress(Exception):  # a state that was never created
                    host.delete_state(self.name, sid)
        if state.get("exception"):
            raise TandemError(f"a rule action failed: {state['exception']}")
        return frozenset(i for i in range(self.size) if state.get(f"r{i}"))



_ENGINES: dict[str, RuleEngine] = {}


def _engine_for(conditions: Sequence[Condition], resolve: Resolve) -> RuleEngine:
    """A loaded engine for these conditions, reused: durable-rules never frees a ruleset."""
    key = json.dumps([compile_condition(c, resolve) for c in conditions], sort_keys=True)
    with _LOCK:
        engine = _ENGINES.get(key)
    if engine is None:
        engine = RuleEngine(conditions, resolve)
        with _LOCK:
            _ENGINES[key] = engine
    return engine


class GroupedEngine:
    """Rules grouped by the features they read, each group loaded into durable-rules.

    A rule's outcome depends only on the features it reads, so each group sees each
    distinct combination of *its* features once, however many whole-pair combinations
    share it; a pair's outcome is the union of its groups' outcomes.
    """

    def __init__(self, conditions: Sequence[Condition], resolve: Resolve) -> None:
        grouped: dict[tuple[str, ...], list[int]] = {}
        for index, condition in enumerate(conditions):
            atoms = tuple(sorted({resolve(leaf) for leaf in leaves(condition)}))
            grouped.setdefault(atoms, []).append(index)
        self.groups = [(atoms, indexes,
                        _engine_for([conditions[i] for i in indexes], resolve))
                       for atoms, indexes in grouped.items()]
        self._seen: list[dict[tuple[Any, ...], frozenset[int]]] = [{} for _ in self.groups]
        self.calls = 0

    def fired_many(self, feature_list: Sequence[Mapping[str, Any]]) -> list[frozenset[int]]:
        """Indexes of the rules that fire on each feature dict."""
        out: list[set[int]] = [set() for _ in feature_list]
        for (atoms, indexes, engine), seen in zip(self.groups, self._seen, strict=True):
            for k, features in enumerate(feature_list):
                key = tuple(features[a] for a in atoms)
                fired = seen.get(key)
                if fired is None:
                    local = engine.fired({a: features[a] for a in atoms})
                    self.calls += 1
                    fired = seen[key] = frozenset(indexes[i] for i in local)
                out[k] |= fired
        return [frozenset(s) for s in out]
