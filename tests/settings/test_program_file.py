"""tandem.toml: read, validated with located messages, found as git finds .git."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.base.errors import InvalidInput
from engine.settings.program_file import (
    find_program_file,
    new_program_file,
    parse_program_file,
)

GOOD = """[program]
name = "Reverse mentoring 2027"
database = "data/tandem.db"
rules = "my-rules"
witness = "witness.jsonl"

[calendar]
start = 2027-01-04
end = 2027-06-30
checkin_every_days = 30
my_job_days = [2027-03-09, 2027-03-02]
"""


def _messages(text: str) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        parse_program_file(Path("/p/tandem.toml"), text.encode())
    return [p.render() for p in caught.value.problems]


def test_a_good_file_reads_with_paths_from_its_folder() -> None:
    """Relative paths are read from the file's folder; dates are dates, sorted."""
    s = parse_program_file(Path("/p/tandem.toml"), GOOD.encode())
    assert s.name == "Reverse mentoring 2027"
    assert s.database == "sqlite:////p/data/tandem.db"
    assert s.rules == Path("/p/my-rules") and s.witness == Path("/p/witness.jsonl")
    assert s.signing_key is None and s.smallest_group == 5
    assert s.calendar.start == date(2027, 1, 4) and s.calendar.checkin_every_days == 30
    assert s.calendar.my_job_days == (date(2027, 3, 2), date(2027, 3, 9))
    assert s.calendar.outside(date(2027, 7, 1)) and not s.calendar.outside(date(2027, 2, 1))


def test_defaults_an_sqlite_file_and_rules_in_the_folder() -> None:
    """Only a name is needed: the database and the rules default to the folder's."""
    s = parse_program_file(Path("/p/tandem.toml"), b'[program]\nname = "X"\n')
    assert s.database == "sqlite:////p/tandem.db" and s.rules == Path("/p/rules")


def test_a_url_is_kept_and_a_relative_sqlite_url_is_read_from_the_folder() -> None:
    """A server URL is kept as given; sqlite:///relative is made absolute."""
    pg = parse_program_file(Path("/p/tandem.toml"),
                            b'[program]\nname = "X"\ndatabase = "postgresql+psycopg://h/db"\n')
    assert pg.database == "postgresql+psycopg://h/db"
    rel = parse_program_file(Path("/p/tandem.toml"),
                             b'[program]\nname = "X"\ndatabase = "sqlite:///a.db"\n')
    assert rel.database == "sqlite:////p/a.db"


def test_what_init_writes_reads_back() -> None:
    """The file `tandem init` writes is valid, with the dates it was given."""
    text = new_program_file('Mentoring "2027"', start=date(2027, 1, 4), end=date(2027, 6, 30))
    s = parse_program_file(Path("/p/tandem.toml"), text.encode())
    assert s.name == 'Mentoring "2027"' and s.calendar.end == date(2027, 6, 30)
    assert s.witness == Path("/p/witness.jsonl")


