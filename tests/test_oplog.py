"""The operational log: dropped below its level without loading structlog, sent on above."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog
from structlog.testing import capture_logs

from engine.base import oplog


@pytest.fixture
def fresh_setup(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A clean oplog set-up; the list records each time the configuration is applied."""
    applied: list[str] = []
    monkeypatch.setattr(oplog._SETUP, "level", 0)
    monkeypatch.setattr(oplog._SETUP, "configure", None)
    saved = structlog.get_config()  # a command run earlier may have set a level
    structlog.reset_defaults()
    yield applied
    structlog.configure(**saved)


def test_messages_below_the_level_are_dropped_and_configure_nothing(
        fresh_setup: list[str]) -> None:
    oplog.set_level(30, lambda: fresh_setup.append("configured"))
    with capture_logs() as logs:
        oplog.get_logger("tandem.test").info("not shown", n=1)
        oplog.get_logger("tandem.test").debug("not shown either")
    assert logs == [] and fresh_setup == []


def test_the_first_message_shown_applies_the_configuration_once(
        fresh_setup: list[str]) -> None:
    oplog.set_level(20, lambda: fresh_setup.append("configured"))
    with capture_logs() as logs:
        oplog.get_logger("tandem.test").warning("first", n=1)
        oplog.get_logger("tandem.test").info("second")
    assert fresh_setup == ["configured"]
    assert [(x["event"], x["log_level"]) for x in logs] == [("first", "warning"),
                                                            ("second", "info")]
    assert logs[0]["n"] == 1


def test_bound_fields_reach_every_message_inside_the_block_only(
        fresh_setup: list[str]) -> None:
    with capture_logs() as logs:
        with oplog.bound(run_id="r-1"):
            oplog.get_logger("tandem.test").warning("inside", step=2)
        oplog.get_logger("tandem.test").warning("outside")
    assert logs[0]["run_id"] == "r-1" and logs[0]["step"] == 2
    assert "run_id" not in logs[1]


def test_without_a_level_every_message_goes_to_structlog(fresh_setup: list[str]) -> None:
    """A library caller that configured structlog itself sees every message."""
    with capture_logs() as logs:
        oplog.get_logger("tandem.test").debug("a debug line")
    assert [x["event"] for x in logs] == ["a debug line"]
