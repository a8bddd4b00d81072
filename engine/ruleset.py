"""Rule files: read, check against the schema and for meaning, and turn into typed rules.

`load_rules(DIR)` reads every YAML file of a rules directory (besides vocabulary.yaml),
reports every problem at once with its file and line, and returns the rulesets.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from engine.canonical import canonical_json, sha256_hex
from engine.conditions import (
    All,
    AnyOf,
    Compare,
    Condition,
    Not,
    Op,
    Overlap,
    Scalar,
    Test,
    leaves,
)
from engine.errors import InvalidInput, Problem
from engine.files import read_capped
from engine.program.history import PAIR_FIELDS
from engine.resources import schemas_dir
from engine.suggest import closest
from engine.vocabulary import VOCABULARY_FILE, Vocabulary, load_vocabulary
from engine.yamlio import MAX_BYTES as YAML_MAX_BYTES
from engine.yamlio import Key, Located, load

# Rules per ruleset. The engine spreads rules over several durable-rules rulesets (see
# engine.rete), so this is the engine's own bound on engine rules (rete.MAX_ENGINE_RULES);
# a rule that splits into several engine rules counts for each (checked by engine.compile).
MAX_RULES = 5000
# A fact holds at most 255 properties; each feature is one, plus Tandem's own two.
MAX_FEATURES = 250
# Numbers in conditions: durable-rules reads numbers written without an exponent, in a C
# long or a double. Within these bounds Python writes every number that way.
NUMBER_LIMIT = 1_000_000_000
NUMBER_DECIMALS = 4
RULESETS = ("pairing", "my_job_days")
Objective = Literal["participation", "score"]

# What a rule may read, and which operators fit each kind of field.
FieldKind = Literal["text", "number", "list", "flag"]
RULE_FIELDS: Mapping[str, FieldKind] = {
    "id": "text", "name": "text", "role": "text", "learning_style": "text",
    "job_family": "text", "department": "text", "subsidiary": "text",
    "tenure_years": "number", "intentions": "list", "topics": "list", "capacity": "number",
    "manager_id": "text", "email": "text",
    "my_job_day.discover": "list", "my_job_day.host": "flag",
}
OPERATORS: Mapping[FieldKind, tuple[Op, ...]] = {
    "text": ("eq", "in", "not_in"),
    "number": ("eq", "in", "not_in", "at_least", "at_most"),
    "list": ("contains",),
    "flag": ("eq",),
}
MY_JOB_DAY_FIELDS = ("my_job_day.discover", "my_job_day.host")
CONDITION_KEYS = ("all", "any", "not", "same", "different", "overlap")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    because: str
    when: Condition
    effect: Literal["exclude", "score"]
    points: int
    file: str
    line: int

    @cached_property
    def overlap_fields(self) -> tuple[str, ...]:
        """The list fields whose shared themes this rule counts, in order."""
        return tuple(dict.fromkeys(leaf.field for leaf in leaves(self.when)
                                   if isinstance(leaf, Overlap)))

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """The participant fields this rule reads, as `mentor.F` / `mentee.F`, in order."""
        seen: dict[str, None] = {}
        for leaf in leaves(self.when):
            if isinstance(leaf, Test):
                seen[f"{leaf.side}.{leaf.field}"] = None
            elif isinstance(leaf, Compare):
                seen[f"mentor.{leaf.mentor_field}"] = None
                seen[f"mentee.{leaf.mentee_field}"] = None
            else:
                seen[f"mentor.{leaf.field}"] = None
                seen[f"mentee.{leaf.field}"] = None
        return tuple(seen)


@dataclass(frozen=True)
class Settings:
    objective: Objective = "participation"
    min_score: int = 0
    default_capacity: int = 1
    approval: Literal["none", "required"] = "none"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"objective": self.objective, "min_score": self.min_score,
                               "default_capacity": self.default_capacity}
        if self.approval == "required":
            out["approval"] = "required"
        return out


@dataclass(frozen=True)
class RuleSet:
    name: str
    rules: tuple[Rule, ...]
    settings: Settings = field(default_factory=Settings)


@dataclass(frozen=True)
class Rules:
    """Everything a rules directory holds: the rulesets, the vocabulary, the files' text."""

    directory: Path
    rulesets: Mapping[str, RuleSet]
    vocabulary: Vocabulary
    files: Mapping[str, str]  # file name -> text, every YAML file including the vocabulary
    warnings: tuple[Problem, ...] = ()

    @property
    def pairing(self) -> RuleSet:
        return self.rulesets.get("pairing") or RuleSet("pairing", ())

    @property
    def digest(self) -> str:
        """SHA-256 over the canonical map of file name to the SHA-256 of its bytes."""
        return "sha256:" + sha256_hex(canonical_json(
            {name: sha256_hex(text) for name, text in sorted(self.files.items())}))


