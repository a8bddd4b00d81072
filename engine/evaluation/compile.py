"""Rules compiled into the rule engine exactly as a pairing run compiles them.

In: checked `Rules`. Out: nothing, once every ruleset is loaded into durable-rules (the
loaded rulesets are kept and reused by later runs in the same process) and one fact has
run through each; or InvalidInput naming the rule, its file and line, and the engine's
limit it exceeds. `tandem rules check` and every pairing run call this, so rules that
check clean also load and run.
"""

from __future__ import annotations

from datetime import date

from engine.base.errors import InvalidInput, Problem, TandemError
from engine.evaluation.features import PairSpace
from engine.evaluation.rete import EngineLimitError, GroupedEngine, Resolve
from engine.rules.ruleset import Rules


def _namer(space: PairSpace) -> Resolve:
    return lambda leaf: space.atom_for(leaf).name


def compile_rules(rules: Rules) -> None:
    """Load every ruleset of ``rules`` into the engine and run one fact through it."""
    problems: list[Problem] = []
    for ruleset in rules.rulesets.values():
        conditions = [r.when for r in ruleset.rules]
        if not conditions:
            continue
        # The same atoms, named the same way, as a pairing run: the features of no one.
        space = PairSpace(conditions, [], [], rules.vocabulary, date.min,
                          ruleset.settings.default_capacity)
        try:
            GroupedEngine(conditions, _namer(space)).probe()
        except EngineLimitError as exc:
            rule = ruleset.rules[exc.index]
            problems.append(Problem(rule.file, f"line {rule.line}",
                                    f"rule {rule.id!r}: {exc.message}"))
        except TandemError as exc:
            problems.append(Problem(str(rules.directory), "",
                                    f"ruleset {ruleset.name!r} cannot be loaded into the rule "
                                    f"engine ({exc}); this is a bug in Tandem's checks, "
                                    "please report it with the rule files"))
    for limit in rules.pairing.constraints:  # a where: runs through the engine as a rule
        if limit.where is None:
            continue
        space = PairSpace([limit.where], [], [], rules.vocabulary, date.min, 1)
        try:
            GroupedEngine([limit.where], _namer(space)).probe()
        except EngineLimitError as exc:
            problems.append(Problem(limit.file, f"line {limit.line}",
                                    f"constraint {limit.id!r}: where: {exc.message}"))
    if problems:
        raise InvalidInput(problems, "rules")
