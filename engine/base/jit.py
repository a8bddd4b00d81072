"""numba's compiler, for the few inner loops Tandem compiles (engine.pairing.kernels and
engine.evaluation.compiled).

In: a plain Python function over numbers and arrays. Out: the same function compiled. The
compiled code is kept on disk (beside the module, or in the user's cache when that folder
is read-only) so that later runs load it; where no folder can keep it, each run compiles
anew, silently. numba is imported by the first call, never when Tandem starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def compiled(function: F) -> F:
    """``function`` compiled by numba (no Python objects inside, the GIL released)."""
    import warnings

    import numba
    from numba.core.errors import NumbaWarning

    warnings.filterwarnings("ignore", category=NumbaWarning)
    try:
        done: Any = numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        done = numba.njit(nogil=True)(function)
    found: F = done
    return found
