"""'Did you mean' suggestions for misspelt names and values."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_LEADING_ZEROS = re.compile(r"(?<!\d)0+(?=\d)")


def _unpadded(word: str) -> str:
    """``E007`` and ``E7`` read alike: numbers without their leading zeros, in lower case."""
    return _LEADING_ZEROS.sub("", word.lower())


def closest(word: object, choices: Iterable[object]) -> str | None:
    """The closest choice to ``word``, or None when nothing is close enough."""
    if not isinstance(word, str):
        return None
    options = [str(c) for c in choices]
    lowered = {o.lower(): o for o in options}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return lowered[word.lower()]
    unpadded = [o for o in options if _unpadded(o) == _unpadded(word) and o != word]
    if len(unpadded) == 1:
        return unpadded[0]
    found = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return found[0] if found else None
