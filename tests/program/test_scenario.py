"""The lifecycle end to end on the example: commit, separate, reassign, force, forbid,
approve; then the log, the state, the chain, and a replay of the log from entry 1."""

from __future__ import annotations

import json
import shutil

from audit.log.verify import verify
from audit.review import status
from audit.state import derive_state
from engine.base.resources import rules_dir
from tests.program.conftest import EXAMPLE, entries


def test_the_whole_lifecycle_on_the_example(tandem, db_url, tmp_path):
    """Every step lands in one chain that verifies; the separated couple is never formed
    again; the state replayed from the log is the state the commands left."""
    def ok(*args):
        code, out, err = tandem(*args)
        assert code == 0, err
        return out

    ok("pair", EXAMPLE, "--commit", "--actor", "hr.jane")
    ok("separate", "M01", "E07", "--reason", "Sessions kept being cancelled", "--category",
       "mismatch", "--actor", "hr.jane", "--commit")
    dry = json.loads(ok("reassign", EXAMPLE, "--format", "json"))
    before = len(entries(db_url))
    committed = json.loads(ok("reassign", EXAMPLE, "--commit", "--actor", "hr.jane",
                              "--format", "json"))
    assert committed["pairs"] == dry["pairs"]
    free = [u for u in dry["unpaired"] if u["reason"] != "already-paired"]  # the dry run
    assert len(entries(db_url)) == before + 1 + len(dry["pairs"]) + len(free)  # names them all
    ok("separate", "M06", "E14", "--reason", "E14 moved abroad", "--category", "left-company",
       "--leaving", "E14", "--commit")
    ok("decide", "forbid", "M06", "E05", "--commit", "--cohort", EXAMPLE, "--reason",
       "Conflict of interest", "--actor", "hr.jane")
    ok("decide", "force", "M06", "E07", "--commit", "--cohort", EXAMPLE, "--reason",
       "E07 asked for an IT mentor", "--actor", "hr.jane")

    rules = tmp_path / "rules"
    shutil.copytree(rules_dir(), rules)
    (rules / "settings.yaml").write_text(
        (rules / "settings.yaml").read_text("utf-8") + "  approval: required\n", "utf-8")
    out = ok("reassign", EXAMPLE, "--rules", rules, "--commit", "--actor", "hr.jane")
    run = next(line.split()[2] for line in out.splitlines() if line.startswith("Recorded run"))
    assert status(db_url).pending[0].run == run
    ok("approve", run, "--actor", "hr.paul")

    log = entries(db_url)
    kinds = [e["kind"] for e in log]
    for kind in ("run", "pair", "unpaired", "separation", "reassignment", "decision",
                 "approval"):
        assert kind in kinds, kind
    formed = [(e["mentor"], e["mentee"]) for e in log
              if e["kind"] in ("pair", "reassignment")
              or (e["kind"] == "decision" and e["decision"] == "force")]
    assert formed.count(("M01", "E07")) == 1, "the separated couple was formed again"
    assert ("M06", "E05") not in formed
    separations = {e["seq"] for e in log if e["kind"] == "separation"}
    assert all(set(e["after"]) <= separations for e in log if e["kind"] == "reassignment")
    assert any(e["after"] for e in log if e["kind"] == "reassignment")

    state = status(db_url)
    assert derive_state(log) == state
    people = [p for pair in state.active for p in (pair.mentor, pair.mentee)]
    mentees = [pair.mentee for pair in state.active]
    assert len(mentees) == len(set(mentees)), "a mentee in two active pairs"
    capacity = {p["id"]: p.get("capacity") or 1 for p in
                json.loads(EXAMPLE.read_text("utf-8"))["participants"]}
    assert all(people.count(m) <= capacity[m] for m in people if m.startswith("M"))
    assert ("M06", "E07") in [(p.mentor, p.mentee) for p in state.active]
    report = verify(db_url)
    assert report.ok and report.head.seq == len(log)
    code, _, _ = tandem("audit", "verify")
    assert code == 0
