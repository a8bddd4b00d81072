"""A real SMTP server on localhost (aiosmtpd) that keeps what it receives, a committed run of
the example cohort, and the audit databases of the store tests."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from engine.base.resources import rules_dir
from tests.audit.conftest import db_url, pg_server, pg_url, sqlite_url  # noqa: F401

EXAMPLE = Path(__file__).parents[2] / "examples" / "cohort.json"


@dataclass
class Inbox:
    """What the server received: one (sender, recipients, raw message) per message."""

    port: int
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos),
                              bytes(envelope.original_content or envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    """A plain SMTP server on 127.0.0.1, for the duration of one test."""
    from aiosmtpd.controller import Controller

    inbox = Inbox(_free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def rules_for(folder: Path, port: int, starttls: bool = False) -> Path:
    """A copy of the bundled rules whose letters.yaml points at the test server."""
    target = folder / "rules"
    shutil.copytree(rules_dir(), target)
    settings = target / "letters.yaml"
    text = settings.read_text("utf-8").replace("  host: localhost\n  port: 587\n  starttls: true",
                                               f"  host: 127.0.0.1\n  port: {port}\n"
                                               f"  starttls: {str(starttls).lower()}")
    assert f"port: {port}" in text
    settings.write_text(text, "utf-8")
    return target
