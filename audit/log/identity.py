"""The program a log belongs to: its name in every entry, and a refusal to mix programs.

A program folder's `tandem.toml` names the program. The command line sets that name here
(``recording``) for the time of a command; ``stamp`` adds it to every entry as ``program``
when the entries are chained (`audit.log.entries.link`, the one path of every writer), and
``check_owner`` refuses to append to a log whose last entry names another program, unless
the user said so (``--allow-other-program``). Without a program file nothing is added and
nothing is checked: logs written before programs had names read and grow as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from audit.log.errors import AuditError

if TYPE_CHECKING:
    from sqlalchemy import Connection

PROGRAM_KEY = "program"
_PAGE = 200  # entries read at a time when the head names no program


@dataclass(frozen=True, slots=True)
class Identity:
    name: str | None = None
    allow_other: bool = False


_NONE = Identity()
_CURRENT: ContextVar[Identity] = ContextVar("tandem_program", default=_NONE)


class OtherProgramError(AuditError):
    def __init__(self, found: str, ours: str, seq: int) -> None:
        self.found, self.ours, self.seq = found, ours, seq
        super().__init__(
            f"this audit database belongs to the program {found!r} (entry {seq}), not to "
            f"{ours!r}; nothing was written. Give this program its own database (database "
            "= ... in tandem.toml, or --db), or add --allow-other-program to record in it "
            "anyway.")


@contextmanager
def recording(name: str | None, allow_other: bool = False) -> Iterator[None]:
    """Within the block, new entries name the program ``name``."""
    token = _CURRENT.set(Identity(name, allow_other))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def allowing_other(allow: bool) -> Any:
    """Keep the current program's name, and allow (or not) a log of another program."""
    return recording(_CURRENT.get().name, allow or _CURRENT.get().allow_other)


def current() -> str | None:
    """The name of the program being recorded, if any."""
    return _CURRENT.get().name


def stamp(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The entry with the current program's name, when there is one."""
    name = _CURRENT.get().name
    if name is None or PROGRAM_KEY in doc:
        return dict(doc)
    return {**doc, PROGRAM_KEY: name}


def _named(text: Any) -> str | None:
    """The program an entry's text names at its top level (a nested "program" key, in a
    cohort's envelope, is not a name)."""
    try:
        name = json.loads(text).get(PROGRAM_KEY)
    except (ValueError, TypeError, AttributeError):
        return None
    return name if isinstance(name, str) else None


def owner(conn: Connection) -> tuple[str, int] | None:
    """(program name, seq) of the last entry that names a program; None if none does.

    The head first: in a program's log every entry names it, so this is one read by the
    primary key. Only when the head names none (written without a program file) does it
    walk back, a page at a time, through the entries whose text names one."""
    from sqlalchemy import select

    from audit.log import schema

    log = schema.log
    head = conn.execute(select(log.c.seq, log.c.entry).order_by(log.c.seq.desc())
                        .limit(1)).first()
    if head is None:
        return None
    name = _named(head[1])
    if name is not None:
        return name, int(head[0])
    before = int(head[0])
    while True:
        rows = conn.execute(select(log.c.seq, log.c.entry)
                            .where(log.c.seq < before,
                                   log.c.entry.contains(f'"{PROGRAM_KEY}":'))
                            .order_by(log.c.seq.desc()).limit(_PAGE)).all()
        for seq, text in rows:
            name = _named(text)
            if name is not None:
                return name, int(seq)
        if len(rows) < _PAGE:
            return None
        before = int(rows[-1][0])


def check_owner(conn: Connection) -> None:
    """Refuse to append for one program to a log that belongs to another."""
    ours = _CURRENT.get()
    if ours.name is None or ours.allow_other:
        return
    found = owner(conn)
    if found is not None and found[0] != ours.name:
        raise OtherProgramError(found[0], ours.name, found[1])
