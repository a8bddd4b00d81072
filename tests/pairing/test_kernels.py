"""The class path's compiled inner loops do what their plain statement says.

engine.pairing.kernels holds the pricing of a chunk of class pairs and a queue-based
Bellman-Ford (the certificate's prices). Each is checked here against a plain numpy (or
scipy) statement of what it computes, on random data with many ties.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import NegativeCycleError, bellman_ford

from engine.pairing.kernels import UNSEEN, ColumnTops, distances, levels_of, price_chunk, unseen

INFINITY = 1 << 62


def top_values(values: list[int], k: int) -> list[int]:
    return sorted(values, reverse=True)[:k]


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 9), st.integers(1, 12), st.integers(1, 4),
       st.integers(0, 3), st.integers(1, 3), st.sampled_from([0, 1, 6]))
def test_the_compiled_pricing_keeps_the_pairs_it_promises(
        seed: int, n_rows: int, n_b: int, n_offsets: int, per_row: int, per_col: int,
        near: int) -> None:
    """Stated with numpy, pair by pair: what each row returns and what each column keeps."""
    rng = np.random.default_rng(seed)
    weight = rng.choice([0, 5, 10, 15], size=(n_rows, n_b)).astype(np.int64)
    u_rows = rng.integers(0, 8, n_rows).astype(np.int64)
    v = rng.integers(0, 8, n_b).astype(np.int64)
    row_open, col_open = rng.random(n_rows) < 0.8, rng.random(n_b) < 0.8
    offsets = rng.integers(0, n_b, n_offsets).astype(np.int64)
    columns = ColumnTops(per_col, n_b, near)
    keys, weights = price_chunk(weight, u_rows, v, row_open, col_open, 7, offsets, near,
                                per_row, columns)
    excess = weight - u_rows[:, None] - v[None, :]
    usable = (weight > 0) & row_open[:, None] & col_open[None, :]
    near_pair = usable & (excess > -near)
    rows, cols = keys // n_b - 7, keys % n_b
    # Every pair returned is a near pair, with its own weight.
    assert near_pair[rows, cols].all()
    assert weights.tolist() == weight[rows, cols].tolist()
    for i in range(n_rows):
        mine = sorted(set(cols[rows == i].tolist()))  # a column found twice is one pair
        # The row's per_row near pairs of largest excess are among those returned.
        best = top_values(excess[i, near_pair[i]].tolist(), per_row)
        assert top_values(excess[i, mine].tolist(), len(best)) == best
        # From each offset, the first column (wrapping round) reaching the row's largest
        # excess, when it is uncovered.
        uncovered = near_pair[i] & (excess[i] > 0)
        if uncovered.any():
            row_max = excess[i][uncovered].max()
            for offset in offsets:
                order = np.r_[np.arange(offset, n_b), np.arange(0, offset)]
                hits = [j for j in order if uncovered[j] and excess[i, j] == row_max]
                assert hits[0] in mine
        else:
            assert len(mine) <= per_row
    # Each column keeps its per_col near pairs of largest excess, and they are real.
    kept_keys, kept_weights = columns.found()
    kept_rows, kept_cols = kept_keys // n_b - 7, kept_keys % n_b
    assert near_pair[kept_rows, kept_cols].all()
    assert kept_weights.tolist() == weight[kept_rows, kept_cols].tolist()
    for j in range(n_b):
        # ... ties to the first rows: the same pairs however the rows are split.
        ranked = sorted((-excess[i, j], i) for i in range(n_rows) if near_pair[i, j])
        want = sorted(i for _, i in ranked[:per_col])
        assert sorted(kept_rows[kept_cols == j].tolist()) == want


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 12), st.integers(1, 8), st.integers(1, 3),
       st.integers(1, 4), st.sampled_from([1, 3, 6]))
def test_column_tops_of_split_rows_merge_into_those_of_one_pass(
        seed: int, n_rows: int, n_b: int, per_col: int, parts: int, near: int) -> None:
    rng = np.random.default_rng(seed)
    weight = rng.choice([0, 5, 10, 15], size=(n_rows, n_b)).astype(np.int64)
    u_rows = rng.integers(0, 8, n_rows).astype(np.int64)
    v = rng.integers(0, 8, n_b).astype(np.int64)
    opened = np.ones(n_rows, bool), np.ones(n_b, bool)
    offsets = np.array([0], np.int64)
    whole = ColumnTops(per_col, n_b, near)
    price_chunk(weight, u_rows, v, *opened, 0, offsets, near, 1, whole)
    cuts = sorted(set(rng.integers(1, n_rows, parts - 1).tolist()))
    tops = []
    for start, stop in zip([0, *cuts], [*cuts, n_rows], strict=True):
        tops.append(ColumnTops(per_col, n_b, near))
        price_chunk(weight[start:stop], u_rows[start:stop], v, opened[0][start:stop],
                    opened[1], start, offsets, near, 1, tops[-1])
    merged = ColumnTops.merged(tops)
    assert ([sorted(a.tolist()) for a in merged.found()]
            == [sorted(a.tolist()) for a in whole.found()])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 9), st.integers(1, 12))
def test_weights_read_through_a_table_price_the_same(seed: int, n_rows: int, n_b: int
                                                     ) -> None:
    rng = np.random.default_rng(seed)
    weight = rng.choice([0, 5, 10, 15], size=(n_rows, n_b)).astype(np.int64)
    u_rows = rng.integers(0, 8, n_rows).astype(np.int64)
    v = rng.integers(0, 8, n_b).astype(np.int64)
    opened = np.ones(n_rows, bool), np.ones(n_b, bool)
    offsets = np.array([0, n_b // 2], np.int64)
    plain, table = ColumnTops(2, n_b, 6), ColumnTops(2, n_b, 6)
    levels, index = np.unique(weight, return_inverse=True)
    got = price_chunk(weight, u_rows, v, *opened, 0, offsets, 6, 2, plain)
    via = price_chunk((index.reshape(weight.shape).astype(np.uint8), levels.astype(np.int64)),
                      u_rows, v, *opened, 0, offsets, 6, 2, table)
    assert [a.tolist() for a in got] == [a.tolist() for a in via]
    assert [a.tolist() for a in plain.found()] == [a.tolist() for a in table.found()]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 12), st.integers(0, 40))
def test_the_compiled_distances_are_the_shortest(seed: int, n_nodes: int, n_arcs: int
                                                 ) -> None:
    rng = np.random.default_rng(seed)
    pairs = {(int(a), int(b)) for a, b in rng.integers(0, n_nodes, (n_arcs, 2)) if a != b}
    tail = np.array([p[0] for p in pairs], np.int64)
    head = np.array([p[1] for p in pairs], np.int64)
    cost = rng.integers(-3, 10, len(pairs)).astype(np.int64)
    got = distances(n_nodes, tail, head, cost, 0, INFINITY)
    # An arc of cost 0 stays an arc: the matrix keeps explicit zeros.
    graph = csr_matrix((cost.astype(float), (tail, head)), shape=(n_nodes, n_nodes))
    try:
        want = bellman_ford(graph, directed=True, indices=0)
    except NegativeCycleError:
        want = None
    if want is None:
        # scipy finds any negative cycle; a cycle that the start does not reach leaves
        # the distances from the start well defined.
        if got is not None:
            reached = got < INFINITY
            assert not (reached[tail] & (got[tail] + cost < got[head])).any()
        return
    assert got is not None
    assert np.where(np.isinf(want), INFINITY, want).astype(np.int64).tolist() == got.tolist()


def test_a_negative_cycle_reached_from_the_start_gives_no_distances() -> None:
    tail, head = np.array([0, 1, 2]), np.array([1, 2, 1])
    assert distances(3, tail, head, np.array([1, -2, 1]), 0, INFINITY) is None
    assert distances(3, tail, head, np.array([1, -1, 1]), 0, INFINITY) is not None


@pytest.mark.parametrize("n_b", [1, 5])
def test_a_chunk_with_nothing_near_finds_nothing(n_b: int) -> None:
    columns = ColumnTops(2, n_b, 3)
    keys, _ = price_chunk(np.full((3, n_b), 5, np.int64), np.full(3, 5), np.full(n_b, 3),
                          np.ones(3, bool), np.ones(n_b, bool), 0, np.array([0]), 3, 2,
                          columns)
    assert len(keys) == 0 and len(columns.found()[0]) == 0


def test_a_code_without_an_outcome_or_an_index_is_marked_unseen_and_counted() -> None:
    codes = np.array([[0, 1], [2, 1]], np.int32)
    ids_by_code = np.array([1, 0, 2], np.intp)
    levels, missing = levels_of(codes, ids_by_code, np.array([4, 5, 6]))
    assert (levels.tolist(), missing) == ([[5, 4], [6, 4]], 0)
    levels, missing = levels_of(codes, ids_by_code, np.array([4, 5]))  # outcome 2: no index
    assert (levels.tolist(), missing) == ([[5, 4], [UNSEEN, 4]], 1)
    levels, missing = levels_of(codes, np.array([1, -1, 2], np.intp), np.array([4, 5, 6]))
    assert (levels.tolist(), missing) == ([[5, UNSEEN], [6, UNSEEN]], 2)


def test_the_kernels_compile_where_no_folder_can_keep_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only install with no writable cache: numba cannot keep the compiled code, and
    each run compiles it anew instead of failing."""
    import numba

    from engine.base import jit
    from engine.pairing import kernels

    real = numba.njit

    def no_cache(*args: object, **options: object) -> object:
        if options.get("cache"):
            def refuse(_: object) -> object:
                raise RuntimeError("cannot cache function 'f': no locator available for file")
            return refuse
        return real(*args, **options)

    monkeypatch.setattr(numba, "njit", no_cache)
    kernels._compiled.cache_clear()
    try:
        assert jit.compiled(lambda x: x + 1)(1) == 2
        got = distances(3, np.array([0, 1]), np.array([1, 2]), np.array([4, -1]), 0, INFINITY)
        assert got is not None and got.tolist() == [0, 4, 3]
    finally:
        kernels._compiled.cache_clear()


def test_unseen_counts_the_codes_with_no_outcome_yet() -> None:
    ids_by_code = np.array([1, -1, 0, -1], np.intp)
    assert unseen(np.array([[0, 2], [2, 0]], np.int32), ids_by_code) == 0
    assert unseen(np.array([[0, 1], [3, 1]], np.int64), ids_by_code) == 3