@pytest.mark.parametrize(("text", "expected"), [
    # TOML itself
    ('[program\nname = "X"\n',
     "/p/tandem.toml: line 1, column 9: error: not valid TOML: Expected ']' at the end of a "
     "table declaration; see https://toml.io for the syntax"),
    # unknown tables and keys, with did you mean
    ('[program]\nname = "X"\n[calender]\nstart = 2027-01-04\n',
     "/p/tandem.toml: line 3: [calender]: error: unknown table [calender]; a program file has "
     "[program] and [calendar]; did you mean 'calendar'?"),
    ('[program]\nname = "X"\ndatabse = "x.db"\n',
     "/p/tandem.toml: line 3: [program].databse: error: unknown key 'databse' in [program]; "
     "it takes name, database, rules, witness, signing_key, public_key, actor, "
     "smallest_group; did you mean 'database'?"),
    ('[program]\nname = "X"\n[calendar]\ncheckin_every = 30\n',
     "/p/tandem.toml: line 4: [calendar].checkin_every: error: unknown key 'checkin_every' in "
     "[calendar]; it takes start, end, checkin_every_days, my_job_days; did you mean "
     "'checkin_every_days'?"),
    # missing or wrong name
    ('[calendar]\nstart = 2027-01-04\n',
     "/p/tandem.toml: [program]: error: the file has no [program] table; add [program] with "
     'name = "..." (`tandem init` writes a complete file)'),
    ('[program]\nrules = "r"\n',
     "/p/tandem.toml: line 1: [program]: error: the program has no name; add name = \"...\" "
     "under [program]"),
    ('[program]\nname = "  "\n',
     "/p/tandem.toml: line 2: [program].name: error: must be the program's name, text, not "
     "'  '; write it in quotes, e.g. name = \"...\""),
    ('[program]\nname = 2027\n',
     "/p/tandem.toml: line 2: [program].name: error: must be the program's name, text, not "
     "int 2027; write it in quotes, e.g. name = \"...\""),
    ('program = "X"\n',
     "/p/tandem.toml: [program]: error: program must be a table: write [program] on a line "
     "of its own, and its keys below it"),
    # numbers
    ('[program]\nname = "X"\nsmallest_group = 0\n',
     "/p/tandem.toml: line 3: [program].smallest_group: error: must be the smallest group "
     "shown in statistics, a whole number from 1, not int 0; e.g. smallest_group = 30"),
    ('[program]\nname = "X"\n[calendar]\ncheckin_every_days = "30"\n',
     "/p/tandem.toml: line 4: [calendar].checkin_every_days: error: must be the check-in "
     "cadence in days, a whole number from 1, not '30'; e.g. checkin_every_days = 30"),
    ('[program]\nname = "X"\n[calendar]\ncheckin_every_days = true\n',
     "/p/tandem.toml: line 4: [calendar].checkin_every_days: error: must be the check-in "
     "cadence in days, a whole number from 1, not true; e.g. checkin_every_days = 30"),
    # dates
    ('[program]\nname = "X"\n[calendar]\nstart = "2027-01-04"\n',
     "/p/tandem.toml: line 4: [calendar].start: error: must be a date such as 2027-01-04, not "
     "'2027-01-04' (without quotes: TOML reads 2027-01-04 as a date)"),
    ('[program]\nname = "X"\n[calendar]\nend = 2027-06-30T10:00:00\n',
     "/p/tandem.toml: line 4: [calendar].end: error: must be a date such as 2027-01-04, not "
     "the date and time 2027-06-30T10:00:00"),
    ('[program]\nname = "X"\n[calendar]\nstart = 2027-06-30\nend = 2027-01-04\n',
     "/p/tandem.toml: line 5: [calendar].end: error: the program ends (2027-01-04) before it "
     "starts (2027-06-30); swap the two dates"),
    ('[program]\nname = "X"\n[calendar]\nmy_job_days = 2027-03-02\n',
     "/p/tandem.toml: line 4: [calendar].my_job_days: error: must be the my-job-day dates, a "
     "list of dates such as [2027-03-02], not the date 2027-03-02"),
    ('[program]\nname = "X"\n[calendar]\nmy_job_days = [2027-03-02, "x"]\n',
     "/p/tandem.toml: line 4: [calendar].my_job_days: error: item 2 must be a date such as "
     "2027-01-04, not 'x' (without quotes: TOML reads 2027-01-04 as a date)"),
    ('[program]\nname = "X"\n[calendar]\nend = 2027-06-30\nmy_job_days = [2027-07-02]\n',
     "/p/tandem.toml: line 5: [calendar].my_job_days: error: 2027-07-02 is outside the "
     "program (… to 2027-06-30); move the day or the program's dates"),
    ('[program]\nname = "X"\n[calendar]\nmy_job_days = [2027-03-02, 2027-03-02]\n',
     "/p/tandem.toml: line 4: [calendar].my_job_days: error: a day is listed twice; list "
     "each day once"),
    # paths
    ('[program]\nname = "X"\nwitness = 3\n',
     "/p/tandem.toml: line 3: [program].witness: error: must be the witness file, a path, "
     "not int 3; write it in quotes, e.g. witness = \"...\""),
])
def test_every_malformed_file_has_its_located_message(text: str, expected: str) -> None:
    """Each malformed case names the file, the line and the key, and says the fix."""
    assert _messages(text) == [expected]


def test_every_problem_is_reported_at_once() -> None:
    """Several problems give several messages, not only the first."""
    found = _messages('[program]\nnme = "X"\n[calendar]\nstart = "soon"\n')
    assert len(found) == 3
    assert "did you mean 'name'?" in found[0]


def test_a_file_that_is_not_utf8_is_refused() -> None:
    """Bytes that are not UTF-8 are a located problem, not a crash."""
    with pytest.raises(InvalidInput, match="not UTF-8"):
        parse_program_file(Path("/p/tandem.toml"), b'[program]\nname = "\xff"\n')


def test_the_file_is_found_in_a_parent_folder(tmp_path: Path) -> None:
    """As git finds .git: the working directory, then each parent."""
    (tmp_path / "tandem.toml").write_text('[program]\nname = "X"\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_program_file(deep) == (tmp_path / "tandem.toml").resolve()
    assert find_program_file(tmp_path.parent) is None or \
        find_program_file(tmp_path.parent) != tmp_path / "tandem.toml"
