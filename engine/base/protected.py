"""Protected data (gender, birth year, ...) kept out of everything that is chained or shown.

In: any JSON-like value. Out: a copy without any ``protected`` key, nor a dotted key naming
one (``protected.gender``). Plain data, no I/O: the log, the explanations and the exports
all strip with this one function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PROTECTED = "protected"

_SCALARS = frozenset({str, int, float, bool, type(None)})


def _names_protected(key: Any) -> bool:
    text = str(key)
    return PROTECTED in text and PROTECTED in text.split(".")


def strip_protected(value: Any) -> Any:
    """A copy of ``value`` without any ``protected`` key, nor a dotted key naming one."""
    if type(value) in _SCALARS:  # most values: nothing to look into
        return value
    if isinstance(value, dict | Mapping):
        return {k: strip_protected(v) for k, v in value.items() if not _names_protected(k)}
    if isinstance(value, list | tuple):
        return [strip_protected(v) for v in value]
    return value
