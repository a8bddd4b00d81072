"""The learning-style questionnaire: statements that each count towards one style.

In: ``questionnaire.yaml`` of the rules folder, and an answer sheet (CSV or xlsx: an ``id``
column and one column per statement, agree or disagree). Out: for each person, the style
with the highest total with its evidence ("activist (4 of 5 action items)"), or why no
style was derived (a tie, too few answers). `check_questionnaire` is what `tandem rules
check` runs: every problem with its line and a "did you mean", no statement left unscored.
`derive_styles` with a cohort sets each derived style in it and keeps the totals as
evidence in ``program.import.questionnaire``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from engine.base.canonical import sha256_hex
from engine.base.errors import InvalidInput, Problem
from engine.base.files import FileRefused, read_capped
from engine.base.suggest import closest
from engine.profiles.mapping import normal
from engine.profiles.read import RawCohort, Record
from engine.profiles.table import read_table
from engine.rules.ruleset import COMPANION_FILES
from engine.rules.vocabulary import Vocabulary, load_vocabulary
from engine.rules.yamlio import Key, Located, LocatedChecker, load

QUESTIONNAIRE_FILE = COMPANION_FILES[0]
SECTIONS = ("questionnaire", "description", "answers", "scoring", "styles", "items")
ITEM_KEYS = ("id", "style", "text")
ID_COLUMN = "id"
MAX_COHORT_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Item:
    id: str
    style: str
    text: str


@dataclass(frozen=True)
class Questionnaire:
    file: str
    digest: str  # sha256: and the hex of the file's text
    items: tuple[Item, ...]
    styles: Mapping[str, str]  # style -> what its statements are called
    agree: frozenset[str]
    disagree: frozenset[str]
    min_answered: int

    def of(self, style: str) -> int:
        return sum(1 for item in self.items if item.style == style)


@dataclass(frozen=True)
class Derived:
    """One answer sheet, scored."""

    id: str
    row: int
    totals: Mapping[str, int]  # style -> statements agreed with
    answered: int
    style: str | None
    why: str

    def explain(self) -> str:
        return f"{self.style}: {self.why}" if self.style else f"no style derived: {self.why}"

    def as_dict(self) -> dict[str, Any]:
        return {"learning_style": self.style, "totals": dict(self.totals),
                "answered": self.answered, "why": self.why, "row": self.row}


@dataclass
class Styles:
    file: str  # the answers
    questionnaire: str  # the questionnaire file
    digest: str  # the questionnaire's
    answers_digest: str
    people: list[Derived] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # warnings: ties, too few answers
    document: dict[str, Any] | None = None  # the cohort with the styles set, with --into

    def as_dict(self) -> dict[str, Any]:
        return {"answers": self.file, "questionnaire": self.questionnaire,
                "digest": self.digest,
                "answers_digest": self.answers_digest,
                "people": {p.id: p.as_dict() for p in self.people},
                "warnings": [p.as_dict() for p in self.problems]}


# -- the questionnaire file --------------------------------------------------------------------

class _Checker(LocatedChecker):
    def __init__(self, file: str, doc: Located, vocabulary: Vocabulary) -> None:
        super().__init__(file, doc)
        self.vocabulary = vocabulary

    def styles(self, raw: Any) -> dict[str, str]:
        if not isinstance(raw, dict) or not raw:
            self.problem(("styles",), "'styles' must name each style scored, with what its "
                                      "statements are called, e.g. 'activist: action items'")
            return {}
        known = self.vocabulary.learning_styles
        out: dict[str, str] = {}
        for style, noun in raw.items():
            if style not in known:
                self.problem(("styles", style), f"{style!r} is not a learning style of the "
                                                f"vocabulary ({', '.join(known)})",
                             closest(style, known))
            elif not isinstance(noun, str) or not noun.strip():
                self.problem(("styles", style), "say what this style's statements are called, "
                                                "e.g. 'action items'")
            else:
                out[style] = noun
        return out

    def items(self, raw: Any, styles: Mapping[str, str]) -> list[Item]:
        if not isinstance(raw, list) or not raw:
            self.problem(("items",), "'items' must list the statements, each with id, style "
                                     "and text")
            return []
        out: list[Item] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(raw):
            path: Key = ("items", index)
            if not isinstance(item, dict):
                self.problem(path, "each item needs id, style and text")
                continue
            for key in item:
                if key not in ITEM_KEYS:
                    self.problem((*path, key), f"unknown key {key!r}; an item has "
                                               f"{', '.join(ITEM_KEYS)}", closest(key, ITEM_KEYS))
            missing = [k for k in ITEM_KEYS if not isinstance(item.get(k), str)
                       or not item[k].strip()]
            if missing:
                self.problem(path, f"the item has no {' and no '.join(missing)}; give each "
                                   "item an id, the style it counts towards, and its text")
                continue
            if item["id"] in seen:
                self.problem((*path, "id"), f"duplicate item id {item['id']!r} (first at line "
                                            f"{seen[item['id']]}); ids must be unique")
                continue
            seen[item["id"]] = self.doc.line((*path, "id"))
            if item["style"] not in styles:
                self.problem((*path, "style"), f"item {item['id']!r} counts towards "
                                               f"{item['style']!r}, which 'styles' does not "
                                               "score, so it would be left unscored",
                             closest(item["style"], styles))
                continue
            out.append(Item(item["id"], item["style"], item["text"]))
        for style in styles:
            if not any(i.style == style for i in out):
                self.problem(("styles", style), f"no item counts towards {style!r}; add "
                                                "statements for it or remove it from 'styles'")
        return out

    def answers(self, raw: Any) -> tuple[frozenset[str], frozenset[str]]:
        if not isinstance(raw, dict) or set(raw) != {"agree", "disagree"}:
            self.problem(("answers",), "'answers' must list the words for 'agree' and for "
                                       "'disagree'")
            return frozenset(), frozenset()
        words = {}
        for key in ("agree", "disagree"):
            values = raw[key]
            if not isinstance(values, list) or not values:
                self.problem(("answers", key), f"'{key}' must be a list of words")
                values = []
            words[key] = frozenset(normal(str(v)) for v in values)
        both = words["agree"] & words["disagree"]
        if both:
            self.problem(("answers",), f"{', '.join(sorted(map(repr, both)))} means both agree "
                                       "and disagree; keep it in one list")
        return words["agree"], words["disagree"]

    def min_answered(self, raw: Any, items: int) -> int:
        value = raw.get("min_answered") if isinstance(raw, dict) else None
        if isinstance(raw, dict):
            for key in raw:
                if key != "min_answered":
                    self.problem(("scoring", key), f"unknown scoring key {key!r}",
                                 closest(key, ["min_answered"]))
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= max(
                items, 1):
            self.problem(("scoring",), f"scoring.min_answered must be a whole number from 1 to "
                                       f"the {items} items")
            return items
        return value


def load_questionnaire(path: Path, vocabulary: Vocabulary) -> Questionnaire:
    """Read and check a questionnaire. Raises InvalidInput listing every problem."""
    file = str(path)
    doc = load(path, file)
    if not isinstance(doc.data, dict):
        raise InvalidInput([Problem(file, "line 1", "expected a mapping with 'styles:' and "
                                                    "'items:'; see docs/hr-guide.md")], "rules")
    check = _Checker(file, doc, vocabulary)
    for key in doc.data:
        if key not in SECTIONS:
            check.problem((key,), f"unknown section {key!r}; expected {', '.join(SECTIONS)}",
                          closest(key, SECTIONS))
    styles = check.styles(doc.data.get("styles"))
    items = check.items(doc.data.get("items"), styles)
    agree, disagree = check.answers(doc.data.get("answers"))
    raw_items = doc.data.get("items")
    minimum = check.min_answered(doc.data.get("scoring"),
                                 len(raw_items) if isinstance(raw_items, list) else 0)
    if check.problems:
        raise InvalidInput(check.problems, "rules")
    return Questionnaire(file, "sha256:" + sha256_hex(doc.text), tuple(items), styles, agree,
                         disagree, minimum)


def check_questionnaire(rules_dir: Path, vocabulary: Vocabulary) -> Questionnaire | None:
    """The rules folder's questionnaire, checked; None when the folder has none."""
    path = rules_dir / QUESTIONNAIRE_FILE
    return load_questionnaire(path, vocabulary) if path.is_file() else None


