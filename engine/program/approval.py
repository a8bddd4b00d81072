"""Approving or rejecting a proposed run: the human review of an automated pairing.

In: the runs waiting for approval (run id -> who proposed it), the runs already approved
or rejected, the request. Out: an `Approval` or a `Rejection`, or a `RefusedError`. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engine.base.suggest import closest
from engine.program.events import Approval, Rejection
from engine.program.refusals import RefusedError, need_reason


def _proposal(pending: Mapping[str, str], closed: Mapping[str, str], runs: Sequence[str],
              asked: str) -> str:
    """The proposed run named by ``asked`` (its id, or the unique start of one)."""
    matches = [r for r in pending if r.startswith(asked)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise RefusedError(f"{asked!r} starts {len(matches)} proposed runs "
                      f"({', '.join(sorted(matches))}); give more of the run id")
    done = [r for r in closed if r.startswith(asked)]
    if done:
        raise RefusedError(f"run {done[0]} was already {closed[done[0]]}")
    if any(r.startswith(asked) for r in runs):
        raise RefusedError(f"run {asked} is not a proposal: its pairs were active when it was "
                      "recorded (its rules did not set approval: required)")
    waiting = (f"runs waiting: {', '.join(sorted(pending))}" if pending
               else "no run is waiting for approval")
    raise RefusedError(f"there is no proposed run {asked} ({waiting})",
                       closest(asked, list(pending)))


def approve(pending: Mapping[str, str], pairs: Mapping[str, Sequence[int]],
            closed: Mapping[str, str], runs: Sequence[str], *, asked: str, run: str, at: str,
            actor: str) -> Approval:
    """The approval of a proposed run, by someone other than its proposer."""
    target = _proposal(pending, closed, runs, asked)
    if pending[target] == actor:
        raise RefusedError(f"{actor} proposed run {target}; another person must approve it "
                      "(human review of an automated decision), with --actor NAME")
    return Approval(run, at, actor, target, tuple(pairs.get(target, ())))


def reject(pending: Mapping[str, str], closed: Mapping[str, str], runs: Sequence[str], *,
           asked: str, reason: str, run: str, at: str, actor: str) -> Rejection:
    """The rejection of a proposed run, with its reason."""
    text = need_reason(reason, "the proposal is rejected")
    target = _proposal(pending, closed, runs, asked)
    return Rejection(run, at, actor, target, text)
