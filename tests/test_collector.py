"""Batch work runs with the cyclic collector rarely awake, and gives it back as it was."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from engine.base.collector import BATCH_THRESHOLD, fewer_collections

ROOT = Path(__file__).resolve().parents[1]


def test_the_collector_wakes_rarely_inside_and_as_before_after() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == (max(before[0], BATCH_THRESHOLD), *before[1:])
    assert gc.get_threshold() == before


def test_the_thresholds_come_back_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(ValueError), fewer_collections():
        raise ValueError("stop")
    assert gc.get_threshold() == before


def test_pair_runs_as_batch_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """`tandem pair` runs with the collector set for batch work, and restores it."""
    seen: list[tuple[int, ...]] = []
    from engine.pairing import pipeline

    real = pipeline.pair_cohort

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.get_threshold())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "pair_cohort", spy)
    before = gc.get_threshold()
    result = CliRunner().invoke(cli, ["pair", str(ROOT / "examples" / "cohort.json"),
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["pairs"]
    assert seen and seen[0][0] >= BATCH_THRESHOLD
    assert gc.get_threshold() == before
