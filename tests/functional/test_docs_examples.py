"""Every Python and CLI example in the generated docs runs against the local server."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from generated.customerio import Client
from tests.fakes.customerio_server import FakeCustomerIo
from tests.functional.test_cli import bases, cli, creds

DOCS = (Path(__file__).resolve().parents[2] / "generated/customerio/README.md").read_text()
PYTHON = re.findall(r"```python\n(client\.[^\n]+)\n```", DOCS)
SHELL = re.findall(r"```sh\n(python -m generated\.customerio [^\n]+)\n```", DOCS)


def test_every_operation_has_both_examples() -> None:
    assert len(PYTHON) == 9 and len(SHELL) == 9


@pytest.mark.parametrize("line", PYTHON)
def test_python_example_runs(line: str, customerio_server: FakeCustomerIo) -> None:
    credentials = {"trackingApiKey": "trk_key", "trackingSiteId": "site_123", "appApiKey": "app_key"}
    with Client(credentials, base_urls={"tracking": customerio_server.track_url, "app": customerio_server.app_url}) as client:
        result: Any = eval(line, {"client": client})  # the docs' own text, run as written
    assert result is not None
    assert [entry.status for entry in customerio_server.journal] == [200]


@pytest.mark.parametrize("line", SHELL)
def test_cli_example_runs(line: str, customerio_server: FakeCustomerIo) -> None:
    args = shlex.split(line)[3:]
    done = cli(*args, *bases(customerio_server), env=creds(customerio_server))
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)
    assert [entry.status for entry in customerio_server.journal] == [200]