def questionnaire_problems(rules_dir: Path) -> list[Problem]:
    """What `tandem rules check` adds for the questionnaire: its problems, if any (none when
    the vocabulary itself is broken: the rule files' check reports that)."""
    try:
        vocabulary = load_vocabulary(rules_dir)
    except InvalidInput:
        return []
    try:
        check_questionnaire(rules_dir, vocabulary)
    except InvalidInput as exc:
        return exc.problems
    return []


# -- scoring -----------------------------------------------------------------------------------

def score(questionnaire: Questionnaire, person: str, row: int,
          answers: Mapping[str, bool]) -> Derived:
    """One sheet: item id -> agreed. The highest total wins; a tie or too few answers
    derive nothing, and say why."""
    totals = {style: sum(1 for item in questionnaire.items
                         if item.style == style and answers.get(item.id) is True)
              for style in questionnaire.styles}
    answered = sum(1 for item in questionnaire.items if item.id in answers)
    if answered < questionnaire.min_answered:
        return Derived(person, row, totals, answered, None,
                       f"answered {answered} of {len(questionnaire.items)} statements; at least "
                       f"{questionnaire.min_answered} are needed")
    best = max(totals.values())
    top = [style for style, total in totals.items() if total == best]
    if len(top) > 1:
        named = ", ".join(top[:-1]) + " and " + top[-1]
        return Derived(person, row, totals, answered, None,
                       f"tie between {named} ({best} agreed each); set learning_style by hand "
                       "or ask the person to answer again")
    style = top[0]
    return Derived(person, row, totals, answered, style,
                   f"{style} ({best} of {questionnaire.of(style)} "
                   f"{questionnaire.styles[style]})")


