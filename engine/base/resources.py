"""Where the bundled rules and schemas live, in a checkout or in an installed copy."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parents[1]  # engine/


def _bundled(name: str) -> Path:
    installed = _HERE / "_bundled" / name
    if installed.is_dir():
        return installed
    return _HERE.parent / name


@cache
def rules_dir() -> Path:
    """The default rules directory shipped with Tandem."""
    return _bundled("rules")


@cache
def schemas_dir() -> Path:
    """The directory holding Tandem's JSON Schemas."""
    return _bundled("schemas")


@cache
def templates_dir() -> Path:
    """The Jinja2 templates of the HTML report (inside the package, installed or not)."""
    return _HERE / "report" / "templates"
