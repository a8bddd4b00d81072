"""Turning Tandem's errors into messages and exit codes, for every command."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def batch_work(func: F) -> F:
    """Run a command that builds large structures with the cyclic collector rarely awake
    (engine.base.collector)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from engine.base.collector import fewer_collections

        with fewer_collections():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def reports_errors(func: F) -> F:
    """Turn Tandem's errors into located messages and exit 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from engine.base.errors import InvalidInput, TandemError

        try:
            return func(*args, **kwargs)
        except InvalidInput as exc:
            from cli.render import console, print_json, print_problems

            if kwargs.get("fmt") == "json":
                print_json({"errors": [p.as_dict() for p in exc.problems]})
            else:
                print_problems(exc.problems)
                console(stderr=True).print(exc.summary(), style="red", markup=False)
            sys.exit(1)
        except TandemError as exc:
            from cli.render import safe_lines

            click.echo(f"Error: {safe_lines(exc)}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]
