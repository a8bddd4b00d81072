"""Rule files: read, check against the schema and for meaning, and turn into typed rules.

`load_rules(DIR)` reads every YAML file of a rules directory (besides vocabulary.yaml),
reports every problem at once with its file and line, and returns the rulesets.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from engine.base.canonical import canonical_json, sha256_hex
from engine.base.errors import InvalidInput, Problem
from engine.base.files import read_capped
from engine.base.resources import schemas_dir
from engine.base.suggest import closest
from engine.rules.conditions import (
    All,
    AnyOf,
    Compare,
    Condition,
    Difference,
    Not,
    Op,
    Overlap,
    Scalar,
    Side,
    Test,
    leaves,
)
from engine.rules.history import PAIR_FIELDS
from engine.rules.vocabulary import VOCABULARY_FILE, Vocabulary, load_vocabulary
from engine.rules.yamlio import MAX_BYTES as YAML_MAX_BYTES
from engine.rules.yamlio import Key, Located, load

# Rules per ruleset. The engine spreads rules over several durable-rules rulesets (see
# engine.evaluation.rete), so this is the engine's own bound on engine rules
# (rete.MAX_ENGINE_RULES); a rule that splits into several engine rules counts for each
# (checked by engine.evaluation.compile).
MAX_RULES = 5000
# A fact holds at most 255 properties; each feature is one, plus Tandem's own two.
MAX_FEATURES = 250
# Numbers in conditions: durable-rules reads numbers written without an exponent, in a C
# long or a double. Within these bounds Python writes every number that way.
NUMBER_LIMIT = 1_000_000_000
NUMBER_DECIMALS = 4
RULESETS = ("pairing", "my_job_days")
# The two people a rule of each ruleset compares: the first is the left side of the pair.
SIDES: Mapping[str, tuple[Side, Side]] = {"pairing": ("mentor", "mentee"),
                                          "my_job_days": ("visitor", "host")}
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
CONDITION_KEYS = ("all", "any", "not", "same", "different", "overlap", "difference")


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
    sides: tuple[Side, Side] = ("mentor", "mentee")

    @cached_property
    def overlap_fields(self) -> tuple[tuple[str, str], ...]:
        """The (mentor, mentee) list fields whose shared themes this rule counts, in order."""
        return tuple(dict.fromkeys(leaf.sides for leaf in leaves(self.when)
                                   if isinstance(leaf, Overlap)))

    @cached_property
    def differences(self) -> tuple[tuple[str, str], ...]:
        """The (mentee, mentor) number fields whose difference this rule reads, in order."""
        return tuple(dict.fromkeys((leaf.mentee_field, leaf.mentor_field)
                                   for leaf in leaves(self.when)
                                   if isinstance(leaf, Difference)))

    @cached_property
    def field_parts(self) -> tuple[tuple[str, str, str], ...]:
        """`fields`, each as (name, side, field), split once."""
        parts = (name.split(".", 1) for name in self.fields)
        return tuple((f"{side}.{field}", side, field) for side, field in parts)

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """The participant fields this rule reads, as `mentor.F` / `mentee.F` (`visitor.F` /
        `host.F` in a my-job-day rule), in order."""
        left, right = self.sides
        seen: dict[str, None] = {}
        for leaf in leaves(self.when):
            if isinstance(leaf, Test):
                seen[f"{leaf.side}.{leaf.field}"] = None
            elif isinstance(leaf, Compare | Difference):
                seen[f"{left}.{leaf.mentor_field}"] = None
                seen[f"{right}.{leaf.mentee_field}"] = None
            else:
                seen[f"{left}.{leaf.sides[0]}"] = None
                seen[f"{right}.{leaf.sides[1]}"] = None
        return tuple(seen)


@dataclass(frozen=True)
class Settings:
    objective: Objective = "participation"
    min_score: int = 0
    default_capacity: int = 1
    time_limit: int = 60  # seconds for the constrained solver (see engine.pairing.constraints)
    approval: Literal["none", "required"] = "none"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"objective": self.objective, "min_score": self.min_score,
                               "default_capacity": self.default_capacity}
        if self.approval == "required":
            out["approval"] = "required"
        if self.time_limit != Settings.time_limit:
            out["time_limit"] = self.time_limit
        return out


@dataclass(frozen=True)
class PlannerSettings:
    """The settings of the my-job-day planner (ruleset my_job_days)."""

    days: tuple[date, ...] = ()
    visits_per_person: int = 1
    slots_per_host_per_day: int = 1
    where: str = ""  # the file that holds them, for messages
    time_limit: int = 600  # seconds for the planner's solver (see engine.myjobdays.solve)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"days": [d.isoformat() for d in self.days],
                               "visits_per_person": self.visits_per_person,
                               "slots_per_host_per_day": self.slots_per_host_per_day}
        if self.time_limit != PlannerSettings.time_limit:
            out["time_limit"] = self.time_limit
        return out


@dataclass(frozen=True)
class Constraint:
    """A cohort-wide limit: for each combination of the `per` fields' values, at most
    `at_most` pairs are formed; with `where`, only the pairs it holds on count."""

    id: str
    title: str
    because: str
    per: tuple[tuple[str, str], ...]  # (side, field), in the order written
    at_most: int
    file: str
    line: int
    where: Condition | None = None

    def scope(self) -> str:
        """The pairs it counts, in words: "pairs where not (same department)"."""
        from engine.rules.conditions import describe

        return "every pair" if self.where is None else f"pairs where {describe(self.where)}"

    def label(self, values: Sequence[Any]) -> str:
        """A cell as people read it: "(Finance, Sales)"."""
        return "(" + ", ".join("none" if v is None else str(v) for v in values) + ")"


# Settings each ruleset understands (its settings class's fields); the other ruleset's
# settings mean nothing to it.
SETTINGS_OF: Mapping[str, tuple[str, ...]] = {
    "pairing": tuple(f.name for f in fields(Settings)),
    "my_job_days": tuple(f.name for f in fields(PlannerSettings) if f.name != "where"),
}


@dataclass(frozen=True)
class RuleSet:
    name: str
    rules: tuple[Rule, ...]
    settings: Settings = field(default_factory=Settings)
    constraints: tuple[Constraint, ...] = ()
    planner: PlannerSettings = field(default_factory=PlannerSettings)  # my_job_days only


@dataclass(frozen=True)
class Rules:
    """Everything a rules directory holds: the rulesets, the vocabulary, the files' text."""

    directory: Path
    rulesets: Mapping[str, RuleSet]
    vocabulary: Vocabulary
    files: Mapping[str, str]  # file name -> text, every YAML file including the vocabulary
    warnings: tuple[Problem, ...] = ()
    ruleset_of: Mapping[str, str] = field(default_factory=dict)  # rule file name -> ruleset

    @property
    def pairing(self) -> RuleSet:
        return self.rulesets.get("pairing") or RuleSet("pairing", ())

    @property
    def my_job_days(self) -> RuleSet:
        return self.rulesets.get("my_job_days") or RuleSet("my_job_days", ())

    def files_of(self, ruleset: str) -> dict[str, str]:
        """The files one ruleset reads: its own rule files and the vocabulary."""
        return {name: text for name, text in self.files.items()
                if self.ruleset_of.get(name, ruleset) == ruleset}

    def digest_of(self, ruleset: str) -> str:
        """SHA-256 over the canonical map of file name to the SHA-256 of its bytes, over the
        files this ruleset reads: the other ruleset's files never change it."""
        return "sha256:" + sha256_hex(canonical_json(
            {name: sha256_hex(text) for name, text in sorted(self.files_of(ruleset).items())}))

    @property
    def digest(self) -> str:
        """The pairing's rules digest: its rule files and the vocabulary."""
        return self.digest_of("pairing")