@cache
def _schema_validator() -> Draft202012Validator:
    schema = json.loads((schemas_dir() / "rules.schema.json").read_text("utf-8"))
    return Draft202012Validator(schema)


class _Checker:
    """Collects located problems while parsing one file."""

    def __init__(self, file: str, doc: Located, vocabulary: Vocabulary, ruleset: str) -> None:
        self.file = file
        self.doc = doc
        self.vocabulary = vocabulary
        self.ruleset = ruleset
        self.problems: list[Problem] = []

    def problem(self, path: Key, message: str, suggestion: str | None = None) -> None:
        self.problems.append(Problem(self.file, f"line {self.doc.line(path)}", message,
                                     suggestion))

    # -- conditions -------------------------------------------------------------------------
    def condition(self, node: Mapping[str, Any], path: Key) -> Condition | None:
        ((key, value),) = node.items()
        here = (*path, key)
        if key in ("all", "any"):
            items = [self.condition(item, (*here, i)) for i, item in enumerate(value)]
            if any(item is None for item in items):
                return None
            parts = tuple(i for i in items if i is not None)
            return All(parts) if key == "all" else AnyOf(parts)
        if key == "not":
            inner = self.condition(value, here)
            return None if inner is None else Not(inner)
        if key in ("same", "different"):
            return self.compare(key == "same", value, here)
        if key == "overlap":
            return self.overlap(value, here)
        side, name = key.split(".", 1)
        return self.test(side, name, value, here)

    def field(self, side: str, name: str, path: Key) -> FieldKind | None:
        if side == "pair":
            if self.ruleset != "pairing":
                self.problem(path, f"pair.{name} is the past of a mentor-mentee couple; only "
                                   "pairing rules can read it")
                return None
            pair_kind = PAIR_FIELDS.get(name)
            if pair_kind is None:
                self.problem(path, f"unknown field pair.{name}; a pair's past is read as "
                                   f"{', '.join('pair.' + f for f in PAIR_FIELDS)}",
                             closest(name, list(PAIR_FIELDS)))
                return None
            return "flag" if pair_kind == "flag" else "text"
        if name == "protected" or name.startswith("protected."):
            self.problem(path, f"rules may never read protected data ({side}.{name}); it is "
                               "kept for fairness monitoring only, so remove this condition")
            return None
        if name.startswith("my_job_day") and self.ruleset == "pairing":
            self.problem(path, f"a pairing rule may not read {side}.{name}: my job days are "
                               "organised separately and never take part in pairing; move "
                               "this rule to a file with 'ruleset: my_job_days'")
            return None
        if name == "hire_date":
            self.problem(path, "rules compare tenure, not dates; use tenure_years (derived "
                               "from hire_date)")
            return None
        if name == "capacity" and side == "mentee":
            self.problem(path, "mentees have no capacity; only mentor.capacity can be read")
            return None
        kind = RULE_FIELDS.get(name)
        if kind is None:
            self.problem(path, f"unknown field {side}.{name}",
                         closest(name, [f for f in RULE_FIELDS if not f.startswith("my_job")]))
        return kind

    def value_known(self, side: str, name: str, value: Any, path: Key) -> None:
        """A vocabulary field's constant must be in the vocabulary."""
        vocab_field = "job_family" if name == "my_job_day.discover" else name
        allowed = self.vocabulary.values_of(vocab_field, side)
        if allowed is not None and isinstance(value, str) and value not in allowed:
            other = "mentee" if side == "mentor" else "mentor"
            if name == "intentions" and value in self.vocabulary.intention_codes(other):
                self.problem(path, f"{value!r} is a {other} intention; {side}s use their own "
                                   f"codes: {', '.join(allowed)}")
                return
            self.problem(path, f"{value!r} is not a known {side}.{name} value in "
                               f"{VOCABULARY_FILE}", closest(value, allowed))

    def test(self, side: str, name: str, spec: Any, path: Key) -> Test | None:
        kind = self.field(side, name, path)
        if kind is None:
            return None
        if isinstance(spec, dict):
            ((op, value),) = spec.items()
        else:
            op, value = "eq", spec
        if op not in OPERATORS[kind]:
            fits = ", ".join(OPERATORS[kind])
            self.problem(path, f"operator {op!r} does not fit {side}.{name}, a {kind} field; "
                               f"use one of: {fits}")
            return None
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not self.value_fits(kind, item, side, name, path):
                return None
            self.value_known(side, name, item, path)
        final: Scalar | tuple[Scalar, ...] = tuple(value) if isinstance(value, list) else value
        return Test(side, name, op, final)  # type: ignore[arg-type]

    def value_fits(self, kind: FieldKind, value: Any, side: str, name: str, path: Key) -> bool:
        ok = {"text": isinstance(value, str) and value != "",
              "list": isinstance(value, str) and value != "",
              "number": isinstance(value, int | float) and not isinstance(value, bool),
              "flag": isinstance(value, bool)}[kind]
        if ok and kind == "number" and not _plain_number(value):
            self.problem(path, f"{side}.{name} takes a number between -{NUMBER_LIMIT:,} and "
                               f"{NUMBER_LIMIT:,} with at most {NUMBER_DECIMALS} digits after "
                               f"the decimal point, got {_shown(value)}")
            return False
        if not ok:
            want = {"text": "a non-empty text", "list": "a non-empty text",
                    "number": "a number", "flag": "true or false"}[kind]
            self.problem(path, f"{side}.{name} takes {want}, got {json.dumps(value)}")
        return ok

    def compare(self, equal: bool, spec: Any, path: Key) -> Compare | None:
        mentor_field, mentee_field = (spec, spec) if isinstance(spec, str) else (
            spec["mentor"], spec["mentee"])
        first = self.field("mentor", mentor_field, path)
        if first is not None and mentee_field == "capacity" == mentor_field:
            self.problem(path, "mentees have no capacity; only mentor.capacity can be read, "
                               "so compare it with a number instead")
            return None
        kinds = [first, first if mentee_field == mentor_field else
                 self.field("mentee", mentee_field, path)]
        if None in kinds:
            return None
        if "list" in kinds:
            self.problem(path, "same/different compare single values; for list fields use "
                               "overlap: {field: ..., at_least: 1}")
            return None
        if kinds[0] != kinds[1]:
            self.problem(path, f"cannot compare mentor.{mentor_field} ({kinds[0]}) with "
                               f"mentee.{mentee_field} ({kinds[1]})")
            return None
        return Compare(equal, mentor_field, mentee_field)

    def overlap(self, spec: Mapping[str, Any], path: Key) -> Overlap | None:
        name = spec["field"]
        kind = self.field("mentor", name, path)
        if kind is None:
            return None
        if kind != "list":
            lists = [f for f, k in RULE_FIELDS.items() if k == "list"]
            self.problem(path, f"overlap counts shared values of a list field; {name} is a "
                               f"{kind} field (list fields: {', '.join(lists)})")
            return None
        return Overlap(name, spec.get("at_least"), spec.get("at_most"))

    # -- rules ------------------------------------------------------------------------------
    def rule(self, raw: Mapping[str, Any], path: Key) -> Rule | None:
        when = self.condition(raw["when"], (*path, "when"))
        if when is None:
            return None
        then = raw["then"]
        effect: Literal["exclude", "score"] = "exclude" if then == "exclude" else "score"
        points = 0 if then == "exclude" else int(then["score"])
        return Rule(raw["id"], raw["title"].strip(), " ".join(raw["because"].split()), when,
                    effect, points, self.file, self.doc.line(path))


