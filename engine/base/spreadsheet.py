"""Cells that a spreadsheet shows as text and never runs as a formula.

In: the text of one CSV cell. Out: the same text, with a leading ' when the spreadsheet
would read it as a formula. One rule for every CSV Tandem writes (`pair --format csv`,
`audit export --format csv`) and for the cells of the workbook (`audit export --format
xlsx`).
"""

from __future__ import annotations

import re

# A cell starting with one of these is a formula (or becomes one) in a spreadsheet; a line
# break or a tab first hides what follows from the eye, and some programs skip them.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# A plain number, negative or in exponent form, is data: it stays a number.
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will show as text, never run: a leading ' before a formula
    character. Plain numbers, negative ones included, stay as they are."""
    if cell.startswith(FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell
