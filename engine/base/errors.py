"""The one root exception of Tandem, and the located problems it carries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem in a file the user gave us: what, where, and how to fix it."""

    file: str
    path: str
    message: str
    suggestion: str | None = None
    severity: Severity = "error"

    def render(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        text = f"{where}: {self.severity}: {self.message}"
        if self.suggestion:
            text += f"; did you mean {self.suggestion!r}?"
        return text

    def as_dict(self) -> dict[str, str | None]:
        return {
            "file": self.file,
            "path": self.path,
            "severity": self.severity,
            "message": self.message,
            "suggestion": self.suggestion,
        }


class TandemError(Exception):
    """Root of every error Tandem reports to a user. Exit code 1 in the CLI."""


class InvalidInput(TandemError):  # noqa: N818 - reads as what it is: invalid input
    """A cohort or rule file has problems; nothing was paired or written."""

    def __init__(self, problems: Sequence[Problem], what: str = "input") -> None:
        self.problems = list(problems)
        self.what = what
        super().__init__(self.summary())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def summary(self) -> str:
        n = len(self.errors)
        return f"{n} error{'s' if n != 1 else ''} in the {self.what}; nothing was done"

    def __str__(self) -> str:
        lines = [p.render() for p in self.problems]
        lines.append(self.summary())
        return "\n".join(lines)


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]
