"""`tandem letters RUN`: introductions written as .eml, sent over SMTP once, recorded."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.letters.conftest import EXAMPLE, Inbox, rules_for

PEOPLE_PAIRED = 44  # the example run forms 22 pairs: a letter to each person of each pair
RECIPIENTS = 40  # four mentors have two mentees, and get one letter about each


def _commit(run, db: str, cohort: Path = EXAMPLE) -> str:
    result = run("pair", cohort, "--commit", "--db", db, "--actor", "hr.jane")
    assert result.exit_code == 0, result.output
    log = json.loads(run("audit", "log", "--db", db, "--format", "json").stdout)
    return [e["entry"]["run"] for e in log if e["entry"]["kind"] == "run"][-1]


def _letters(log: list[dict]) -> list[dict]:
    return [e["entry"] for e in log if e["entry"]["kind"] == "letter"]


def _read(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


# -- writing .eml files ---------------------------------------------------------------------------

def test_out_writes_one_eml_per_person_naming_partner_and_reasons(run, sqlite_url: str,
                                                                  tmp_path: Path) -> None:
    """44 letters; M01's to E07 names her partner, what they share, the first steps, and no score
    nor protected data."""
    run_id = _commit(run, sqlite_url)
    out = tmp_path / "letters"
    result = run("letters", run_id, "--db", sqlite_url, "--out", out)
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.eml"))
    assert len(files) == PEOPLE_PAIRED
    letter = _read((out / f"{run_id}-M01-E07.eml").read_bytes())
    assert str(letter["To"]) == "Aïcha Benali <aicha.benali@tandem.example>"
    assert letter["Subject"] == "Your reverse-mentoring partner: Margaret O'Brien"
    body = letter.get_body(("plain",)).get_content()
    assert "You will mentor Margaret O'Brien (healthcare, Medical Affairs)." in body
    assert ("- Pairs work where the intentions of both sides overlap: each one gets what they "
            "came for.") in body
    assert "- Write to your partner this week" in body
    html = letter.get_body(("html",)).get_content()
    for leak in ("score", "female", "1999", "protected", "points"):
        assert leak not in body.lower() and leak not in html.lower()
    assert "Wrote 44 letters" in result.stdout


def test_without_out_or_send_nothing_is_written(run, sqlite_url: str, tmp_path: Path) -> None:
    """A dry run says how many letters there would be, writes and records nothing."""
    run_id = _commit(run, sqlite_url)
    before = run("audit", "log", "--db", sqlite_url, "--format", "json").stdout
    result = run("letters", run_id, "--db", sqlite_url)
    assert result.exit_code == 0
    assert "22 active pairs, 44 letters" in result.stdout
    assert "Nothing was written or sent" in result.stdout
    assert run("audit", "log", "--db", sqlite_url, "--format", "json").stdout == before


def test_an_unknown_run_is_refused_with_a_suggestion(run, sqlite_url: str) -> None:
    """A mistyped run id: exit 1, the closest run, nothing sent."""
    run_id = _commit(run, sqlite_url)
    result = run("letters", run_id[:-1] + "x", "--db", sqlite_url, "--send")
    assert result.exit_code == 1
    assert f"Did you mean {run_id}?" in result.stderr


# -- sending ------------------------------------------------------------------------------------

def test_send_delivers_each_letter_and_records_it_once(run, db_url: str, smtp: Inbox,
                                                       tmp_path: Path) -> None:
    """Sent to a real SMTP server: each message reaches its one address and reads back;
    the log holds one letter entry per recipient, with digests and no text; verify passes."""
    run_id = _commit(run, db_url)
    rules = rules_for(tmp_path, smtp.port)
    result = run("letters", run_id, "--db", db_url, "--rules", rules, "--send")
    assert result.exit_code == 0, result.output
    assert len(smtp.received) == PEOPLE_PAIRED
    for sender, recipients, raw in smtp.received:
        message = _read(raw)
        assert sender == "tandem@tandem.example"
        assert recipients == [message["To"].addresses[0].addr_spec]
        assert message.get_body(("plain",)).get_content().startswith("Dear ")
    log = json.loads(run("audit", "log", "--db", db_url, "--format", "json").stdout)
    letters = _letters(log)
    assert len(letters) == PEOPLE_PAIRED
    assert len({(e["person"], e["partner"]) for e in letters}) == PEOPLE_PAIRED
    assert len({e["person"] for e in letters}) == RECIPIENTS
    first = next(e for e in letters if e["person"] == "M01" and e["partner"] == "E07")
    assert first["for_run"] == run_id and (first["mentor"], first["mentee"]) == ("M01", "E07")
    assert first["template_digest"].startswith("sha256:")
    assert first["letter_digest"].startswith("sha256:")
    text = json.dumps(letters)
    assert "Dear" not in text and "@" not in text
    assert run("audit", "verify", "--db", db_url).exit_code == 0
    status = run("status", "--db", db_url)
    assert status.exit_code == 0 and "22" in status.stdout  # the pairs are still active


def test_a_second_send_sends_nothing(run, db_url: str, smtp: Inbox, tmp_path: Path) -> None:
    """The same run sent twice: the second sends and records nothing, and says so."""
    run_id = _commit(run, db_url)
    rules = rules_for(tmp_path, smtp.port)
    assert run("letters", run_id, "--db", db_url, "--rules", rules, "--send").exit_code == 0
    again = run("letters", run_id, "--db", db_url, "--rules", rules, "--send")
    assert again.exit_code == 0, again.output
    assert len(smtp.received) == PEOPLE_PAIRED
    assert "Sent 0 letters." in again.stdout
    assert "44 letters already sent before, not sent again." in again.stdout
    log = json.loads(run("audit", "log", "--db", db_url, "--format", "json").stdout)
    assert len(_letters(log)) == PEOPLE_PAIRED


def test_hostile_names_are_neutralised(run, sqlite_url: str, smtp: Inbox,
                                       tmp_path: Path) -> None:
    """A name with CRLF and Bcc: adds no header and no recipient; markup is shown as text."""
    data = json.loads(EXAMPLE.read_text("utf-8"))
    people = {p["id"]: p for p in data["participants"]}
    people["M01"]["name"] = "Aïcha\r\nBcc: attacker@evil.example"
    people["E07"]["name"] = "<script>alert('x')</script> Margaret"
    cohort = tmp_path / "cohort.json"
    cohort.write_text(json.dumps(data), "utf-8")
    run_id = _commit(run, sqlite_url, cohort)
    rules = rules_for(tmp_path, smtp.port)
    result = run("letters", run_id, "--db", sqlite_url, "--rules", rules, "--send")
    assert result.exit_code == 0, result.output
    recipients = [r for _, rs, _ in smtp.received for r in rs]
    assert "attacker@evil.example" not in recipients
    to_m01 = next(_read(raw) for _, rs, raw in smtp.received
                  if rs == ["aicha.benali@tandem.example"])
    assert to_m01["Bcc"] is None
    assert str(to_m01["To"]) == ('"Aïcha Bcc: attacker@evil.example" '
                                 "<aicha.benali@tandem.example>")
    assert [a.addr_spec for a in to_m01["To"].addresses] == ["aicha.benali@tandem.example"]
    html = to_m01.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    to_e07 = next(_read(raw) for _, rs, raw in smtp.received
                  if rs == ["margaret.obrien@tandem.example"])
    assert "\r" not in str(to_e07["Subject"]) and to_e07["Bcc"] is None


def test_people_without_email_get_a_line_not_a_crash(run, sqlite_url: str, smtp: Inbox,
                                                     tmp_path: Path) -> None:
    """A profile without email: the summary names the person; the others are sent."""
    data = json.loads(EXAMPLE.read_text("utf-8"))
    for person in data["participants"]:
        if person["id"] == "E07":
            del person["email"]
    cohort = tmp_path / "cohort.json"
    cohort.write_text(json.dumps(data), "utf-8")
    run_id = _commit(run, sqlite_url, cohort)
    rules = rules_for(tmp_path, smtp.port)
    result = run("letters", run_id, "--db", sqlite_url, "--rules", rules, "--send")
    assert result.exit_code == 0, result.output
    assert ("  E07: no letter: no email in the profile; tell them by another way."
            in result.stdout.splitlines())
    assert len(smtp.received) == PEOPLE_PAIRED - 1


def test_a_server_that_cannot_be_reached_sends_and_records_nothing(run, sqlite_url: str,
                                                                   tmp_path: Path) -> None:
    """No server on the port: a clear error, exit 1, no letter entry."""
    from tests.letters.conftest import _free_port

    run_id = _commit(run, sqlite_url)
    rules = rules_for(tmp_path, _free_port())
    result = run("letters", run_id, "--db", sqlite_url, "--rules", rules, "--send")
    assert result.exit_code == 1
    assert "cannot use the SMTP server 127.0.0.1:" in result.stderr
    log = json.loads(run("audit", "log", "--db", sqlite_url, "--format", "json").stdout)
    assert _letters(log) == []


# -- the template ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("template", "expected"), [
    # the sandbox refuses to reach Python's internals
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "the template failed"),
    # a name the template is not given
    ("{{ recipient.score }}", "the template failed"),
])
def test_template_cannot_reach_beyond_its_context(run, sqlite_url: str, tmp_path: Path,
                                                  template: str, expected: str) -> None:
    """A template is rendered in a sandbox with only the letter's context: exit 1."""
    run_id = _commit(run, sqlite_url)
    path = tmp_path / "mine.html.j2"
    path.write_text(template, "utf-8")
    result = run("letters", run_id, "--db", sqlite_url, "--template", path, "--out",
                 tmp_path / "out")
    assert result.exit_code == 1
    assert expected in result.stderr
    assert not list(tmp_path.glob("out/*.eml"))


