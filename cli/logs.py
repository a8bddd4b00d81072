"""Operational logging with structlog: human lines by default, JSON with --log-format json.

structlog itself is imported at the first message shown (engine.base.oplog), so a command
that logs nothing at its level does not pay for it.
"""

from __future__ import annotations

import logging
import sys

from engine.base import oplog


def configure(verbosity: int, fmt: str) -> None:
    level = logging.WARNING - 10 * min(verbosity, 2)

    def apply() -> None:
        import structlog

        renderer: structlog.typing.Processor = (
            structlog.processors.JSONRenderer() if fmt == "json"
            else structlog.dev.ConsoleRenderer(colors=False))
        structlog.configure(
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                renderer,
            ],
            wrapper_class=structlog.make_filtering_bound_logger(level),
            logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
            cache_logger_on_first_use=False,
        )

    oplog.set_level(level, apply)
