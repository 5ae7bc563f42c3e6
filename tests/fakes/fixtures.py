"""Pytest fixtures for the fake Customer.io server (registered in tests/conftest.py).

- ``customerio_server``: a started :class:`FakeCustomerIo` (region "us", ephemeral port),
  stopped after the test.
- ``customerio_server_eu``: the same with region "eu".
- ``run_server(**kwargs)``: context manager usable outside pytest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.customerio_server import FakeCustomerIo, run_server

__all__ = ["customerio_server", "customerio_server_eu", "run_server"]


@pytest.fixture
def customerio_server() -> Iterator[FakeCustomerIo]:
    with run_server(region="us") as server:
        yield server


@pytest.fixture
def customerio_server_eu() -> Iterator[FakeCustomerIo]:
    with run_server(region="eu") as server:
        yield server
