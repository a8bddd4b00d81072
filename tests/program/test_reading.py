"""Reading the program: `tandem status`, `tandem history`, `audit show` and `audit log`."""

from __future__ import annotations

import json

import pytest

from audit.log import schema
from audit.log.db import shown
from audit.log.migrate import upgrade
from tests.program.conftest import entries


@pytest.fixture
def program(cohort, tandem):
    """Pair, separate, reassign, forbid: entries 1-5 (run), 6 (separation), 7-9 (reassign
    run), 10 (decision)."""
    path = cohort("c", ["M01", "M02", "E07", "E10", "E22", "E24"])
    for args in (("pair", path, "--commit", "--actor", "hr.jane"),
                 ("separate", "M01", "E07", "--reason", "No common ground", "--category",
                  "mismatch", "--commit", "--actor", "hr.jane"),
                 ("reassign", path, "--commit", "--actor", "hr.jane"),
                 ("decide", "forbid", "M02", "E07", "--commit", "--cohort", path, "--reason",
                  "Same project board", "--actor", "hr.paul")):
        code, _, err = tandem(*args)
        assert code == 0, err
    return path


def test_history_is_one_persons_timeline_with_reasons_and_entry_numbers(program, tandem):
    """E07: paired, separated (why), left unpaired by the reassignment, then forbidden."""
    code, out, _ = tandem("history", "E07", "--format", "json")
    assert code == 0
    timeline = [(e["seq"], e["entry"]["kind"]) for e in json.loads(out)]
    assert timeline == [(2, "pair"), (6, "separation"), (9, "unpaired"), (10, "decision")]
    code, out, _ = tandem("history", "E07")
    assert code == 0 and "E07: 4 entries, oldest first" in out


def test_history_of_an_unknown_person_suggests_the_closest(program, tandem):
    """A misspelt id gets a did-you-mean."""
    code, _, err = tandem("history", "e07")
    assert (code, err) == (1, "Error: there is no e07 in the audit log (`tandem status` lists "
                              "the people); did you mean 'E07'?\n")


def test_status_lists_pairs_free_people_and_recent_separations(program, tandem):
    """The JSON status holds the active pairs, the free people and the separations."""
    code, out, _ = tandem("status", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert [(p["mentor"], p["mentee"], p["via"]) for p in report["active_pairs"]] == [
        ("M01", "E10", "pair"), ("M01", "E24", "reassignment"), ("M02", "E22", "pair")]
    assert [(f["id"], f["reason"]) for f in report["free"]] == [("E07", "no-eligible-partner")]
    assert [(s["mentor"], s["mentee"], s["category"], s["seq"])
            for s in report["separations"]] == [("M01", "E07", "mismatch", 6)]
    assert report["pending"] == []
    code, out, _ = tandem("status")
    assert "1 separation in the last 90 days" in out


@pytest.mark.parametrize(("seq", "lines"), [
    (6, ["Entry 6 of the audit log: a couple was separated.",
         "  M01 and E07 were separated; category: mismatch.",
         "  Reason: No common ground"]),
    (8, ["Entry 8 of the audit log: a new partner was found after a separation."]),
    (10, ["Entry 10 of the audit log: a person decided on a pair.",
         "  hr.paul decided to forbid the pair M02 with E07: later runs never form it (rule "
         "history/forbidden-by-decision).",
         "  Reason: Same project board"]),
])
def test_audit_show_explains_the_new_kinds(program, tandem, seq, lines):
    """Each lifecycle entry reads in plain words, with its reason."""
    code, out, err = tandem("audit", "show", seq)
    assert code == 0, err
    assert out.splitlines()[:len(lines)] == lines


def test_audit_show_of_a_reassignment_points_to_the_separation(program, tandem):
    """The chain of events: the reassignment names the separation that freed its people."""
    _, out, _ = tandem("audit", "show", 8)
    assert "  After separation entry 6: `tandem audit show 6` says why the earlier pair " \
           "ended." in out.splitlines()
    _, out, _ = tandem("audit", "log", "--person", "M01", "--format", "json")
    assert [e["entry"]["kind"] for e in json.loads(out)] == [
        "reassignment", "separation", "pair", "pair"]


def test_an_older_database_gets_the_db_upgrade_message(cohort, tandem, db_url):
    """A log written before this revision is refused by the new commands until upgraded."""
    upgrade(db_url, target="0002")
    code, _, err = tandem("separate", "M01", "E07", "--reason", "x", "--commit")
    assert code == 1
    assert err == (f"Error: the audit database {shown(db_url)} has schema revision 0002, "
                   f"older than this Tandem's {schema.HEAD}; nothing was written. Run "
                   f"`tandem db upgrade --db {shown(db_url)}` to migrate it, then try again.\n")
    assert entries(db_url) == []
    upgrade(db_url)
    code, _, _ = tandem("pair", cohort("c", ["M01", "E07"]), "--commit")
    assert code == 0
