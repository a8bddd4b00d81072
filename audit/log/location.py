"""Where the audit log lives, read without loading the database library.

A dry run with no database must not pay for importing SQLAlchemy: `absent` answers "is
there certainly no log here?" from the URL alone, for the plain SQLite file URLs. Any other
URL (a server, a query string, an in-memory or `file:` database) is left to `audit.log.db`.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_URL = "sqlite:///tandem.db"
_SQLITE_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")


def resolve_url(db_url: str | None) -> str:
    """The --db URL, else TANDEM_DB, else tandem.db in the working directory."""
    return db_url or os.environ.get("TANDEM_DB") or DEFAULT_URL


def sqlite_file(url: str) -> Path | None:
    """The file of a plain SQLite URL (`sqlite:///tandem.db`, `sqlite:////abs/path.db`),
    else None."""
    for prefix in _SQLITE_PREFIXES:
        if url.startswith(prefix):
            name = url[len(prefix):]
            if not name or "?" in name or name == ":memory:" or name.startswith("file:"):
                return None
            return Path(name)
    return None


def absent(url: str) -> bool:
    """True when the URL names an SQLite file that does not exist: no log, nothing to read."""
    path = sqlite_file(url)
    return path is not None and not path.exists()
