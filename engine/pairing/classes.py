"""Classes of people: the mentors (and the mentees) whom no rule can tell apart.

In: a PairSpace. Out: the class of each mentor and of each mentee, a representative of
each class, and the pair code of every (mentor class, mentee class).

Two mentors are in one class when every component of the pair code reads the same value
for them whatever the mentee: the same class in every block of the features, the same
theme sets where overlaps are counted pair by pair, the same numbers where differences are
bucketed pair by pair. The components that list a few pairs (a manager link, a couple's
past) are the exception: each person named in one becomes a class of their own, a
*singleton*. Then every pair of a (mentor class, mentee class) has the same code, and the
whole cohort is described by the classes, with no matrix of people by people.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.evaluation.explain import Candidates
from engine.evaluation.features import CHUNK_CELLS, PairSpace
from engine.evaluation.scoring import OutcomeTable
from engine.pairing.kernels import Counts, candidates, unseen
from engine.rules.ruleset import Rule, Settings

IntArray = npt.NDArray[np.int64]
SWEEP_CELLS = 1 << 20  # class pairs per chunk of a pricing sweep (engine.pairing.transport)


@dataclass(frozen=True)
class Classes:
    """The classes of one side of a PairSpace."""

    of: IntArray  # the class of each row
    first: IntArray  # the first row of each class (its representative)
    size: IntArray  # the members of each class

    def __len__(self) -> int:
        return len(self.first)

    def members(self) -> list[IntArray]:
        """The rows of each class, in row order."""
        order = np.argsort(self.of, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(self.size)])
        return [order[bounds[c]:bounds[c + 1]] for c in range(len(self))]


def _group(columns: Sequence[IntArray], n: int) -> Classes:
    """Rows equal in every column form a class; classes are numbered by their first row."""
    if n == 0:
        empty = np.zeros(0, np.int64)
        return Classes(empty, empty, empty)
    stacked = np.column_stack([np.asarray(c, np.int64).reshape(n, -1) for c in columns]) if (
        columns) else np.zeros((n, 1), np.int64)
    _, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    # Renumber by first row, so that class numbers follow the (sorted) rows.
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(first), np.int64)
    rank[order] = np.arange(len(first))
    of = rank[inverse.reshape(-1)]
    return Classes(of, first[order].astype(np.int64),
                   np.bincount(of, minlength=len(first)).astype(np.int64))


def _value_ids(values: npt.NDArray[np.float64]) -> IntArray:
    """Equal numbers (and missing ones, NaN) get one id."""
    return np.unique(values, return_inverse=True, equal_nan=True)[1].reshape(-1).astype(np.int64)


def singletons(space: PairSpace) -> tuple[IntArray, IntArray]:
    """The mentor rows and mentee rows named by a pair-listed component of the code."""
    width = max(1, len(space.mentees))
    mentors = [s.mentors for s in space.sparse] + [p.keys // width for p in space.past]
    mentees = [s.mentees for s in space.sparse] + [p.keys % width for p in space.past]
    return (np.unique(np.concatenate([np.zeros(0, np.int64), *mentors])).astype(np.int64),
            np.unique(np.concatenate([np.zeros(0, np.int64), *mentees])).astype(np.int64))


def classes_of(space: PairSpace, alone: tuple[Sequence[int], Sequence[int]] = ((), ())
               ) -> tuple[Classes, Classes]:
    """The mentor classes and the mentee classes of ``space``.

    ``alone`` names more mentor and mentee rows to keep as classes of their own.
    """
    n_m, n_e = len(space.mentors), len(space.mentees)
    single_m, single_e = singletons(space)
    sides = []
    for n, single, extra, side in ((n_m, single_m, alone[0], 0), (n_e, single_e, alone[1], 1)):
        columns: list[IntArray] = [b.u if side == 0 else b.v for b in space.blocks]
        columns += [(d.left if side == 0 else d.right).view(np.int64) for d in space.dense]
        columns += [_value_ids(d.left if side == 0 else d.right) for d in space.differences]
        own = np.zeros(n, np.int64)
        rows = np.concatenate([single, np.asarray(extra, np.int64)]).astype(np.int64)
        own[rows] = rows + 1
        sides.append(_group([*columns, own], n))
    return sides[0], sides[1]


def class_codes(space: PairSpace, mentors: Classes, mentees: Classes,
                rows: slice | None = None) -> IntArray:
    """The pair code of each (mentor class, mentee class) of the given mentor classes."""
    reps = mentors.first if rows is None else mentors.first[rows]
    return space.codes(reps, mentees.first)


def class_chunks(n_rows: int, n_cols: int, cells: int = CHUNK_CELLS) -> list[slice]:
    """Row ranges of a classes x classes table that keep each chunk to about ``cells``."""
    step = max(1, cells // max(1, n_cols))
    return [slice(s, min(s + step, n_rows)) for s in range(0, n_rows, step)]


def candidates_by_class(rows: Sequence[int], is_mentor: bool, space: PairSpace,
                        table: OutcomeTable, rules: Sequence[Rule], settings: Settings,
                        mentors: Classes, mentees: Classes, threads: int = 1
                        ) -> list[Candidates]:
    """engine.evaluation.explain.candidates read from the classes: the same counts, each
    partner class counted once with its size, the best partner the first row among the
    best-scoring classes. ``threads``: chunks of classes counted at once (the counts do not
    depend on it)."""
    if not rows:
        return []
    own, other = (mentors, mentees) if is_mentor else (mentees, mentors)
    n_partners = int(other.size.sum())
    if n_partners == 0:
        return [Candidates(0, 0, 0, {}, None, None) for _ in rows]
    wanted = np.unique(own.of[np.asarray(rows, np.int64)])
    exclude_rules = [i for i, r in enumerate(rules) if r.effect == "exclude"]
    by_id = sorted(enumerate(exclude_rules), key=lambda x: rules[x[1]].id)  # (column, rule)
    lock = threading.Lock()

    def count(chunk: slice) -> tuple[IntArray, Counts]:
        """The counts of the classes ``wanted[chunk]`` (safe in threads)."""
        classes = wanted[chunk]
        # Partners x people for a mentee: the pair codes read mentor first.
        codes = (space.codes(own.first[classes], other.first) if is_mentor else
                 space.codes(other.first, own.first[classes]))
        # The codes are read through the table's list of ids when every one is known (the
        # assignment's sweeps met them all): no array of ids is built.
        listed = table.ids_by_code()
        known = listed is not None and not unseen(codes, listed)
        with lock:  # learning changes the table; the arrays read cover every id met
            position = codes if known else table.resolve(codes)
            fired = table.fired_matrix()
            points, eligible = table.scores, table.eligible_ids
            excluded = table.excluded_ids
        return classes, candidates(position, not is_mentor, eligible,
                                   ~excluded & (points < settings.min_score),
                                   fired[:, exclude_rules], points, other.size, other.first,
                                   listed if known else None)

    chunks = class_chunks(len(wanted), len(other))
    workers = min(threads, len(chunks))
    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            counted = list(pool.map(count, chunks))
    else:
        counted = [count(chunk) for chunk in chunks]
    found: dict[int, Candidates] = {}
    for classes, counts in counted:
        for k, cls in enumerate(classes.tolist()):
            has = bool(counts.eligible[k])
            found[cls] = Candidates(
                n_partners, int(counts.eligible[k]), int(counts.below[k]),
                {rules[i].id: int(counts.per_rule[k, n]) for n, i in by_id
                 if counts.per_rule[k, n]},
                int(counts.best[k]) if has else None,
                int(counts.best_first[k]) if has else None)
    return [found[int(own.of[r])] for r in rows]
