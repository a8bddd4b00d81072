"""Signed heads: the head of the chain as a C2SP tlog-checkpoint, signed as a C2SP note.

A checkpoint is three lines: the origin (the log's name), the tree size (here the ``seq``
of the head) and the root hash (here the head's ``entry_hash``, 32 bytes, in base64). A
signed note is that text, a blank line, and one signature line per key:
``— NAME base64(key id || Ed25519 signature)``, the key id being the first four bytes of
SHA-256(NAME || 0x0A || 0x01 || public key). Keys are kept as text in the Go
``golang.org/x/mod/sumdb/note`` form, so that transparency tooling reads them:
``PRIVATE+KEY+NAME+ID+base64(0x01 || seed)`` and ``NAME+ID+base64(0x01 || public key)``.

Pure apart from the ``cryptography`` package: text in, text or a verdict out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

ED25519 = b"\x01"
_NAME = re.compile(r"^[^\s+\x00-\x1f]+$")
_DASH = "\u2014"


class KeyFormatError(ValueError):
    """A key's text is not in the note key form."""


def _key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519 + public).digest()[:4]


def check_name(name: str) -> str:
    """A key name (and checkpoint origin): no spaces, no plus, no control characters."""
    if not _NAME.match(name):
        raise KeyFormatError(f"{name!r} cannot name a key: use letters, digits, dots and "
                             "slashes, without spaces or '+' (for example "
                             "hr.example.com/tandem-audit)")
    return name


@dataclass(frozen=True)
class PublicKey:
    name: str
    raw: bytes

    @property
    def key_id(self) -> bytes:
        return _key_id(self.name, self.raw)

    def text(self) -> str:
        return (f"{self.name}+{self.key_id.hex()}+"
                f"{base64.b64encode(ED25519 + self.raw).decode('ascii')}")

    def verify(self, message: bytes, signature: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class PrivateKey:
    name: str
    seed: bytes

    def public(self) -> PublicKey:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        key = Ed25519PrivateKey.from_private_bytes(self.seed)
        return PublicKey(self.name, key.public_key().public_bytes(Encoding.Raw,
                                                                 PublicFormat.Raw))

    def text(self) -> str:
        public = self.public()
        return (f"PRIVATE+KEY+{self.name}+{public.key_id.hex()}+"
                f"{base64.b64encode(ED25519 + self.seed).decode('ascii')}")

    def sign(self, message: bytes) -> bytes:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def generate(name: str) -> PrivateKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    seed = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                                      NoEncryption())
    return PrivateKey(check_name(name), seed)


def _key_parts(text: str, what: str) -> tuple[str, bytes, bytes]:
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise KeyFormatError(f"this is not {what} (NAME+ID+KEY, as `tandem audit keygen` "
                             "writes it)")
    name, key_id, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
        wanted_id = bytes.fromhex(key_id)
    except (binascii.Error, ValueError):
        raise KeyFormatError(f"this is not {what}: its id or key is not hex and base64"
                             ) from None
    if raw[:1] != ED25519 or len(raw) != 33:
        raise KeyFormatError(f"this is not {what}: only Ed25519 keys are supported")
    return check_name(name), wanted_id, raw[1:]


def parse_public(text: str) -> PublicKey:
    name, key_id, raw = _key_parts(text, "a public key")
    key = PublicKey(name, raw)
    if key.key_id != key_id:
        raise KeyFormatError("this public key's id does not match its name and key: the "
                             "file was changed")
    return key


def parse_private(text: str) -> PrivateKey:
    stripped = text.strip()
    if not stripped.startswith("PRIVATE+KEY+"):
        raise KeyFormatError("this is not a private key (PRIVATE+KEY+NAME+ID+KEY, as "
                             "`tandem audit keygen` writes it)")
    name, key_id, seed = _key_parts(stripped[len("PRIVATE+KEY+"):], "a private key")
    key = PrivateKey(name, seed)
    if key.public().key_id != key_id:
        raise KeyFormatError("this private key's id does not match its name and key: the "
                             "file was changed")
    return key


def checkpoint_text(origin: str, seq: int, entry_hash: str) -> str:
    """The tlog-checkpoint body: origin, size, root hash (base64), each ending in a newline."""
    root = base64.b64encode(bytes.fromhex(entry_hash)).decode("ascii")
    return f"{origin}\n{seq}\n{root}\n"


def sign_checkpoint(key: PrivateKey, seq: int, entry_hash: str) -> str:
    """A signed note of the head's checkpoint, with the key's name as the origin."""
    body = checkpoint_text(key.name, seq, entry_hash)
    signature = base64.b64encode(key.public().key_id + key.sign(body.encode("utf-8")))
    return f"{body}\n{_DASH} {key.name} {signature.decode('ascii')}\n"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    seq: int
    entry_hash: str
    body: str
    signatures: tuple[tuple[str, bytes], ...]  # (key name, key id || signature)


def parse_note(note: str) -> Checkpoint:
    """A signed checkpoint note; ValueError when it is not one."""
    body, sep, sigs = note.partition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise ValueError("not a signed note (text, a blank line, signature lines)")
    lines = body.split("\n")
    if len(lines) < 3:
        raise ValueError("a checkpoint has an origin, a size and a root hash")
    origin, size, root = lines[:3]
    try:
        seq = int(size)
        entry_hash = base64.b64decode(root, validate=True).hex()
    except (ValueError, binascii.Error):
        raise ValueError("the checkpoint's size or root hash is malformed") from None
    signatures = []
    for line in sigs[:-1].split("\n"):
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise ValueError("a signature line is malformed") from None
        if dash != _DASH or not name or len(raw) < 5:
            raise ValueError("a signature line is malformed")
        signatures.append((name, raw))
    return Checkpoint(origin, seq, entry_hash, body + "\n", tuple(signatures))


def signed_by(checkpoint: Checkpoint, key: PublicKey) -> bool:
    """Does a signature of this key over the checkpoint verify?"""
    for name, raw in checkpoint.signatures:
        if name == key.name and raw[:4] == key.key_id:
            return key.verify(checkpoint.body.encode("utf-8"), raw[4:])
    return False
