from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.helpers import APP_KEY, SITE_ID, TRACKING_KEY
from tests.fakes.customerio_server import FakeCustomerIo, run_server


@pytest.fixture
def server() -> Iterator[FakeCustomerIo]:
    """The local fake server with this suite's credentials; no App API rate limit."""
    with run_server(site_id=SITE_ID, api_key=TRACKING_KEY, app_api_key=APP_KEY, app_rate_limit=None) as fake:
        yield fake
