"""Reading a file the user names, safely: regular files only, never more than a hard cap.

In: a path and a byte limit. Out: the file's bytes, or a FileRefused saying why not. The
size a file reports is not trusted (a link to /dev/zero reports 0 bytes and never ends), a
FIFO is never opened for a blocking read, and at most ``limit + 1`` bytes are ever read.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path


class FileRefused(Exception):  # noqa: N818 - reads as what happened
    """The file cannot be read; ``str(exc)`` says why and what to do."""


class TextRefused(FileRefused):
    """The bytes are not UTF-8 text; ``where`` locates the first bad byte ("line 3, column
    16"), empty when the whole file is at fault."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


_UTF16 = (b"\xff\xfe", b"\xfe\xff")


def utf8_text(raw: bytes) -> str:
    """The text of a file's bytes: UTF-8, a byte-order mark dropped. TextRefused says how to
    re-save a UTF-16 or Latin-1 file, and where its first bad byte is."""
    if raw.startswith(_UTF16):
        raise TextRefused("the file is saved as UTF-16; re-save it as UTF-8 (in a spreadsheet: "
                          "'CSV UTF-8')")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise TextRefused(f"byte {raw[exc.start]:#04x} is not valid UTF-8 (the file is probably "
                          "saved as Latin-1 or Windows-1252); re-save it as UTF-8 (in a "
                          "spreadsheet: 'CSV UTF-8')", f"line {line}, column {column}") from None


def _megabytes(size: int) -> str:
    return f"{math.ceil(size * 10 / 1024 / 1024) / 10:.1f} MB"  # never rounded down to the limit


def read_capped(path: Path, limit: int, what: str = "file",
                split: str = "split it into several files") -> bytes:
    """The bytes of the regular file ``path``, refusing anything else and anything over
    ``limit`` bytes."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; a regular file ignores it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileRefused("no such file; check the name and the current directory") from None
    except IsADirectoryError:
        raise FileRefused(f"this is a directory; give a {what} inside it") from None
    except OSError as exc:
        raise FileRefused(f"cannot read the file: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise FileRefused(f"this is a directory; give a {what} inside it")
        if not stat.S_ISREG(mode):
            kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else
                    "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
                    "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
            raise FileRefused(f"this is {kind}, not a regular file; give a saved {what}")
        os.set_blocking(fd, True)
        reported = os.fstat(fd).st_size
        if reported > limit:
            raise FileRefused(_too_big(reported, limit, split))
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise FileRefused(f"cannot read the file: {exc.strerror}") from None
        if len(data) > limit:  # the file grew, or its size was not what it said
            raise FileRefused(_too_big(len(data), limit, split))
        return data


def _too_big(size: int, limit: int, split: str) -> str:
    return f"the file is {_megabytes(size)}, over the {limit // 1024 // 1024} MB limit; {split}"


class TooDeep(ValueError):  # noqa: N818 - reads as what happened
    """JSON nested deeper than allowed."""


def json_depth(text: str) -> int:
    """How deeply the arrays and objects of a JSON text nest (strings skipped), without
    parsing it: a cheap check before json.loads, whose recursion a hostile text exhausts."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def loads_limited(text: str, max_depth: int) -> object:
    """``json.loads``, refusing (TooDeep) a text nested deeper than ``max_depth``."""
    import json

    if json_depth(text) > max_depth:
        raise TooDeep(f"it nests arrays or objects more than {max_depth} deep")
    return json.loads(text)