def _read_sheets(path: Path, questionnaire: Questionnaire
                 ) -> tuple[str, list[tuple[str, int, dict[str, bool]]], list[Problem]]:
    table = read_table(path)
    items = {normal(i.id): i.id for i in questionnaire.items}
    problems: list[Problem] = []
    columns: dict[str, str] = {}
    id_column = None
    for name in table.header:
        if normal(name) == ID_COLUMN:
            id_column = name
        elif normal(name) in items:
            columns[name] = items[normal(name)]
        else:
            problems.append(Problem(table.file, f"row 1, column {name!r}",
                                    f"column {name!r} is not a statement of "
                                    f"{questionnaire.file}; rename or delete it",
                                    closest(name, [i.id for i in questionnaire.items])))
    if id_column is None:
        problems.append(Problem(table.file, "row 1", "no 'id' column; add the person's id"))
        raise InvalidInput(problems, "answers")
    sheets: list[tuple[str, int, dict[str, bool]]] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        person = row.cells.get(id_column, "").strip()
        if not person:
            problems.append(Problem(table.file, f"row {row.number}, column {id_column!r}",
                                    "no id; give the person's id"))
            continue
        if person in seen:
            problems.append(Problem(table.file, f"row {row.number}, column {id_column!r}",
                                    f"a second answer sheet for {person!r} (first at row "
                                    f"{seen[person]}); keep one"))
            continue
        seen[person] = row.number
        answers: dict[str, bool] = {}
        for column, item in columns.items():
            cell = row.cells.get(column)
            if cell is None:
                continue
            word = normal(cell)
            if word in questionnaire.agree or word in questionnaire.disagree:
                answers[item] = word in questionnaire.agree
            else:
                problems.append(Problem(table.file, f"row {row.number}, column {column!r}",
                                        f"{cell.strip()!r} is neither agree nor disagree; write "
                                        "one of " + ", ".join(sorted(questionnaire.agree |
                                                                     questionnaire.disagree)),
                                        closest(word, [*questionnaire.agree,
                                                       *questionnaire.disagree])))
        sheets.append((person, row.number, answers))
    return table.digest, sheets, problems


