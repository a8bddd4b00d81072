"""Audit entries in plain words, for a compliance reviewer. Pure: entries in, lines out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from audit.log.kinds import (
    KIND_LETTER,
    KIND_MY_JOB_DAY,
    KIND_MY_JOB_DAY_RUN,
    KIND_MY_JOB_DAY_UNMET,
    KIND_PAIR,
    KIND_RUN,
    KIND_UNPAIRED,
)
from engine.base.canonical import canonical_json
from engine.program.events import (
    KIND_APPROVAL,
    KIND_CORRECTION,
    KIND_DECISION,
    KIND_REASSIGNMENT,
    KIND_REJECTION,
    KIND_REJOIN,
    KIND_SEPARATION,
    KIND_WITHDRAWAL,
    LIFECYCLE_KINDS,
)

if TYPE_CHECKING:
    from audit.review import EntryView
    from audit.state import ProgramState

KIND_TITLES = {KIND_RUN: "a pairing run was committed", KIND_PAIR: "a pair was formed",
               KIND_UNPAIRED: "a person was left unpaired",
               KIND_SEPARATION: "a couple was separated",
               KIND_REASSIGNMENT: "a new partner was found after a separation",
               KIND_DECISION: "a person decided on a pair",
               KIND_APPROVAL: "a proposed run was approved",
               KIND_REJECTION: "a proposed run was rejected",
               KIND_WITHDRAWAL: "a person withdrew from the program",
               KIND_REJOIN: "a withdrawn person rejoined the program",
               KIND_CORRECTION: "the outcome of a pair was corrected",
               KIND_MY_JOB_DAY_RUN: "a my-job-day plan was committed (apart from the pairing)",
               KIND_MY_JOB_DAY: "a my-job-day visit was planned",
               KIND_MY_JOB_DAY_UNMET: "a my-job-day wish was not fully met",
               "checkin": "a check-in of a pair was reported",
               "outcome": "the outcome of a pair was reported",
               KIND_LETTER: "an introduction letter was sent",
               "erasure": "a person's kept personal data was erased"}


FOLLOW_UP = ("checkin", "outcome", KIND_CORRECTION)


def _value(value: Any) -> str:
    return value if isinstance(value, str) else canonical_json(value)


def _points(points: Any) -> str:
    if isinstance(points, int | float) and not isinstance(points, bool):
        return f"{points:+g} points"
    return "no points"


def summary(doc: Mapping[str, Any]) -> str:
    """One line: what the entry records."""
    kind = doc.get("kind")
    if kind == KIND_PAIR:
        return f"{doc.get('mentor')} mentors {doc.get('mentee')}, score {doc.get('score')}"
    if kind == KIND_UNPAIRED:
        return f"{doc.get('person')} ({doc.get('role')}) unpaired: {doc.get('reason')}"
    if kind == KIND_RUN:
        s = doc.get("summary") or {}
        what = "reassignment run" if doc.get("command") == "reassign" else "run"
        proposal = ", a proposal waiting for approval" if doc.get("approval") else ""
        return (f"{what} by {doc.get('actor')}: {s.get('pairs', '?')} pairs, "
                f"{s.get('unpaired', '?')} unpaired{proposal}")
    if kind == KIND_SEPARATION:
        return (f"{doc.get('mentor')} and {doc.get('mentee')} separated "
                f"({doc.get('category')}): {doc.get('reason')}")
    if kind == KIND_REASSIGNMENT:
        after = ", ".join(str(s) for s in doc.get("after") or []) or "none"
        return (f"{doc.get('mentor')} mentors {doc.get('mentee')}, score {doc.get('score')} "
                f"(after separation {after})")
    if kind == KIND_DECISION:
        return (f"{doc.get('decision')} {doc.get('mentor')} with {doc.get('mentee')}: "
                f"{doc.get('reason')}")
    if kind == KIND_APPROVAL:
        return f"run {doc.get('approves')} approved ({len(doc.get('pairs') or [])} pairs)"
    if kind == KIND_REJECTION:
        return f"run {doc.get('rejects')} rejected: {doc.get('reason')}"
    if kind == "checkin":
        by = f" by the {doc['by']}" if doc.get("by") else ""
        return f"check-in on {doc.get('on')}{by}: rating {doc.get('rating')} of 5"
    if kind == "outcome":
        return (f"outcome of {doc.get('mentor')} with {doc.get('mentee')} (pair entry "
                f"{doc.get('pair_seq')}): {doc.get('result')}")
    if kind == KIND_CORRECTION:
        return (f"outcome of {doc.get('mentor')} with {doc.get('mentee')} corrected to "
                f"{doc.get('result')} (supersedes entry {doc.get('corrects')}): "
                f"{doc.get('reason')}")
    if kind == KIND_WITHDRAWAL:
        return f"{doc.get('person')} withdrew from the program: {doc.get('reason')}"
    if kind == KIND_REJOIN:
        return (f"{doc.get('person')} rejoined the program (after entry "
                f"{doc.get('withdrawal')}): {doc.get('reason')}")
    if kind == KIND_LETTER:
        return (f"introduction letter sent to {doc.get('person')} (partner {doc.get('partner')},"
                f" run {doc.get('for_run')})")
    if kind == KIND_MY_JOB_DAY:
        return (f"{doc.get('visitor')} visits {doc.get('host')} on {doc.get('day')}, "
                f"score {doc.get('score')}")
    if kind == KIND_MY_JOB_DAY_UNMET:
        return (f"{doc.get('person')} got {doc.get('got')} of {doc.get('wanted')} my-job-day "
                "visits")
    if kind == KIND_MY_JOB_DAY_RUN:
        s = doc.get("summary") or {}
        return (f"my-job-day plan by {doc.get('actor')}: {s.get('visits', '?')} visits, "
                f"{s.get('unmet', '?')} unmet")
    if kind == "erasure":
        return f"erased: the kept data of {doc.get('person')} ({doc.get('reason')})"
    return str(kind)


def subject(doc: Mapping[str, Any]) -> str:
    kind = doc.get("kind")
    if kind in (KIND_PAIR, KIND_SEPARATION, KIND_REASSIGNMENT, KIND_DECISION, *FOLLOW_UP):
        return f"{doc.get('mentor')} → {doc.get('mentee')}"
    if kind in (KIND_UNPAIRED, KIND_MY_JOB_DAY_UNMET, KIND_WITHDRAWAL, KIND_REJOIN, "erasure"):
        return str(doc.get("person"))
    if kind == KIND_MY_JOB_DAY:
        return f"{doc.get('visitor')} → {doc.get('host')}"
    return ""


def when(at: Any) -> str:
    """``2026-09-01T10:15:30.123456Z`` as ``2026-09-01 10:15:30 UTC``."""
    text = str(at)
    return f"{text[:10]} {text[11:19]} UTC" if len(text) >= 19 else text


def days_since(at: Any, now: datetime) -> int:
    """Whole days from an entry's ``at`` (UTC) to ``now``."""
    try:
        start = datetime.strptime(str(at)[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return 0
    return max(0, (now - start).days)


def _reasons(doc: Mapping[str, Any]) -> list[str]:
    reasons = doc.get("reasons") or []
    lines = [f"Why: the rules that fired ({len(reasons)}), for a score of {doc.get('score')}"]
    for i, reason in enumerate(reasons, 1):
        effect = reason.get("effect", "score")
        weight = _points(reason.get("points")) if effect == "score" else f"effect: {effect}"
        lines.append(f"  {i}. {reason.get('rule')}: {reason.get('title', '')} ({weight})")
        lines.append(f"     Because: {reason.get('because', '')}")
        evidence = reason.get("evidence") or {}
        if evidence:
            facts = "; ".join(f"{k} = {_value(v)}" for k, v in sorted(evidence.items()))
            lines.append(f"     Evidence: {facts}")
    return lines


def _people(view: EntryView, ids: list[str]) -> list[str]:
    if not ids:
        return []
    states = view.profiles or {}
    known = [f"{pid} is {view.names[pid]}" for pid in ids if pid in view.names]
    lines = ["People"]
    if known:
        lines.append(f"  {' and '.join(known)} (from the input snapshot, which can be "
                     "erased; the log itself keeps ids only).")
    altered = [pid for pid in ids if states.get(pid) == "altered"]
    if altered:
        lines.append(f"  The kept profile of {', '.join(altered)} was ALTERED after the run: "
                     "it no longer matches the digest the run recorded, so no name is shown. "
                     "`tandem audit verify` names it.")
    erased = [pid for pid in ids if states.get(pid) == "erased"]
    if erased:
        lines.append(f"  The profile of {', '.join(erased)} was erased; the log keeps the id "
                     "only.")
    missing = [pid for pid in ids if pid not in view.names
               and states.get(pid) not in ("altered", "erased")]
    if missing:
        lines.append(f"  No profile is kept for {', '.join(missing)} (erased, or never "
                     "stored); the log keeps the id only.")
    unchecked = [pid for pid in ids if states.get(pid) == "unchecked"]
    if unchecked:
        lines.append(f"  The run recorded no digest of the profile of {', '.join(unchecked)} "
                     "(it predates profile digests): the name cannot be checked.")
    return lines


def _run(run: Mapping[str, Any] | None, seq: int) -> list[str]:
    if not run:
        return ["Run", "  The run entry of this entry is missing: run `tandem audit verify`."]
    settings = run.get("settings") or {}
    lines = [
        "Who, when, on what",
        f"  Run {run.get('run')}, committed by {run.get('actor')} on {when(run.get('at'))}, "
        f"with Tandem {run.get('tandem_version')}.",
        f"  Tenure measured as of {run.get('as_of')}. Settings: "
        + (", ".join(f"{k}={_value(v)}" for k, v in sorted(settings.items())) or "none") + ".",
        f"  Input: {run.get('input_digest')}",
        f"  Rules: {run.get('rules_digest')}; their exact text is kept as "
        f"{run.get('rules_text_digest')} ({', '.join(run.get('rules_files') or []) or 'no files'}"
        f"). Print it with `tandem audit show {seq} --rules-text`.",
    ]
    if run.get("active_before"):
        lines.append(f"  {run['active_before']} people were already in active pairs before "
                     "this run; they were not paired again.")
    return lines


def _lifecycle(doc: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The people a lifecycle entry is about, and its lines."""
    kind = doc.get("kind")
    mentor, mentee = str(doc.get("mentor")), str(doc.get("mentee"))
    if kind == KIND_SEPARATION:
        return [mentor, mentee], [
            f"  {mentor} and {mentee} were separated; category: {doc.get('category')}.",
            f"  Reason: {doc.get('reason')}",
            f"  The pair was formed by entry {doc.get('pair_seq')} (`tandem audit show "
            f"{doc.get('pair_seq')}`)."]
    if kind == KIND_REASSIGNMENT:
        after = doc.get("after") or []
        chain = (f"  After separation entr{'y' if len(after) == 1 else 'ies'} "
                 f"{', '.join(str(s) for s in after)}: `tandem audit show {after[0]}` says why "
                 "the earlier pair ended." if after else
                 "  No separation freed these people: they had no partner before.")
        return [mentor, mentee], [f"  {doc.get('sentence')}", chain, "", *_reasons(doc)]
    if kind == KIND_DECISION:
        forced = doc.get("decision") == "force"
        lines = [f"  {doc.get('actor')} decided to {'force' if forced else 'forbid'} the pair "
                 f"{mentor} with {mentee}"
                 + (": the pair is active from this entry." if forced else
                    ": later runs never form it (rule history/forbidden-by-decision)."),
                 f"  Reason: {doc.get('reason')}"]
        excluded = doc.get("excluded_by") or []
        if excluded:
            lines.append(f"  The rules excluded this pair ({', '.join(excluded)})"
                         + ("; the exclusion was overridden by this decision."
                            if doc.get("override_exclusion") else "."))
        return [mentor, mentee], [*lines, "", *_reasons(doc)]
    if kind == KIND_WITHDRAWAL:
        person = str(doc.get("person"))
        ended = ", ".join(str(s) for s in doc.get("pairs") or []) or "none"
        return [person], [f"  {person} withdrew from the program: no later run, reassignment "
                          "or my-job-day plan includes them.",
                          f"  Reason: {doc.get('reason')}",
                          f"  Their pairs at the time (formed by entries {ended}) were "
                          "separated just before, in the same run."]
    if kind == KIND_REJOIN:
        person = str(doc.get("person"))
        return [person], [f"  {person} rejoined the program; the withdrawal of entry "
                          f"{doc.get('withdrawal')} no longer applies.",
                          f"  Reason: {doc.get('reason')}"]
    if kind == KIND_APPROVAL:
        pairs = ", ".join(str(s) for s in doc.get("pairs") or []) or "none"
        return [], [f"  Run {doc.get('approves')} was approved by {doc.get('actor')}; its "
                    f"pairs (entries {pairs}) are active from this entry."]
    return [], [f"  Run {doc.get('rejects')} was rejected by {doc.get('actor')}; none of its "
                f"pairs was formed.", f"  Reason: {doc.get('reason')}"]


_NOTE_STATES = {
    "kept": "its text is kept outside the chain, where it can be erased;",
    "erased": "erased: its text was deleted, as a note may be;",
    "altered": "ALTERED: the kept text or salt no longer matches the digest, do not trust it;",
}


def explain(view: EntryView) -> list[str]:
    """Everything a reviewer needs about one entry, in plain words."""
    doc, seq = view.entry.doc, view.entry.seq
    kind = str(doc.get("kind"))
    lines: list[str] = []
    finding = view.finding
    untrusted = (finding is not None and finding.problem not in ("snapshot", "note")
                 and finding.trusted_upto < seq)
    if finding is not None and untrusted:
        lines += [f"UNTRUSTED: the audit log is broken at entry {finding.seq}, at or before "
                  "this one; what follows may be forged. Run `tandem audit verify`.", ""]
    lines.append(f"Entry {seq} of the audit log: {KIND_TITLES.get(kind, kind)}.")
    people: list[str] = []
    if kind == KIND_PAIR:
        people = [str(doc.get("mentor")), str(doc.get("mentee"))]
        lines += [f"  {doc.get('sentence')}", "", *_reasons(doc)]
    elif kind == KIND_UNPAIRED:
        people = [str(doc.get("person"))]
        lines += [f"  {doc.get('person')} ({doc.get('role')}) was not paired: "
                  f"{doc.get('reason')}.", f"  {doc.get('why')}"]
        detail = doc.get("detail") or {}
        if detail:
            lines.append("  Detail: " + "; ".join(f"{k} = {_value(v)}"
                                                   for k, v in sorted(detail.items())))
    elif kind == KIND_MY_JOB_DAY:
        people = [str(doc.get("visitor")), str(doc.get("host"))]
        lines += [f"  {doc.get('sentence')}", "", *_reasons(doc)]
    elif kind == KIND_MY_JOB_DAY_UNMET:
        people = [str(doc.get("person"))]
        lines += [f"  {doc.get('person')} {doc.get('why')}."]
        detail = doc.get("detail") or {}
        if detail:
            lines.append("  Detail: " + "; ".join(f"{k} = {_value(v)}"
                                                   for k, v in sorted(detail.items())))
    elif kind in (KIND_RUN, KIND_MY_JOB_DAY_RUN):
        s = doc.get("summary") or {}
        lines.append("  Summary: " + (", ".join(f"{k} {_value(v)}" for k, v in s.items())
                                      or "none") + f"; {doc.get('entries')} entries follow.")
        if doc.get("command") == "reassign":
            lines.append("  A reassignment run: its pairs find new partners for free people.")
        if doc.get("approval"):
            lines.append("  Approval required: its pairs are a proposal until `tandem approve "
                         f"{doc.get('run')}` by another person.")
    elif kind in LIFECYCLE_KINDS:
        people, extra = _lifecycle(doc)
        lines += extra
    elif kind in FOLLOW_UP:
        note = doc.get("note_digest")
        lines += [f"  {doc.get('mentor')} and {doc.get('mentee')}, {summary(doc)} (the pair "
                  f"was formed by entry {doc.get('pair_seq')}).",
                  f"  Reported by {doc.get('actor')} on {when(doc.get('at'))}: a fact, not a "
                  "decision.",
                  "  Note: " + (_NOTE_STATES.get(view.note or "kept", "")
                                + f" the entry holds its salted digest {note}." if note
                                else "none.")]
    elif kind == KIND_LETTER:
        lines += [f"  To {doc.get('person')}, about the pair {doc.get('mentor')} → "
                  f"{doc.get('mentee')} of run {doc.get('for_run')}; sent by "
                  f"{doc.get('actor')} on {when(doc.get('at'))}.",
                  f"  Template {doc.get('template_digest')}; letter {doc.get('letter_digest')}"
                  " (the log keeps no text and no address)."]
    if kind in (KIND_SEPARATION, KIND_DECISION, KIND_APPROVAL, KIND_REJECTION,
                KIND_WITHDRAWAL, KIND_REJOIN):
        lines += ["", "Who, when", f"  Recorded by {doc.get('actor')} on {when(doc.get('at'))}"
                  f" (run {doc.get('run')})."]
        if doc.get("rules_digest"):
            lines.append(f"  Judged under rules {doc.get('rules_digest')}, on input "
                         f"{doc.get('input_digest')}.")
    elif kind == "erasure":
        from audit.erase import Erasure, describe

        lines += [f"  {describe(Erasure.from_doc(doc))}.",
                  "  The rows were deleted from the tables outside the chain; the entries that "
                  "name the person keep the id only, and `tandem audit verify` still passes."]
    elif kind not in (*FOLLOW_UP, KIND_LETTER):
        lines += ["", *_run(view.run, seq)]
    if people:
        lines += ["", *_people(view, people)]
    lines += ["", "Chain",
              f"  seq {seq}", f"  prev_hash  {view.entry.prev_hash}",
              f"  entry_hash {view.entry.entry_hash}",
              "  " + ("This entry, its link to the one before and the head of the log "
                      "check out." if view.hash_ok and not untrusted else
                      "THE CHAIN DOES NOT CHECK OUT UP TO THIS ENTRY.")
              + " `tandem audit verify` checks the whole chain."]
    if view.rules_files is not None:
        lines += ["", "Rules in force"]
        if not view.rules_files:
            lines.append("  The rules text is missing: run `tandem audit verify`.")
        for name, text in sorted(view.rules_files.items()):
            lines += [f"----- {name} -----", text.rstrip("\n"), f"----- end of {name} -----"]
    return lines


# -- one pair in the program's state (`tandem explain ... --db`) -----------------------------

def pair_in_program(state: ProgramState, capacities: Mapping[str, int], mentor: str,
                    mentee: str) -> dict[str, Any]:
    """Where (mentor, mentee) stands in the program, and, when it is not active, why in
    today's state: whom each person is paired with, places left, withdrawals. Pure."""
    status = state.status_of(mentor, mentee)
    left = state.places_left({mentor: capacities.get(mentor, 1)})[mentor]
    people = {}
    why = []
    for pid, role in ((mentor, "mentor"), (mentee, "mentee")):
        partners = state.partners(pid)
        gone = state.withdrawn.get(pid)
        held = state.proposed_partners(pid)
        people[role] = {"id": pid, "partners": partners, "proposed_with": held,
                        "withdrawn": gone.seq if gone else None}
        if gone:
            why.append(f"{pid} withdrew (entry {gone.seq})")
        elif partners:
            why.append(f"{pid} is paired with {', '.join(partners)}")
        elif held:
            why.append(f"{pid} is proposed with {', '.join(held)}")
        else:
            why.append(f"{pid} is in no pair")
    people["mentor"]["places_left"] = left
    why[0] += f" ({left} place{'' if left == 1 else 's'} left)"
    return {"status": status.state, "seq": status.seq, "detail": status.detail,
            "why": "; ".join(why), **people}


def with_program(report: dict[str, Any], program: Mapping[str, Any]) -> dict[str, Any]:
    """The explanation of a pair, led by its status in the program: ``formed`` says
    whether the pair is active; ``best_pairing_forms_it`` keeps what a fresh pairing of the
    whole cohort would do."""
    fresh = str(report["verdict"])
    active = program["status"] == "active"
    lead = (f"active in the program ({program['detail']})" if active else
            f"{program['status'].replace('never', 'not formed')} in the program "
            f"({program['detail']}): {program['why']}")
    return {**report, "formed": active, "best_pairing_forms_it": report["formed"],
            "program": dict(program),
            "verdict": f"{lead}. Were both free, in a pairing of the others free: {fresh}"}


def program_view(db_url: str | None, mentor: str, mentee: str,
                 fallback: Mapping[str, int]) -> dict[str, Any] | None:
    """`pair_in_program` on the log of ``db_url`` (None when there is no log), with the
    capacities of the kept snapshot (``fallback``: the file's, for a mentor not kept)."""
    from audit.log import db as database
    from audit.state import kept_capacities, program_state

    present = database.open_if_present(database.resolve_url(db_url))
    if present is None:
        return None
    try:
        with present.reading() as conn:
            state = program_state(conn)
            caps = {**fallback, **kept_capacities(conn, state)}
    finally:
        present.dispose()
    return pair_in_program(state, caps, mentor, mentee)
