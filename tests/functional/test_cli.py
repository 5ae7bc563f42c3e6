"""The generated CLI, driven as a user would: a subprocess against the local server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.customerio_server import FakeCustomerIo

REPO = Path(__file__).resolve().parents[2]
SECRET = "trk_key"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMERIO_")}
    return subprocess.run(
        [sys.executable, "-m", "generated.customerio", *args],
        cwd=REPO,
        check=False,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def creds(server: FakeCustomerIo) -> dict[str, str]:
    return {
        "CUSTOMERIO_TRACKING_SITE_ID": "site_123",
        "CUSTOMERIO_TRACKING_API_KEY": SECRET,
        "CUSTOMERIO_APP_API_KEY": "app_key",
    }


def bases(server: FakeCustomerIo) -> list[str]:
    return ["--base-url", f"tracking={server.track_url}", "--base-url", f"app={server.app_url}"]


def test_help_at_every_level_lists_parameters() -> None:
    top = cli("--help")
    assert top.returncode == 0
    assert all(word in top.stdout for word in ("campaign", "customer", "event", "segment"))
    group = cli("campaign", "--help")
    assert all(op in group.stdout for op in ("get", "getAll", "getMetrics"))
    metrics = cli("campaign", "getMetrics", "--help").stdout
    assert "--period [hours|days|weeks|months]" in metrics
    assert "default: \"days\"" in " ".join(metrics.split())
    assert "--steps INTEGER RANGE" in metrics and "range: 0..120" in " ".join(metrics.split())
    assert "one of: email (Email), empty (Empty)" in " ".join(metrics.split())
    assert "CUSTOMERIO_APP_API_KEY" in metrics


def test_success_prints_json_and_exits_0(customerio_server: FakeCustomerIo) -> None:
    done = cli("segment", "add", "--segment-id", "7", "--customer-ids", "a, b", *bases(customerio_server), env=creds(customerio_server))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"success": True}
    assert customerio_server.segments == {7: {"a", "b"}}


def test_credentials_from_flags(customerio_server: FakeCustomerIo) -> None:
    done = cli(
        "customer", "upsert", "--id", "u1", "--email", "a@b.co", "--custom-properties", "plan=pro",
        "--tracking-site-id", "site_123", "--tracking-api-key", SECRET, *bases(customerio_server),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"id": "u1", "plan": "pro", "email": "a@b.co"}
    assert SECRET not in done.stdout + done.stderr


def test_list_output_and_pretty_flag(customerio_server: FakeCustomerIo) -> None:
    done = cli("campaign", "getAll", "--pretty", *bases(customerio_server), env=creds(customerio_server))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("[\n  {")
    assert [c["id"] for c in json.loads(done.stdout)] == sorted(customerio_server.campaigns)


def test_validation_error_exits_2_before_any_request(customerio_server: FakeCustomerIo) -> None:
    done = cli("segment", "add", "--segment-id", "7", "--customer-ids", " , ", *bases(customerio_server), env=creds(customerio_server))
    assert done.returncode == 2
    assert done.stderr.strip() == "Error: customerIds: needs at least 1 id(s), got 0"
    assert customerio_server.journal == []


def test_usage_error_exits_2() -> None:
    done = cli("campaign", "getMetrics", "--campaign-id", "1", "--period", "years")
    assert done.returncode == 2
    assert "Invalid value for '--period'" in done.stderr


def test_missing_credential_exits_2(customerio_server: FakeCustomerIo) -> None:
    done = cli("campaign", "get", "--campaign-id", "1", *bases(customerio_server))
    assert done.returncode == 2
    assert done.stderr.strip() == "Error: credential field 'appApiKey' is required for campaign.get (app API)"


def test_api_error_exits_1_without_secrets(customerio_server: FakeCustomerIo) -> None:
    done = cli("campaign", "get", "--campaign-id", "999", *bases(customerio_server), env=creds(customerio_server))
    assert done.returncode == 1
    assert done.stderr.strip() == f"Error: HTTP 404: campaign not found (GET {customerio_server.app_url}/campaigns/999)"
    wrong = cli("customer", "delete", "--id", "u1", *bases(customerio_server), env={**creds(customerio_server), "CUSTOMERIO_TRACKING_API_KEY": "wrong-secret"})
    assert wrong.returncode == 1
    assert "HTTP 401" in wrong.stderr and "wrong-secret" not in wrong.stderr + wrong.stdout


@pytest.mark.parametrize("flag", ["--tracking-api-key", "--app-api-key"])
def test_help_never_shows_a_secret_from_the_environment(flag: str) -> None:
    done = cli("campaign", "get", "--help", env={"CUSTOMERIO_TRACKING_API_KEY": "s3cr3t-env", "CUSTOMERIO_APP_API_KEY": "s3cr3t-app"})
    assert flag in done.stdout
    assert "s3cr3t" not in done.stdout
