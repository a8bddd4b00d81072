"""Verifying a chain of stored rows: the first wrong entry is named, with what is wrong."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.log.chain import Head, StoredRow, Verifier, parse_head
from audit.log.entries import entry_hash, link, rules_text_digest, run_documents
from tests.audit.builders import RULES_FILES, pair, result, unpaired

RULES_OK = {rules_text_digest(RULES_FILES): True}


def _run(run_id, n_pairs, head=(0, "0" * 64)):
    docs = run_documents(result([pair(f"M{run_id}{i}", f"E{run_id}{i}") for i in range(n_pairs)],
                                [unpaired(f"X{run_id}")]),
                         RULES_FILES, [], run_id=run_id, at="2026-09-01T10:00:00.000000Z",
                         actor="hr", busy=frozenset())
    return link(docs, *head)


def _stored(entries):
    rows = []
    for e in entries:
        cols = e.columns()
        rows.append(StoredRow(e.seq, e.prev_hash, e.entry_hash, cols.pop("entry"),
                              {k: v for k, v in cols.items()
                               if k not in ("seq", "prev_hash", "entry_hash")}))
    return rows


@cache
def _chain(n_runs, n_pairs):
    entries, head = [], (0, "0" * 64)
    for r in range(n_runs):
        run = _run(f"R{r}", n_pairs, head)
        entries += run
        head = (run[-1].seq, run[-1].entry_hash)
    return tuple(_stored(entries))


def _rows(n_runs=3, n_pairs=3):
    """3 runs of 5 entries each by default: run, 3 pairs, 1 unpaired."""
    return list(_chain(n_runs, n_pairs))


def _verify(rows, rules_ok=None, expected=None):
    verifier = Verifier(RULES_OK if rules_ok is None else rules_ok, expected)
    for row in rows:
        if verifier.feed(row):
            break
    return verifier.finish()


def _edit(row, old, new):
    assert old in row.entry
    return replace(row, entry=row.entry.replace(old, new, 1))


def test_an_intact_chain_verifies_and_reports_its_head():
    """No finding; the head is the last entry's seq and hash."""
    rows = _rows()
    report = _verify(rows)
    assert report.ok
    assert (report.entries, report.runs) == (15, 3)
    assert report.head == Head(15, rows[-1].entry_hash)


def test_an_empty_chain_verifies_with_the_genesis_head():
    """An empty log is intact; its head is seq 0 and 64 zeros."""
    report = _verify([], rules_ok={})
    assert report.ok
    assert report.head == Head(0, "0" * 64)


def test_an_empty_chain_with_rules_texts_kept_was_emptied():
    """Rules texts are kept only by committed runs: an empty log beside them lost entries."""
    report = _verify([])
    assert (report.finding.seq, report.finding.problem) == (1, "order")


# -- each kind of tampering is found at the right entry, as the right problem
@pytest.mark.parametrize(("tamper", "seq", "problem"), [
    # the content of an entry
    (lambda r: r.__setitem__(6, _edit(r[6], '"points":30', '"points":90')), 7, "content"),
    (lambda r: r.__setitem__(6, _edit(r[6], "shared professional", "shared personal")), 7,
     "content"),
    (lambda r: r.__setitem__(7, _edit(r[7], '"score":30', '"score":31')), 8, "content"),
    # the hashes
    (lambda r: r.__setitem__(3, replace(r[3], entry_hash="0" * 64)), 4, "content"),
    (lambda r: r.__setitem__(3, replace(r[3], prev_hash="1" * 64)), 4, "link"),
    # order: a removed row, two swapped rows, a duplicated row
    (lambda r: r.pop(4), 6, "order"),
    (lambda r: r.__setitem__(2, replace(r[3], seq=3)) or r.__setitem__(3, replace(
        r[2], seq=4)), 3, "order"),
    (lambda r: r.insert(5, r[4]), 5, "order"),
    # the searchable columns must say what the entry says
    (lambda r: r.__setitem__(1, replace(r[1], columns={**r[1].columns,
                                                       "mentor_id": "M9"})), 2, "index"),
])
def test_tampering_is_found_at_the_first_wrong_entry(tamper, seq, problem):
    """The finding names the first entry whose order, link or content is wrong."""
    rows = _rows()
    tamper(rows)
    report = _verify(rows)
    assert report.finding is not None
    assert (report.finding.seq, report.finding.problem) == (seq, problem)


def test_an_entry_rewritten_with_a_fresh_hash_breaks_the_next_link():
    """Recomputing the changed entry's hash moves the break to the next entry's link."""
    rows = _rows()
    row = _edit(rows[2], '"score":30', '"score":99')
    rows[2] = replace(row, entry_hash=entry_hash(row.prev_hash, json.loads(row.entry)))
    finding = _verify(rows).finding
    assert finding is not None
    assert (finding.seq, finding.problem) == (4, "link")


def test_a_run_missing_its_last_entries_is_found_at_its_run_entry():
    """A run entry announces its entries; a cut-off run is named by its run entry."""
    rows = _rows()[:-2]
    finding = _verify(rows).finding
    assert finding is not None
    assert (finding.seq, finding.problem) == (11, "run")
    assert "announces 4 entries but only 2 follow" in finding.message


