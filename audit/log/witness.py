"""The witness: every new head of the chain, appended to a file outside the database.

Each write that appends entries adds one JSON line to the witness file (``--witness FILE``
or TANDEM_WITNESS): ``{"actor", "at", "entry_hash", "seq"}`` of the new head, and, with a
signing key (``--signing-key FILE`` or TANDEM_SIGNING_KEY), ``"checkpoint"``: the head as
a signed C2SP tlog-checkpoint note (audit/log/checkpoint.py). `tandem audit verify --witness`
reads the lines back and checks each head against the chain.

The file is opened before the write transaction starts, so that a witness Tandem cannot
write stops the commit before anything is written; the line is appended once the
transaction has committed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.log import checkpoint
from audit.log.errors import AuditError
from engine.base.canonical import canonical_json
from engine.base.files import FileRefused, TooDeep, loads_limited, read_capped

WITNESS_ENV = "TANDEM_WITNESS"
SIGNING_KEY_ENV = "TANDEM_SIGNING_KEY"
_HEX = frozenset("0123456789abcdef")
SQLITE_HEADER = b"SQLite format 3\x00"
WITNESS_LIMIT = 256 * 1024 * 1024  # a witness of ten million heads, unsigned, fits
MAX_LINE = 16 * 1024  # a head, signed, is well under 1 KB
MAX_DEPTH = 4  # a head is one flat object


class WitnessError(AuditError):
    """The witness file or a key file cannot be used."""


class WitnessUnavailableError(WitnessError):
    def __init__(self, path: Path, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(
            f"cannot append to the witness file {path}: {reason}; nothing was written. Give "
            "a file Tandem may append to with --witness FILE (or TANDEM_WITNESS).")


class KeyFileError(WitnessError):
    def __init__(self, path: Path, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"cannot use the key file {path}: {reason}; nothing was written. "
                         "`tandem audit keygen` makes a key pair.")


class SigningWithoutWitnessError(WitnessError):
    def __init__(self) -> None:
        super().__init__("a signing key signs the heads written to the witness, but no "
                         "witness file is given; nothing was written. Add --witness FILE "
                         "(or TANDEM_WITNESS).")


class WitnessNotWrittenError(WitnessError):
    def __init__(self, path: Path, line: str, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        super().__init__(
            f"the entries were recorded, but their head could not be appended to the witness "
            f"file {path}: {reason}. Append this line to it yourself, or keep it elsewhere:\n"
            f"{line}")


class WitnessFileError(WitnessError):
    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"cannot read the witness {where}: {reason}. A witness holds one "
                         "JSON object per line, as Tandem appends them.")


@dataclass(frozen=True, slots=True)
class WitnessHead:
    """One line of the witness: a head of the chain as it was when written."""

    line: int
    seq: int
    entry_hash: str
    at: str
    actor: str
    checkpoint: str | None = None

    def where(self) -> str:
        return f"witness line {self.line} (written {self.at} by {self.actor})"


def _read_key(path: Path) -> str:
    try:
        return read_capped(path, 64 * 1024, "key file").decode("utf-8")
    except FileRefused as exc:
        raise KeyFileError(path, str(exc)) from None
    except UnicodeDecodeError as exc:
        raise KeyFileError(path, f"it is not UTF-8 text ({exc.reason})") from None


def load_private_key(path: Path) -> checkpoint.PrivateKey:
    try:
        return checkpoint.parse_private(_read_key(path))
    except checkpoint.KeyFormatError as exc:
        raise KeyFileError(path, str(exc)) from None


def load_public_key(path: Path) -> checkpoint.PublicKey:
    try:
        return checkpoint.parse_public(_read_key(path))
    except checkpoint.KeyFormatError as exc:
        raise KeyFileError(path, str(exc)) from None


@dataclass(frozen=True)
class WitnessConfig:
    """Where new heads go, and the key that signs them; both optional."""

    path: Path | None = None
    signing_key: Path | None = None

    @classmethod
    def resolve(cls, path: str | Path | None = None,
                signing_key: str | Path | None = None) -> WitnessConfig:
        """The given paths, else those set by ``using``, else TANDEM_WITNESS and
        TANDEM_SIGNING_KEY."""
        chosen = _CHOSEN.get()
        if chosen is not None and path is None and signing_key is None:
            return chosen
        path = path or os.environ.get(WITNESS_ENV) or None
        signing_key = signing_key or os.environ.get(SIGNING_KEY_ENV) or None
        return cls(Path(path) if path else None, Path(signing_key) if signing_key else None)

    def open(self, database_files: Sequence[Path] = ()) -> WitnessWriter | None:
        """Ready to append, checked before anything is written; None without a witness.

        Never one of ``database_files``, nor any SQLite database: appending to it would
        damage it."""
        if self.path is None:
            if self.signing_key is not None:
                raise SigningWithoutWitnessError
            return None
        key = load_private_key(self.signing_key) if self.signing_key else None
        _refuse_database(self.path, database_files)
        _refuse_special(self.path)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise WitnessUnavailableError(self.path, exc.strerror or str(exc)) from None
        return WitnessWriter(self.path, fd, key)


def _refuse_special(path: Path) -> None:
    """Refuse anything but a regular file (or a new one): a FIFO would block the writer, a
    device would lose the heads."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # a new file, or one open() reports on
    if not stat.S_ISREG(mode):
        what = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else
                "a directory" if stat.S_ISDIR(mode) else "not a regular file")
        raise WitnessUnavailableError(path, f"it is {what}, and a witness is a regular file "
                                            "kept outside the database")


