"""Why a lifecycle command refuses to write: each message says what is wrong and what to do.

Every refusal ends with "nothing was written": the command stops before its transaction
commits, so the log is exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.base.errors import TandemError
from engine.base.suggest import closest

NOTHING_WRITTEN = "; nothing was written"


class RefusedError(TandemError):
    """A lifecycle command that cannot do what was asked (exit 1, nothing written)."""

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        self.reason, self.suggestion = message, suggestion
        super().__init__(message + NOTHING_WRITTEN
                         + (f". Did you mean {suggestion!r}?" if suggestion else ""))


def need_reason(reason: str, what: str) -> str:
    """The reason, trimmed; refused when empty or only whitespace."""
    text = reason.strip()
    if not text:
        raise RefusedError(f"the reason is empty; say why {what} with --reason TEXT: it is "
                           "recorded in the audit log for the compliance review")
    return text


def unknown_person(pid: str, known: Iterable[str], where: str) -> RefusedError:
    return RefusedError(f"there is no {pid} in {where}", closest(pid, sorted(known)))
