"""From a pairing result to audit entries: plain dicts of ids and evidence, no I/O.

An entry is a JSON object. Every entry has ``seq``, ``kind``, ``run``, ``at`` (UTC) and
``actor``; the other keys depend on the kind. A committed run writes three kinds, as one
group: a ``run`` entry first, then one ``pair`` entry per pair formed, then
one ``unpaired`` entry per person left out. Later kinds append to the same log; no entry is
ever changed.

The log keeps ids, scores, rule ids, ``because`` texts and the evidence the rules used. It
never keeps ``protected`` data, and people's names are cut out of the sentences (``M01 (Ana
Ruiz)`` becomes ``M01``): whole profiles go to the erasable snapshot table instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from audit.log.errors import InvalidResultError
from audit.log.identity import stamp
from audit.log.kinds import KIND_PAIR, KIND_RUN, KIND_UNPAIRED
from engine.base.canonical import canonical_json, digest, sha256_hex
from engine.base.protected import PROTECTED, strip_protected

GENESIS = "0" * 64
COMMON_KEYS = ("seq", "kind", "run", "at", "actor")

# The columns the store keeps beside each entry for searching, and the entry key each copies.
INDEX_COLUMNS: Mapping[str, str] = {
    "run_id": "run", "kind": "kind", "at": "at", "actor": "actor",
    "mentor_id": "mentor", "mentee_id": "mentee", "person_id": "person",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One link of the chain: the entry, its canonical JSON, and the two hashes that tie it
    to the one before."""

    seq: int
    prev_hash: str
    entry_hash: str
    doc: Mapping[str, Any]
    text: str

    @property
    def kind(self) -> str:
        return str(self.doc["kind"])

    def columns(self) -> dict[str, Any]:
        """The row the store writes: index columns, the entry as canonical JSON, the hashes."""
        row: dict[str, Any] = {col: self.doc.get(key) for col, key in INDEX_COLUMNS.items()}
        row.update(seq=self.seq, entry=self.text, prev_hash=self.prev_hash,
                   entry_hash=self.entry_hash)
        return row


