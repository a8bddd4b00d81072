"""The last line of defence: an unexpected exception becomes a short message and a crash file.

In: an exception no part of Tandem expected, and the command that raised it. Out: one
message on stderr (what failed, that it is a bug to report, where the crash file is), the
traceback in that file (and on stderr with -v), and exit code 3. Errors in the user's data
or rules never come here: they are reported where they are found, with exit 1 or 2.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

import click

from cli.render import safe
from engine import __version__

EXIT_CRASH = 3


def crash_dir() -> Path:
    """Where crash files go: $TANDEM_CRASH_DIR, else the system's temporary folder."""
    return Path(os.environ.get("TANDEM_CRASH_DIR") or tempfile.gettempdir())


def write_crash_file(exc: BaseException, command: str) -> Path | None:
    """The traceback and the context, in a new file; None when no file can be written."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = crash_dir() / f"tandem-crash-{stamp}-{os.getpid()}.txt"
    text = (f"tandem {__version__} crashed\n"
            f"command: {command}\n"
            f"python: {platform.python_version()} ({platform.platform()})\n"
            f"at: {datetime.now(UTC).isoformat(timespec='seconds')}\n\n"
            + "".join(traceback.format_exception(exc)))
    try:
        with path.open("x", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(text)
    except OSError:
        return None
    return path


def report_crash(exc: BaseException, command: str, verbose: int) -> None:
    """Print the short message (and the traceback with -v), then exit with EXIT_CRASH."""
    path = write_crash_file(exc, command)
    where = (f"the details are in {safe(path)}" if path else
             "no crash file could be written; run again with -v to see the details")
    click.echo(f"tandem: internal error ({type(exc).__name__}) in '{safe(command)}'. This is "
               f"a bug in Tandem, not in your input; please report it. Nothing was recorded; "
               f"{where}.", err=True)
    if verbose:
        click.echo(safe("".join(traceback.format_exception(exc))).replace("\\x0a", "\n"),
                   err=True)
    sys.exit(EXIT_CRASH)
