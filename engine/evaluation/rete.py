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
- exceptions in actions come back in the state and are raised here;
- the engine's limits (see COMPOSITE_LIMIT and below): a rule too large for one engine rule
  is split into several, and engine rules are spread over several rulesets.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from durable.engine import Host

from engine.base.errors import TandemError
from engine.evaluation.features import MISSING_NUMBER
from engine.rules.conditions import (
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

JSON = dict[str, Any]
Resolve = Callable[[Leaf], str]
_PRESENT = "k"  # a field every fact carries, for the catch-all rule
# A bound on a number is also a test that the number is there: a missing number is
# engine.evaluation.features.MISSING_NUMBER, below every bound a rule may write.
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


# The engine's real limits, measured on durable-rules 2.0.28 (see the field notes):
# - an expression with 16 or more $and/$or nodes is refused (error 113); 15 work;
# - 512 or more tests side by side under one node hang `set_rulesets` or fail at the first
#   fact (error 303), and so does a ruleset of 512 rules;
# - a fact or a state holds at most 255 properties (error 302): every rule that fires
#   writes one property into the state;
# - 256 rules with the same condition overflow a node's list of rules (error 108).
# Tandem stays well inside them: an engine rule has at most COMPOSITE_LIMIT $and/$or nodes
# and at most FANOUT_LIMIT tests under one $or; a durable-rules ruleset holds at most
# RULES_PER_RULESET distinct engine rules and LEAVES_PER_RULESET tests in all. A rule too
# large for that is split into several engine rules (an `any` is a union of rules), and only
# a rule that cannot be split that way is refused (EngineLimitError).
COMPOSITE_LIMIT = 15
FANOUT_LIMIT = 400
RULES_PER_RULESET = 200
LEAVES_PER_RULESET = 400
MAX_ENGINE_RULES = 5000  # engine rules per rule set, after splitting


class EngineLimitError(TandemError):
    """A rule that the engine cannot hold even after splitting; ``index`` names the rule."""

    def __init__(self, index: int, message: str) -> None:
        self.index = index
        self.message = message
        super().__init__(message)


def _flatten(expr: JSON) -> JSON:
    """Nested $and in $and (and $or in $or) merged into one node; one-item nodes removed."""
    ((key, value),) = expr.items()
    if key not in ("$and", "$or"):
        return expr
    items: list[JSON] = []
    for child in value:
        flat = _flatten(child)
        items += flat[key] if next(iter(flat)) == key else [flat]
    return items[0] if len(items) == 1 else {key: items}


def _composites(expr: JSON) -> int:
    ((key, value),) = expr.items()
    return 1 + sum(_composites(c) for c in value) if key in ("$and", "$or") else 0


def _leaf_count(expr: JSON) -> int:
    ((key, value),) = expr.items()
    return sum(_leaf_count(c) for c in value) if key in ("$and", "$or") else 1


def _fanout(expr: JSON) -> int:
    """The most tests side by side under one $or."""
    ((key, value),) = expr.items()
    if key not in ("$and", "$or"):
        return 0
    own = sum(1 for c in value if next(iter(c)) not in ("$and", "$or")) if key == "$or" else 0
    return max([own, *(_fanout(c) for c in value)])


def _fits(expr: JSON) -> bool:
    return _composites(expr) <= COMPOSITE_LIMIT and _fanout(expr) <= FANOUT_LIMIT


def split_expression(expr: JSON) -> list[JSON]:
    """One rule's expression as engine rules whose union means the same, each within the
    engine's limits where that is possible (an $or becomes several rules; an $and over an
    $or is distributed). An expression that no split brings within them is returned whole.
    Stops once more than MAX_ENGINE_RULES are made: the caller refuses that many."""
    out: list[JSON] = []
    _split(_flatten(expr), out)
    return out


def _split(flat: JSON, out: list[JSON]) -> None:
    if len(out) > MAX_ENGINE_RULES:
        return
    ((key, value),) = flat.items()
    if key == "$or":
        for child in value:
            _split(_flatten(child), out)
        return
    if key != "$and" or _fits(flat):
        out.append(flat)
        return
    ors = [i for i, c in enumerate(value) if next(iter(c)) == "$or"]
    if not ors:
        out.append(flat)
        return
    widest = max(ors, key=lambda i: len(value[i]["$or"]))
    rest = [c for i, c in enumerate(value) if i != widest]
    for branch in value[widest]["$or"]:
        _split(_flatten({"$and": [*rest, branch]}), out)


@dataclass(frozen=True)
class EnginePlan:
    """Rules as engine rules, packed into durable-rules rulesets.

    ``rulesets[k]`` lists the engine rules of the k-th ruleset as (expression, the indexes
    of the rules it stands for).
    """

    rulesets: tuple[tuple[tuple[JSON, tuple[int, ...]], ...], ...]

    @property
    def engine_rules(self) -> int:
        return sum(len(r) for r in self.rulesets)


def plan_rules(conditions: Sequence[Condition], resolve: Resolve) -> EnginePlan:
    """Split every rule into engine rules and pack them. Raises EngineLimitError naming the
    first rule that cannot be held."""
    by_key: dict[str, tuple[JSON, list[int]]] = {}
    total = 0
    for index, condition in enumerate(conditions):
        parts = split_expression(compile_condition(condition, resolve))
        total += len(parts)
        if len(parts) > MAX_ENGINE_RULES:
            raise EngineLimitError(index, (
                f"this rule needs more than {MAX_ENGINE_RULES} engine rules once its 'any' "
                f"groups and 'in' lists are split out; the engine holds at most "
                f"{MAX_ENGINE_RULES}, so write it as several simpler rules"))
        if total > MAX_ENGINE_RULES:
            raise EngineLimitError(index, (
                f"with this rule the ruleset needs {total} engine rules once 'any' groups and "
                f"'in' lists are split out; the engine holds at most {MAX_ENGINE_RULES}, so "
                "merge rules or list fewer values"))
        for part in parts:
            if not _fits(part):
                raise EngineLimitError(index, (
                    f"this rule is too complex for the engine: one of its branches has "
                    f"{_composites(part)} all/any groups and up to {_fanout(part)} values "
                    f"side by side; the engine takes at most {COMPOSITE_LIMIT} groups and "
                    f"{FANOUT_LIMIT} values in one branch, so split it into several rules"))
            key = json.dumps(part, sort_keys=True)
            entry = by_key.setdefault(key, (part, []))
            if index not in entry[1]:
                entry[1].append(index)
    packed: list[list[tuple[JSON, tuple[int, ...]]]] = []
    leaves_in_last = 0
    for part, indexes in by_key.values():
        size = _leaf_count(part)
        if (not packed or len(packed[-1]) >= RULES_PER_RULESET
                or (packed[-1] and leaves_in_last + size > LEAVES_PER_RULESET)):
            packed.append([])
            leaves_in_last = 0
        packed[-1].append((part, tuple(indexes)))
        leaves_in_last += size
    return EnginePlan(tuple(tuple(r) for r in packed))


class RuleEngine:
    """A set of rules loaded once into durable-rules, evaluated on feature dicts."""

    def __init__(self, conditions: Sequence[Condition], resolve: Resolve) -> None:
        self.size = len(conditions)
        self.plan = plan_rules(conditions, resolve)
        self.names: list[str] = []
        self.targets: list[list[tuple[int, ...]]] = []
        self._sid = itertools.count()
        for packed in self.plan.rulesets:
            name = f"tandem_{next(_NAMES)}"
            definition: dict[str, JSON] = {}
            for local, (expression, _) in enumerate(packed):
                definition[f"e{local}"] = {"all": [{"m": expression}],
                                           "run": self._action(local)}
            definition["seen"] = {"all": [{"m": {"$ex": {_PRESENT: 1}}}],
                                  "run": self._action(-1)}
            with _LOCK:
                try:
                    # set_rulesets deletes the `run` keys of what it is given: pass a copy.
                    _host().set_rulesets({name: copy.deepcopy(definition)})
                except Exception as exc:  # the engine raises plain Exceptions with codes
                    raise TandemError(f"the rule engine refused the rules: {exc}") from exc
            self.names.append(name)
            self.targets.append([indexes for _, indexes in packed])

    @staticmethod
    def _action(local: int) -> Callable[[Any], None]:
        key = f"e{local}"

        def act(c: Any) -> None:
            if local >= 0:
                c.s[key] = 1
        return act

    def fired(self, features: Mapping[str, Any]) -> frozenset[int]:
        """Indexes of the rules that fire on one feature dict."""
        out: set[int] = set()
        for name, targets in zip(self.names, self.targets, strict=True):
            sid = str(next(self._sid))
            fact = dict(features)
            fact[_PRESENT] = 1
            fact["sid"] = sid
            with _LOCK:
                host = _host()
                try:
                    state = host.assert_fact(name, fact)
                except Exception as exc:  # the engine raises plain Exceptions with codes
                    raise TandemError(f"the rule engine failed on {features}: {exc}") from exc
                finally:
                    with contextlib.suppress(Exception):  # a state that was never created
                        host.delete_state(name, sid)
            if state.get("exception"):
                raise TandemError(f"a rule action failed: {state['exception']}")
            for local, indexes in enumerate(targets):
                if state.get(f"e{local}"):
                    out.update(indexes)
        return frozenset(out)


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
        self.groups: list[tuple[tuple[str, ...], list[int], RuleEngine]] = []
        for atoms, indexes in grouped.items():
            try:
                engine = _engine_for([conditions[i] for i in indexes], resolve)
            except EngineLimitError as exc:
                raise EngineLimitError(indexes[exc.index], exc.message) from None
            self.groups.append((atoms, indexes, engine))
        self._seen: list[dict[tuple[Any, ...], frozenset[int]]] = [{} for _ in self.groups]
        self.calls = 0

    def probe(self) -> None:
        """Run one fact through every loaded ruleset, so that a ruleset the engine accepts
        but cannot run fails here, before any cohort is read."""
        for atoms, _, engine in self.groups:
            engine.fired(dict.fromkeys(atoms, 0))

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
