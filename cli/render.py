"""Rendering for people (rich) and for tools (JSON)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from rich.console import Console

from engine.errors import Problem


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, soft_wrap=True, highlight=False, emoji=False)


def print_json(value: Any, compact: bool = False) -> None:
    """JSON on stdout: indented for reading, or compact (and much faster) for large output."""
    indent = None if compact else 2
    sys.stdout.write(json.dumps(value, indent=indent, ensure_ascii=False, default=str) + "\n")


def print_problems(problems: Iterable[Problem]) -> None:
    err = console(stderr=True)
    for problem in problems:
        style = "red" if problem.severity == "error" else "yellow"
        err.print(problem.render(), style=style, markup=False)
