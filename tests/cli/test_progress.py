"""The progress bar: drawn on stderr when it is a terminal (a pseudo-terminal here), absent otherwise."""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli.helpers import REPO, SUMMARY, command, env, jsonl, write_jsonl
from tests.fakes.customerio_server import FakeCustomerIo

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")


def run_with_tty_stderr(args: list[str], timeout: float = 60) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal and stdout on a pipe; returns (code, stdout, terminal text)."""
    master, slave = os.openpty()
    try:
        process = subprocess.Popen(
            args, cwd=REPO, env=env({"TERM": "xterm", "COLUMNS": "100"}),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
        )
    finally:
        os.close(slave)
    assert process.stdout is not None
    screen, out = bytearray(), bytearray()
    streams = {master: screen, process.stdout.fileno(): out}
    deadline = time.monotonic() + timeout
    while streams and time.monotonic() < deadline:
        ready, _, _ = select.select(list(streams), [], [], 0.5)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                data = b""
            if data:
                streams[fd].extend(data)
            else:
                del streams[fd]
    os.close(master)
    process.stdout.close()
    code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    return code, out.decode(), screen.decode()


def _track(server: FakeCustomerIo, tmp_path: Path, *flags: str) -> list[str]:
    items = write_jsonl(tmp_path / "events.jsonl", [{"user_id": f"p{i}"} for i in range(40)])
    return command(server, "event", "track", "--items", str(items), "--customer-id", "={{ $json.user_id }}", "--event-name", "seen", *flags)


def test_progress_bar_on_a_terminal(server: FakeCustomerIo, tmp_path: Path) -> None:
    server.inject("event.track", "slow", delay=0.02)  # long enough for several redraws
    code, out, screen = run_with_tty_stderr(_track(server, tmp_path, "--concurrency", "2"))
    assert code == 0, screen
    assert "event.track" in screen  # click's progressbar, labelled with the operation
    assert re.search(r"\[#+-*\]", screen)  # the bar itself
    assert "100%" in screen
    assert len(re.findall(r"\d+%", screen)) > 2  # it was redrawn as items finished
    assert re.search(SUMMARY, screen.splitlines()[-1].replace("\r", ""))
    # stdout is a pipe: clean JSON Lines, no bar in it
    assert [line["pairedItem"]["item"] for line in jsonl(out)] == list(range(40))
    assert len(server.events) == 40


def test_no_progress_flag_on_a_terminal(server: FakeCustomerIo, tmp_path: Path) -> None:
    code, _out, screen = run_with_tty_stderr(_track(server, tmp_path, "--no-progress"))
    assert code == 0, screen
    assert "%" not in screen and "event.track" not in screen
    assert re.fullmatch(SUMMARY, screen.strip())


def test_no_progress_bar_when_stderr_is_not_a_terminal(server: FakeCustomerIo, tmp_path: Path) -> None:
    done = subprocess.run(
        _track(server, tmp_path), cwd=REPO, env=env(), stdin=subprocess.DEVNULL,
        check=False, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "%" not in done.stderr and "event.track" not in done.stderr and "\r" not in done.stderr
    assert re.fullmatch(SUMMARY + "\n", done.stderr)  # nothing but the summary
    assert len(jsonl(done.stdout)) == 40


def test_progress_flag_when_stderr_is_not_a_terminal(server: FakeCustomerIo, tmp_path: Path) -> None:
    done = subprocess.run(
        _track(server, tmp_path, "--progress"), cwd=REPO, env=env(), stdin=subprocess.DEVNULL,
        check=False, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "event.track: 0/40 (0%)" or lines[0].startswith("event.track: ")
    assert "event.track: 40/40 (100%)" in lines  # plain lines a CI log can keep
    assert "\r" not in done.stderr