def test_template_context_holds_no_score_and_no_protected_data(run, sqlite_url: str,
                                                               tmp_path: Path) -> None:
    """Everything a template can print of the two people and the pair, printed whole."""
    run_id = _commit(run, sqlite_url)
    path = tmp_path / "dump.html.j2"
    path.write_text("{{ recipient }} {{ partner }} {{ shared }} {{ run }}", "utf-8")
    out = tmp_path / "out"
    assert run("letters", run_id, "--db", sqlite_url, "--template", path, "--out",
               out).exit_code == 0
    for eml in out.glob("*.eml"):
        html = _read(eml.read_bytes()).get_body(("html",)).get_content()
        for leak in ("score", "points", "protected", "gender", "birth_year", "female"):
            assert leak not in html


def test_audit_show_describes_a_letter_entry(run, sqlite_url: str, smtp: Inbox,
                                             tmp_path: Path) -> None:
    """`audit show` of a letter entry says who it went to, for which pair, with digests."""
    run_id = _commit(run, sqlite_url)
    rules = rules_for(tmp_path, smtp.port)
    assert run("letters", run_id, "--db", sqlite_url, "--rules", rules, "--send").exit_code == 0
    shown = run("audit", "show", "26", "--db", sqlite_url)
    assert shown.exit_code == 0
    lines = shown.stdout.splitlines()
    assert lines[0] == "Entry 26 of the audit log: an introduction letter was sent."
    assert lines[1].startswith(f"  To M01, about the pair M01 → E07 of run {run_id}")
    assert "missing" not in shown.stdout