def entry_hash(prev_hash: str, doc: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the previous entry's hash (64 hex characters) followed by the entry."""
    return sha256_hex(prev_hash + canonical_json(doc))


def link(docs: Iterable[Mapping[str, Any]], head_seq: int, head_hash: str) -> list[Entry]:
    """Number the entries after the head and chain their hashes; each names the program
    being recorded, when a program file names one (`audit.log.identity`)."""
    entries: list[Entry] = []
    seq, prev = head_seq, head_hash
    for doc in docs:
        seq += 1
        numbered = stamp({**doc, "seq": seq})
        text = canonical_json(numbered)
        digest_ = sha256_hex(prev + text)
        entries.append(Entry(seq, prev, digest_, numbered, text))
        prev = digest_
    return entries


def redact_names(text: str, names: Mapping[str, str], subjects: Sequence[str]) -> str:
    """Cut the subjects' names out of a sentence: ``Name (ID)``, ``ID (Name)`` and the name
    on its own all become ``ID``. Other people are named by id already."""
    for pid in subjects:
        name = names.get(pid)
        if not name:
            continue
        text = text.replace(f"{name} ({pid})", pid).replace(f"{pid} ({name})", pid)
        if len(name) > 2 and name in text:
            text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", pid.replace("\\", "\\\\"), text)
    return text


def names_of(profiles: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {str(p["id"]): str(p["name"]) for p in profiles
            if isinstance(p.get("id"), str) and isinstance(p.get("name"), str)}


def snapshot_rows(profiles: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """One row per profile for the snapshot table, ``protected`` data removed."""
    rows = []
    for profile in profiles:
        if not isinstance(profile.get("id"), str):
            raise InvalidResultError("a profile for the snapshot has no string 'id'")
        rows.append({"person_id": profile["id"], "role": str(profile.get("role", "")),
                     "profile": canonical_json(strip_protected(profile))})
    return rows


def monitoring_key(input_digest: str) -> str:
    """The snapshot key under which the protected data of an input is kept, apart from its
    profiles: ``protected:`` and the input digest's hex."""
    return f"{PROTECTED}:{input_digest.removeprefix('sha256:')}"


def protected_rows(profiles: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """One snapshot row per profile that has protected data: ``{"protected": {...}}`` only.

    Kept under ``monitoring_key``, outside the chain and erasable like the profiles, for
    fairness monitoring (`tandem report`, `tandem fairness --run`). No entry and no digest
    in the chain depends on it."""
    rows = []
    for profile in profiles:
        found = profile.get(PROTECTED)
        if isinstance(profile.get("id"), str) and isinstance(found, Mapping) and found:
            rows.append({"person_id": profile["id"], "role": str(profile.get("role", "")),
                         "profile": canonical_json({PROTECTED: strip_protected(dict(found))})})
    return rows


def profile_digest(text: Any) -> str:
    """Digest of one kept profile, as stored: ``sha256:`` and the hex of its exact text."""
    return "sha256:" + sha256_hex(text if isinstance(text, str | bytes) else repr(text))


def profile_digests(profiles: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Person id -> digest of the profile the snapshot table keeps, for the run entry."""
    return {row["person_id"]: profile_digest(row["profile"])
            for row in snapshot_rows(profiles)}


def note_digest(salt: str, text: str) -> str:
    """The salted digest of a note's text, as its entry holds it: ``sha256:`` and the hex of
    the SHA-256 of the salt followed by the text."""
    return "sha256:" + sha256_hex(salt + text)


def note_state(digest: str, kept: tuple[str, str] | None) -> str:
    """``kept`` when the note's row (salt, text) still matches the digest its entry holds,
    ``altered`` when it does not, ``erased`` when the row is gone."""
    if kept is None:
        return "erased"
    return "kept" if note_digest(*kept) == digest else "altered"


def rules_text_digest(rules_files: Mapping[str, str]) -> str:
    """Digest of the rule files' exact text: canonical JSON of {file name: text}."""
    return digest(dict(rules_files))


def import_provenance(source: Mapping[str, Any]) -> dict[str, Any]:
    """What the run entry keeps of a cohort's ``program.import``: the source file and the
    mapping with their digests, each profile's source row, and the questionnaire's digest;
    never the answers nor their totals (those stay in the cohort file)."""
    kept = {key: source[key] for key in ("source", "source_digest", "mapping",
                                         "mapping_digest", "rows") if key in source}
    questionnaire = source.get("questionnaire")
    if isinstance(questionnaire, Mapping):
        kept["questionnaire"] = {key: questionnaire[key] for key in ("file", "digest", "answers",
                                                                     "answers_digest")
                                 if key in questionnaire}
    return strip_protected(kept)  # type: ignore[no-any-return]


# -- the run's entries ----------------------------------------------------------------------

def _require(ok: bool, problem: str) -> None:
    if not ok:
        raise InvalidResultError(problem)


def _capacities(profiles: Sequence[Mapping[str, Any]], settings: Any) -> dict[str, int]:
    default = settings.get("default_capacity", 1) if isinstance(settings, Mapping) else 1
    return {str(p["id"]): int(p.get("capacity") or default or 1) for p in profiles
            if isinstance(p.get("id"), str) and p.get("role") == "mentor"}


def check_result(result: Mapping[str, Any], busy: frozenset[str],
                 load: Mapping[str, int] | None = None,
                 capacities: Mapping[str, int] | None = None) -> None:
    """Refuse a result that breaks the engine's JSON contract, or gives anyone more places
    than they have: a mentee already in a pair, a mentor beyond their capacity.

    ``load``: places each person holds already (default: one for each id of ``busy``).
    ``capacities``: each mentor's capacity (default 1).
    """
    for key in ("tandem_version", "rules_digest", "input_digest", "settings", "pairs",
                "unpaired", "summary"):
        _require(key in result, f"the result has no {key!r}")
    _require(isinstance(result["pairs"], list), "'pairs' is not a list")
    _require(isinstance(result["unpaired"], list), "'unpaired' is not a list")
    before = dict(load) if load is not None else dict.fromkeys(busy, 1)
    added: dict[str, int] = {}
    caps = capacities or {}
    for i, pair in enumerate(result["pairs"]):
        where = f"pairs[{i}]"
        _require(isinstance(pair, Mapping), f"{where} is not an object")
        for key in ("mentor", "mentee"):
            _require(isinstance(pair.get(key), str), f"{where}.{key} is not an id")
            person = pair[key]
            places = caps.get(person, 1) if key == "mentor" else 1
            held = before.get(person, 0)
            _require(held < places, f"{where} pairs {person}, who is already in an active pair")
            _require(held + added.get(person, 0) < places,
                     f"{where} pairs {person} beyond their {places} place(s)")
            added[person] = added.get(person, 0) + 1
        _require(isinstance(pair.get("score"), int | float), f"{where}.score is not a number")
        _require(isinstance(pair.get("reasons"), list), f"{where}.reasons is not a list")
        _require(isinstance(pair.get("sentence"), str), f"{where}.sentence is not text")
    for i, person in enumerate(result["unpaired"]):
        where = f"unpaired[{i}]"
        _require(isinstance(person, Mapping), f"{where} is not an object")
        for key in ("id", "role", "reason"):
            _require(isinstance(person.get(key), str), f"{where}.{key} is not text")


def run_documents(result: Mapping[str, Any], rules_files: Mapping[str, str],
                  profiles: Sequence[Mapping[str, Any]], *, run_id: str, at: str, actor: str,
                  busy: frozenset[str], load: Mapping[str, int] | None = None,
                  command: str | None = None,
                  freed_by: Mapping[str, int] | None = None,
                  source: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The entries of one committed run, without seq: the run, its pairs, its unpaired.

    ``command="reassign"`` writes ``reassignment`` entries instead of ``pair`` ones, each
    with ``after``: the separations (``freed_by``: person -> seq) that freed its people.
    Settings with ``approval: required`` mark the run as a proposal. ``source``: where
    the profiles were imported from (`import_provenance`), kept as the run's ``import``.
    """
    check_result(result, busy, load, _capacities(profiles, result.get("settings")))
    names = names_of(profiles)
    common = {"run": run_id, "at": at, "actor": actor}
    reassign = command == "reassign"
    freed = freed_by or {}
    pairs = []
    for p in result["pairs"]:
        doc = {**common, "kind": "reassignment" if reassign else KIND_PAIR,
               "mentor": p["mentor"], "mentee": p["mentee"], "score": p["score"],
               "sentence": redact_names(p["sentence"], names, (p["mentor"], p["mentee"])),
               "reasons": strip_protected(p["reasons"])}
        if reassign:
            doc["after"] = sorted({freed[x] for x in (p["mentor"], p["mentee"]) if x in freed})
        if "arm" in p:  # an experiment: the arm of the pair's mentee
            doc["arm"] = p["arm"]
        pairs.append(doc)
    unpaired = [{**common, "kind": KIND_UNPAIRED, "person": u["id"], "role": u["role"],
                 "reason": u["reason"],
                 "why": redact_names(str(u.get("why", "")), names, (u["id"],)),
                 "detail": strip_protected(u.get("detail") or {})}
                for u in result["unpaired"]]
    run = {**common, "kind": KIND_RUN,
           "tandem_version": result["tandem_version"],
           "rules_digest": result["rules_digest"],
           "rules_text_digest": rules_text_digest(rules_files),
           "rules_files": sorted(rules_files),
           "input_digest": result["input_digest"],
           "as_of": result.get("as_of"),
           "settings": strip_protected(result["settings"]),
           "summary": strip_protected(result["summary"]),
           "active_before": len(busy),
           "profile_digests": profile_digests(profiles),
           "entries": len(pairs) + len(unpaired)}
    if command:
        run["command"] = command
    if result.get("accepted_warnings"):  # committed with --accept-warnings
        run["accepted_warnings"] = [str(w) for w in result["accepted_warnings"]]
    if "experiment" in result:  # the seed, the share, the new rules, each mentee's arm
        run["experiment"] = dict(result["experiment"])
    if source:
        run["import"] = import_provenance(source)
    settings = result["settings"]
    if isinstance(settings, Mapping) and settings.get("approval") == "required":
        run["approval"] = "required"
    if result.get("solver", {}).get("method", "assignment") != "assignment":
        run["solver"] = dict(result["solver"])  # constraints: how the MILP did, and its gap
    return [run, *pairs, *unpaired]
