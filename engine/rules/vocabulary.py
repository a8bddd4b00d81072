"""The program's vocabulary: allowed values and the themes each intention serves."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from engine.base.errors import InvalidInput, Problem
from engine.base.suggest import closest
from engine.rules.yamlio import load

VOCABULARY_FILE = "vocabulary.yaml"
ROLES = ("mentor", "mentee")
# Why a couple was separated, when vocabulary.yaml has no `separation_categories` section.
SEPARATION_CATEGORIES = ("mismatch", "availability", "left-company", "conflict", "completed",
                         "other")
FIELD_TYPES = ("text", "list", "flag", "number")
# Built-in text fields whose known values a vocabulary may close (`subsidiaries:`,
# `departments:`): section name -> field.
KNOWN_VALUE_SECTIONS: Mapping[str, str] = {"subsidiaries": "subsidiary",
                                           "departments": "department"}
# Names a declared field may not take: the built-in profile fields, what rules derive
# from them, and the places kept apart from rules.
BUILT_IN_FIELDS = ("id", "role", "name", "learning_style", "job_family", "department",
                   "subsidiary", "hire_date", "tenure_years", "intentions", "topics",
                   "capacity", "manager_id", "email", "my_job_day", "protected")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class DeclaredField:
    """A profile field the program declares in vocabulary.yaml (`fields:`)."""

    name: str
    type: Literal["text", "list", "flag", "number"]
    values: tuple[str, ...] | None = None  # the allowed values of a text or list field


@dataclass(frozen=True, eq=False)  # compared and cached by identity
class Vocabulary:
    learning_styles: tuple[str, ...]
    job_families: tuple[str, ...]
    topics: tuple[str, ...]
    intentions: Mapping[str, Mapping[str, tuple[str, ...]]]  # role -> code -> themes
    separation_categories: tuple[str, ...] = SEPARATION_CATEGORIES
    topic_themes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # declared only
    fields: Mapping[str, DeclaredField] = field(default_factory=dict)
    # The known values of built-in text fields (subsidiary, department), when declared.
    known: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    declared_themes: tuple[str, ...] = ()  # the `themes:` section, when declared

    def intention_codes(self, role: str | None = None) -> tuple[str, ...]:
        roles = (role,) if role else ROLES
        return tuple(code for r in roles for code in self.intentions.get(r, {}))

    def themes(self, field: str, role: str, value: str) -> tuple[str, ...]:
        """The themes a list value serves; a value without declared themes is its own theme."""
        if field == "intentions":
            return self.intentions.get(role, {}).get(value, (value,))
        if field == "topics":
            return self.topic_themes.get(value, (value,))
        return (value,)

    def counts_themes(self, mentor_field: str, mentee_field: str) -> bool:
        """Whether an overlap of these two list fields compares themes (True) or values.

        Intentions always compare themes (mentors and mentees use different codes), and so
        does an overlap across two fields; the same topics or declared list on both sides
        compare the values themselves, whatever themes the vocabulary declares for them.
        """
        return mentor_field != mentee_field or mentor_field == "intentions"

    def overlap_units(self, field: str, role: str, value: str, by_theme: bool
                      ) -> tuple[str, ...]:
        """What an overlap counts for one list value: its themes, or the value itself."""
        return self.themes(field, role, value) if by_theme else (value,)

    def all_themes(self) -> tuple[str, ...]:
        """Every theme the vocabulary names, in order of first mention."""
        named = [t for themes in self.topic_themes.values() for t in themes]
        named += [t for role in ROLES for themes in self.intentions.get(role, {}).values()
                  for t in themes]
        return tuple(dict.fromkeys(named))

    def values_of(self, field: str, role: str | None = None) -> tuple[str, ...] | None:
        """The closed set of values a field takes, or None for free text."""
        declared = self.fields.get(field)
        if declared is not None:
            return declared.values
        return {
            "learning_style": self.learning_styles,
            "job_family": self.job_families,
            "topics": self.topics,
            "intentions": self.intention_codes(role),
            "role": ROLES,
            "separation_category": self.separation_categories,
            **{name: values for name, values in self.known.items() if values},
        }.get(field)


def _names(section: Any, file: str, where: str, problems: list[Problem]) -> tuple[str, ...]:
    if isinstance(section, Mapping):
        return tuple(str(k) for k in section)
    if isinstance(section, list) and all(isinstance(v, str) for v in section):
        return tuple(section)
    problems.append(Problem(file, where, "expected a mapping of value: description"))
    return ()


def load_vocabulary(rules_dir: Path) -> Vocabulary:
    """Read ``vocabulary.yaml`` from a rules directory."""
    path = rules_dir / VOCABULARY_FILE
    if not path.is_file():
        raise InvalidInput([Problem(str(rules_dir), "",
                                    f"no {VOCABULARY_FILE} in the rules directory; copy the "
                                    "bundled one (see `tandem rules path`) and edit it")],
                           "rules")
    doc = load(path)
    file = str(path)
    problems: list[Problem] = []
    root = doc.data.get("vocabulary") if isinstance(doc.data, dict) else None
    if not isinstance(root, dict):
        raise InvalidInput([Problem(file, "line 1",
                                    "expected a top-level 'vocabulary:' mapping")], "rules")
    for key in doc.data:
        if key not in ("vocabulary", "fields"):
            problems.append(Problem(file, f"line {doc.line((key,))}",
                                    f"unknown top-level key {key!r}; expected 'vocabulary:' "
                                    "and, optionally, 'fields:'"))
    declared = _declared_fields(doc.data.get("fields"), doc, file, problems)
    known = {"learning_styles", "job_families", "topics", "intentions",
             "separation_categories", "themes", *KNOWN_VALUE_SECTIONS}
    for key in root:
        if key not in known:
            problems.append(Problem(file, f"line {doc.line(('vocabulary', key))}",
                                    f"unknown section {key!r}; expected one of {sorted(known)}"))
    sections = {}
    for key in ("learning_styles", "job_families", "topics", "separation_categories"):
        sections[key] = _names(root.get(key, {}), file,
                               f"line {doc.line(('vocabulary', key))}", problems)
    topic_themes: dict[str, tuple[str, ...]] = {}
    raw_topics = root.get("topics", {})
    for topic, spec in (raw_topics.items() if isinstance(raw_topics, dict) else ()):
        themes = spec.get("themes") if isinstance(spec, dict) else None
        if themes is None:
            continue
        if isinstance(themes, list) and themes and all(isinstance(t, str) for t in themes):
            topic_themes[str(topic)] = tuple(themes)
        else:
            where = doc.line(("vocabulary", "topics", topic))
            problems.append(Problem(file, f"line {where}",
                                    f"themes of {topic!r} must be a non-empty list of names"))
    intentions: dict[str, dict[str, tuple[str, ...]]] = {}
    raw = root.get("intentions", {})
    for role in ROLES:
        codes = raw.get(role, {}) if isinstance(raw, dict) else {}
        intentions[role] = {}
        if not isinstance(codes, dict):
            problems.append(Problem(file, f"line {doc.line(('vocabulary', 'intentions', role))}",
                                    "expected a mapping of intention code: {themes: [...]}"))
            continue
        for code, spec in codes.items():
            themes = spec.get("themes") if isinstance(spec, dict) else None
            if themes is None:
                intentions[role][code] = (code,)
            elif isinstance(themes, list) and themes and all(isinstance(t, str) for t in themes):
                intentions[role][code] = tuple(themes)
            else:
                where = doc.line(("vocabulary", "intentions", role, code))
                problems.append(Problem(file, f"line {where}",
                                        f"themes of {code!r} must be a non-empty list of names"))
    known_values = {KNOWN_VALUE_SECTIONS[key]: _names(root[key], file,
                                                      f"line {doc.line(('vocabulary', key))}",
                                                      problems)
                    for key in KNOWN_VALUE_SECTIONS if key in root}
    declared_themes = (_names(root["themes"], file, f"line {doc.line(('vocabulary', 'themes'))}",
                              problems) if "themes" in root else ())
    problems += _theme_problems(doc, file, topic_themes, intentions, declared_themes)
    if problems:
        raise InvalidInput(problems, "rules")
    return Vocabulary(sections["learning_styles"], sections["job_families"], sections["topics"],
                      intentions,
                      sections["separation_categories"] or SEPARATION_CATEGORIES,
                      topic_themes=topic_themes, fields=declared, known=known_values,
                      declared_themes=declared_themes)


def _theme_problems(doc: Any, file: str, topic_themes: Mapping[str, tuple[str, ...]],
                    intentions: Mapping[str, Mapping[str, tuple[str, ...]]],
                    declared: tuple[str, ...]) -> list[Problem]:
    """A misspelt theme matches nothing, silently: refuse it.

    With a `themes:` section, every theme named must be one of it. Without one, a theme
    named only once in the whole vocabulary, and close to another theme, is taken for a
    typo of that theme (a theme served by one code only can never be shared).
    """
    places: list[tuple[tuple[str | int, ...], str]] = []
    for topic, themes in topic_themes.items():
        places += [(("vocabulary", "topics", topic, "themes", i), t)
                   for i, t in enumerate(themes)]
    for role in ROLES:
        for code, themes in intentions.get(role, {}).items():
            if themes == (code,):
                continue  # no themes declared: the code is its own theme
            places += [(("vocabulary", "intentions", role, code, "themes", i), t)
                       for i, t in enumerate(themes)]
    counts: dict[str, int] = {}
    for _, theme in places:
        counts[theme] = counts.get(theme, 0) + 1
    out: list[Problem] = []
    line_of = {theme: doc.line(path) for path, theme in reversed(places)}
    told: set[frozenset[str]] = set()
    for path, theme in places:
        if declared:
            if theme not in declared:
                out.append(Problem(file, f"line {doc.line(path)}",
                                   f"unknown theme {theme!r}; themes are declared under "
                                   "'themes:' in vocabulary.yaml: add it there or correct it",
                                   closest(theme, declared)))
            continue
        if counts[theme] == 1:
            near = closest(theme, [t for t in counts if t != theme])
            if near is not None and counts[near] == 1:
                if frozenset((theme, near)) not in told:
                    told.add(frozenset((theme, near)))
                    out.append(Problem(file, f"line {doc.line(path)}",
                                       f"themes {theme!r} and {near!r} (line {line_of[near]}) "
                                       "are each named only once, so neither can be shared; "
                                       "one is probably a typo of the other: write both the "
                                       "same way"))
            elif near is not None:
                out.append(Problem(file, f"line {doc.line(path)}",
                                   f"theme {theme!r} is named only here, so nothing can share "
                                   "it; correct it, or declare every theme under 'themes:' to "
                                   "keep it", near))
    return out


def _declared_fields(raw: Any, doc: Any, file: str, problems: list[Problem]
                     ) -> dict[str, DeclaredField]:
    """The `fields:` section: name -> {type: text|list|flag|number, values: [...]}."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(Problem(file, f"line {doc.line(('fields',))}",
                                "expected a mapping of field name: {type: ..., values: [...]}"))
        return {}
    out: dict[str, DeclaredField] = {}
    for name, spec in raw.items():
        where = f"line {doc.line(('fields', name))}"
        if name in BUILT_IN_FIELDS or str(name).startswith(("protected", "my_job_day")):
            what = ("protected data is kept for fairness monitoring only"
                    if str(name).startswith("protected") else "it is a built-in field")
            problems.append(Problem(file, where, f"field {name!r} cannot be declared: {what}; "
                                                 "choose another name"))
            continue
        if not isinstance(name, str) or not _FIELD_NAME.match(name):
            problems.append(Problem(file, where, f"field name {name!r} must be lower-case "
                                                 "letters, digits and '_', starting with a "
                                                 "letter (at most 40)"))
            continue
        if not isinstance(spec, dict) or spec.get("type") not in FIELD_TYPES:
            problems.append(Problem(file, where, f"field {name!r} needs a type: one of "
                                                 f"{', '.join(FIELD_TYPES)}"))
            continue
        unknown = sorted(str(k) for k in spec if k not in ("type", "values", "description"))
        if unknown:
            problems.append(Problem(file, where, f"field {name!r}: unknown key {unknown[0]!r}; "
                                                 "expected type, values, description"))
            continue
        values = spec.get("values")
        if values is not None and (spec["type"] not in ("text", "list") or not isinstance(
                values, list) or not values or not all(
                    isinstance(v, str) and v for v in values) or len(set(values)) != len(
                        values)):
            problems.append(Problem(file, where, f"field {name!r}: values must be a list of "
                                                 "distinct non-empty texts, and only a text or "
                                                 "list field takes values"))
            continue
        out[name] = DeclaredField(name, spec["type"],
                                  tuple(values) if values is not None else None)
    return out
