"""Writing a command's output to `--out FILE` or standard output, losing nothing.

A file is written to a temporary file beside it and renamed over the target only once every
byte is on disk, so a failed export leaves the old file as it was. A target that is one of
the audit database's own files (or any SQLite database) is refused before anything is
opened. A device or a pipe (``/dev/stdout``, a FIFO) is written to directly: renaming over it
would replace it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from engine.base.errors import TandemError

SQLITE_MAGIC = b"SQLite format 3\x00"


class OutputError(TandemError):
    """The output could not be written; the message says what to do."""


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            return stream.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def check_target(path: Path, protected: Iterable[Path] = ()) -> None:
    """Refuse an output path that is a file of the audit database, or any SQLite database,
    or that sits in a directory that does not exist."""
    for kept in protected:
        if _same_file(path, kept):
            raise OutputError(
                f"refusing to write to {path}: it is a file of the audit database "
                f"({kept}), and writing there would destroy the log; nothing was written. "
                "Choose another file name for --out.")
    if path.is_dir():
        raise OutputError(f"cannot write to {path}: it is a directory; give a file name, "
                          f"for example {path / 'audit.jsonl'}")
    if path.is_file() and _is_sqlite(path):
        raise OutputError(
            f"refusing to overwrite {path}: it is an SQLite database, and Tandem never "
            "overwrites one with an export; nothing was written. Choose another file name.")
    parent = path.parent if str(path.parent) else Path()
    if not parent.is_dir():
        raise OutputError(f"cannot write to {path}: the directory {parent} does not exist; "
                          "create it first, or choose another --out")


@contextmanager
def output(path: Path | None, protected: Iterable[Path] = ()) -> Iterator[TextIO]:
    """A text stream for the output: standard output, or ``path`` written atomically."""
    if path is None:
        if sys.stdout is None:
            raise OutputError("standard output is closed; give --out FILE to write to a file")
        try:
            yield sys.stdout
            sys.stdout.flush()
        except OSError as exc:
            _silence_stdout()
            raise OutputError(f"could not write to standard output ({_why(exc)}); the output "
                              "is incomplete. Give --out FILE to write to a file.") from None
        return
    check_target(path, protected)
    if path.exists() and not stat.S_ISREG(path.stat().st_mode):
        with _writing(path), path.open("w", encoding="utf-8", newline="") as stream:
            yield stream
        return
    with _writing(path):
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                        dir=path.parent if str(path.parent) else None)
    tmp = Path(tmp_name)
    try:
        with _writing(path), os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        with _writing(path):
            tmp.chmod(_mode_for(path))
            tmp.replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise OutputError(f"could not write {path} ({_why(exc)}); nothing was written to it. "
                          "Check the path and the free space, or choose another --out"
                          ) from None


def _mode_for(path: Path) -> int:
    """The permissions the file would have had if opened plainly: an existing file keeps its
    own, a new one gets the usual ones less the umask."""
    if path.exists():
        return stat.S_IMODE(path.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so that the interpreter's final flush
    does not print a second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def write_bytes(path: Path, data: bytes, protected: Iterable[Path] = ()) -> None:
    """Write a binary file (a workbook) the same way: checked, then renamed into place."""
    check_target(path, protected)
    with _writing(path):
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                        dir=path.parent if str(path.parent) else None)
    tmp = Path(tmp_name)
    try:
        with _writing(path):
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            tmp.chmod(_mode_for(path))
            tmp.replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