@cache
def _schema_validator() -> Draft202012Validator:
    schema = json.loads((schemas_dir() / "rules.schema.json").read_text("utf-8"))
    return Draft202012Validator(schema)


class _Checker:
    """Collects located problems while parsing one file."""

    def __init__(self, file: str, doc: Located, vocabulary: Vocabulary, ruleset: str,
                 broken: set[Key] | None = None) -> None:
        self.file = file
        self.doc = doc
        self.vocabulary = vocabulary
        self.ruleset = ruleset
        self.sides = SIDES[ruleset]
        self.broken = broken or set()  # places the schema refused; their meaning is not read
        self.problems: list[Problem] = []

    def _refused(self, path: Key) -> bool:
        """Whether the schema refused this place or anything under it."""
        return any(b[:len(path)] == path for b in self.broken)

    def problem(self, path: Key, message: str, suggestion: str | None = None) -> None:
        self.problems.append(Problem(self.file, f"line {self.doc.line(path)}", message,
                                     suggestion))

    # -- conditions -------------------------------------------------------------------------
    def condition(self, node: Mapping[str, Any], path: Key) -> Condition | None:
        if path in self.broken or not isinstance(node, dict) or len(node) != 1:
            return None
        ((key, value),) = node.items()
        here = (*path, key)
        if key in ("all", "any") and isinstance(value, list):
            items = [self.condition(item, (*here, i)) for i, item in enumerate(value)]
            if any(item is None for item in items):
                return None
            parts = tuple(i for i in items if i is not None)
            return All(parts) if key == "all" else AnyOf(parts)
        if key == "not":
            inner = self.condition(value, here)
            return None if inner is None else Not(inner)
        if self._refused(here) or ("." not in key and key not in CONDITION_KEYS):
            return None
        if key in ("same", "different"):
            return self.compare(key == "same", value, here)
        if key == "overlap":
            return self.overlap(value, here)
        if key == "difference":
            return self.difference(value, here)
        side, name = key.split(".", 1)
        if side not in (*self.sides, "pair") and name.split(".")[0] != "protected":
            self.wrong_side(side, here)  # protected data is refused first, on any side
            return None
        return self.test(side, name, value, here)

    def wrong_side(self, side: str, path: Key) -> None:
        left, right = self.sides
        if self.ruleset == "pairing":
            self.problem(path, f"a pairing rule compares a mentor and a mentee, not a {side}: "
                               "use mentor.FIELD or mentee.FIELD (visitor and host are the "
                               "sides of my-job-day rules, in a file with 'ruleset: "
                               "my_job_days')")
        else:
            self.problem(path, f"a my-job-day rule compares a {left} and a {right}, not a "
                               f"{side}: use {left}.FIELD or {right}.FIELD (a visitor or a "
                               "host may be a mentor or a mentee)")

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
        if name == "capacity" and self.ruleset == "my_job_days":
            self.problem(path, f"{side}.capacity is a pairing field (how many mentees a mentor "
                               "takes) and means nothing to my job days; a host's visitors per "
                               "day are my_job_day.slots, which the planner applies itself")
            return None
        if name == "capacity" and side == "mentee":
            self.problem(path, "mentees have no capacity; only mentor.capacity can be read")
            return None
        kind = self.kinds.get(name)
        if kind is None:
            self.problem(path, f"unknown field {side}.{name}",
                         closest(name, [f for f in self.kinds if self.ruleset != "pairing"
                                        or not f.startswith("my_job")]))
        return kind

    @cached_property
    def kinds(self) -> Mapping[str, FieldKind]:
        """The fields a rule may read: the built-in ones and those vocabulary.yaml declares."""
        declared = {name: f.type for name, f in self.vocabulary.fields.items()}
        return {**RULE_FIELDS, **declared}

    def value_known(self, side: str, name: str, value: Any, path: Key) -> None:
        """A vocabulary field's constant must be in the vocabulary."""
        vocab_field = "job_family" if name == "my_job_day.discover" else name
        role = side if side in ("mentor", "mentee") else None  # a visitor or host: either role
        allowed = self.vocabulary.values_of(vocab_field, role)
        if allowed is not None and isinstance(value, str) and value not in allowed:
            other = "mentee" if side == "mentor" else "mentor"
            if (role and name == "intentions"
                    and value in self.vocabulary.intention_codes(other)):
                self.problem(path, f"{value!r} is a {other} intention; {side}s use their own "
                                   f"codes: {', '.join(allowed)}")
                return
            hint = closest(value, allowed)
            known = ("" if hint is not None or len(allowed) > 12 else
                     f"; known values: {', '.join(allowed)}")
            self.problem(path, f"{value!r} is not a known {side}.{name} value in "
                               f"{VOCABULARY_FILE}{known}", hint)

    def test(self, side: str, name: str, spec: Any, path: Key) -> Test | None:
        kind = self.field(side, name, path)
        if kind is None:
            return None
        if isinstance(spec, dict):
            ((op, value),) = spec.items()
        else:
            op, value = "eq", spec
        if op not in OPERATORS[kind]:
            self.problem(path, f"{side}.{name} takes {_operators_of(kind)}; got {op}",
                         _operator_hint(op, kind))
            return None
        if op in ("in", "not_in") and not isinstance(value, list):
            shown = json.dumps(value, default=str)
            self.problem(path, f"{op} takes a list, got {shown}: write {op}: [{shown}], or the "
                               "value alone to match one value")
            return None
        if op not in ("in", "not_in") and isinstance(value, list | dict):
            self.problem(path, f"{op} takes a single value, got "
                               f"{json.dumps(value, default=str)}")
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
        left, right = self.sides
        if isinstance(spec, dict) and set(spec) != {left, right}:
            wrong = next(iter(sorted(set(spec) - {left, right})), left)
            self.wrong_side(wrong, path)
            return None
        mentor_field, mentee_field = (spec, spec) if isinstance(spec, str) else (
            spec[left], spec[right])
        first = self.field(left, mentor_field, path)
        if first is not None and mentee_field == "capacity" == mentor_field:
            self.problem(path, "mentees have no capacity; only mentor.capacity can be read, "
                               "so compare it with a number instead")
            return None
        kinds = [first, first if mentee_field == mentor_field else
                 self.field(right, mentee_field, path)]
        if None in kinds:
            return None
        if "list" in kinds:
            self.problem(path, "same/different compare single values; for list fields use "
                               "overlap: {field: ..., at_least: 1}")
            return None
        if kinds[0] != kinds[1]:
            self.problem(path, f"cannot compare {left}.{mentor_field} ({kinds[0]}) with "
                               f"{right}.{mentee_field} ({kinds[1]})")
            return None
        return Compare(equal, mentor_field, mentee_field)

    def overlap(self, spec: Mapping[str, Any], path: Key) -> Overlap | None:
        if "at_least" not in spec and "at_most" not in spec:
            self.problem(path, "overlap needs a bound: {field: F, at_least: N} or at_most: N")
            return None
        if self.ruleset != "pairing" and ("mentor" in spec or "mentee" in spec):
            self.problem(path, "a my-job-day rule compares a visitor and a host: overlap takes "
                               "field: F there (the same list field of both)")
            return None
        if "field" in spec and ("mentor" in spec or "mentee" in spec):
            self.problem(path, "overlap takes either field: F (the same field on both sides) "
                               "or mentor: F and mentee: G, not both")
            return None
        if "field" not in spec and not ("mentor" in spec and "mentee" in spec):
            self.problem(path, "overlap needs field: F, or both mentor: F and mentee: G")
            return None
        mentor_field = spec.get("field", spec.get("mentor"))
        mentee_field = spec.get("field", spec.get("mentee"))
        for side, name in zip(self.sides, (mentor_field, mentee_field), strict=True):
            kind = self.field(side, name, path)
            if kind is None:
                return None
            if kind != "list":
                lists = [f for f, k in self.kinds.items() if k == "list"]
                self.problem(path, f"overlap counts shared values of a list field; {name} is a "
                                   f"{kind} field (list fields: {', '.join(lists)})")
                return None
            if mentor_field == mentee_field:
                break
        return Overlap(mentor_field, spec.get("at_least"), spec.get("at_most"),
                       "" if mentee_field == mentor_field else mentee_field)

    def difference(self, spec: Mapping[str, Any], path: Key) -> Difference | None:
        if self.ruleset != "pairing":
            self.problem(path, "difference subtracts a mentor's number from a mentee's; it is "
                               "read in pairing rules only")
            return None
        if "at_least" not in spec and "at_most" not in spec:
            self.problem(path, "difference needs a bound: {mentee: F, mentor: G, at_least: N} "
                               "or at_most: N")
            return None
        for side in ("mentee", "mentor"):
            kind = self.field(side, spec[side], path)
            if kind is None:
                return None
            if kind != "number":
                numbers = [f for f, k in self.kinds.items() if k == "number"]
                self.problem(path, f"difference subtracts numbers; {side}.{spec[side]} is a "
                                   f"{kind} field (number fields: {', '.join(numbers)})")
                return None
        for bound in ("at_least", "at_most"):
            if bound in spec and not _plain_number(spec[bound]):
                self.problem(path, f"difference {bound} takes a number between "
                                   f"-{NUMBER_LIMIT:,} and {NUMBER_LIMIT:,} with at most "
                                   f"{NUMBER_DECIMALS} digits after the decimal point, got "
                                   f"{_shown(spec[bound])}")
                return None
        return Difference(spec["mentee"], spec["mentor"], spec.get("at_least"),
                          spec.get("at_most"))

    # -- constraints -------------------------------------------------------------------------
    def constraint(self, raw: Mapping[str, Any], path: Key) -> Constraint | None:
        if self.ruleset != "pairing":
            self.problem(path, "constraints limit the pairs formed; they belong in a file with "
                               "'ruleset: pairing'")
            return None
        per: list[tuple[str, str]] = []
        for index, item in enumerate(raw["per"]):
            side, name = item.split(".", 1)
            kind = self.field(side, name, (*path, "per", index))
            if kind is None:
                return None
            if kind == "list":
                self.problem((*path, "per", index),
                             f"per takes fields with one value per person; {item} is a list")
                return None
            per.append((side, name))
        where = None
        if "where" in raw:
            where = self.condition(raw["where"], (*path, "where"))
            if where is None:
                return None  # its problems are reported
        return Constraint(raw["id"], raw["title"].strip(), " ".join(raw["because"].split()),
                          tuple(per), int(raw["at_most"]), self.file, self.doc.line(path),
                          where)

    # -- rules ------------------------------------------------------------------------------
    def rule(self, raw: Mapping[str, Any], path: Key) -> Rule | None:
        if not isinstance(raw, dict) or (path in self.broken and "when" not in raw):
            return None
        when = self.condition(raw["when"], (*path, "when")) if "when" in raw else None
        if when is None or self._refused(path):
            return None
        then = raw["then"]
        effect: Literal["exclude", "score"] = "exclude" if then == "exclude" else "score"
        points = 0 if then == "exclude" else int(then["score"])
        return Rule(raw["id"], raw["title"].strip(), " ".join(raw["because"].split()), when,
                    effect, points, self.file, self.doc.line(path), self.sides)

    # -- settings ---------------------------------------------------------------------------
    def settings(self, raw: Mapping[str, Any]) -> Settings | PlannerSettings | None:
        """The ruleset's settings; None (with problems) when a setting belongs elsewhere."""
        foreign = [k for k in raw if k not in SETTINGS_OF[self.ruleset]]
        for key in foreign:
            if self.ruleset == "pairing":
                self.problem(("settings", key), f"{key} is a my-job-day setting and means "
                                                "nothing to the pairing; move it to the "
                                                "settings of a file with 'ruleset: my_job_days'")
            else:
                self.problem(("settings", key), f"{key} is a pairing setting and means nothing "
                                                "to the my-job-day planner; remove it (the "
                                                "planner's settings are days, "
                                                "visits_per_person, "
                                                "slots_per_host_per_day and time_limit)")
        if foreign:
            return None
        if self.ruleset == "pairing":
            return Settings(**raw)
        days = [self.day(value, ("settings", "days", i))
                for i, value in enumerate(raw.get("days") or ())]
        if None in days:
            return None
        first: dict[date, int] = {}
        for i, day in enumerate(d for d in days if d is not None):
            if day in first:
                line = self.doc.line(("settings", "days", first[day]))
                self.problem(("settings", "days", i), f"day {day} is listed twice (first at "
                                                      f"line {line}); keep one")
                return None
            first[day] = i
        return PlannerSettings(tuple(sorted(first)), int(raw.get("visits_per_person", 1)),
                               int(raw.get("slots_per_host_per_day", 1)), self.file,
                               int(raw.get("time_limit", PlannerSettings.time_limit)))

    def day(self, value: Any, path: Key) -> date | None:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                if len(value) == 10:
                    return date.fromisoformat(value)
            except ValueError:
                pass
        shown = value.isoformat(" ") if isinstance(value, datetime) else value
        self.problem(path, f"{json.dumps(shown, default=str)} is not a date; write each day as "
                           "YYYY-MM-DD, e.g. 2026-10-06")
        return None