def test_a_separated_pair_gets_no_letters(run, sqlite_url: str, tmp_path: Path) -> None:
    """A pair separated since the run is named in the summary and gets no letter."""
    run_id = _commit(run, sqlite_url)
    separated = run("separate", "M01", "E07", "--reason", "E07 left", "--category",
                    "left-company", "--leaving", "E07", "--commit", "--db", sqlite_url)
    assert separated.exit_code == 0, separated.output
    out = tmp_path / "letters"
    result = run("letters", run_id, "--db", sqlite_url, "--out", out)
    assert result.exit_code == 0, result.output
    assert "  M01 and E07: no letters: the pair was separated." in result.stdout.splitlines()
    assert len(list(out.glob("*.eml"))) == PEOPLE_PAIRED - 2
    assert not list(out.glob("*-M01-E07.eml"))


def test_a_proposal_gets_letters_once_approved(run, sqlite_url: str, tmp_path: Path) -> None:
    """Letters for a run waiting for approval are refused; after approval they are written."""
    rules = rules_for(tmp_path, 25)
    settings = rules / "settings.yaml"
    settings.write_text(settings.read_text("utf-8") + "  approval: required\n", "utf-8")
    proposed = run("pair", EXAMPLE, "--rules", rules, "--commit", "--db", sqlite_url,
                   "--actor", "hr.jane")
    assert proposed.exit_code == 0, proposed.output
    log = json.loads(run("audit", "log", "--db", sqlite_url, "--format", "json").stdout)
    run_id = next(e["entry"]["run"] for e in log if e["entry"]["kind"] == "run")
    refused = run("letters", run_id, "--db", sqlite_url, "--rules", rules, "--out",
                  tmp_path / "early")
    assert refused.exit_code == 1
    assert f"the pairs of run {run_id} are a proposal" in refused.stderr
    assert not (tmp_path / "early").exists()
    # another person approves: another OS user, as the database vouches for it
    approver_env = {"LOGNAME": "tandem_reviewer", "USER": "tandem_reviewer"}
    approved = run("approve", run_id, "--actor", "hr.paul", "--db", sqlite_url,
                   env=approver_env)
    assert approved.exit_code == 0, approved.output
    later = run("letters", run_id, "--db", sqlite_url, "--rules", rules, "--out",
                tmp_path / "later")
    assert later.exit_code == 0, later.output
    assert len(list((tmp_path / "later").glob("*.eml"))) == PEOPLE_PAIRED
