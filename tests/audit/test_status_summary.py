"""`tandem status` gives each table's count and its first rows; --all lists every row; the
JSON output is always complete."""

from __future__ import annotations

import json

from audit.commit import commit_pairing
from cli.audit_commands import LIST_LIMIT
from tests.audit.builders import cohort_input, ids


def _log(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    commit_pairing(url, "hr", lambda busy: cohort_input(ids("M", 30), ids("E", 32), busy))
    return url


def test_status_shows_the_first_rows_and_says_how_many_more(run, tmp_path):
    """30 active pairs: the count, the first LIST_LIMIT pairs, and the way to see the rest."""
    url = _log(tmp_path)
    shown = run("status", "--db", url)
    assert shown.exit_code == 0, shown.output
    assert "30 active pairs" in shown.stdout
    assert "M0025" in shown.stdout and "M0026" not in shown.stdout
    assert (f"... and {30 - LIST_LIMIT} more (`tandem status --all` lists them all)."
            in shown.stdout)


def test_status_all_lists_every_row(run, tmp_path):
    """--all: every active pair, and no "more" line."""
    url = _log(tmp_path)
    shown = run("status", "--all", "--db", url)
    assert shown.exit_code == 0, shown.output
    assert "M0030" in shown.stdout and "more (`tandem status --all`" not in shown.stdout


def test_status_json_is_complete_without_all(run, tmp_path):
    """The JSON output lists every pair and every free person, with or without --all."""
    url = _log(tmp_path)
    plain = json.loads(run("status", "--db", url, "--format", "json").stdout)
    every = json.loads(run("status", "--all", "--db", url, "--format", "json").stdout)
    assert len(plain["active_pairs"]) == 30 and len(plain["free"]) == 2
    assert plain == every