def _refuse_database(path: Path, database_files: Sequence[Path]) -> None:
    target = path.resolve()
    if any(target == f.resolve() for f in database_files):
        raise WitnessUnavailableError(path, "it is a file of the audit database itself, and "
                                            "the witness must be kept outside it")
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return  # never opened for reading: a FIFO would block (refused by the caller)
        with path.open("rb") as stream:
            header = stream.read(16)
    except OSError:
        return  # a new file, or one open() reports on
    if header == SQLITE_HEADER:
        raise WitnessUnavailableError(path, "it is an SQLite database, not a witness")


_CHOSEN: ContextVar[WitnessConfig | None] = ContextVar("tandem_witness", default=None)


@contextmanager
def using(config: WitnessConfig) -> Iterator[None]:
    """Every write inside the block goes to this witness (a command's --witness option),
    whichever writer makes it."""
    token = _CHOSEN.set(config)
    try:
        yield
    finally:
        _CHOSEN.reset(token)


class WitnessWriter:
    def __init__(self, path: Path, fd: int, key: checkpoint.PrivateKey | None) -> None:
        self.path, self._fd, self._key = path, fd, key

    def line(self, seq: int, entry_hash: str, at: str, actor: str) -> str:
        record: dict[str, Any] = {"seq": seq, "entry_hash": entry_hash, "at": at,
                                  "actor": actor}
        if self._key is not None:
            record["checkpoint"] = checkpoint.sign_checkpoint(self._key, seq, entry_hash)
        return canonical_json(record)

    def record(self, seq: int, entry_hash: str, at: str, actor: str) -> None:
        """Append the head as one line, in one write, flushed to disk."""
        text = self.line(seq, entry_hash, at, actor)
        try:
            size = os.fstat(self._fd).st_size
            # a last line without its newline (edited by hand) must not swallow this one
            lead = "\n" if size and os.pread(self._fd, 1, size - 1) != b"\n" else ""
            os.write(self._fd, (lead + text + "\n").encode("utf-8"))
            os.fsync(self._fd)
        except OSError as exc:
            raise WitnessNotWrittenError(self.path, text, exc.strerror or str(exc)) from None

    def close(self) -> None:
        os.close(self._fd)


def _head(path: Path, number: int, raw: str) -> WitnessHead:
    if len(raw) > MAX_LINE:
        raise WitnessFileError(path, number, f"this line is longer than {MAX_LINE} "
                                             "characters, which no head is")
    try:
        record = loads_limited(raw, MAX_DEPTH)
    except TooDeep as exc:
        raise WitnessFileError(path, number, f"this line is not a head: {exc}") from None
    except (ValueError, RecursionError):
        raise WitnessFileError(path, number, "this line is not JSON") from None
    if not isinstance(record, Mapping):
        raise WitnessFileError(path, number, "this line is not a JSON object")
    seq, digest = record.get("seq"), record.get("entry_hash")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise WitnessFileError(path, number, "'seq' is not a positive whole number")
    if not (isinstance(digest, str) and len(digest) == 64 and set(digest) <= _HEX):
        raise WitnessFileError(path, number, "'entry_hash' is not 64 lower-case hex digits")
    note = record.get("checkpoint")
    if note is not None and not isinstance(note, str):
        raise WitnessFileError(path, number, "'checkpoint' is not text")
    return WitnessHead(number, seq, digest, str(record.get("at", "?")),
                       str(record.get("actor", "?")), note)


def read_heads(path: Path) -> list[WitnessHead]:
    """Every head the witness lists, in file order; blank lines are skipped."""
    try:
        text = read_capped(path, WITNESS_LIMIT, "witness file",
                           "keep the heads after a verified one in a new witness file"
                           ).decode("utf-8")
    except FileRefused as exc:
        raise WitnessFileError(path, None, str(exc)) from None
    except UnicodeDecodeError as exc:
        raise WitnessFileError(path, None, f"it is not UTF-8 text ({exc.reason} at byte "
                                           f"{exc.start})") from None
    return [_head(path, number, raw) for number, raw in enumerate(text.splitlines(), 1)
            if raw.strip()]


def signature_problem(head: WitnessHead, key: checkpoint.PublicKey) -> str | None:
    """Why this head is not signed by ``key`` over its own seq and hash; None when it is."""
    if head.checkpoint is None:
        return f"{head.where()} is not signed"
    try:
        note = checkpoint.parse_note(head.checkpoint)
    except ValueError as exc:
        return f"{head.where()} has a malformed checkpoint ({exc})"
    if not checkpoint.signed_by(note, key):
        return f"{head.where()} has no valid signature by the key {key.name}"
    if (note.origin, note.seq, note.entry_hash) != (key.name, head.seq, head.entry_hash):
        return (f"{head.where()} is signed for another head ({note.origin}, entry "
                f"{note.seq}, {note.entry_hash})")
    return None


def write_key_pair(name: str, out: Path) -> tuple[Path, checkpoint.PublicKey]:
    """A new Ed25519 key pair: the private key in ``out`` (readable by its owner only), the
    public key in ``out`` + ``.pub``. Refuses to overwrite either."""
    try:
        key = checkpoint.generate(name)
    except checkpoint.KeyFormatError as exc:
        raise KeyFileError(out, str(exc)) from None
    public_path = out.with_name(out.name + ".pub")
    for path in (out, public_path):
        if path.exists():
            raise KeyFileError(path, "it exists already, and a key is never overwritten; "
                                     "choose another --out")
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(key.text() + "\n")
        public_path.write_text(key.public().text() + "\n", encoding="utf-8")
    except OSError as exc:
        raise KeyFileError(out, exc.strerror or str(exc)) from None
    return public_path, key.public()
