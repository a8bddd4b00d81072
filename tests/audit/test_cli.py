"""`tandem audit ...`, `tandem db ...` and `tandem status`, run as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from audit.commit import CommitInput, commit_pairing
from audit.export import neutralise
from audit.log import schema
from audit.log.migrate import upgrade
from tests.audit.builders import RULES_FILES, cohort_input, ids, pair, reason, result
from tests.audit.conftest import raw_sql

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def url(tmp_path):
    """A log with two runs: entries 1-5 and 6-15 (see test_tamper)."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    for n in (3, 5):
        commit_pairing(url, "hr.jane", lambda busy, n=n: cohort_input(ids("M", n),
                                                                      ids("E", n + 1), busy))
    return url


def test_log_lists_entries_newest_first(run, url):
    """The table shows every entry, newest first; JSON carries the entries and hashes."""
    table = run("audit", "log", "--db", url)
    assert table.exit_code == 0, table.output
    assert "15 audit entries, newest first" in table.stdout
    assert table.stdout.index("M0001 mentors E0001") > table.stdout.index("M0005 mentors")
    as_json = json.loads(run("audit", "log", "--db", url, "--person", "E0004",
                             "--format", "json").stdout)
    assert [(e["seq"], e["entry"]["kind"]) for e in as_json] == [(7, "pair"), (5, "unpaired")]
    assert all(len(e["entry_hash"]) == 64 for e in as_json)


def test_log_pair_must_be_mentor_colon_mentee(run, url):
    """A malformed --pair is a usage error, exit 2."""
    bad = run("audit", "log", "--db", url, "--pair", "M0001")
    assert bad.exit_code == 2
    assert "'M0001' is not MENTOR:MENTEE, e.g. M01:E07" in bad.stderr


def test_show_explains_a_pair_in_plain_words(run, url):
    """show: the sentence, each rule with because and evidence, who, when, digests, hashes."""
    shown = run("audit", "show", 2, "--db", url)
    assert shown.exit_code == 0, shown.output
    text = shown.stdout
    for expected in [
        "Entry 2 of the audit log: a pair was formed.",
        "  M0001 mentors E0001, score 30: same job family.",
        "  1. culture/same-job-family: Same job family (+30 points)",
        "     Because: A shared professional language makes the first sessions concrete.",
        "     Evidence: mentee.job_family = finance; mentor.job_family = finance",
        "committed by hr.jane on ",
        "  Rules: sha256:" + "a" * 64,
        "  M0001 is Name M0001 and E0001 is Name E0001 (from the input snapshot",
        "This entry, its link to the one before and the head of the log check out.",
    ]:
        assert expected in text
    assert re.search(r"entry_hash [0-9a-f]{64}", text)
    assert "culture.yaml" not in text.split("Chain")[1]


def test_show_rules_text_prints_the_rule_files_in_force(run, url):
    """--rules-text prints each rule file kept for the entry's run."""
    text = run("audit", "show", 2, "--rules-text", "--db", url).stdout
    assert "----- culture.yaml -----\nrules:\n  - id: culture/same-job-family\n" in text


def test_show_explains_why_a_person_was_not_paired(run, url):
    """An unpaired entry says who, the reason and the readable why."""
    text = run("audit", "show", 5, "--db", url).stdout
    assert "E0004 (mentee) was not paired: outscored." in text


def test_show_of_a_missing_entry_says_which_exist(run, url):
    """Exit 1 and the range of entries."""
    missing = run("audit", "show", 99, "--db", url)
    assert missing.exit_code == 1
    assert missing.stderr == ("Error: there is no audit entry 99: entries run from 1 to 15. "
                              "`tandem audit log` lists them.\n")


def test_verify_prints_the_head_to_keep(run, url):
    """A clean log: exit 0 and the head, ready for --expect-head."""
    clean = run("audit", "verify", "--db", url)
    assert clean.exit_code == 0, clean.output
    head = re.search(r"--expect-head (15:[0-9a-f]{64})", clean.stdout)
    assert head
    assert "Audit log intact: 15 entries in 2 runs" in clean.stdout
    again = run("audit", "verify", "--db", url, "--expect-head", head.group(1))
    assert again.exit_code == 0
    assert "The recorded head 15 is still in the chain, unchanged." in again.stdout


def test_verify_exits_1_and_names_the_first_bad_entry(run, url):
    """A tampered log: exit 1, the entry, the problem."""
    raw_sql(url, "UPDATE audit_log SET entry = replace(entry, '\"score\":31', '\"score\":99') "
                 "WHERE seq = 3", drop_triggers=True)
    broken = run("audit", "verify", "--db", url)
    assert broken.exit_code == 1
    assert broken.stdout.startswith("Audit log BROKEN at entry 3 (content): entry 3's content")
    as_json = json.loads(run("audit", "verify", "--db", url, "--format", "json").stdout)
    assert as_json["ok"] is False
    assert as_json["finding"]["seq"] == 3