def _json_location(index: int, path: tuple[str | int, ...]) -> str:
    return f"$.participants[{index}]" + "".join(
        f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _apply(styles: Styles, into: Path, vocabulary: Vocabulary) -> dict[str, Any]:
    """The cohort of ``into`` with each derived style set, and the evidence kept."""
    from engine.profiles.validate import check_cohort

    try:
        document = json.loads(read_capped(into, MAX_COHORT_BYTES, "cohort file").decode(
            "utf-8-sig"))
    except (FileRefused, ValueError) as exc:
        raise InvalidInput([Problem(str(into), "", f"cannot read this cohort ({exc}); give "
                                                   "the JSON cohort `tandem import` wrote")],
                           "cohort") from None
    if not isinstance(document, dict) or not isinstance(document.get("participants"), list):
        raise InvalidInput([Problem(str(into), "$", "expected a cohort object with "
                                                    "'participants'; give the JSON cohort "
                                                    "`tandem import` wrote")], "cohort")
    people = {p.get("id"): p for p in document["participants"] if isinstance(p, dict)}
    unknown = [Problem(styles.file, f"row {d.row}, column 'id'",
                       f"{d.id!r} is not in {into}", closest(d.id, [str(i) for i in people]))
               for d in styles.people if d.id not in people]
    if unknown:
        raise InvalidInput(unknown, "answers")
    for derived in styles.people:
        if derived.style:
            people[derived.id]["learning_style"] = derived.style
    program = document.setdefault("program", {})
    found = program.setdefault("import", {})
    found["questionnaire"] = {"file": Path(styles.questionnaire).name, "digest": styles.digest,
                              "answers": Path(styles.file).name,
                              "answers_digest": styles.answers_digest,
                              "people": {d.id: {k: v for k, v in d.as_dict().items()
                                                if k != "row"} for d in styles.people}}
    records = [Record(p, partial(_json_location, i))
               for i, p in enumerate(document["participants"])]
    _, problems = check_cohort(RawCohort(str(into), "json", records, program), vocabulary)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InvalidInput(errors, "cohort")
    return document


def derive_styles(answers: Path, rules_dir: Path, vocabulary: Vocabulary,
                  into: Path | None = None) -> Styles:
    """Score every answer sheet of ``answers``; with ``into``, the cohort with the styles set.
    Raises InvalidInput, listing every bad answer, with nothing derived."""
    path = rules_dir / QUESTIONNAIRE_FILE
    if not path.is_file():
        raise InvalidInput([Problem(str(path), "", "the rules folder has no questionnaire; "
                                                   "copy the bundled questionnaire.yaml "
                                                   "(`tandem rules path`)")], "rules")
    questionnaire = load_questionnaire(path, vocabulary)
    digest, sheets, problems = _read_sheets(answers, questionnaire)
    if problems:
        raise InvalidInput(problems, "answers")
    styles = Styles(str(answers), questionnaire.file, questionnaire.digest, digest)
    styles.people = [score(questionnaire, person, row, given) for person, row, given in sheets]
    styles.problems = [Problem(str(answers), f"row {d.row}", f"{d.id}: no style derived: "
                               f"{d.why}", severity="warning")
                       for d in styles.people if d.style is None]
    if into is not None:
        styles.document = _apply(styles, into, vocabulary)
    return styles


def evidence_of(program: Mapping[str, Any], person: str) -> str | None:
    """The questionnaire's evidence for one person's style, from a cohort's program header:
    "activist (4 of 5 action items)"; None when no questionnaire derived it."""
    found = program.get("import", {}).get("questionnaire", {}).get("people", {}).get(person)
    if isinstance(found, Mapping) and found.get("learning_style"):
        return str(found.get("why"))
    return None


def with_style_evidence(result: dict[str, Any], program: Mapping[str, Any]) -> dict[str, Any]:
    """A pairing result or a pair's explanation whose reasons, where they show a learning
    style the questionnaire derived, also show its evidence: ``mentor.learning_style
    (questionnaire)`` = "activist (4 of 5 action items)". Unchanged without a questionnaire.
    """
    if not program.get("import", {}).get("questionnaire"):
        return result
    items = result.get("pairs", [result])
    for item in items:
        for reason in item.get("reasons", []):
            evidence = reason.get("evidence", {})
            for side in ("mentor", "mentee"):
                found = evidence_of(program, str(item.get(side)))
                if f"{side}.learning_style" in evidence and found:
                    evidence[f"{side}.learning_style (questionnaire)"] = found
    return result
