"""Reading the log for the compliance report and the fairness figures of a committed run.

The database is read here, once, in one consistent transaction; the arranging and the
figures are engine.report's and engine.fairness's. Protected data is read from the erasable
snapshot table only, never from the chain.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from audit.due import due_from_entries
from audit.log import db as database
from audit.log import store
from audit.log.chain import Anchor, Verifier
from audit.log.entries import monitoring_key
from audit.log.kinds import KIND_RUN
from audit.log.store import LogFilter
from audit.log.validate import problems, well_formed
from audit.log.verify import anchors
from audit.state import derive_state
from engine import __version__
from engine.base.errors import TandemError
from engine.base.protected import PROTECTED
from engine.fairness import TOO_SMALL, FairnessReport, fairness_of_pairing
from engine.report.model import ChainState, PairOutcome, Report, ReportInput, build_report
from engine.settings.program_file import Calendar


def witness_state(witness: Path | None, heads: Sequence[Anchor], key_name: str | None) -> str:
    """What the chain was checked against outside the database, in one sentence."""
    if witness is None:
        return ChainState.witness
    if not heads:
        return (f"witness {witness}: it holds no head, so nothing outside the database "
                "vouches for any entry")
    signed = f"each signed by {key_name}" if key_name else "unsigned (no public key given)"
    return (f"witness {witness}: {len(heads)} head{'' if len(heads) == 1 else 's'} checked, "
            f"{signed}; the last at entry {max(h.seq for h in heads)}")


def gather_report(db_url: str | None, runs: Sequence[str] = (), since: date | None = None,
                  *, witness: Path | None = None, public_key: Path | None = None,
                  min_group: int = TOO_SMALL, calendar: Calendar | None = None,
                  today: date | None = None) -> Report:
    """Everything the report shows, from the log at ``db_url``: the chain verified (against
    the heads of ``witness``, signed by ``public_key``, as `tandem audit verify` does), every
    entry, the rules texts, the kept profiles and every pair's result (the one definition,
    ``audit.insights.results``); ``runs`` (id prefixes) and ``since`` narrow what is shown,
    never what is verified. With a ``calendar``, what is due on ``today`` (default: today)
    in the whole log, by the one definition of `tandem due` (``audit.due``)."""
    heads, key_name = anchors(witness if witness and witness.exists() else None, public_key)
    db = database.open_for_read(database.resolve_url(db_url))
    entries: list[dict[str, Any]] = []
    unreadable: list[int] = []
    try:
        with db.reading() as conn:
            verifier = Verifier(store.rules_text_ok(conn), anchors=heads,
                                witnessed=witness is not None,
                                snapshots=lambda digest: store.snapshot_digests(conn, digest),
                                notes=store.notes(conn))
            with closing(store.iter_rows(conn)) as rows:
                for row in rows:
                    # Up to the first finding, the verifier has checked each row's schema
                    # (audit.log.chain.check_row): it is not checked a second time.
                    vouched = verifier.feed(row) is None
                    try:
                        doc = json.loads(row.entry)
                    except ValueError:
                        doc = None
                    if isinstance(doc, dict) and (vouched or not problems(doc)):
                        doc["seq"] = row.seq
                        entries.append(doc)
                    else:
                        unreadable.append(row.seq)
            rules_texts = {r["rules_text_digest"]: r["files"] for r in store.iter_rules(conn)}
            kept: dict[str, list[tuple[str, str, Any]]] = {}
            for snap in store.iter_snapshots(conn):
                key = str(snap["input_digest"])
                digest = ("sha256:" + key.removeprefix(f"{PROTECTED}:")
                          if key.startswith(f"{PROTECTED}:") else key)
                kept.setdefault(digest, []).append((key, str(snap["person_id"]),
                                                    snap["profile"]))
            snapshots = {digest: merge_protected(found) for digest, found in kept.items()}
    finally:
        db.dispose()
    report = verifier.finish()
    finding = report.finding
    checked = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    chain = ChainState(ok=report.ok, entries=report.entries, head=str(report.head),
                       checked_at=checked,
                       finding_seq=finding.seq if finding else None,
                       finding_problem=finding.problem if finding else None,
                       finding_message=finding.message if finding else None,
                       witness=witness_state(witness, heads, key_name))
    state = derive_state(entries)
    return build_report(ReportInput(
        db=db.shown, entries=entries, rules_texts=rules_texts, snapshots=snapshots,
        chain=chain, active_pairs=len(state.active), generated_at=checked,
        tandem_version=__version__, unreadable=unreadable, runs=tuple(runs), since=since,
        results=pair_results(entries), min_group=min_group,
        due=None if calendar is None else due_from_entries(entries, calendar,
                                                           today or date.today())))


def pair_results(entries: Sequence[dict[str, Any]]) -> tuple[PairOutcome, ...]:
    """Every pair with a known result, in an ended cohort (as `tandem insights` counts)."""
    from audit.followup import ended_results

    return tuple(PairOutcome(f.mentor, f.mentee, f.result, f.cohort)
                 for f in ended_results(entries))


def run_fairness(db_url: str | None, run: str, min_group: int = TOO_SMALL
                 ) -> tuple[dict[str, Any], FairnessReport]:
    """The pairing run whose id starts with ``run`` (exactly one; runs of other commands,
    such as reassign, are not selections of a cohort), and its fairness figures from its
    decisions and its kept profiles."""
    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            docs = list(well_formed(json.loads(r.entry) for r in reversed(
                store.select_rows(conn, LogFilter(run=run)))))
            heads = [d for d in docs if d.get("kind") == KIND_RUN]
            pairing = [d for d in heads if d.get("command", "pair") == "pair"]
            if not heads:
                raise TandemError(f"no run of the audit log {db.shown} starts with {run!r}; "
                                  "`tandem audit log` lists the runs")
            if not pairing:
                raise TandemError(f"run {heads[0].get('run')} is a {heads[0].get('command')} "
                                  "run, not a pairing run; give the id of a run `tandem pair "
                                  "--commit` recorded")
            if len(pairing) > 1:
                found = ", ".join(str(d.get("run")) for d in pairing)
                raise TandemError(f"{len(pairing)} pairing runs start with {run!r} ({found}); "
                                  "give more of the id")
            head = pairing[0]
            digest = str(head.get("input_digest"))
            profiles = merge_protected(store.kept_profiles(conn,
                                                           (digest, monitoring_key(digest))))
    finally:
        db.dispose()
    try:
        as_of = date.fromisoformat(str(head.get("as_of")))
    except ValueError:
        raise TandemError(f"run {head.get('run')} has no valid as_of date; run `tandem audit "
                          "verify`") from None
    own = [d for d in docs if d.get("run") == head.get("run")]
    figures = fairness_of_pairing([d for d in own if d.get("kind") == "pair"],
                                  [d for d in own if d.get("kind") == "unpaired"],
                                  profiles, as_of, min_group)
    return head, figures


def merge_protected(rows: Iterable[tuple[str, str, Any]]) -> dict[str, dict[str, Any]]:
    """Profiles by person from (key, person, profile) snapshot rows of one input: a row
    under the monitoring key adds its protected object to the person's kept profile (an
    erased profile stays erased)."""
    profiles: dict[str, dict[str, Any]] = {}
    extra: dict[str, Any] = {}
    for key, person, profile in rows:
        if not isinstance(profile, dict):
            continue
        if key.startswith(f"{PROTECTED}:"):
            extra[person] = profile.get(PROTECTED)
        else:
            profiles[person] = profile
    for person, protected in extra.items():
        if person in profiles and isinstance(protected, dict):
            profiles[person] = {**profiles[person], PROTECTED: protected}
    return profiles
