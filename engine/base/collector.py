"""CPython's cyclic garbage collector, set for large batch work.

In: a step that builds large structures that live to its end (a cohort's profiles, the
pair features, the pairs and their explanations) and makes almost no reference cycles. Out:
the same step, with the collector rarely awake while it runs. By default the collector wakes
every 700 new objects and, now and then, walks every live object: pairing 10,000 x 10,000
spent about half a second of five in it (measured), for no garbage to speak of. Reference
counting still frees everything that is not part of a cycle, and cycles are still collected,
every million new objects. mypy sets its collector the same way, for the same reason.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BATCH_THRESHOLD = 1_000_000  # new objects between two collections, in batch work


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the block with the collector woken every BATCH_THRESHOLD new objects (never
    more often than before); the thresholds are restored afterwards, error or not."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], BATCH_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
