"""numba's compiler, for the few inner loops Tandem compiles (engine.pairing.kernels and
engine.evaluation.compiled).

In: a plain Python function over numbers and arrays. Out: the same function compiled. The
compiled code is kept on disk (beside the module, or in the user's cache when that folder
is read-only) so that later runs load it; where no folder can keep it, each run compiles
anew, silently. numba is imported by the first call, never when Tandem starts.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
_LOADING = threading.Lock()


def _numba() -> ModuleType:
    """numba, imported once (threads may ask at the same time).

    Loading its array functions, numba checks for a BLAS by importing scipy.linalg, which
    costs a tenth of a second and is not needed: no compiled loop of Tandem calls linear
    algebra. So that module is held back while numba looks (numba then leaves its own
    linear algebra off), and put back at once for everything else.
    """
    with _LOADING:
        if "numba.np.arraymath" not in sys.modules:
            held = "scipy.linalg" not in sys.modules
            if held:
                sys.modules["scipy.linalg"] = None  # type: ignore[assignment]
            try:
                import numba.np.arraymath
            finally:
                if held and sys.modules.get("scipy.linalg", False) is None:
                    del sys.modules["scipy.linalg"]
        import numba
        return numba


def compiled(function: F) -> F:
    """``function`` compiled by numba (no Python objects inside, the GIL released)."""
    import warnings

    numba = _numba()
    from numba.core.errors import NumbaWarning

    warnings.filterwarnings("ignore", category=NumbaWarning)
    try:
        done: Any = numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        done = numba.njit(nogil=True)(function)
    found: F = done
    return found