def test_rules_text_changed_or_missing_is_found_at_the_run_entry():
    """The rule files' text kept for a run must still match the digest in its run entry."""
    digest = rules_text_digest(RULES_FILES)
    changed = _verify(_rows(), {digest: False}).finding
    missing = _verify(_rows(), {}).finding
    assert changed is not None and missing is not None
    assert (changed.seq, changed.problem) == (1, "rules")
    assert "was changed" in changed.message
    assert "missing" in missing.message


# -- a head kept outside the database catches what the chain alone cannot
def test_expect_head_detects_a_truncated_log():
    """Removing the last entries leaves a valid chain, but not the recorded head."""
    rows = _rows()
    head = Head(rows[-1].seq, rows[-1].entry_hash)
    report = _verify(rows[:10], expected=head)
    assert report.finding is not None
    assert (report.finding.seq, report.finding.problem) == (15, "head")
    assert "entries 11 to 15 were removed" in report.finding.message


def test_expect_head_detects_a_rewritten_tail():
    """A tail rebuilt with fresh hashes verifies, but its head differs from the recorded one."""
    rows = _rows()
    recorded = Head(rows[-1].seq, rows[-1].entry_hash)
    forged = rows[:5] + _stored(_run("RX", 8, (5, rows[4].entry_hash)))
    assert len(forged) == len(rows)
    assert _verify(forged).ok
    report = _verify(forged, expected=recorded)
    assert report.finding is not None
    assert (report.finding.seq, report.finding.problem) == (15, "head")
    assert "rewritten at or before entry 15" in report.finding.message


def test_expect_head_still_in_the_chain_passes():
    """A head recorded earlier, still present and unchanged, passes."""
    rows = _rows()
    report = _verify(rows, expected=Head(rows[4].seq, rows[4].entry_hash))
    assert report.ok


@pytest.mark.parametrize("text", ["41", "41:xyz", ":" + "a" * 64, "a:" + "b" * 64])
def test_parse_head_refuses_what_is_not_seq_colon_hash(text):
    """--expect-head takes SEQ:HASH only."""
    with pytest.raises(ValueError, match="is not SEQ:HASH"):
        parse_head(text)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_change_to_any_entry_is_detected_at_that_entry(data):
    """Changing any one character of any stored entry is found at that entry, even where
    the entry parses to the same value (a space between tokens): the stored bytes are
    verified, not a re-serialisation."""
    rows = _rows(n_runs=2, n_pairs=2)
    index = data.draw(st.integers(0, len(rows) - 1))
    text = rows[index].entry
    pos = data.draw(st.integers(0, len(text) - 1))
    char = data.draw(st.one_of(st.sampled_from(" \t\n\r"),
                               st.characters(codec="utf-8")).filter(lambda c: c != text[pos]))
    rows[index] = replace(rows[index], entry=text[:pos] + char + text[pos + 1:])
    report = _verify(rows)
    assert report.finding is not None
    assert report.finding.seq == rows[index].seq


def _relinked(rows, start):
    """The rows with every hash from ``start`` recomputed: a valid chain again."""
    out, prev = [], "0" * 64
    for row in rows:
        if row.seq >= start:
            row = replace(row, prev_hash=prev, entry_hash=entry_hash(prev, json.loads(row.entry)))
        out.append(row)
        prev = row.entry_hash
    return out


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_witness_catches_any_rewrite_truncation_or_append(data):
    """With a head witnessed after each run, a rewrite with recomputed hashes, a truncation
    or an appended run is caught at the first witnessed head at or after the change, and
    trusts nothing past the last head that still matched."""
    from audit.log.chain import Anchor

    rows = _rows(n_runs=3, n_pairs=3)
    anchors = [Anchor(r.seq, r.entry_hash, f"line {i}", "witness")
               for i, r in enumerate(rows[4::5], 1)]
    attack = data.draw(st.sampled_from(["rewrite", "truncate", "append"]))
    at = data.draw(st.integers(1, len(rows)))
    if attack == "rewrite":
        edited = _edit(rows[at - 1], '"actor":"hr"', '"actor":"xx"')
        rows[at - 1] = replace(edited, columns={**edited.columns, "actor": "xx"})
        rows = _relinked(rows, at)
    elif attack == "truncate":  # whole runs: cutting one short is a `run` finding already
        at = (at - 1) // 5 * 5 + 1
        rows = rows[:at - 1]
    else:
        extra = _run("F", 1, (rows[-1].seq, rows[-1].entry_hash))
        rows = rows + _stored(extra)
    verifier = Verifier(RULES_OK, anchors=anchors, witnessed=True)
    for row in rows:
        if verifier.feed(row):
            break
    finding = verifier.finish().finding
    assert finding is not None
    if not rows:  # everything removed, the rules texts left behind
        assert (finding.seq, finding.problem) == (1, "order")
        return
    assert finding.problem == "witness"
    if attack == "append":
        assert (finding.seq, finding.trusted_upto) == (16, 15)
    else:
        witnessed = min(a.seq for a in anchors if a.seq >= at)
        assert finding.seq == witnessed
        assert finding.trusted_upto == witnessed - 5
