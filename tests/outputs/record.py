"""The outputs that a change of layout must leave untouched, recorded and compared.

``python -m tests.outputs.record`` rewrites ``tests/outputs/expected.json`` (the digest and
length of each normalised output) from the current tree, and with ``--text DIR`` also writes
the outputs themselves, to diff two trees. ``tests/outputs/test_outputs_unchanged.py``
compares the tree with what was recorded.
Each case runs one command on the bundled examples, in-process, as a user would. What
changes from one run to the next (timestamps, run ids, the hashes that chain over them, the
solver's timings) is replaced by a placeholder; everything else must match byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = Path(__file__).resolve().parent / "expected.json"
ENV = {"NO_COLOR": "1", "FORCE_COLOR": None, "TANDEM_DB": None, "TANDEM_WITNESS": None,
       "TANDEM_SIGNING_KEY": None, "TANDEM_PUBLIC_KEY": None, "TANDEM_RULES": None,
       "TANDEM_PROGRAM": None,
       "COLUMNS": "200"}

_VARYING = [
    (re.compile(r"\d{8}T\d{6}(?:\.\d+)?Z(?:-[0-9a-f]+)?"), "<run>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"),
     "<time>"),
    (re.compile(r'("(?:entry_hash|prev_hash|hash|head|head_hash)"\s*:\s*")[0-9a-f]{64}'),
     r"\1<hash>"),
    (re.compile(r"\b\d+:[0-9a-f]{64}\b"), "<head>"),
    (re.compile(r"(note digest: sha256:)[0-9a-f]{64}"), r"\1<salted>"),
    (re.compile(r'("note_digest"\s*:\s*"sha256:)[0-9a-f]{64}'), r"\1<salted>"),
    (re.compile(r"sqlite:///[^\s\"<,]+"), "<database>"),
    (re.compile(r'("(?:seconds|solve_seconds|elapsed|time|duration_s|wall_seconds)"\s*:\s*)'
                r"[0-9.eE+-]+"), r"\1<seconds>"),
    # Statistics fitted numerically (a logistic regression) differ in their last digits
    # from one BLAS build or thread count to another: nine decimals are compared.
    (re.compile(r"(\d\.\d{9})\d+"), r"\1"),
]


def normalise(text: str) -> str:
    """The output with what varies between two identical runs replaced by placeholders."""
    for pattern, placeholder in _VARYING:
        text = pattern.sub(placeholder, text)
    return text.replace(str(ROOT), "<root>").replace(date.today().isoformat(), "<today>")


def _tandem() -> object:
    from cli import main

    main._register()
    return main.cli


@contextmanager
def _program() -> Iterator[str]:
    """A fresh database holding the example program, as examples/program/load.py loads it."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'program.db'}"
        sys.path.insert(0, str(ROOT / "examples" / "program"))
        try:
            import load  # type: ignore[import-not-found]

            load.load(url)
        finally:
            sys.path.pop(0)
        yield url


def _run(*args: str) -> str:
    result = CliRunner().invoke(_tandem(), list(args), prog_name="tandem", env=ENV)  # type: ignore[arg-type]
    return f"exit {result.exit_code}\n{result.stdout}"


def cases() -> dict[str, Callable[[str], str]]:
    """Each recorded output, by file name: a function of the example program's database."""
    cohort = str(ROOT / "examples" / "cohort.json")
    second = str(ROOT / "examples" / "cohort-second-edition.json")
    second_rules = str(ROOT / "examples" / "rules-second-edition")
    program_2026 = str(ROOT / "examples" / "program" / "cohort-2026.json")

    def report(db: str) -> str:
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "report.html"
            status = _run("report", "--db", db, "--out", str(out))
            return status + out.read_text(encoding="utf-8")

    return {
        "pair.txt": lambda db: _run("pair", cohort),
        "validate.txt": lambda db: _run("validate", cohort, str(ROOT / "examples" / "cohort.csv")),
        "rules-check.txt": lambda db: _run("rules", "check"),
        "rules-show.txt": lambda db: _run("rules", "show"),
        "pair.json": lambda db: _run("pair", cohort, "--format", "json"),
        "pair-second-edition.json": lambda db: _run("pair", second, "--rules", second_rules,
                                                    "--format", "json"),
        "pair-history.json": lambda db: _run("pair", program_2026, "--db", db,
                                             "--format", "json"),
        "explain-formed.json": lambda db: _run("explain", cohort, "M01", "E07",
                                               "--format", "json"),
        "explain-not-formed.json": lambda db: _run("explain", cohort, "M12", "E05",
                                                   "--format", "json"),
        "myjobdays.json": lambda db: _run("myjobdays", cohort, "--format", "json"),
        "fairness.json": lambda db: _run("fairness", cohort, "--format", "json"),
        "insights.json": lambda db: _run("insights", "--db", db, "--format", "json"),
        "status.txt": lambda db: _run("status", "--db", db),
        "report.html": report,
    }


def produce() -> dict[str, str]:
    """Every case's normalised output from the current tree."""
    with _program() as db:
        return {name: normalise(make(db)) for name, make in cases().items()}


def fingerprint(text: str) -> dict[str, object]:
    """What is recorded of one output: its digest and its length."""
    return {"sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "characters": len(text)}


def write_texts(outputs: dict[str, str], folder: Path) -> None:
    """Each normalised output as a file of its own, for a diff."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in outputs.items():
        (folder / name).write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", type=Path, help="also write each output to this folder")
    args = parser.parse_args()
    outputs = produce()
    EXPECTED.write_text(json.dumps({name: fingerprint(text) for name, text in outputs.items()},
                                   indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {EXPECTED}")
    if args.text:
        write_texts(outputs, args.text)
        print(f"wrote the outputs to {args.text}")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