def test_verify_expect_head_must_be_seq_colon_hash(run, url):
    """A malformed head is a usage error, exit 2."""
    bad = run("audit", "verify", "--db", url, "--expect-head", "15:abc")
    assert bad.exit_code == 2
    assert "is not SEQ:HASH" in bad.stderr


def test_status_shows_active_pairs_and_free_people(run, url):
    """Five active pairs and one free mentee, as a table and as JSON."""
    table = run("status", "--db", url)
    assert table.exit_code == 0, table.output
    assert "5 active pairs" in table.stdout
    assert "1 free person" in table.stdout
    state = json.loads(run("status", "--db", url, "--format", "json").stdout)
    assert len(state["active_pairs"]) == 5
    assert [f["id"] for f in state["free"]] == ["E0006"]


def test_export_jsonl_to_a_file(run, url, tmp_path):
    """JSON lines hold every entry and the rules; the count goes to stderr."""
    out = tmp_path / "audit.jsonl"
    done = run("audit", "export", "--db", url, "--out", out)
    assert done.exit_code == 0, done.output
    assert done.stderr == f"Exported 15 entries to {out}\n"
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["type"] for line in lines].count("entry") == 15


def test_export_csv_is_safe_to_open_in_a_spreadsheet(run, tmp_path):
    """No cell can run as a formula, whoever wrote the text that reaches it."""
    url = f"sqlite:///{tmp_path / 'evil.db'}"
    evil = reason(points=-5, **{"mentor.note": "=HYPERLINK(\"http://x\")"})
    evil["because"] = "+cmd|' /C calc'!A0"
    res = result([pair("M1", "E1", -5, [evil])])
    res["pairs"][0]["sentence"] = "-2+3 is not a number"
    commit_pairing(url, "@mallory", lambda busy: CommitInput(res, RULES_FILES, []))
    text = run("audit", "export", "--db", url, "--format", "csv").stdout
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    dangerous = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")
                 and not re.fullmatch(r"-?\d+(\.\d+)?", c)]
    assert dangerous == []
    assert "'@mallory" in cells
    assert "-5" in cells


# -- neutralising CSV cells
@pytest.mark.parametrize(("cell", "expected"), [
    # formulas and what spreadsheets turn into formulas
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"),
    # a control character first is a visible escape, which hides nothing and runs nothing
    ("\t=1", "\\x09=1"), ("\r=1", "\\x0d=1"),
    # numbers stay numbers, text stays text
    ("-5", "-5"), ("-2.5", "-2.5"), ("30", "30"), ("M01 mentors E07", "M01 mentors E07"),
    ("", ""),
])
def test_neutralise(cell, expected):
    """A leading quote before a formula character, controls escaped first; plain numbers
    are left alone."""
    assert neutralise(cell) == expected


def test_reading_without_a_log_says_how_to_make_one(run, tmp_path):
    """No log at the URL: exit 1, and nothing is created."""
    url = f"sqlite:///{tmp_path / 'none.db'}"
    missing = run("audit", "log", "--db", url)
    assert missing.exit_code == 1
    assert missing.stderr == (f"Error: there is no audit log at {url} yet. `tandem pair COHORT "
                              "--commit` creates one; to read another database, pass --db URL "
                              "or set TANDEM_DB.\n")
    assert not (tmp_path / "none.db").exists()


def test_an_older_schema_is_refused_until_db_upgrade(run, tmp_path):
    """`tandem db current` says an upgrade is needed; `tandem db upgrade` does it."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, target=schema.REVISIONS[0])
    refused = run("status", "--db", url)
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: the audit database {url} has schema revision {schema.REVISIONS[0]}, older "
        f"than this Tandem's {schema.HEAD}; nothing was written. Run `tandem db upgrade --db "
        f"{url}` to migrate it, then try again.\n")
    assert "run `tandem db upgrade`" in run("db", "current", "--db", url).stdout
    upgraded = run("db", "upgrade", "--db", url)
    assert upgraded.stdout == (f"{url}: upgraded the audit schema from revision "
                               f"{schema.REVISIONS[0]} to {schema.HEAD}\n")
    assert run("db", "upgrade", "--db", url).stdout.endswith("nothing to do\n")
    assert run("status", "--db", url).exit_code == 0


def test_docs_describe_every_audit_command():
    """docs/audit.md documents each command this package adds."""
    docs = (REPO / "docs" / "audit.md").read_text(encoding="utf-8")
    for command in ("tandem audit log", "tandem audit show", "tandem audit verify",
                    "tandem audit export", "tandem status", "tandem db upgrade",
                    "tandem db current", "tandem pair", "--expect-head", "--rules-text"):
        assert command in docs, f"{command} is not documented"
