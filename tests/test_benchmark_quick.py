"""The benchmark's smoke test: every contender forms the same pairs count and total score."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "pairing.py"


@pytest.mark.slow
def test_quick_benchmark_contenders_agree(tmp_path: Path) -> None:
    """`pairing.py --quick` (n = 50 and 200) exits 0 and every contender agrees with tandem."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path), "--plot", "none"],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((tmp_path / "results-quick.json").read_text("utf-8"))
    assert [row["n"] for row in results["sizes"]] == [50, 200]
    for row in results["sizes"]:
        assert row["agree"] and row["disagreements"] == []
        tandem = row["contenders"]["tandem"]
        for name in ("floor", "per-pair"):
            other = row["contenders"][name]
            assert (other["pairs"], other["total_score"]) == (tandem["pairs"],
                                                              tandem["total_score"])
        assert tandem["distinct_combinations"] > 0
