"""What a pair's result is: the one definition that insights, the report and the export use.

In: what the log says of one pair (its outcome, if a person recorded one; the category of
the separation that ended it, if any; whether it is still active). Out: one of

- ``success``, ``partial``, ``failure``: a recorded outcome, as recorded ("partial" stays
  its own result unless ``partial_as_failure`` folds it into failure);
- ``failure`` too for a pair separated for ``mismatch`` without an outcome (an early
  failure);
- ``ineligible``: separated for ``conflict`` without an outcome. A conflict of interest is
  an eligibility error (the pair should never have been formed), not a failed pair; when
  the partners fell out, record `tandem outcome --result failure` and it counts as one;
- ``attrition``: separated for ``availability`` or ``left-company`` without an outcome:
  the pair ended for reasons outside it, counted per criterion apart from the results;
- ``no result``: ended (completed, other, or no longer active) without an outcome;
- ``running``: still active, without an outcome (censored: its result is not known yet).

Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

SUCCESS, PARTIAL, FAILURE = "success", "partial", "failure"
INELIGIBLE, ATTRITION, NO_RESULT, RUNNING = "ineligible", "attrition", "no result", "running"
OUTCOMES = (SUCCESS, PARTIAL, FAILURE)
KINDS = (*OUTCOMES, INELIGIBLE, ATTRITION, NO_RESULT, RUNNING)
FAILURE_SEPARATIONS = ("mismatch",)
INELIGIBLE_SEPARATIONS = ("conflict",)
ATTRITION_SEPARATIONS = ("availability", "left-company")


@dataclass(frozen=True, slots=True)
class PairResult:
    """A pair's result and where it comes from: "outcome", "separation" or "none"."""

    kind: str
    source: str

    @property
    def known(self) -> bool:
        """A result the statistics compare: success, partial or failure."""
        return self.kind in OUTCOMES

    @property
    def ended(self) -> bool:
        return self.kind != RUNNING


def pair_result(outcome: str | None, separation: str | None, active: bool, *,
                partial_as_failure: bool = False) -> PairResult:
    """The result of one pair (see the module's docstring)."""
    if outcome is not None:
        kind = FAILURE if outcome == PARTIAL and partial_as_failure else str(outcome)
        return PairResult(kind, "outcome")
    if separation in FAILURE_SEPARATIONS:
        return PairResult(FAILURE, "separation")
    if separation in INELIGIBLE_SEPARATIONS:
        return PairResult(INELIGIBLE, "separation")
    if separation in ATTRITION_SEPARATIONS:
        return PairResult(ATTRITION, "separation")
    if active:
        return PairResult(RUNNING, "none")
    return PairResult(NO_RESULT, "separation" if separation else "none")
