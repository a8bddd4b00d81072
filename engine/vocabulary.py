"""The program's vocabulary: allowed values and the themes each intention serves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import InvalidInput, Problem
from engine.yamlio import load

VOCABULARY_FILE = "vocabulary.yaml"
ROLES = ("mentor", "mentee")
# Why a couple was separated, when vocabulary.yaml has no `separation_categories` section.
SEPARATION_CATEGORIES = ("mismatch", "availability", "left-company", "conflict", "completed",
                         "other")


@dataclass(frozen=True, eq=False)  # compared and cached by identity
class Vocabulary:
    learning_styles: tuple[str, ...]
    job_families: tuple[str, ...]
    topics: tuple[str, ...]
    intentions: Mapping[str, Mapping[str, tuple[str, ...]]]  # role -> code -> themes
    separation_categories: tuple[str, ...] = SEPARATION_CATEGORIES

    def intention_codes(self, role: str | None = None) -> tuple[str, ...]:
        roles = (role,) if role else ROLES
        return tuple(code for r in roles for code in self.intentions.get(r, {}))

    def themes(self, field: str, role: str, value: str) -> tuple[str, ...]:
        """The themes a list value serves; a value without declared themes is its own theme."""
        if field == "intentions":
            return self.intentions.get(role, {}).get(value, (value,))
        return (value,)

    def values_of(self, field: str, role: str | None = None) -> tuple[str, ...] | None:
        """The closed set of values a field takes, or None for free text."""
        return {
            "learning_style": self.learning_styles,
            "job_family": self.job_families,
            "topics": self.topics,
            "intentions": self.intention_codes(role),
            "role": ROLES,
            "separation_category": self.separation_categories,
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
    known = {"learning_styles", "job_families", "topics", "intentions",
             "separation_categories"}
    for key in root:
        if key not in known:
            problems.append(Problem(file, f"line {doc.line(('vocabulary', key))}",
                                    f"unknown section {key!r}; expected one of {sorted(known)}"))
    sections = {}
    for key in ("learning_styles", "job_families", "topics", "separation_categories"):
        sections[key] = _names(root.get(key, {}), file,
                               f"line {doc.line(('vocabulary', key))}", problems)
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
    if problems:
        raise InvalidInput(problems, "rules")
    return Vocabulary(sections["learning_styles"], sections["job_families"], sections["topics"],
                      intentions,
                      sections["separation_categories"] or SEPARATION_CATEGORIES)
