"""The example program for the report tests: the example cohort committed, a separation,
a reassignment and a forbidden pair recorded with the lifecycle commands, then a check-in
and an outcome."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.report import builders as b

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "cohort.json"
ENV: dict[str, str | None] = {"NO_COLOR": "1", "TANDEM_DB": None, "COLUMNS": "200"}


@pytest.fixture(scope="session")
def tandem():
    from cli import main

    main._register()
    return main.cli


def invoke(tandem, *args: str, code: int = 0):
    result = CliRunner(env=ENV).invoke(tandem, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result


def commit_program(tandem, url: str, cohort: Path = EXAMPLE) -> dict:
    """The example program, with the lifecycle commands: the cohort committed; its first
    pair (M01 and E07) separated; a reassignment run; a forbidden pair; then a check-in and
    an outcome of the second pair, written as the audit-log contract says. The pairing
    result of the first run."""
    out = invoke(tandem, "pair", str(cohort), "--commit", "--actor", "hr.jane", "--db", url,
                 "--format", "json").stdout
    result = json.loads(out[out.index("{"):])
    first, second = result["pairs"][0], result["pairs"][1]
    invoke(tandem, "separate", first["mentor"], first["mentee"], "--category", "availability",
           "--reason", "The mentee moved to another site.", "--actor", "hr.jane", "--commit",
           "--db", url)
    invoke(tandem, "reassign", str(cohort), "--commit", "--actor", "hr.jane", "--db", url)
    invoke(tandem, "decide", "forbid", "M06", "E05", "--cohort", str(cohort), "--reason",
           "Conflict of interest", "--actor", "hr.paul", "--commit", "--db", url)
    b.append(url, [b.checkin(second["mentor"], second["mentee"], rating=5),
                   b.outcome(second["mentor"], second["mentee"], result="success")])
    return result


@pytest.fixture(scope="session")
def example_report(tmp_path_factory, tandem) -> tuple[Path, dict, str]:
    """(the report of the example program, the pairing result, the database URL)."""
    where = tmp_path_factory.mktemp("example")
    url = f"sqlite:///{where / 'tandem.db'}"
    result = commit_program(tandem, url)
    out = where / "tandem-report.html"
    invoke(tandem, "report", "--db", url, "--out", str(out))
    return out, result, url


@pytest.fixture(scope="session")
def hostile_report(tmp_path_factory, tandem) -> Path:
    """The report of the example cohort with a mentor named <script>alert(1)</script>."""
    where = tmp_path_factory.mktemp("hostile")
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["participants"][0]["name"] = "<script>alert(1)</script>"
    data["participants"][1]["name"] = '"><img src=x onerror=alert(2)>'
    cohort = where / "cohort.json"
    cohort.write_text(json.dumps(data), encoding="utf-8")
    url = f"sqlite:///{where / 'tandem.db'}"
    invoke(tandem, "pair", str(cohort), "--commit", "--db", url)
    out = where / "report.html"
    invoke(tandem, "report", "--db", url, "--out", str(out))
    return out