# Operators admins write, and the one they mean.
_OPERATOR_WORDS: Mapping[str, Op] = {
    "greater_than": "at_least", "gt": "at_least", "gte": "at_least", "min": "at_least",
    "minimum": "at_least", "more_than": "at_least", "over": "at_least", "atleast": "at_least",
    "less_than": "at_most", "lt": "at_most", "lte": "at_most", "max": "at_most",
    "maximum": "at_most", "under": "at_most", "atmost": "at_most",
    "one_of": "in", "any_of": "in", "none_of": "not_in", "notin": "not_in", "not-in": "not_in",
    "includes": "contains", "has": "contains", "include": "contains",
}


def _operator_hint(op: str, kind: FieldKind) -> str | None:
    """The operator of this kind of field that ``op`` most likely means."""
    meant = _OPERATOR_WORDS.get(op.lower())
    if meant in OPERATORS[kind]:
        return meant
    return closest(op, [o for o in OPERATORS[kind] if o != "eq"])


def _operators_of(kind: FieldKind) -> str:
    """The operators a kind of field takes, in words: "at_least, in or a number"."""
    plain = {"text": "a text", "number": "a number", "flag": "true or false", "list": ""}
    words: list[str] = sorted(op for op in OPERATORS[kind] if op != "eq")
    if "eq" in OPERATORS[kind]:
        words.append(plain[kind])
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


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
            return _then_problem(tuple(error.absolute_path), error.instance)
        last = error.path[-1] if error.path else None
        if isinstance(last, str) and "." in last and isinstance(error.instance, list):
            shown = ", ".join(json.dumps(v, default=str) for v in error.instance)
            return (tuple(error.absolute_path), f"{last} takes one value; for several, write "
                                                f"{{in: [{shown}]}} (any of them) or "
                                                f"{{not_in: [...]}} (none of them)", None)
        if error.path and error.path[-1] in ("same", "different") and isinstance(
                error.instance, dict):
            return (tuple(error.absolute_path), f"{error.path[-1]} takes one field, or two "
                                                "named by side: {mentor: F, mentee: G} in a "
                                                "pairing rule, {visitor: F, host: G} in a "
                                                "my-job-day rule", None)
        return _schema_problem(inner)
    path: Key = tuple(error.absolute_path)
    value = error.instance
    kind = error.validator
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = list(error.schema.get("properties", {}))
        extra = sorted(k for k in value if k not in allowed and not (
            "patternProperties" in error.schema and (k.startswith(_SIDE_PREFIXES))))
        name = extra[0] if extra else "?"
        if "patternProperties" in error.schema:
            hint = closest(name, [*CONDITION_KEYS, "mentor.", "mentee.", "pair."])
            if "." in name:  # a misspelt side: mentr.job_family
                side, rest = name.split(".", 1)
                near = closest(side, sorted({s for pair in SIDES.values() for s in pair}
                                            | {"pair"}))
                hint = f"{near}.{rest}" if near else hint
            return ((*path, name), f"unknown condition {name!r}; use all, any, not, same, "
                                   "different, overlap, difference, or mentor.FIELD / "
                                   "mentee.FIELD / pair.FIELD", hint)
        return ((*path, name), f"unknown key {name!r}; expected one of {', '.join(allowed)}",
                closest(name, allowed))
    if kind == "required":
        missing = error.message.split("'")[1]
        if len(path) == 2 and path[0] == "rules":
            return (path, f"the rule is missing {missing!r}; every rule needs id, title, "
                          "because, when and then", None)
        return (path, f"missing {missing!r}", None)
    if kind == "enum" and path == ("settings", "objective"):
        return (path, f"unknown objective {json.dumps(value, default=str)}: use participation "
                      "(pair as many people as possible, then the highest total score) or "
                      "score (the highest total score, even if some people stay unpaired)",
                OBJECTIVE_WORDS.get(str(value).lower().strip()) or closest(
                    value, error.validator_value))
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
        if path and path[-1] in ("in", "not_in") and wanted == "array":
            return (path, f"{path[-1]} takes a list, got {got}: write {path[-1]}: [{got}], or "
                          "the value alone to match one value", None)
        if path and isinstance(path[-1], str):
            return (path, f"{path[-1]} takes {want}, got {got}", None)
        return (path, f"expected {want}, got {got}", None)
    if kind == "minItems":
        return (path, "the list must not be empty", None)
    if kind in ("minimum", "maximum") and path and isinstance(path[-1], str):
        low, high = error.schema.get("minimum"), error.schema.get("maximum")
        if low is None or high is None:
            bound = f"at least {low:,}" if low is not None else f"at most {high:,}"
            return (path, f"{path[-1]} must be {bound}, got {json.dumps(value)}", None)
        return (path, f"{path[-1]} takes a whole number from {low:,} to {high:,}, got "
                      f"{json.dumps(value)}", None)
    return (path, error.message, None)


