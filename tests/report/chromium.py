"""Headless Chromium for the browser tests: the command-line modes (--dump-dom,
--screenshot, --print-to-pdf) and a DevTools session over a pipe that records every request
the page makes and every dialog a script opens.

Chromium is Debian's package (/usr/bin/chromium). Without it the browser tests skip, except
when CI is set: there they fail, because a browser test that never ran is not a pass.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

TIMEOUT = 30.0  # seconds for one browser run; each takes one or two


def executable() -> str:
    """The path of chromium, or skip (fail under CI) when it is not installed."""
    found = os.environ.get("TANDEM_CHROMIUM") or shutil.which("chromium") or \
        shutil.which("chromium-browser")
    if not found:
        message = ("chromium is not installed (apt-get install -y chromium); the browser "
                   "tests need it")
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so the browser tests fail, not skip)")
        pytest.skip(message)
    return found


def _flags(profile: Path) -> list[str]:
    flags = ["--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--disable-sync",
             "--disable-background-networking", "--disable-component-update",
             "--disable-default-apps", "--mute-audio", f"--user-data-dir={profile}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium's sandbox refuses to run as root
    return flags


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    """One headless Chromium run with a throw-away profile."""
    with tempfile.TemporaryDirectory(prefix="tandem-chromium-") as profile:
        done = subprocess.run([executable(), *_flags(Path(profile)), *args],
                              capture_output=True, timeout=TIMEOUT, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done


def dump_dom(page: Path) -> str:
    """The DOM after the page loaded, serialised (Chromium's --dump-dom)."""
    return run("--dump-dom", page.resolve().as_uri()).stdout.decode("utf-8")


def screenshot(page: Path, out: Path, width: int = 1200, height: int = 1800) -> Path:
    run(f"--screenshot={out.resolve()}", f"--window-size={width},{height}",
        page.resolve().as_uri())
    return out


def print_pdf(page: Path, out: Path) -> Path:
    run(f"--print-to-pdf={out.resolve()}", "--no-pdf-header-footer", page.resolve().as_uri())
    return out


@dataclass
class PageLoad:
    """What happened while a page loaded under the DevTools protocol."""

    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    loaded: bool = False


class _Pipe:
    """The DevTools protocol over --remote-debugging-pipe: JSON messages ended by NUL."""

    def __init__(self, write_fd: int, read_fd: int) -> None:
        self._write = os.fdopen(write_fd, "wb", buffering=0)
        self._read = os.fdopen(read_fd, "rb", buffering=0)
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._next = 0
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self) -> None:
        buffer = b""
        while chunk := self._read.read(65536):
            buffer += chunk
            *whole, buffer = buffer.split(b"\0")
            for raw in whole:
                self.messages.put(json.loads(raw))

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> int:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._write.write(json.dumps(message).encode() + b"\0")
        return self._next

    def close(self) -> None:
        self._write.close()


def load(page: Path, settle: float = 0.5) -> PageLoad:
    """Open the page in a fresh headless Chromium and record, until it has loaded and then
    for ``settle`` seconds more: every request (Network.requestWillBeSent), every JavaScript
    dialog (alert, confirm, prompt), every console and log message."""
    cmd_r, cmd_w = os.pipe()
    res_r, res_w = os.pipe()
    # The browser reads commands on fd 3 and writes answers on fd 4: move the child's ends
    # above 9 first, so that putting them on 3 and 4 can never overwrite one another
    # (bash, not sh: dash reads one-digit descriptors only).
    child_r, child_w = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (cmd_r, res_w))
    os.close(cmd_r)
    os.close(res_w)
    with tempfile.TemporaryDirectory(prefix="tandem-chromium-") as profile:
        args = [executable(), *_flags(Path(profile)), "--remote-debugging-pipe", "about:blank"]
        shell = f'exec "$0" "$@" 3<&{child_r} 4>&{child_w} {child_r}<&- {child_w}>&-'
        proc = subprocess.Popen(["bash", "-c", shell, *args], pass_fds=(child_r, child_w),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(child_r)
        os.close(child_w)
        pipe = _Pipe(cmd_w, res_r)
        try:
            return _drive(pipe, page.resolve().as_uri(), settle)
        finally:
            pipe.send("Browser.close")
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            pipe.close()


def _drive(pipe: _Pipe, url: str, settle: float) -> PageLoad:
    deadline = time.monotonic() + TIMEOUT
    answers: dict[int, dict[str, Any]] = {}
    seen = PageLoad()
    session = ""

    def pump(until: float) -> None:
        while time.monotonic() < until:
            try:
                message = pipe.messages.get(timeout=max(0.01, until - time.monotonic()))
            except queue.Empty:
                return
            if "id" in message:
                answers[message["id"]] = message
                continue
            method, params = message.get("method"), message.get("params", {})
            if method == "Network.requestWillBeSent":
                seen.requests.append(params["request"]["url"])
            elif method == "Page.javascriptDialogOpening":
                seen.dialogs.append(params.get("message", ""))
                pipe.send("Page.handleJavaScriptDialog", {"accept": True}, session)
            elif method == "Runtime.consoleAPICalled":
                seen.console.append(" ".join(str(a.get("value")) for a in params["args"]))
            elif method == "Log.entryAdded":
                seen.console.append(params["entry"].get("text", ""))
            elif method == "Page.loadEventFired":
                seen.loaded = True

    def call(method: str, params: dict[str, Any] | None = None, on: str | None = None
             ) -> dict[str, Any]:
        ident = pipe.send(method, params, on)
        while ident not in answers:
            assert time.monotonic() < deadline, f"Chromium did not answer {method}"
            pump(time.monotonic() + 0.05)
        answer = answers.pop(ident)
        assert "error" not in answer, answer
        return dict(answer.get("result", {}))

    targets = call("Target.getTargets")["targetInfos"]
    target = next(t["targetId"] for t in targets if t["type"] == "page")
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Network", "Page", "Runtime", "Log"):
        call(f"{domain}.enable", on=session)
    call("Page.navigate", {"url": url}, session)
    while not seen.loaded:
        assert time.monotonic() < deadline, f"{url} did not load within {TIMEOUT} s"
        pump(time.monotonic() + 0.05)
    pump(time.monotonic() + settle)
    return seen
