"""Rendering for people (rich) and for tools (JSON)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.text import Text

from engine.base.errors import Problem
from engine.base.spreadsheet import escape_controls


def safe(value: object) -> str:
    """User data as printable text: every control character (C0, C1: ESC starts ANSI and OSC
    8 sequences) and bidi mark shown as an escape (\\x1b), by the one neutraliser
    (`engine.base.spreadsheet`)."""
    return escape_controls(str(value))


def safe_lines(value: object) -> str:
    """Like safe, but line breaks of a multi-line text stay line breaks."""
    return "\n".join(safe(line) for line in str(value).split("\n"))


def cell(value: object) -> Text:
    """A table cell holding user data: plain text, never rich markup, never raw controls."""
    return Text(safe(value))


def lines_cell(parts: Iterable[object]) -> Text:
    """A table cell of several values, one a line, each made safe."""
    return Text("\n".join(safe(part) for part in parts))


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, soft_wrap=True, highlight=False, emoji=False, markup=False)


# JSON escapes C0 controls itself; these it leaves raw, although a terminal acts on them.
_JSON_RAW = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def print_json(value: Any, compact: bool = False) -> None:
    """JSON on stdout: indented for reading, or compact (and much faster) for large output.

    Characters a terminal would act on are written as \\u escapes: the same JSON value."""
    indent = None if compact else 2
    text = json.dumps(value, indent=indent, ensure_ascii=False, default=str)
    if not text.isascii() or "\x7f" in text:  # else nothing to escape: no pass over it
        text = _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    sys.stdout.write(text + "\n")


def json_item(value: Any) -> str:
    """One item of a JSON array as `print_json` indents it (two spaces in), for writing a
    long array item by item."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    text = _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return "\n".join("  " + line for line in text.split("\n"))


def print_problems(problems: Iterable[Problem]) -> None:
    err = console(stderr=True)
    for problem in problems:
        style = "red" if problem.severity == "error" else "yellow"
        err.print(safe(problem.render()), style=style, markup=False)
