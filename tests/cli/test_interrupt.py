"""Ctrl-C in the middle of a bulk run: exit 130, whole lines only, and an honest account."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.helpers import REPO, SUMMARY, command, env, write_jsonl
from tests.fakes.customerio_server import FakeCustomerIo

ITEMS = 100


def _wait_for(predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def _settled_journal(server: FakeCustomerIo, quiet: float = 0.8, timeout: float = 10) -> int:
    """The journal length once no request has arrived or finished for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    count, since = len(server.journal), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = len(server.journal)
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return count
    raise AssertionError("the server kept receiving requests after the CLI exited")


@pytest.mark.parametrize("concurrency", [1, 4])
def test_ctrl_c_stops_cleanly(server: FakeCustomerIo, tmp_path: Path, concurrency: int) -> None:
    server.inject("event.track", "slow", delay=0.3)
    items = write_jsonl(tmp_path / "events.jsonl", [{"user_id": f"c{i}"} for i in range(ITEMS)])
    process = subprocess.Popen(
        command(
            server, "event", "track", "--items", str(items), "--customer-id", "={{ $json.user_id }}",
            "--event-name", "interrupted", "--concurrency", str(concurrency),
        ),
        cwd=REPO, env=env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        _wait_for(lambda: len(server.journal) >= 1, timeout=20)  # running, past start-up
        time.sleep(0.8)  # about 1 s into the run
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err

    # Every line on stdout is a whole JSON item, in input order, from the start.
    assert out.endswith("\n")
    lines = [json.loads(line) for line in out.splitlines()]
    written = len(lines)
    assert [line["pairedItem"]["item"] for line in lines] == list(range(written))
    assert all(line["json"] == {"success": True} for line in lines)

    # The account on stderr.
    last = err.rstrip("\n").splitlines()[-1]
    match = re.fullmatch(rf"interrupted after (\d+) of (\d+) items: {SUMMARY}(; .*)?", last)
    assert match, err
    n, m, ok, failed = (int(g) for g in match.groups()[:4])
    assert (n, m) == (written, ITEMS)
    assert (ok, failed) == (written, 0)
    assert 0 < written < ITEMS

    # The server saw the items written, plus at most the ones that were in flight.
    journal = _settled_journal(server)
    assert written <= journal <= written + concurrency
    sent = [e.params["customer_id"] for e in server.journal]
    assert {f"c{i}" for i in range(written)} <= set(sent)
    assert len(set(sent)) == len(sent)
