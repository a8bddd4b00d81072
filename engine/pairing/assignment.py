"""The cohort-wide assignment: the best set of pairs under the objective and capacities.

Mentors are repeated once per unit of capacity and scipy's `linear_sum_assignment`
solves the rectangular problem. Every eligible pair gets a strictly positive weight and
every other pair weight 0; the solver's answer is then filtered through the eligibility
mask, so an excluded pair can never be formed, whatever its weight.

- participation: weight = C + (score - lowest score an eligible pair can have), with C
  larger than any possible difference in total score, so more pairs always win, then the
  higher total.
- score: weight = score x (K) + 1 for pairs scoring 0 or more, with K larger than the
  number of pairs, so the higher total always wins, then more pairs; a pair with a
  negative score would lower the total and is never formed.

The matrix is built on participants sorted by id, so the same cohort in any file order
gives the same pairs; among equally good pairings the solver's choice is deterministic.
Every mentor's first place comes before any mentor's second place, which tends to spread
mentees over more mentors when that costs nothing.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from engine.base import oplog
from engine.base.errors import TandemError
from engine.evaluation.features import CHUNK_CELLS, PairSpace
from engine.evaluation.scoring import OutcomeTable

if TYPE_CHECKING:
    from engine.pairing.classes import Classes

IntArray = npt.NDArray[np.int64]
Path_ = Literal["dense", "classes"]
Solver = Callable[[npt.NDArray[np.float64]], tuple[Any, Any]]


@cache
def solver() -> Solver:
    """scipy's `linear_sum_assignment`, loaded without the rest of scipy.optimize.

    `import scipy.optimize` costs about half a second, nearly all of it for parts Tandem
    does not use, and a user waits for it on every run. The solver is one compiled module
    of scipy (`scipy/optimize/_lsap`), the very one scipy.optimize re-exports: load it on
    its own, and fall back to the public import if it is not where it should be.
    """
    try:
        spec = importlib.util.find_spec("scipy")
        locations = list(spec.submodule_search_locations or []) if spec else []
        found = [p for base in locations for p in sorted((Path(base) / "optimize").glob(
            "_lsap.*")) if p.suffix in (".so", ".pyd")]
        name = "scipy.optimize._lsap"
        loader = importlib.machinery.ExtensionFileLoader(name, str(found[0]))
        module_spec = importlib.util.spec_from_file_location(name, str(found[0]),
                                                             loader=loader)
        assert module_spec is not None
        module = importlib.util.module_from_spec(module_spec)
        loader.exec_module(module)
        function: Solver = module.linear_sum_assignment
        return function
    except Exception:  # any surprise: the documented import
        from scipy.optimize import linear_sum_assignment

        public: Solver = linear_sum_assignment
        return public


@dataclass(frozen=True)
class Assignment:
    mentors: IntArray  # mentor row of each pair formed
    mentees: IntArray  # mentee row of each pair formed
    scores: IntArray
    path: Path_ = "dense"  # how it was solved: "dense" or "classes" (engine.pairing.paths)
    proved: bool | None = None  # classes: whether the duality certificate holds
    classes: tuple[Classes, Classes] | None = None  # classes: the mentor and mentee classes

    @property
    def total(self) -> int:
        return int(self.scores.sum())


def _weights(scores: IntArray, eligible: npt.NDArray[np.bool_], objective: str, low: int,
             big: float) -> npt.NDArray[np.float64]:
    if objective == "participation":
        weight = (scores - low).astype(np.float64) + big
        return np.where(eligible, weight, 0.0)
    weight = scores.astype(np.float64) * big + 1.0
    return np.where(eligible & (scores >= 0), weight, 0.0)


def assign(space: PairSpace, table: OutcomeTable, capacities: IntArray, objective: str,
           forced: tuple[int, int] | None = None) -> Assignment:
    """Solve the assignment for every available mentor and mentee of ``space``.

    The cost matrix is filled in one sweep over the pairs: each block of pair codes is
    resolved through ``table`` (which runs the rule engine on codes it has not seen) and
    turned into costs. ``forced`` (mentor row, mentee row) makes that eligible pair part
    of the answer, to measure what forcing it would cost the cohort.
    """
    n_mentors, n_mentees = len(space.mentors), len(space.mentees)
    empty = np.zeros(0, np.int64)
    if n_mentors == 0 or n_mentees == 0:
        return Assignment(empty, empty, empty)
    # Slot k < n_mentors is mentor k's first place; the places of mentors with a larger
    # capacity follow, so most of the matrix is written straight from the pair codes.
    slot_owner = np.concatenate([np.arange(n_mentors),
                                 np.repeat(np.arange(n_mentors), capacities - 1)])
    n_slots = len(slot_owner)
    most_pairs = min(n_slots, n_mentees)
    # Bounds from the rules, not from the cohort, so that costs are final as they are
    # written: C exceeds any difference in total score, K any difference in pair count.
    low, high = table.score_bounds()
    big = float((high - low) * most_pairs + 1) if objective == "participation" else float(
        most_pairs + 1)
    known = -1
    cost_of = np.zeros(0, np.float64)
    by_code = np.full(space.code_space if table.dense else 0, np.nan)

    def refresh() -> None:
        nonlocal known, cost_of
        if known != len(table.outcomes):
            known = len(table.outcomes)
            cost_of = np.negative(_weights(table.scores, table.eligible_ids, objective, low,
                                           big))
            if table.dense:
                by_code[np.asarray(table.codes, np.int64)] = cost_of

    def fill(out: npt.NDArray[np.float64], codes: npt.NDArray[np.integer]) -> None:
        """Write the cost of each pair code; codes never seen before go to the rule engine."""
        if not table.dense:
            ids = table.resolve(codes)
            refresh()
            out[...] = cost_of[ids]
            return
        out[...] = by_code[codes]
        unknown = np.isnan(out)
        if unknown.any():
            new = np.zeros(space.code_space, bool)  # a scatter beats sorting the codes
            new[codes[unknown]] = True
            table.learn(np.flatnonzero(new).tolist())
            refresh()
            out[...] = by_code[codes]

    # Rows are the shorter side, as the solver wants; the matrix is filled in chunks, and
    # a mentor's further places are copies of their first.
    slots_are_rows = n_slots <= n_mentees
    shape = (n_slots, n_mentees) if slots_are_rows else (n_mentees, n_slots)
    cost = np.empty(shape, np.float64)
    if slots_are_rows:
        for rows in space.chunks():
            fill(cost[rows], space.codes(rows, slice(None)))
        step = max(1, CHUNK_CELLS // max(1, n_mentees))
        for start in range(n_mentors, n_slots, step):
            extra = slice(start, min(start + step, n_slots))
            cost[extra] = cost[slot_owner[extra]]
    else:
        step = max(1, CHUNK_CELLS // max(1, n_mentors))
        for start in range(0, n_mentees, step):
            cols = slice(start, min(start + step, n_mentees))
            block = cost[cols]
            fill(block[:, :n_mentors], space.codes(slice(None), cols).T)
            block[:, n_mentors:] = block[:, slot_owner[n_mentors:]]
    if not table.eligible_ids.any():
        return Assignment(empty, empty, empty)
    if forced is not None:
        mentor, mentee = forced
        slots = np.flatnonzero(slot_owner == mentor)
        must = -((big + high - low) * most_pairs + 1.0)
        if slots_are_rows:
            keep = cost[slots, mentee].copy()
            cost[:, mentee] = 0.0
            cost[slots, mentee] = np.where(keep < 0, must, 0.0)
        else:
            keep = cost[mentee, slots].copy()
            cost[mentee, :] = 0.0
            cost[mentee, slots] = np.where(keep < 0, must, 0.0)
    rows_idx, cols_idx = solver()(cost)
    formed = cost[rows_idx, cols_idx] < 0
    rows_idx, cols_idx = rows_idx[formed], cols_idx[formed]
    del cost
    if slots_are_rows:
        mentors, mentees = slot_owner[rows_idx], cols_idx
    else:
        mentors, mentees = slot_owner[cols_idx], rows_idx
    order = np.lexsort((mentees, mentors))
    mentors, mentees = mentors[order].astype(np.int64), mentees[order].astype(np.int64)
    codes = space.pair_codes(mentors, mentees)
    eligible = table.eligible(codes)
    mentors, mentees, codes = mentors[eligible], mentees[eligible], codes[eligible]
    return Assignment(mentors, mentees, table.score(codes))


# -- the class path: no matrix of people by people --------------------------------------------
# Bytes a class pair costs while its chunk is swept (its code, outcome id, weight, excess and
# the sorting of the chunk), bytes an arc of the flow network costs (in the solver and in its
# certificate), the sweeps a run is expected to keep arcs from, all measured with some room;
# and the dense path's bytes per cell (the cost matrix, and the solver's own copy of it).
SWEEP_CELL_BYTES = 96
ARC_BYTES = 400
MAX_SWEEP_THREADS = 4  # the sweeps read memory: more threads wait on it
WEIGHT_CACHE_BYTES = 2 * 2**30
EXPECTED_SWEEPS = 4
DENSE_CELL_BYTES = 16
# The class path runs when the classes shrink the problem at least this many times (the
# flow solver costs more per arc than the dense solver per cell), when the dense matrix
# would take more than DENSE_BYTES (about 5,000 mentors x 5,000 mentees: past that, the
# priced class path is as fast and takes a fraction of the memory), or when it would not fit.
CLASS_GAIN = 8
DENSE_BYTES = 512 * 2**20


def int_weights(scores: IntArray, eligible: npt.NDArray[np.bool_], objective: str, low: int,
                big: int) -> IntArray:
    """`_weights` in whole numbers: 0 for a pair that may not be formed."""
    if objective == "participation":
        return np.where(eligible, scores - low + big, 0).astype(np.int64)
    return np.where(eligible & (scores >= 0), scores * big + 1, 0).astype(np.int64)


def available_memory() -> int:
    """Bytes this process may still take: MemAvailable, or TANDEM_MEMORY_LIMIT if set."""
    import os

    limit = os.environ.get("TANDEM_MEMORY_LIMIT")
    if limit:
        return int(float(limit))
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def sweep_threads() -> int:
    """Threads for the class path's pricing sweeps: TANDEM_THREADS if set, else the
    processors this process may use, at most MAX_SWEEP_THREADS."""
    import os

    setting = os.environ.get("TANDEM_THREADS")
    if setting:
        try:
            return max(1, int(setting))
        except ValueError:
            raise TandemError(f"TANDEM_THREADS={setting!r} is not a whole number; set it to "
                              "the number of threads (1: none) or unset it") from None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity on this platform
        usable = os.cpu_count() or 1
    return max(1, min(usable, MAX_SWEEP_THREADS))


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:,.1f} GB"


def refuse_if_too_big(what: str, needed: int, detail: str) -> None:
    """A clear refusal, up front, when a step would need more memory than there is."""
    free = available_memory()
    if needed > free:
        raise MemoryRefused(
            f"{what} needs about {_gb(needed)} of memory ({detail}), and about {_gb(free)} "
            "is available; pair the cohort in parts (one file per subsidiary or per "
            "department), or use rules that tell fewer kinds of people apart "
            "(TANDEM_MEMORY_LIMIT sets the limit in bytes)")


class MemoryRefused(TandemError):  # noqa: N818 - reads as what happened
    """A size that cannot fit in memory, refused before the work starts."""


def class_path_bytes(n_mentor_classes: int, n_mentee_classes: int) -> int:
    """Memory the class path needs beyond the pair features: one chunk of class pairs, the
    weights the sweeps keep (a byte a class pair, when they fit), and the arcs the sweeps
    keep."""
    from engine.pairing.classes import SWEEP_CELLS
    from engine.pairing.transport import PER_CLASS, PER_ROW

    chunk = min(n_mentor_classes * n_mentee_classes,
                max(SWEEP_CELLS, n_mentee_classes * (PER_CLASS + 1)))
    arcs = (n_mentor_classes + n_mentee_classes) * (PER_CLASS + PER_ROW) * EXPECTED_SWEEPS
    kept = n_mentor_classes * n_mentee_classes
    return chunk * SWEEP_CELL_BYTES + (kept if kept <= WEIGHT_CACHE_BYTES else 0) + (
        arcs * ARC_BYTES)


def choose_path(n_slots: int, n_mentees: int, class_pairs: int) -> Path_:
    """The dense solver unless the classes shrink the problem CLASS_GAIN times or more, or
    the dense matrix would take more than DENSE_BYTES, or would not fit in memory."""
    cells = n_slots * n_mentees
    if class_pairs * CLASS_GAIN <= cells or cells * DENSE_CELL_BYTES > min(
            DENSE_BYTES, available_memory()):
        return "classes"
    return "dense"


def assign_auto(space: PairSpace, table: OutcomeTable, capacities: IntArray, objective: str,
                forced: tuple[int, int] | None = None) -> Assignment:
    """`assign` or `assign_by_classes`, whichever `choose_path` picks; the choice is logged."""

    from engine.pairing.classes import classes_of

    mentors, mentees = classes_of(space)
    n_slots = int(np.maximum(np.asarray(capacities, np.int64), 1).sum())
    path = choose_path(n_slots, len(space.mentees), len(mentors) * len(mentees))
    oplog.get_logger("tandem.pairing").info(
        "assignment path", path=path, mentors=len(space.mentors), mentees=len(space.mentees),
        mentor_classes=len(mentors), mentee_classes=len(mentees))
    try:
        if path == "classes":
            return assign_by_classes(space, table, capacities, objective, forced,
                                     (mentors, mentees))
        return assign(space, table, capacities, objective, forced)
    except MemoryError as exc:  # the estimates above were wrong: still a clear refusal
        raise MemoryRefused(
            f"pairing {len(space.mentors):,} mentors x {len(space.mentees):,} mentees ran out "
            f"of memory on the {path} path; pair the cohort in parts (one file per "
            "subsidiary or per department), or run it on a machine with more memory") from exc


def assign_by_classes(space: PairSpace, table: OutcomeTable, capacities: IntArray,
                      objective: str, forced: tuple[int, int] | None = None,
                      classes: tuple[Classes, Classes] | None = None) -> Assignment:
    """`assign` solved between classes of people (engine.pairing.classes) as a min-cost
    flow (engine.pairing.transport), with its duality certificate checked."""
    from engine.pairing.classes import SWEEP_CELLS, class_chunks, classes_of
    from engine.pairing.kernels import UNSEEN, levels_of
    from engine.pairing.transport import expand, solve_priced

    n_mentors, n_mentees = len(space.mentors), len(space.mentees)
    empty = np.zeros(0, np.int64)
    if n_mentors == 0 or n_mentees == 0:
        return Assignment(empty, empty, empty, "classes", True)
    capacities = np.asarray(capacities, np.int64).copy()
    if forced is not None or classes is None:
        alone = ((forced[0],), (forced[1],)) if forced is not None else ((), ())
        classes = classes_of(space, alone)
    mentors, mentees = classes
    refuse_if_too_big(
        f"pairing {n_mentors:,} mentors x {n_mentees:,} mentees",
        class_path_bytes(len(mentors), len(mentees)),
        f"the rules tell {len(mentors):,} kinds of mentor from {len(mentees):,} kinds of "
        "mentee")
    low, high = table.score_bounds()
    most_pairs = min(int(capacities.sum()), n_mentees)
    big = (high - low) * most_pairs + 1 if objective == "participation" else most_pairs + 1
    sizes = mentees.size.copy()
    pre: tuple[int, int] | None = None
    if forced is not None:
        # Resolve first: `table.eligible` reads the table before it learns a new code.
        outcome = table.resolve(space.pair_codes(np.array([forced[0]]), np.array([forced[1]])))
        if bool(table.eligible_ids[outcome[0]]):
            pre = forced
            capacities[forced[0]] -= 1
            sizes[mentees.of[forced[1]]] -= 1
    places = np.bincount(mentors.of, weights=capacities, minlength=len(mentors)).astype(
        np.int64)
    # Later sweeps read the weights the first sweep met, kept one byte a class pair: the
    # index of the pair's weight among the distinct weights met so far (under the bundled
    # rules about twenty), when they fit in WEIGHT_CACHE_BYTES and a quarter of the memory
    # available; else (or from 255 distinct weights) each sweep computes the pair codes
    # again.
    cells = len(mentors) * len(mentees)
    keep = cells <= min(WEIGHT_CACHE_BYTES, available_memory() // 4)
    kept: dict[int, npt.NDArray[np.uint8]] = {}
    level_of_weight: dict[int, int] = {}
    # The index of each outcome's weight, and the weight of each index: one tuple, replaced
    # whole, so that a thread never reads one without the other.
    levels = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    lock = threading.Lock()  # the sweeps run in threads (see solve_priced)

    def sync() -> None:
        """Give every outcome of the table its weight's index (under the lock)."""
        nonlocal levels
        if len(levels[0]) != len(table.outcomes):
            by_id = int_weights(table.scores, table.eligible_ids, objective, low, big)
            for weight in by_id[len(levels[0]):].tolist():
                level_of_weight.setdefault(weight, len(level_of_weight))
            levels = (np.array([level_of_weight[w] for w in by_id.tolist()], np.int64),
                      np.array(list(level_of_weight), np.int64))

    def weight_rows(rows: slice) -> tuple[npt.NDArray[np.integer[Any]], IntArray]:
        """The weights of the mentor classes ``rows`` with every mentee class, as indices
        and the weight of each index. Safe in threads: only learning outcomes (the rule
        engine) takes the lock; indices once given never change, so a thread that read the
        indices before another learnt more finds its codes unseen, and asks again."""
        nonlocal keep
        found = kept.get(rows.start)
        if found is not None:
            return found, levels[1]
        codes = space.codes(mentors.first[rows], mentees.first)
        if len(levels[0]) != len(table.outcomes):
            with lock:  # the table may have learnt outcomes elsewhere
                sync()
        listed = table.ids_by_code()
        at: npt.NDArray[np.integer[Any]] | None = None
        if listed is not None and len(levels[1]) < UNSEEN:
            at, missing = levels_of(codes, listed, levels[0])
            if missing:  # learn the codes not seen yet, then ask again
                with lock:
                    table.resolve(np.unique(codes[at == UNSEEN]))
                    sync()
                at, missing = levels_of(codes, listed, levels[0]) if (
                    len(levels[1]) < UNSEEN) else (None, 0)
                if missing:  # never, once learnt; the slow way below if it were
                    at = None
        if at is None:  # too many codes to list, or too many weights for a byte
            with lock:
                ids = table.resolve(codes)
                sync()
            at = levels[0][ids]
            if len(levels[1]) < UNSEEN:
                at = at.astype(np.uint8)
        if keep and at.dtype == np.uint8:
            kept[rows.start] = at.astype(np.uint8, copy=False)
        else:
            keep = False
            kept.clear()
        return at, levels[1]  # read last: it holds every index read before

    flow = solve_priced(places, sizes, weight_rows,
                        class_chunks(len(mentors), len(mentees), SWEEP_CELLS),
                        big if objective == "participation" else None,
                        workers=sweep_threads())
    oplog.get_logger("tandem.pairing").info(
        "class flow", arcs=len(flow.tails), sweeps=flow.sweeps,
        proved=flow.certificate.proved)
    tail, head = flow.tails, flow.heads
    formed_m, formed_e = expand(tail, head, flow.counts, mentors.of, mentees.of, capacities)
    if pre is not None:
        formed_m = np.concatenate([formed_m, [pre[0]]]).astype(np.int64)
        formed_e = np.concatenate([formed_e, [pre[1]]]).astype(np.int64)
    order = np.lexsort((formed_e, formed_m))
    formed_m, formed_e = formed_m[order], formed_e[order]
    scores = table.score(space.pair_codes(formed_m, formed_e))
    return Assignment(formed_m, formed_e, scores, "classes", flow.certificate.proved,
                      (mentors, mentees))
