"""A first mapping for an HR export, written from its header and its values.

In: a `Table` and the vocabulary. Out: the text of a mapping.yaml the admin reviews and
edits: each column matched to the closest profile field (through a few common HR names,
then `engine.base.suggest.closest`), the columns nothing matched listed under ``ignore``,
the date formats that read every date cell, and a value map for each value the vocabulary
does not recognise as it stands, with the closest value or a TODO.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from engine.base.suggest import closest
from engine.profiles.mapping import BUILT_IN, allowed_values, field_kind, normal
from engine.profiles.table import Table
from engine.rules.vocabulary import Vocabulary

# Names HR systems give to the profile fields (compared after `normal`).
SYNONYMS = {
    "employee id": "id", "employee number": "id", "matricule": "id", "person id": "id",
    "staff id": "id", "full name": "name", "employee name": "name", "nom": "name",
    "e-mail": "email", "mail": "email", "email address": "email", "work email": "email",
    "programme role": "role", "program role": "role", "tandem role": "role",
    "style": "learning_style", "learner profile": "learning_style",
    "job family": "job_family", "profession": "job_family", "business line": "job_family",
    "entity": "subsidiary", "company": "subsidiary", "legal entity": "subsidiary",
    "hire date": "hire_date", "start date": "hire_date", "date of hire": "hire_date",
    "seniority date": "hire_date", "manager": "manager_id", "manager id": "manager_id",
    "line manager id": "manager_id", "goals": "intentions", "expectations": "intentions",
    "interests": "topics", "digital topics": "topics", "max mentees": "capacity",
    "gender": "protected.gender", "sex": "protected.gender",
    "birth year": "protected.birth_year", "year of birth": "protected.birth_year",
}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d",
                "%d/%m/%y")


def _field_for(column: str, vocabulary: Vocabulary, taken: set[str]) -> str | None:
    key = normal(column)
    if key in SYNONYMS:
        return SYNONYMS[key] if SYNONYMS[key] not in taken else None
    fields = [f for f in (*BUILT_IN, *vocabulary.fields) if f not in taken]
    return closest(re.sub(r"[\s-]+", "_", key), fields)


def _date_formats(cells: list[str]) -> list[str]:
    """The fewest formats, in DATE_FORMATS order, that read every cell that any reads."""
    chosen: list[str] = []
    left = list(cells)
    for fmt in DATE_FORMATS:
        read = [c for c in left if _reads(c, fmt)]
        if read:
            chosen.append(fmt)
            left = [c for c in left if c not in read]
    return chosen or ["%Y-%m-%d"]


def _separator(cells: list[str]) -> str:
    """The separator of a list column: the most used of ';', ',', '|' and '/'."""
    counts = {sep: sum(cell.count(sep) for cell in cells) for sep in (";", ",", "|", "/")}
    best = max(counts, key=lambda sep: (counts[sep], sep == ";"))
    return best if counts[best] else ";"


def _reads(cell: str, fmt: str) -> bool:
    try:
        datetime.strptime(cell, fmt)
    except ValueError:
        return False
    return True


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def suggest_mapping(table: Table, vocabulary: Vocabulary) -> str:
    """The text of a first mapping.yaml for ``table``."""
    columns: dict[str, str] = {}
    taken: set[str] = set()
    for column in table.header:
        target = _field_for(column, vocabulary, taken)
        if target is not None:
            columns[column] = target
            taken.add(target)
    ignored = [c for c in table.header if c not in columns]
    lines = [f"# A first mapping for {table.file}, written by `tandem import --suggest`.",
             "# Review every line: each column is matched to the closest profile field.",
             "# `tandem import FILE --map THIS_FILE` reports every change it makes.",
             "columns:"]
    lines += [f"  {_q(c)}: {_q(t)}" for c, t in columns.items()]
    lines += ["ignore:" if ignored else "ignore: []"]
    lines += [f"  - {_q(c)}  # matched no profile field" for c in ignored]
    separators = {target: _separator([row.cells[c] for row in table.rows if c in row.cells])
                  for c, target in columns.items() if field_kind(target, vocabulary) == "list"}
    values: list[str] = []
    for column, target in columns.items():
        kind = field_kind(target, vocabulary)
        allowed = (vocabulary.intention_codes() if target == "intentions"
                   else allowed_values(target, vocabulary))
        if allowed is None or kind not in ("text", "list"):
            continue
        seen: dict[str, str] = {}
        for row in table.rows:
            cell = row.cells.get(column)
            parts = cell.split(separators[target]) if cell and kind == "list" else [cell or ""]
            for part in parts:
                part = part.strip()
                slugged = re.sub(r"[\s_]+", "-", normal(part))
                if part and slugged not in {re.sub(r"[\s_]+", "-", normal(a)) for a in allowed}:
                    seen.setdefault(normal(part), part)
        if seen:
            values.append(f"  {_q(target)}:")
            for part in seen.values():
                guess = closest(part, allowed)
                values.append(f"    {_q(part)}: {_q(guess)}" if guess else
                              f"    {_q(part)}: \"\"  # TODO: one of {', '.join(allowed)}")
    lines += ["values:" if values else "values: {}", *values]
    date_columns = [c for c, t in columns.items() if field_kind(t, vocabulary) == "date"]
    cells = [row.cells[c] for c in date_columns for row in table.rows if c in row.cells]
    lines += ["dates:", *[f"  - {_q(f)}" for f in _date_formats(cells)]]
    lines += ["lists:", *[f"  {_q(t)}: {_q(sep)}" for t, sep in separators.items()]] \
        if separators else [f"lists: {_q(';')}"]
    return "\n".join(lines) + "\n"