def _plain_number(value: float) -> bool:
    """A finite number within the range and precision the rule engine reads exactly."""
    if isinstance(value, int):
        return abs(value) <= NUMBER_LIMIT
    return (math.isfinite(value) and abs(value) <= NUMBER_LIMIT
            and round(value, NUMBER_DECIMALS) == value)


def _shown(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    return json.dumps(value)


def _schema_problem(error: ValidationError) -> tuple[Key, str, str | None]:
    """A readable message for a rules schema error."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        deeper = [e for e in error.context if e.path]  # errors inside the value come first
        inner = best_match(deeper or error.context)
        if error.path and error.path[-1] == "then":
            return (tuple(error.absolute_path), "'then' must be 'exclude' or {score: N} with a "
                                                "whole number N", None)
        return _schema_problem(inner)
    path: Key = tuple(error.absolute_path)
    value = error.instance
    kind = error.validator
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = list(error.schema.get("properties", {}))
        extra = sorted(k for k in value if k not in allowed and not (
            "patternProperties" in error.schema and (k.startswith(("mentor.", "mentee.",
                                                                    "pair.")))))
        name = extra[0] if extra else "?"
        if "patternProperties" in error.schema:
            return ((*path, name), f"unknown condition {name!r}; use all, any, not, same, "
                                   "different, overlap, or mentor.FIELD / mentee.FIELD / "
                                   "pair.FIELD",
                    closest(name, [*CONDITION_KEYS, "mentor.", "mentee.", "pair."]))
        return ((*path, name), f"unknown key {name!r}; expected one of {', '.join(allowed)}",
                closest(name, allowed))
    if kind == "required":
        missing = error.message.split("'")[1]
        if len(path) == 2 and path[0] == "rules":
            return (path, f"the rule is missing {missing!r}; every rule needs id, title, "
                          "because, when and then", None)
        return (path, f"missing {missing!r}", None)
    if kind == "enum":
        return (path, f"{value!r} is not one of {error.validator_value}",
                closest(value, error.validator_value))
    if kind in ("minProperties", "maxProperties") and isinstance(value, dict):
        if "overlap" in [str(p) for p in path][-1:]:
            return (path, "overlap needs a bound: {field: F, at_least: N} or at_most: N", None)
        return (path, "a condition has exactly one key; to combine several, list them under "
                      "'all:' or 'any:'", None)
    if kind in ("pattern", "minLength") and path and path[-1] in ("title", "because"):
        return (path, f"{path[-1]!r} is empty or only spaces; write it for a compliance "
                      "reviewer", None)
    if kind == "pattern":
        return (path, f"{value!r} is not a valid rule id: use lower-case letters, digits and "
                      "'._/-', starting with a letter or digit", None)
    if kind == "type":
        wanted = error.validator_value
        words = {"number": "a number", "integer": "a whole number", "string": "a text",
                 "array": "a list", "object": "a mapping", "boolean": "true or false"}
        want = words.get(wanted, str(wanted)) if isinstance(wanted, str) else " or ".join(
            words.get(w, w) for w in wanted)
        got = json.dumps(value, default=str)
        if path and isinstance(path[-1], str):
            return (path, f"{path[-1]} takes {want}, got {got}", None)
        return (path, f"expected {want}, got {got}", None)
    if kind == "minItems":
        return (path, "the list must not be empty", None)
    if kind in ("minimum", "maximum") and path and isinstance(path[-1], str):
        bounds = error.schema
        low, high = bounds.get("minimum"), bounds.get("maximum")
        return (path, f"{path[-1]} takes a whole number from {low:,} to {high:,}, got "
                      f"{json.dumps(value)}", None)
    return (path, error.message, None)


def _feature_count(rules: Sequence[Rule]) -> int:
    """How many distinct values the engine sees per pair (see engine.features)."""
    seen: set[tuple[Any, ...]] = set()
    for rule in rules:
        for leaf in leaves(rule.when):
            if isinstance(leaf, Test):
                seen.add(("contains", leaf.side, leaf.field, leaf.value) if leaf.op == "contains"
                         else ("side", leaf.side, leaf.field))
            elif isinstance(leaf, Compare):
                seen.add(("compare", leaf.mentor_field, leaf.mentee_field))
            else:
                seen.add(("overlap", leaf.field))
    return len(seen)


def _place(problem: Problem) -> tuple[str, int]:
    digits = "".join(ch for ch in problem.path.split(",")[0] if ch.isdigit())
    return (problem.file, int(digits) if digits else 0)


def _rule_files(directory: Path) -> list[Path]:
    # Case does not matter (a file saved as RULES.YAML is a rule file too); every file found
    # here is both checked and part of the rules digest.
    return sorted(p for p in directory.iterdir()
                  if p.suffix.lower() in (".yaml", ".yml") and p.name != VOCABULARY_FILE)


def load_rules(directory: Path) -> Rules:
    """Read and check a rules directory. Raises InvalidInput listing every problem."""
    if not directory.is_dir():
        raise InvalidInput([Problem(str(directory), "", "no such rules directory; give a folder "
                                                        "holding the rule files")], "rules")
    vocabulary = load_vocabulary(directory)
    problems: list[Problem] = []
    texts: dict[str, str] = {VOCABULARY_FILE: read_capped(
        directory / VOCABULARY_FILE, YAML_MAX_BYTES, "vocabulary file").decode("utf-8")}
    collected: dict[str, list[Rule]] = {name: [] for name in RULESETS}
    settings_at: dict[str, tuple[str, int]] = {}
    settings: dict[str, Settings] = {}
    validator = _schema_validator()
    for path in _rule_files(directory):
        name = str(path)
        try:
            doc = load(path)
        except InvalidInput as exc:
            problems += exc.problems
            continue
        texts[path.name] = doc.text
        if not isinstance(doc.data, dict):
            problems.append(Problem(name, "line 1", "expected a mapping with 'ruleset:' and "
                                                    "'rules:'; see docs/rules.md"))
            continue
        errors = list(validator.iter_errors(doc.data))
        broken_rules: set[int] = set()
        for error in sorted(errors, key=lambda e: doc.line(tuple(e.absolute_path))):
            where, message, suggestion = _schema_problem(error)
            problems.append(Problem(name, f"line {doc.line(where)}", message, suggestion))
            at = tuple(error.absolute_path)
            if len(at) >= 2 and at[0] == "rules" and isinstance(at[1], int):
                broken_rules.add(at[1])
            else:
                broken_rules.add(-1)
        if -1 in broken_rules:
            continue  # the file's frame is wrong: its rules cannot be read reliably
        ruleset = doc.data["ruleset"]
        checker = _Checker(name, doc, vocabulary, ruleset)
        for index, raw in enumerate(doc.data.get("rules", [])):
            if index in broken_rules:
                continue
            rule = checker.rule(raw, ("rules", index))
            if rule is not None:
                collected[ruleset].append(rule)
        problems += checker.problems
        if "settings" in doc.data:
            line = doc.line(("settings",))
            if ruleset in settings_at:
                first_file, first_line = settings_at[ruleset]
                problems.append(Problem(name, f"line {line}",
                                        f"settings for ruleset {ruleset!r} are given twice "
                                        f"(first in {first_file}, line {first_line}); keep one"))
            else:
                settings_at[ruleset] = (name, line)
                settings[ruleset] = Settings(**doc.data["settings"])
    for ruleset, rules in collected.items():
        first: dict[str, Rule] = {}
        for rule in rules:
            if rule.id in first:
                problems.append(Problem(rule.file, f"line {rule.line}",
                                        f"duplicate rule id {rule.id!r} (first in "
                                        f"{first[rule.id].file}, line {first[rule.id].line}); "
                                        "rule ids must be unique in a ruleset"))
            first.setdefault(rule.id, rule)
        features = _feature_count(rules)
        if features > MAX_FEATURES:
            problems.append(Problem(str(directory), "",
                                    f"ruleset {ruleset!r} reads {features} distinct pair "
                                    f"features; the engine holds at most {MAX_FEATURES} per "
                                    "pair (durable-rules takes 255 properties per fact), so "
                                    "merge 'contains' tests into 'overlap' or fewer fields"))
        if len(rules) > MAX_RULES:
            problems.append(Problem(str(directory), "",
                                    f"ruleset {ruleset!r} has {len(rules)} rules; the engine "
                                    f"holds at most {MAX_RULES} per ruleset, so merge rules "
                                    "with 'in:' or 'any:'"))
    if problems:
        raise InvalidInput(sorted(problems, key=_place), "rules")
    rulesets = {name: RuleSet(name, tuple(rules), settings.get(name, Settings()))
                for name, rules in collected.items()}
    return Rules(directory, rulesets, vocabulary, texts)


def rule_table(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """Rules as rows for display."""
    from engine.conditions import describe

    return [{"id": r.id, "effect": "exclude" if r.effect == "exclude" else f"{r.points:+d}",
             "title": r.title, "when": describe(r.when), "file": Path(r.file).name,
             "line": r.line} for r in rules]