_SIDE_PREFIXES = (*(f"{side}." for sides in SIDES.values() for side in sides), "pair.")
# Words admins write for an objective, and the objective they mean.
OBJECTIVE_WORDS: Mapping[str, str] = {
    "maximise": "score", "maximize": "score", "max": "score", "max_score": "score",
    "max-score": "score", "best": "score", "best_score": "score", "best-score": "score",
    "highest_score": "score", "highest-score": "score", "scores": "score", "quality": "score",
    "coverage": "participation", "most_pairs": "participation", "most-pairs": "participation",
    "max_pairs": "participation", "max-pairs": "participation", "participate": "participation",
}
_THEN_FIX = "write then: exclude, or then: {score: N} with a whole number N (e.g. 10 or -5)"


def _then_problem(path: Key, value: Any) -> tuple[Key, str, str | None]:
    """One message per mistake in a rule's `then`, each with its fix."""
    shown = json.dumps(value, default=str)
    if isinstance(value, str):
        return (path, f"unknown effect {shown}; {_THEN_FIX}",
                closest(value, ["exclude", "score"]) if value.strip() else None)
    if not isinstance(value, dict):
        return (path, f"then takes exclude or {{score: N}}, got {shown}; {_THEN_FIX}", None)
    extra = sorted(str(k) for k in value if k != "score")
    if extra:
        hint = closest(extra[0], ["score"]) or ("score" if extra[0] in (
            "points", "point", "add", "weight", "value", "bonus") else None)
        return ((*path, extra[0]), f"unknown key {extra[0]!r} in then; the only key is score: "
                                   f"{_THEN_FIX}", hint)
    if "score" not in value:
        return (path, f"then is missing score; {_THEN_FIX}", None)
    score = value["score"]
    here = (*path, "score")
    if isinstance(score, float) and math.isfinite(score):
        whole = round(score)
        return (here, f"score takes a whole number of points, got {_shown(score)}; points "
                      f"add up exactly only as whole numbers: write {whole}, or scale every "
                      "rule's points (e.g. x10) to keep the difference", None)
    if isinstance(score, bool) or not isinstance(score, int | float):
        return (here, f"score takes a whole number of points, got "
                      f"{json.dumps(score, default=str)}; write it in digits, e.g. "
                      "{score: 10}", None)
    if isinstance(score, float):
        return (here, f"score takes a whole number of points, got {_shown(score)}", None)
    return (here, f"score takes a whole number from -1,000,000 to 1,000,000, got {score:,}",
            None)


