"""'Did you mean' suggestions for misspelt names and values."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: object, choices: Iterable[object]) -> str | None:
    """The closest choice to ``word``, or None when nothing is close enough."""
    if not isinstance(word, str):
        return None
    options = [str(c) for c in choices]
    lowered = {o.lower(): o for o in options}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return lowered[word.lower()]
    found = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return found[0] if found else None
