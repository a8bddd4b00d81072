"""The report and the workbook show the whole log: my-job-day plans included, the chain
checked against the witness as `status` checks it, and people counted once."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from tests.audit.conftest import pg_server, pg_url, raw_sql, sqlite_url  # noqa: F401
from tests.report.conftest import ENV, EXAMPLE, invoke

PLAN_KINDS = ("my_job_day_run", "my_job_day", "my_job_day_unmet")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite"
                                       else "pg_url"))


def _kinds(tandem, url: str) -> list[str]:
    out = invoke(tandem, "audit", "export", "--db", url, "--format", "jsonl").stdout
    return [json.loads(line)["entry"]["kind"] for line in out.splitlines()
            if json.loads(line)["type"] == "entry"]


def _paired_and_planned(tandem, url: str, witness: Path | None = None) -> None:
    extra = ["--witness", str(witness)] if witness else []
    invoke(tandem, "pair", str(EXAMPLE), "--commit", "--actor", "hr.jane", "--db", url, *extra)
    invoke(tandem, "myjobdays", str(EXAMPLE), "--commit", "--actor", "hr.jane", "--db", url,
           *extra)


def test_the_report_shows_every_committed_my_job_day_plan(tandem, db_url, tmp_path):
    """Each visit and each unmet wish of a committed plan has its row in the report, with
    the entry that recorded it; the glance counts the visits."""
    _paired_and_planned(tandem, db_url)
    kinds = _kinds(tandem, db_url)
    out = tmp_path / "r.html"
    invoke(tandem, "report", "--db", db_url, "--out", str(out))
    page = out.read_text(encoding="utf-8")
    section = page[page.index('<section id="myjobdays"'):page.index('<section id="method"')]
    visits = section[section.index('<table class="visits">'):].split("</table>")[0]
    assert visits.count("<tr data-seq=") == kinds.count("my_job_day") > 0
    assert section.count('<article class="plan"') == kinds.count("my_job_day_run") == 1
    unmet = kinds.count("my_job_day_unmet")
    assert section.count("wish" + ("es" if unmet != 1 else "") + " left unmet") == 1
    assert f'data-count="visits">{kinds.count("my_job_day")}<' in page


def test_the_workbook_has_a_sheet_for_the_my_job_days(tandem, db_url, tmp_path):
    """The xlsx export holds every plan, visit and unmet wish: no entry kind is left out."""
    from openpyxl import load_workbook

    _paired_and_planned(tandem, db_url)
    kinds = _kinds(tandem, db_url)
    out = tmp_path / "log.xlsx"
    invoke(tandem, "audit", "export", "--db", db_url, "--format", "xlsx", "--out", str(out))
    book = load_workbook(io.BytesIO(out.read_bytes()))
    rows = list(book["my job days"].iter_rows(values_only=True))
    assert rows[0][:5] == ("seq", "run", "at", "actor", "kind")
    shown = [row[4] for row in rows[1:]]
    assert shown.count("plan") == kinds.count("my_job_day_run")
    assert shown.count("visit") == kinds.count("my_job_day")
    assert shown.count("unmet") == kinds.count("my_job_day_unmet")


def test_a_cut_tail_makes_the_report_lead_with_the_break_and_exit_1(tandem, tmp_path):
    """With the witness, a log whose last run was cut off is broken for the report as it is
    for `status`: the page leads with the break and the command exits 1; the state of the
    chain names the witness."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    witness = tmp_path / "witness.jsonl"
    _paired_and_planned(tandem, url, witness)
    kinds = _kinds(tandem, url)
    first_plan = kinds.index("my_job_day_run") + 1
    raw_sql(url, f"DELETE FROM audit_log WHERE seq >= {first_plan}", drop_triggers=True)
    out = tmp_path / "r.html"
    result = invoke(tandem, "report", "--db", url, "--out", str(out), "--witness",
                    str(witness), code=1)
    # the witness's last head is the plan's last entry, which the log no longer holds
    assert f"CHAIN BROKEN at entry {len(kinds)}." in result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.index('id="chain-warning"') < page.index("<header>")
    assert "(witness)" in page[:page.index("<header>")]
    assert re.search(r'id="chain-witness">witness .*witness\.jsonl: 2 heads checked', page)


def test_without_the_witness_the_same_cut_goes_unseen_and_the_page_says_why(tandem,
                                                                              tmp_path):
    """Without a witness the cut cannot be detected; the state of the chain says that no
    witness was given, so a reviewer knows what was and was not checked."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    witness = tmp_path / "witness.jsonl"
    _paired_and_planned(tandem, url, witness)
    first_plan = _kinds(tandem, url).index("my_job_day_run") + 1
    raw_sql(url, f"DELETE FROM audit_log WHERE seq >= {first_plan}", drop_triggers=True)
    out = tmp_path / "r.html"
    invoke(tandem, "report", "--db", url, "--out", str(out))
    page = out.read_text(encoding="utf-8")
    assert 'id="chain-witness">no witness given: a cut or rewritten tail cannot be ' \
        'detected<' in page


def test_the_report_takes_the_witness_from_the_environment(tandem, tmp_path):
    """TANDEM_WITNESS is read by the report as by every other reader."""
    from click.testing import CliRunner

    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    witness = tmp_path / "witness.jsonl"
    _paired_and_planned(tandem, url, witness)
    raw_sql(url, "DELETE FROM audit_log WHERE seq >= 40", drop_triggers=True)
    out = tmp_path / "r.html"
    result = CliRunner(env={**ENV, "TANDEM_WITNESS": str(witness)}).invoke(
        tandem, ["report", "--db", url, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "CHAIN BROKEN" in result.stderr


def test_public_key_without_witness_is_wrong_usage(tandem, tmp_path):
    """--public-key alone checks nothing: exit 2, and no page is written."""
    key = tmp_path / "k.pub"
    key.write_text("x", encoding="utf-8")
    out = tmp_path / "r.html"
    result = invoke(tandem, "report", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--out",
                    str(out), "--public-key", str(key), code=2)
    assert "--witness" in result.output
    assert not out.exists()


def test_people_left_unpaired_are_counted_once_across_runs(tandem, db_url, tmp_path):
    """The same person left unpaired by three runs is one person on the glance card."""
    for _ in range(3):
        invoke(tandem, "pair", str(EXAMPLE), "--commit", "--actor", "hr.jane", "--db", db_url,
               "--format", "json")
    out_json = invoke(tandem, "audit", "export", "--db", db_url, "--format", "jsonl").stdout
    unpaired = [json.loads(line)["entry"]["person"] for line in out_json.splitlines()
                if json.loads(line).get("entry", {}).get("kind") == "unpaired"]
    assert len(unpaired) > len(set(unpaired))  # some people were unpaired more than once
    out = tmp_path / "r.html"
    invoke(tandem, "report", "--db", db_url, "--out", str(out))
    page = out.read_text(encoding="utf-8")
    assert f'data-count="unpaired">{len(set(unpaired))}<' in page