def _feature_count(rules: Sequence[Rule]) -> int:
    """How many distinct values the engine sees per pair (see engine.evaluation.features)."""
    seen: set[tuple[Any, ...]] = set()
    for rule in rules:
        for leaf in leaves(rule.when):
            if isinstance(leaf, Test):
                seen.add(("contains", leaf.side, leaf.field, leaf.value) if leaf.op == "contains"
                         else ("side", leaf.side, leaf.field))
            elif isinstance(leaf, Compare):
                seen.add(("compare", leaf.mentor_field, leaf.mentee_field))
            elif isinstance(leaf, Difference):
                seen.add(("difference", leaf.mentee_field, leaf.mentor_field))
            else:
                seen.add(("overlap", *leaf.sides))
    return len(seen)


def _place(problem: Problem) -> tuple[str, int]:
    digits = "".join(ch for ch in problem.path.split(",")[0] if ch.isdigit())
    return (problem.file, int(digits) if digits else 0)


# Files of a rules folder that are not rule files: each is read and checked by the step
# that uses it (the questionnaire by engine.profiles.questionnaire, the letters' settings
# by engine.program.letters), and none is part of the rules digest.
COMPANION_FILES = ("questionnaire.yaml", "letters.yaml")


def _rule_files(directory: Path) -> list[Path]:
    # Case does not matter (a file saved as RULES.YAML is a rule file too); every file found
    # here is both checked and part of the rules digest.
    return sorted(p for p in directory.iterdir()
                  if p.suffix.lower() in (".yaml", ".yml")
                  and p.name not in (VOCABULARY_FILE, *COMPANION_FILES))


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
    limits: list[Constraint] = []
    settings_at: dict[str, tuple[str, int]] = {}
    settings: dict[str, Settings] = {}
    planner_settings: dict[str, PlannerSettings] = {}
    ruleset_of: dict[str, str] = {}
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
        # Schema errors and meaning errors are reported in one pass: the meaning of every
        # part the schema accepted is still checked, so one run shows every problem.
        broken: set[Key] = set()
        for error in sorted(errors, key=lambda e: doc.line(tuple(e.absolute_path))):
            where, message, suggestion = _schema_problem(error)
            problems.append(Problem(name, f"line {doc.line(where)}", message, suggestion))
            broken.add(tuple(error.absolute_path))
        ruleset = doc.data.get("ruleset")
        raw_rules = doc.data.get("rules", [])
        if ruleset not in RULESETS or not isinstance(raw_rules, list) or ("rules",) in broken:
            continue  # the file's frame is wrong: its rules cannot be read reliably
        ruleset_of[path.name] = ruleset
        checker = _Checker(name, doc, vocabulary, ruleset, broken)
        for index, raw in enumerate(raw_rules):
            rule = checker.rule(raw, ("rules", index))
            if rule is not None and not any(b[:2] == ("rules", index) for b in broken):
                collected[ruleset].append(rule)
        for index, raw in enumerate(doc.data.get("constraints", [])):
            if not any(b[:2] == ("constraints", index) for b in broken):
                limit = checker.constraint(raw, ("constraints", index))
                if limit is not None:
                    limits.append(limit)
        if "settings" in doc.data and not any(b[:1] == ("settings",) for b in broken):
            line = doc.line(("settings",))
            if ruleset in settings_at:
                first_file, first_line = settings_at[ruleset]
                problems.append(Problem(name, f"line {line}",
                                        f"settings for ruleset {ruleset!r} are given twice "
                                        f"(first in {first_file}, line {first_line}); keep one"))
            else:
                settings_at[ruleset] = (name, line)
                found = checker.settings(doc.data["settings"])
                if isinstance(found, Settings):
                    settings[ruleset] = found
                elif isinstance(found, PlannerSettings):
                    planner_settings[ruleset] = found
        problems += checker.problems
    seen_limits: dict[str, Constraint] = {}
    for limit in limits:
        if limit.id in seen_limits:
            earlier = seen_limits[limit.id]
            problems.append(Problem(limit.file, f"line {limit.line}",
                                    f"duplicate constraint id {limit.id!r} (first in "
                                    f"{earlier.file}, line {earlier.line}); constraint ids "
                                    "must be unique"))
        seen_limits.setdefault(limit.id, limit)
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
    warnings = [Problem(c.file, f"line {c.line}",
                        f"constraint {c.id} has at_most 0: it forbids {c.scope()}, whatever "
                        f"their {', '.join(f'{s}.{n}' for s, n in c.per)}; if that is meant, "
                        "an exclude rule with this condition says it plainly, else raise "
                        "at_most", None, "warning")
                for c in limits if c.at_most == 0]
    rulesets = {name: RuleSet(name, tuple(rules), settings.get(name, Settings()),
                              tuple(limits) if name == "pairing" else (),
                              planner_settings.get(name, PlannerSettings()))
                for name, rules in collected.items()}
    return Rules(directory, rulesets, vocabulary, texts, tuple(warnings), ruleset_of=ruleset_of)


def constraint_table(constraints: Sequence[Constraint]) -> list[dict[str, Any]]:
    """Constraints as rows for display."""
    from engine.rules.conditions import describe

    return [{"id": c.id, "title": c.title, "per": [f"{side}.{name}" for side, name in c.per],
             "at_most": c.at_most, "file": Path(c.file).name, "line": c.line,
             **({} if c.where is None else {"where": describe(c.where)})}
            for c in constraints]


def rule_table(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """Rules as rows for display."""
    from engine.rules.conditions import describe

    return [{"id": r.id, "effect": "exclude" if r.effect == "exclude" else f"{r.points:+d}",
             "title": r.title, "when": describe(r.when), "file": Path(r.file).name,
             "line": r.line} for r in rules]

