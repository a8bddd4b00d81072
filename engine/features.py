"""Pair features: what the rules can see of each mentor-mentee pair, computed with numpy.

A rule reads values through *atoms*:
- a side atom is one person's field value (`mentor.learning_style`), bucketed by the
  constants the rules compare it with: values no rule can tell apart share a bucket, and
  the engine sees a real value from that bucket;
- a contains atom says whether one person's list holds a constant (1 or 0);
- a compare atom says whether two fields are equal (1), unequal (0) or missing (2);
- an overlap atom counts the themes two lists share, capped just above the largest bound
  any rule uses.

Each pair gets one integer *code* that packs its atom values. Pairs with the same code
are the same to every rule, so the engine evaluates each distinct code once.
People are first grouped into classes by their atom inputs; the atoms of most pairs are
then looked up on a small class-by-class grid, and only the high-cardinality comparisons
(ids, manager ids) are computed pair by pair.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from engine.cohort import Participant
from engine.conditions import Compare, Condition, Overlap, Test, leaves
from engine.vocabulary import Vocabulary

IntArray = npt.NDArray[np.int64]
MISSING = ""  # what the engine sees for an absent text value; no rule constant is empty
GRID_LIMIT = 1 << 22  # largest class grid (mentor classes x mentee classes)
CHUNK_CELLS = 1 << 22  # pairs per numpy chunk


def person_value(person: Participant, name: str, as_of: date, default_capacity: int) -> Any:
    """The value of a rule field for one person (None when absent)."""
    if name == "tenure_years":
        return person.tenure_years(as_of)
    if name == "capacity":
        return person.capacity if person.capacity is not None else (
            default_capacity if person.role == "mentor" else None)
    if name.startswith("my_job_day."):
        return (person.my_job_day or {}).get(name.split(".", 1)[1])
    return getattr(person, name)


def themes_of(person: Participant, name: str, vocabulary: Vocabulary) -> frozenset[str]:
    values = person_value(person, name, date.min, 1) or ()
    return frozenset(t for v in values for t in vocabulary.themes(name, person.role, v))


@dataclass(frozen=True)
class Atom:
    name: str  # the fact field the engine reads: f0, f1, ...
    label: str  # what it means, for people
    kind: Literal["side", "contains", "compare", "overlap"]
    side: str | None = None
    field: str = ""
    other_field: str = ""  # compare: the mentee's field
    constant: Any = None  # contains: the value looked for
    cap: int = 0  # overlap: largest count kept distinct


@dataclass
class _SideColumn:
    """Per-person integer inputs for one atom on one side, plus bucket representatives."""

    codes: IntArray
    representatives: list[Any] = field(default_factory=list)


class PairSpace:
    """Atoms, per-person inputs and the class grid for one cohort and one rule set."""

    def __init__(self, conditions: Sequence[Condition], mentors: Sequence[Participant],
                 mentees: Sequence[Participant], vocabulary: Vocabulary, as_of: date,
                 default_capacity: int) -> None:
        self.mentors = list(mentors)
        self.mentees = list(mentees)
        self.vocabulary = vocabulary
        self.as_of = as_of
        self.default_capacity = default_capacity
        self.atoms: list[Atom] = []
        self._by_key: dict[tuple[Any, ...], Atom] = {}
        self._constants: dict[tuple[str, str], set[Any]] = {}
        for condition in conditions:
            for leaf in leaves(condition):
                self._declare(leaf)
        self._build()

    # -- atoms -------------------------------------------------------------------------------
    def _add(self, key: tuple[Any, ...], **spec: Any) -> None:
        if key not in self._by_key:
            atom = Atom(name=f"f{len(self.atoms)}", **spec)
            self.atoms.append(atom)
            self._by_key[key] = atom

    def _declare(self, leaf: Test | Compare | Overlap) -> None:
        if isinstance(leaf, Test):
            if leaf.op == "contains":
                self._add(("contains", leaf.side, leaf.field, leaf.value), kind="contains",
                          side=leaf.side, field=leaf.field, constant=leaf.value,
                          label=f"{leaf.side}.{leaf.field} contains {leaf.value}")
            else:
                self._add(("side", leaf.side, leaf.field), kind="side", side=leaf.side,
                          field=leaf.field, label=f"{leaf.side}.{leaf.field}")
                values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
                self._constants.setdefault((leaf.side, leaf.field), set()).update(values)
        elif isinstance(leaf, Compare):
            self._add(("compare", leaf.mentor_field, leaf.mentee_field), kind="compare",
                      field=leaf.mentor_field, other_field=leaf.mentee_field,
                      label=f"mentor.{leaf.mentor_field} = mentee.{leaf.mentee_field}")
        else:
            bound = max(b for b in (leaf.at_least, leaf.at_most) if b is not None)
            key = ("overlap", leaf.field)
            if key in self._by_key:
                old = self._by_key[key]
                if bound + 1 > old.cap:
                    index = self.atoms.index(old)
                    self.atoms[index] = self._by_key[key] = Atom(
                        name=old.name, label=old.label, kind="overlap", field=old.field,
                        cap=bound + 1)
            else:
                self._add(key, kind="overlap", field=leaf.field, cap=bound + 1,
                          label=f"shared {leaf.field} themes")

    def atom_for(self, leaf: Test | Compare | Overlap) -> Atom:
        """The atom a condition leaf reads."""
        if isinstance(leaf, Test):
            if leaf.op == "contains":
                return self._by_key[("contains", leaf.side, leaf.field, leaf.value)]
            return self._by_key[("side", leaf.side, leaf.field)]
        if isinstance(leaf, Compare):
            return self._by_key[("compare", leaf.mentor_field, leaf.mentee_field)]
        return self._by_key[("overlap", leaf.field)]

    # -- per-person inputs -------------------------------------------------------------------
    def _values(self, people: Sequence[Participant], name: str) -> list[Any]:
        return [person_value(p, name, self.as_of, self.default_capacity) for p in people]

    def _side_column(self, atom: Atom, people: Sequence[Participant]) -> _SideColumn:
        values = self._values(people, atom.field)
        if atom.kind == "contains":
            codes = np.fromiter((1 if v and atom.constant in v else 0 for v in values),
                                np.int64, len(values))
            return _SideColumn(codes, [0, 1])
        constants = sorted(self._constants.get((atom.side or "", atom.field), set()), key=repr)
        numeric = all(isinstance(c, int | float) and not isinstance(c, bool) for c in constants)
        codes = np.empty(len(values), np.int64)
        representatives: dict[int, Any] = {}
        if numeric and constants:
            points = np.array(sorted(set(constants)), dtype=np.float64)
            present = np.array([v is not None for v in values])
            x = np.array([v if v is not None else 0.0 for v in values], dtype=np.float64)
            left = np.searchsorted(points, x, "left")
            right = np.searchsorted(points, x, "right")
            codes[:] = np.where(right > left, 2 * left + 1, 2 * left)
            codes[~present] = 2 * len(points) + 1
        else:
            index = {c: i for i, c in enumerate(constants)}
            other, missing = len(constants), len(constants) + 1
            for i, v in enumerate(values):
                codes[i] = missing if v is None else index.get(v, other)
        for i, v in enumerate(values):
            representatives.setdefault(int(codes[i]), MISSING if v is None else v)
        size = int(codes.max()) + 1 if len(codes) else 1
        return _SideColumn(codes, [representatives.get(b) for b in range(size)])

    def _compare_inputs(self, atom: Atom) -> tuple[IntArray, IntArray]:
        left = self._values(self.mentors, atom.field)
        right = self._values(self.mentees, atom.other_field)
        index: dict[Any, int] = {}
        def code(v: Any) -> int:
            return -1 if v is None else index.setdefault(v, len(index))
        return (np.fromiter((code(v) for v in left), np.int64, len(left)),
                np.fromiter((code(v) for v in right), np.int64, len(right)))

    def _overlap_inputs(self, atom: Atom) -> tuple[npt.NDArray[np.uint64],
                                                   npt.NDArray[np.uint64]]:
        sets = [[themes_of(p, atom.field, self.vocabulary) for p in side]
                for side in (self.mentors, self.mentees)]
        universe = sorted({t for side in sets for s in side for t in s})
        bit = {t: i for i, t in enumerate(universe)}
        words = max(1, (len(universe) + 63) // 64)
        out = []
        for side in sets:
            masks = np.zeros((len(side), words), np.uint64)
            for row, themes in enumerate(side):
                for t in themes:
                    masks[row, bit[t] // 64] |= np.uint64(1 << (bit[t] % 64))
            out.append(masks)
        return out[0], out[1]

    # -- classes and grid --------------------------------------------------------------------
    def _build(self) -> None:
        self.columns: dict[str, tuple[_SideColumn, ...]] = {}
        mentor_keys: list[IntArray] = []
        mentee_keys: list[IntArray] = []
        self.pair_inputs: dict[str, tuple[Any, Any]] = {}
        for atom in self.atoms:
            if atom.kind in ("side", "contains"):
                people = self.mentors if atom.side == "mentor" else self.mentees
                column = self._side_column(atom, people)
                self.columns[atom.name] = (column,)
                (mentor_keys if atom.side == "mentor" else mentee_keys).append(column.codes)
            elif atom.kind == "compare":
                self.pair_inputs[atom.name] = self._compare_inputs(atom)
            else:
                self.pair_inputs[atom.name] = self._overlap_inputs(atom)

        def key_codes(inputs: Any) -> IntArray:
            if inputs.ndim == 1:
                return np.asarray(inputs, np.int64)
            return np.unique(inputs, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)

        def classes(keys: list[IntArray], n: int) -> IntArray:
            if not keys or n == 0:
                return np.zeros(n, np.int64)
            return np.unique(np.stack(keys, axis=1), axis=0, return_inverse=True)[1].reshape(-1)

        candidates = sorted(self.pair_inputs, key=lambda name: (
            len(np.unique(key_codes(self.pair_inputs[name][0]))) *
            len(np.unique(key_codes(self.pair_inputs[name][1])))))
        self.grid_atoms: list[str] = []
        self.pair_atoms: list[str] = []
        u = classes(mentor_keys, len(self.mentors))
        v = classes(mentee_keys, len(self.mentees))
        for name in candidates:
            left, right = self.pair_inputs[name]
            u2 = classes([*mentor_keys, key_codes(left)], len(self.mentors))
            v2 = classes([*mentee_keys, key_codes(right)], len(self.mentees))
            if (int(u2.max(initial=0)) + 1) * (int(v2.max(initial=0)) + 1) <= GRID_LIMIT:
                mentor_keys.append(key_codes(left))
                mentee_keys.append(key_codes(right))
                u, v = u2, v2
                self.grid_atoms.append(name)
            else:
                self.pair_atoms.append(name)
        self.mentor_class, self.mentee_class = u, v
        n_u = int(u.max(initial=0)) + 1
        n_v = int(v.max(initial=0)) + 1
        rep_u = np.zeros(n_u, np.int64)
        rep_u[u[::-1]] = np.arange(len(u))[::-1]
        rep_v = np.zeros(n_v, np.int64)
        rep_v[v[::-1]] = np.arange(len(v))[::-1]

        # Values of every grid atom on the class grid, then dense ids of distinct rows.
        self.radix: dict[str, int] = {}
        grid_columns = []
        for atom in self.atoms:
            if atom.kind in ("side", "contains"):
                codes = self.columns[atom.name][0].codes
                self.radix[atom.name] = int(codes.max(initial=0)) + 1
                if atom.side == "mentor":
                    grid_columns.append(np.repeat(codes[rep_u], n_v) if len(u) else
                                        np.zeros(0, np.int64))
                else:
                    grid_columns.append(np.tile(codes[rep_v], n_u) if len(v) else
                                        np.zeros(0, np.int64))
            elif atom.name in self.grid_atoms:
                left, right = self.pair_inputs[atom.name]
                grid_columns.append(self._pair_values(atom, left[rep_u], right[rep_v]).ravel())
        self.grid_names = [a.name for a in self.atoms if a.kind in ("side", "contains")
                           or a.name in self.grid_atoms]
        if grid_columns and n_u * n_v and len(self.mentors) and len(self.mentees):
            stacked = np.stack(grid_columns, axis=1)
            self.grid_rows, inverse = np.unique(stacked, axis=0, return_inverse=True)
            self.grid = inverse.reshape(n_u, n_v).astype(np.int64)
        else:
            self.grid_rows = np.zeros((1, len(grid_columns)), np.int64)
            self.grid = np.zeros((n_u, n_v), np.int64)
        self.pair_radix = [self._radix_of(name) for name in self.pair_atoms]
        self.pair_span = int(np.prod(self.pair_radix)) if self.pair_radix else 1
        self.code_space = len(self.grid_rows) * self.pair_span

    def _radix_of(self, name: str) -> int:
        atom = next(a for a in self.atoms if a.name == name)
        return 3 if atom.kind == "compare" else atom.cap + 1

    def _pair_values(self, atom: Atom, left: Any, right: Any, outer: bool = True) -> IntArray:
        """Atom values for every (left, right) combination, or for aligned rows."""
        if atom.kind == "compare":
            a = left[:, None] if outer else left
            b = right[None, :] if outer else right
            state = np.asarray(a == b).astype(np.int64)
            state[(a < 0) | (b < 0)] = 2
            return state
        shape = (len(left), len(right)) if outer else (len(left),)
        count = np.zeros(shape, np.int64)
        for w in range(left.shape[1]):
            both = left[:, None, w] & right[None, :, w] if outer else left[:, w] & right[:, w]
            count += np.bitwise_count(both).astype(np.int64)
        return np.minimum(count, atom.cap)

    # -- codes -------------------------------------------------------------------------------
    def codes(self, mentor_rows: IntArray | slice, mentee_rows: IntArray | slice) -> IntArray:
        """Pair codes for every (mentor, mentee) in the given rows, as a 2-D array."""
        u = self.mentor_class[mentor_rows]
        v = self.mentee_class[mentee_rows]
        code = self.grid[u[:, None], v[None, :]] if len(u) and len(v) else np.zeros(
            (len(u), len(v)), np.int64)
        if self.pair_atoms:
            code = code * self.pair_span
            multiplier = 1
            for name, radix in zip(self.pair_atoms, self.pair_radix, strict=True):
                atom = next(a for a in self.atoms if a.name == name)
                left, right = self.pair_inputs[name]
                code += self._pair_values(atom, left[mentor_rows], right[mentee_rows]) * multiplier
                multiplier *= radix
        return code

    def pair_codes(self, mentor_rows: IntArray, mentee_rows: IntArray) -> IntArray:
        """Codes of aligned pairs: (mentor_rows[k], mentee_rows[k]) for each k."""
        code = self.grid[self.mentor_class[mentor_rows], self.mentee_class[mentee_rows]]
        if self.pair_atoms:
            code = code * self.pair_span
            multiplier = 1
            for name, radix in zip(self.pair_atoms, self.pair_radix, strict=True):
                atom = next(a for a in self.atoms if a.name == name)
                left, right = self.pair_inputs[name]
                code += self._pair_values(atom, left[mentor_rows], right[mentee_rows],
                                          outer=False) * multiplier
                multiplier *= radix
        return np.asarray(code, np.int64)

    def chunks(self) -> Iterator[slice]:
        """Mentor row ranges that keep each chunk of pairs to about CHUNK_CELLS."""
        step = max(1, CHUNK_CELLS // max(1, len(self.mentees)))
        for start in range(0, len(self.mentors), step):
            yield slice(start, min(start + step, len(self.mentors)))

    def distinct_codes(self) -> IntArray:
        """Every code that occurs in the cohort, sorted."""
        if not self.mentors or not self.mentees:
            return np.zeros(0, np.int64)
        if not self.pair_atoms:
            return np.unique(self.grid[np.unique(self.mentor_class)][:, np.unique(
                self.mentee_class)])
        if self.code_space <= 1 << 28:
            seen = np.zeros(self.code_space, bool)
            for rows in self.chunks():
                seen[self.codes(rows, slice(None)).ravel()] = True
            return np.flatnonzero(seen).astype(np.int64)
        found: set[int] = set()
        for rows in self.chunks():
            found.update(np.unique(self.codes(rows, slice(None))).tolist())
        return np.array(sorted(found), np.int64)

    def features(self, code: int) -> dict[str, Any]:
        """What the engine sees for a code: one value per atom."""
        grid_id, rest = divmod(int(code), self.pair_span)
        out: dict[str, Any] = {}
        for name, bucket in zip(self.grid_names, self.grid_rows[grid_id], strict=True):
            out[name] = self._engine_value(name, int(bucket))
        for name, radix in zip(self.pair_atoms, self.pair_radix, strict=True):
            rest, value = divmod(rest, radix)
            out[name] = value
        return out

    def _engine_value(self, name: str, value: int) -> Any:
        if name in self.columns:
            return self.columns[name][0].representatives[value]
        return value

    def pair_features(self, mentor: Participant, mentee: Participant) -> dict[str, Any]:
        """The same features computed directly from one pair's profiles, without classes.

        This is the reference the batched codes are tested against.
        """
        out: dict[str, Any] = {}
        for atom in self.atoms:
            if atom.kind in ("side", "contains"):
                person = mentor if atom.side == "mentor" else mentee
                value = person_value(person, atom.field, self.as_of, self.default_capacity)
                if atom.kind == "contains":
                    out[atom.name] = 1 if value and atom.constant in value else 0
                else:
                    out[atom.name] = MISSING if value is None else value
            elif atom.kind == "compare":
                a = person_value(mentor, atom.field, self.as_of, self.default_capacity)
                b = person_value(mentee, atom.other_field, self.as_of, self.default_capacity)
                out[atom.name] = 2 if a is None or b is None else int(a == b)
            else:
                shared = (themes_of(mentor, atom.field, self.vocabulary)
                          & themes_of(mentee, atom.field, self.vocabulary))
                out[atom.name] = len(shared)
        return out
