"""Every entry checked against the JSON Schema of its kind (``schemas/entries/KIND.schema.json``).

In: an entry as parsed from the log (or about to be appended). Out: what is wrong with it,
as short sentences naming the JSON path; nothing when it is well formed. Used three ways:

- on append (`audit.log.store.append`): Tandem never writes an entry its own schema refuses;
- by `verify` (`audit.log.chain.Verifier`): a malformed entry is damage at its seq, even
  when it is correctly hashed and linked (a forged append by a writer of the database);
- by every reader (`well_formed`): a malformed entry is skipped with a warning naming it,
  before the fold, so that one bad entry never stops the program.

A kind this Tandem does not know (written by a newer Tandem, or forged) is malformed too:
PostgreSQL refuses it on append (migration 0006), SQLite readers skip it with a warning
and `verify` reports it, so an older Tandem never acts on an entry it cannot understand.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from audit.log.kinds import ALL_KINDS
from engine.base import oplog
from engine.base.resources import schemas_dir

ENTRY_SCHEMAS = "entries"
_LOG = oplog.get_logger("tandem.audit")


@cache
def _validators() -> dict[str, Draft202012Validator]:
    folder = schemas_dir() / ENTRY_SCHEMAS
    found = {}
    for kind in ALL_KINDS:
        schema = json.loads((folder / f"{kind}.schema.json").read_text(encoding="utf-8"))
        found[kind] = Draft202012Validator(schema)
    return found


def required_keys() -> dict[str, list[str]]:
    """Kind -> the keys its schema requires (what the PostgreSQL trigger checks)."""
    return {kind: list(v.schema["required"]) for kind, v in _validators().items()}


def problems(doc: Any) -> list[str]:
    """What is wrong with this entry, every problem at once; empty when it is well formed."""
    if not isinstance(doc, Mapping):
        return ["the entry is not a JSON object"]
    kind = doc.get("kind")
    validator = _validators().get(kind) if isinstance(kind, str) else None
    if validator is None:
        known = ", ".join(ALL_KINDS)
        return [f"its kind {kind!r} is not one this Tandem knows ({known}); a newer Tandem "
                "may have written it"]
    found = []
    for error in sorted(validator.iter_errors(dict(doc)), key=lambda e: list(e.path)):
        found.append(f"{error.json_path}: {error.message}")
    return found


def describe(seq: Any, doc: Any, found: list[str]) -> str:
    kind = doc.get("kind") if isinstance(doc, Mapping) else None
    return (f"entry {seq} ({kind}) does not match the schema of its kind: "
            + "; ".join(found[:3]) + (f" (and {len(found) - 3} more)" if len(found) > 3 else ""))


def well_formed(docs: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """The entries that match their kind's schema, in order; each other one is skipped with
    a warning (on stderr) that names it and says to run `tandem audit verify`."""
    for doc in docs:
        found = problems(doc)
        if not found:
            yield doc
            continue
        seq = doc.get("seq") if isinstance(doc, Mapping) else None
        _LOG.warning("malformed audit entry skipped",
                     detail=describe(seq, doc, found) + "; it is left out of what this "
                     "command reads. Run `tandem audit verify` to see the damage.")
