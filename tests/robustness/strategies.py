"""Hypothesis strategies: cohorts from the participant schema and rule folders from the rule
grammar, and mutations of both that a hostile or careless file could hold."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

import yaml
from hypothesis import strategies as st

from engine.base.resources import rules_dir
from engine.rules.ruleset import OPERATORS, RULE_FIELDS
from engine.rules.vocabulary import load_vocabulary

VOCABULARY = load_vocabulary(rules_dir())
PAIRING_FIELDS = [f for f in RULE_FIELDS if not f.startswith("my_job_day")]

# -- values a hostile file holds ------------------------------------------------------------
hostile_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "\t\n", "[/bold]", "[/]", "[link=http://evil.example]x",
                     "\x1b[2J", "=1+1", "\n=cmd", "-1", "A\ud800B", "M01\n", "É", "E\u0301",
                     "\u202e", "null", "1e400", "٣", "３", "9" * 40]),
)
hostile_value: st.SearchStrategy[Any] = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30),
              st.floats(allow_nan=False, allow_infinity=False), hostile_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6,
)


# -- cohorts --------------------------------------------------------------------------------
@st.composite
def participant(draw: st.DrawFn, role: str, number: int) -> dict[str, Any]:
    person: dict[str, Any] = {
        "id": f"{'M' if role == 'mentor' else 'E'}{number:02d}",
        "role": role,
        "name": draw(st.sampled_from(["Ana Lima", "Paul Renard", "Aïcha Benali"])),
        "learning_style": draw(st.sampled_from(VOCABULARY.learning_styles)),
        "job_family": draw(st.sampled_from(VOCABULARY.job_families)),
        "department": draw(st.sampled_from(["Digital Factory", "Group Finance", "Legal"])),
        "subsidiary": draw(st.sampled_from(["Tandem Bank", "Tandem Tech"])),
        "hire_date": draw(st.dates(date(1970, 1, 1), date(2026, 12, 31))).isoformat(),
        "intentions": draw(st.lists(st.sampled_from(VOCABULARY.intention_codes(role)),
                                    min_size=1, max_size=3, unique=True)),
    }
    if draw(st.booleans()):
        person["topics"] = draw(st.lists(st.sampled_from(VOCABULARY.topics), max_size=3,
                                         unique=True))
    if role == "mentor" and draw(st.booleans()):
        person["capacity"] = draw(st.integers(1, 3))
    return person


@st.composite
def cohort(draw: st.DrawFn) -> list[dict[str, Any]]:
    mentors = draw(st.integers(1, 4))
    mentees = draw(st.integers(1, 4))
    people = [draw(participant("mentor", i + 1)) for i in range(mentors)]
    people += [draw(participant("mentee", i + 1)) for i in range(mentees)]
    if draw(st.booleans()):
        people[-1]["manager_id"] = people[0]["id"]
    return people


@st.composite
def mutated_cohort(draw: st.DrawFn) -> list[Any]:
    """A valid cohort with a few mutations: fields dropped, replaced, added; people copied."""
    people: list[Any] = draw(cohort())
    for _ in range(draw(st.integers(0, 3))):
        index = draw(st.integers(0, len(people) - 1))
        person = people[index]
        action = draw(st.sampled_from(["drop", "replace", "add", "copy", "swap-role", "scalar"]))
        if not isinstance(person, dict):
            continue  # already replaced by a scalar
        if action == "drop" and person:
            person.pop(draw(st.sampled_from(sorted(person))))
        elif action == "replace" and person:
            person[draw(st.sampled_from(sorted(person)))] = draw(hostile_value)
        elif action == "add":
            person[draw(st.text(min_size=1, max_size=8))] = draw(hostile_value)
        elif action == "copy":
            people.append(json.loads(json.dumps(person)))
        elif action == "swap-role":
            person["role"] = "mentee" if person.get("role") == "mentor" else "mentor"
        else:
            people[index] = draw(hostile_value)
    return people


def as_file(people: list[Any], fmt: str) -> str:
    """The cohort written as a JSON, JSONL or CSV file (lists joined with ';' in CSV)."""
    if fmt == "json":
        return json.dumps(people, indent=1)
    if fmt == "jsonl":
        return "".join(json.dumps(p) + "\n" for p in people)
    columns: dict[str, None] = {}
    rows = []
    for person in people:
        row: dict[str, str] = {}
        for key, value in (person.items() if isinstance(person, dict) else []):
            cell = ";".join(map(str, value)) if isinstance(value, list) else (
                "" if value is None else str(value).lower() if isinstance(value, bool)
                else str(value))
            row[str(key)] = cell
            columns.setdefault(str(key), None)
        rows.append(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# -- rule folders ---------------------------------------------------------------------------
def _constants(side: str, name: str) -> st.SearchStrategy[Any]:
    kind = RULE_FIELDS[name]
    known = VOCABULARY.values_of(name, side)
    # Mostly values that fit, sometimes one that does not (the checker must refuse it).
    if kind == "number":
        fits = st.one_of(st.integers(-3, 60), st.floats(-5, 60).map(lambda x: round(x, 2)))
        odd = st.sampled_from([float("inf"), float("nan"), 1e-5, 1e18, 10**29, "2"])
        return st.one_of(fits, fits, fits, fits, odd)
    if kind == "flag":
        return st.booleans()
    if known:
        return st.one_of(*[st.sampled_from(known)] * 5, st.sampled_from(["", "nope", "[/]"]))
    plain = st.sampled_from(["Digital Factory", "Legal", "M01", "x", "[/]", "\x1b[2J"])
    return st.one_of(plain, plain, plain, hostile_text)


@st.composite
def leaf(draw: st.DrawFn) -> dict[str, Any]:
    choice = draw(st.sampled_from(["test", "test", "test", "same", "different", "overlap"]))
    if choice in ("same", "different"):
        return {choice: draw(st.sampled_from(PAIRING_FIELDS))}
    if choice == "overlap":
        bound = draw(st.sampled_from(["at_least", "at_most"]))
        field = draw(st.sampled_from(["intentions", "topics"] * 4 + ["name"]))
        number = draw(st.sampled_from([0, 1, 2, 3, 4] * 4 + [10**29]))
        return {"overlap": {"field": field, bound: number}}
    side = draw(st.sampled_from(["mentor", "mentee"]))
    name = draw(st.sampled_from(PAIRING_FIELDS))
    op = draw(st.sampled_from(OPERATORS[RULE_FIELDS[name]]))
    constant = _constants(side, name)
    if op in ("in", "not_in"):
        value: Any = {op: draw(st.lists(constant, min_size=1, max_size=30))}
    elif op == "eq":
        value = draw(constant)
    else:
        value = {op: draw(constant)}
    return {f"{side}.{name}": value}


condition: st.SearchStrategy[dict[str, Any]] = st.recursive(
    leaf(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=16).map(lambda items: {"all": items}),
        st.lists(inner, min_size=1, max_size=16).map(lambda items: {"any": items}),
        inner.map(lambda item: {"not": item})),
    max_leaves=24,
)


@st.composite
def rule(draw: st.DrawFn, number: int) -> dict[str, Any]:
    then = draw(st.one_of(st.just("exclude"),
                          st.integers(-50, 50).map(lambda n: {"score": n})))
    return {"id": f"fuzz/r{number}", "title": f"Rule {number}",
            "because": "Generated to test the engine.", "when": draw(condition), "then": then}


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


@st.composite
def rule_file(draw: st.DrawFn) -> str:
    """A rule file from the grammar, sometimes copied many times, sometimes mutated as text."""
    rules = [draw(rule(i)) for i in range(draw(st.integers(1, 4)))]
    copies = draw(st.sampled_from([1] * 8 + [30, 260]))  # many copies of one rule
    rules = [{**r, "id": f"{r['id']}-{k}"} for k in range(copies) for r in rules]
    doc: dict[str, Any] = {"ruleset": "pairing", "rules": rules}
    text = yaml.dump(doc, Dumper=_NoAliases, allow_unicode=True, width=10_000)
    if draw(st.integers(0, 5)) == 0:  # a careless edit: a character in, or a line out
        lines = text.split("\n")
        at = draw(st.integers(0, len(lines) - 1))
        if draw(st.booleans()):
            lines.pop(at)
        else:
            lines[at] += draw(st.sampled_from([":", " &a", " *a", " !!str", "\t", "[", "'",
                                               " # x", "\x1b"]))
        text = "\n".join(lines)
    return text
