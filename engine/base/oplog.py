"""The operational log: structlog, imported at the first message that will be shown.

In: a logger's name, and messages with a level and key-value fields. Out: the lines that
structlog renders on standard error.

Importing structlog costs about 0.15 s of CPU, because it loads asyncio and, for its
console renderer, rich. That is more than a short command such as `audit show` spends on
its own work. So the engine and the audit package take their loggers from here:

- the command line calls `set_level` with its level and the structlog configuration to
  apply, without importing structlog;
- a message below that level is dropped, and nothing is imported;
- the first message at or above it imports structlog, applies the configuration, and
  is sent on, as is every later one.

Before any `set_level` (a library caller, a test) every message goes to structlog as the
caller configured it. `bound` adds fields to every message sent inside it, as structlog's
`bound_contextvars` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

LEVELS: Mapping[str, int] = {"debug": 10, "info": 20, "warning": 30, "error": 40,
                             "exception": 40, "critical": 50}

_BOUND: ContextVar[Mapping[str, Any] | None] = ContextVar("tandem_oplog_bound", default=None)


class _Setup:
    """The level below which messages are dropped, and the configuration still to apply."""

    level: int = 0
    configure: Callable[[], None] | None = None


_SETUP = _Setup()


def set_level(level: int, configure: Callable[[], None]) -> None:
    """Drop messages below ``level``; run ``configure`` before the first one sent."""
    _SETUP.level = level
    _SETUP.configure = configure


def shown(method: str) -> bool:
    """Whether a message of this level would be sent now."""
    return LEVELS[method] >= _SETUP.level


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Add ``fields`` to every message sent inside the block."""
    token = _BOUND.set({**(_BOUND.get() or {}), **fields})
    try:
        yield
    finally:
        _BOUND.reset(token)


class Logger:
    """A named logger that imports structlog only to send a message."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def _send(self, method: str, event: str, fields: dict[str, Any]) -> None:
        if not shown(method):
            return
        import structlog

        configure, _SETUP.configure = _SETUP.configure, None
        if configure is not None:
            configure()
        context = _BOUND.get() or {}
        getattr(structlog.get_logger(self.name), method)(event, **{**context, **fields})

    def debug(self, event: str, **fields: Any) -> None:
        self._send("debug", event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._send("info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._send("warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._send("error", event, fields)


def get_logger(name: str) -> Logger:
    """The logger called ``name`` ("tandem.pairing", "tandem.audit", ...)."""
    return Logger(name)
