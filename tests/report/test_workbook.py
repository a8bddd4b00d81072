"""`tandem audit export --format xlsx`: one workbook of four sheets that openpyxl opens,
with formula-safe cells, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from tests.audit.conftest import pg_server, pg_url, sqlite_url  # noqa: F401
from tests.report import builders as b
from tests.report.conftest import commit_program, invoke

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite"
                                       else "pg_url"))


def _rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_the_workbook_has_runs_pairs_unpaired_and_lifecycle(tandem, db_url, tmp_path):
    """Five sheets: 2 runs; 22 pairs and 1 reassignment with one column per rule and the
    reasons as text; 4 unpaired with why; 5 lifecycle events in plain words; no plan."""
    result = commit_program(tandem, db_url)
    out = tmp_path / "audit.xlsx"
    done = invoke(tandem, "audit", "export", "--format", "xlsx", "--out", str(out),
                  "--db", db_url)
    assert done.stderr == f"Exported 33 entries to {out}\n"
    book = load_workbook(out)
    assert book.sheetnames == ["runs", "pairs", "unpaired", "lifecycle", "my job days"]
    assert len(_rows(book["my job days"])) == 1  # the header: no plan was committed
    runs = _rows(book["runs"])
    assert runs[0][:6] == ["seq", "run", "at", "actor", "command", "approval"]
    assert len(runs) == 3 and runs[1][3] == "hr.jane" and runs[1][12] == 22
    assert [r[4] for r in runs[1:]] == ["pair", "reassign"]
    pairs = _rows(book["pairs"])
    header = pairs[0]
    assert header[:9] == ["seq", "run", "kind", "at", "actor", "mentor", "mentee", "score",
                          "result"]
    assert header[-2:] == ["reasons", "sentence"]
    assert "culture/same-job-family" in header
    assert [r[2] for r in pairs[1:]] == ["pair"] * 22 + ["reassignment"]
    results = [r[8] for r in pairs[1:]]  # the one definition of a result, as insights's
    assert "attrition" in results and "running" in results
    assert set(results) <= {"success", "partial", "failure", "ineligible", "attrition",
                            "no result", "running"}
    first = dict(zip(header, pairs[1], strict=True))
    expected = result["pairs"][0]
    assert (first["mentor"], first["mentee"], first["score"]) == (
        expected["mentor"], expected["mentee"], expected["score"])
    for reason in expected["reasons"]:
        assert first[reason["rule"]] == reason["points"]
        assert f"{reason['rule']}: {reason['title']} ({reason['points']:+d})" in first["reasons"]
    unpaired = _rows(book["unpaired"])
    assert [r[3] for r in unpaired[1:3]] == [u["id"] for u in result["unpaired"]]
    assert len(unpaired) == 5
    assert unpaired[1][6] == result["unpaired"][0]["why"]
    lifecycle = _rows(book["lifecycle"])
    assert [r[2] for r in lifecycle[1:]] == ["separation", "reassignment", "decision",
                                             "checkin", "outcome"]
    assert lifecycle[1][7] == f"Separation of {expected['mentor']} → {expected['mentee']}"
    assert "reason: The mentee moved to another site." in lifecycle[1][8]


def test_workbook_cells_are_formula_safe(tandem, sqlite_url, tmp_path):  # noqa: F811
    """An actor, a reason or a why that starts like a formula is text with a leading ';
    no cell of the workbook is a formula; control characters become visible escapes."""
    from tests.report.conftest import EXAMPLE

    invoke(tandem, "pair", str(EXAMPLE), "--commit", "--db", sqlite_url,
           "--actor", "=HYPERLINK(\"http://x\",\"y\")")
    b.append(sqlite_url, [b.separation("M01", "E07", 2, reason="+cmd|' /C calc'!A0"),
                          b.rejection("x", reason="@SUM(A1:A9)\x07", actor="-2+3")])
    out = tmp_path / "audit.xlsx"
    invoke(tandem, "audit", "export", "--format", "xlsx", "--out", str(out), "--db", sqlite_url)
    book = load_workbook(out)
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(FORMULA_START)]
    runs = _rows(book["runs"])
    assert runs[1][3] == "'=HYPERLINK(\"http://x\",\"y\")"
    lifecycle = _rows(book["lifecycle"])
    assert lifecycle[2][4] == "'-2+3"
    assert "reason: @SUM(A1:A9)\\x07" in lifecycle[2][8]


def test_a_workbook_needs_an_output_file(tandem, sqlite_url):  # noqa: F811
    """A workbook is not written to a terminal: --out is required (exit 2)."""
    commit_program(tandem, sqlite_url)
    result = invoke(tandem, "audit", "export", "--format", "xlsx", "--db", sqlite_url, code=2)
    assert result.stderr.splitlines()[-1] == \
        "Error: --format xlsx writes a workbook: give --out FILE.xlsx"


def test_a_forced_pair_is_a_row_of_the_pairs_sheet():
    """A force decision forms a pair: it is listed as "forced", with its reason; a forbid
    is not a pair."""
    from audit.workbook import sheets

    docs = [{**b.decision("force", "M1", "E1"), "seq": 1},
            {**b.decision("forbid", "M2", "E2"), "seq": 2}]
    _, rows = sheets(docs)["pairs"]
    assert [(r[2], r[5], r[6], r[-1]) for r in rows] == [("forced", "M1", "E1",
                                                          "Asked by both.")]
    assert [r[2] for r in sheets(docs)["lifecycle"][1]] == ["decision", "decision"]
