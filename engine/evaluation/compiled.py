"""The sum of the block tables over a large table of pairs, compiled by numba.

In: the block tables of a PairSpace (engine.evaluation.features), each mentor row's and
each mentee row's index into each. Out: the blocks' part of every pair code, the same
numbers as the numpy gathers of `PairSpace.codes`, in one pass instead of two gathers and
an addition per block. Used for large tables only (the class path's sweeps), where the
compile is paid back; numba is imported on the first call.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.base.jit import compiled

IntArray = npt.NDArray[np.int64]
# The compiled sum is used from this many pairs in a call, in a cohort of at least
# COMPILED_PAIRS pairs (about 4,000 x 4,000: below, importing and loading the compiled code,
# about 0.7 s, costs more than it saves).
COMPILED_CELLS = 1 << 18
COMPILED_PAIRS = 1 << 24


@cache
def _kernel() -> Any:
    @compiled
    def block_codes(flat: Any, offsets: Any, widths: Any, us: Any, vs: Any, out: Any
                    ) -> None:
        n_rows, n_blocks = us.shape
        n_cols = vs.shape[0]
        base = np.empty(n_blocks, np.int64)
        for i in range(n_rows):
            for k in range(n_blocks):
                base[k] = offsets[k] + us[i, k] * widths[k]
            for j in range(n_cols):
                total = out[i, j]
                for k in range(n_blocks):
                    total += flat[base[k] + vs[j, k]]
                out[i, j] = total

    return block_codes


def add_block_codes(out: npt.NDArray[np.signedinteger[Any]], tables: Sequence[IntArray],
                    us: Sequence[IntArray], vs: Sequence[IntArray]) -> None:
    """out[i, j] += sum over blocks k of tables[k][us[k][i], vs[k][j]]."""
    flat = np.concatenate([t.ravel() for t in tables]).astype(out.dtype)
    sizes = np.array([t.size for t in tables], np.int64)
    offsets = np.cumsum(sizes) - sizes
    widths = np.array([t.shape[1] for t in tables], np.int64)
    _kernel()(flat, offsets, widths, np.ascontiguousarray(np.stack(us, axis=1), np.int64),
              np.ascontiguousarray(np.stack(vs, axis=1), np.int64), out)
