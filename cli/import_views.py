"""What `tandem import` prints, on standard error (standard output may carry the cohort)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cli.render import console, print_problems, safe

if TYPE_CHECKING:
    from engine.profiles.importing import Import
    from engine.profiles.questionnaire import Styles


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def show_import(done: Import, fmt: str, out: Path | None, skip_invalid: bool) -> bool:
    """Print the changes and the problems; True when the cohort may be written."""
    skipped = set(done.skipped_rows)
    blocking = [p for p in done.problems if not skip_invalid or _row(p.path) not in skipped]
    writes = not blocking
    if fmt == "json":
        sys.stderr.write(json.dumps({
            "written": writes, "participants": done.participants if writes else 0,
            "changes": [c.as_dict() for c in done.changes],
            "errors": [p.as_dict() for p in done.problems],
            "warnings": [p.as_dict() for p in done.warnings],
            "skipped_rows": done.skipped_rows}, ensure_ascii=False, indent=2) + "\n")
        return writes
    err = console(stderr=True)
    if done.changes:  # one write: tens of thousands of lines print in a blink
        sys.stderr.write("".join(safe(f"row {c.row}, column {c.column!r}: {c.before!r} -> "
                                      f"{c.after!r}") + "\n" for c in done.changes))
        sys.stderr.flush()
    print_problems([*done.problems, *done.warnings])
    if not writes:
        err.print(f"{_plural(len(blocking), 'value')} could not be mapped or validated; "
                  "nothing was written. Fix the file or the mapping, or give --skip-invalid "
                  "to leave those rows out.", style="red", markup=False)
        return False
    where = f" to {out}" if out else ""
    rows = ", ".join(map(str, sorted(skipped)))
    left_out = f"; {_plural(len(skipped), 'row')} left out ({rows})" if skipped else ""
    err.print(safe(f"Imported {_plural(done.participants, 'participant')}{where} with "
                   f"{_plural(len(done.changes), 'change')}{left_out}."), markup=False)
    return True


def _row(path: str) -> int:
    import re

    found = re.match(r"row (\d+)", path)
    return int(found.group(1)) if found else 0


def show_styles(styles: Styles, fmt: str) -> None:
    """The learning style each answer sheet gives, with its evidence, or why none."""
    if fmt == "json":
        sys.stderr.write(json.dumps(styles.as_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    err = console(stderr=True)
    for person in styles.people:
        err.print(safe(f"{person.id}: {person.explain()}"), markup=False)
    print_problems(styles.problems)
    derived = sum(1 for p in styles.people if p.style)
    err.print(safe(f"{_plural(derived, 'learning style')} derived from "
                   f"{_plural(len(styles.people), 'answer sheet')} ({styles.digest})."),
              markup=False)
