"""Shared helpers for the CLI tests: run `python -m generated.customerio` as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.fakes.customerio_server import FakeCustomerIo

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "generated.customerio"]

# Distinctive secrets, so that "never printed" means something.
TRACKING_KEY = "trk-s3cr3t-5b1e9c"
APP_KEY = "app-s3cr3t-84d0a7"
SITE_ID = "site_123"
SECRETS = (TRACKING_KEY, APP_KEY)

SUMMARY = r"(\d+) succeeded, (\d+) failed, (\d+) retried, (\d+\.\d\d) s"


def env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a user who exported the credentials (and nothing else of ours)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMERIO_")}
    base.update(
        CUSTOMERIO_TRACKING_SITE_ID=SITE_ID,
        CUSTOMERIO_TRACKING_API_KEY=TRACKING_KEY,
        CUSTOMERIO_APP_API_KEY=APP_KEY,
        PYTHONUNBUFFERED="1",
    )
    base.update(extra or {})
    return base


def bases(server: FakeCustomerIo) -> list[str]:
    return ["--base-url", f"tracking={server.track_url}", "--base-url", f"app={server.app_url}"]


def command(server: FakeCustomerIo, resource: str, operation: str, *flags: str) -> list[str]:
    """`python -m generated.customerio RESOURCE OPERATION --base-url ... FLAGS` (a later
    `--base-url` in FLAGS wins)."""
    return [*CLI, resource, operation, *bases(server), *flags]


def cli(server: FakeCustomerIo, *args: str, input: str | None = None, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """Run one CLI command against `server`; stdout and stderr are pipes (not terminals)."""
    return subprocess.run(
        command(server, *args),
        cwd=REPO,
        env=env(),
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        check=False, capture_output=True,
        text=True,
        timeout=timeout,
    )


def jsonl(text: str) -> list[Any]:
    """Every line must be one whole JSON value."""
    return [json.loads(line) for line in text.splitlines()]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text
