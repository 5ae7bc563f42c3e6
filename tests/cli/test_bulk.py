"""The generated CLI as a user runs it: a subprocess against the local fake server.

Every operation once in one-call mode, then bulk runs over items (JSON Lines, CSV, stdin,
`--parameters`), the three `--on-error` modes, retries, concurrency, rate pacing, a bad items
file, and secrets that never reach the terminal.
"""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.cli.helpers import APP_KEY, SITE_ID, SUMMARY, TRACKING_KEY, assert_no_secrets, cli, jsonl, write_jsonl
from tests.fakes.customerio_server import FakeCustomerIo, run_server


def summary(stderr: str) -> tuple[int, int, int, float]:
    """The counts of the summary line, which must be the last line on stderr."""
    last = stderr.rstrip("\n").splitlines()[-1]
    match = re.fullmatch(SUMMARY, last)
    assert match, f"no summary line at the end of stderr: {stderr!r}"
    ok, failed, retried, seconds = match.groups()
    return int(ok), int(failed), int(retried), float(seconds)


def paired(lines: list[Any]) -> list[int]:
    return [line["pairedItem"]["item"] for line in lines]


# ----------------------------------------------------------------------------- one call


def _seed_segment(server: FakeCustomerIo) -> None:
    server.segments[5] = {"a", "b", "c"}


ONE_CALL: list[tuple[str, list[str], Any]] = [
    ("campaign.get", ["--campaign-id", "2"], lambda s: s.campaigns[2]),
    ("campaign.getAll", [], lambda s: [s.campaigns[k] for k in sorted(s.campaigns)]),
    (
        "campaign.getMetrics",
        ["--campaign-id", "1", "--period", "hours", "--steps", "3", "--type", "email"],
        None,
    ),
    (
        "customer.upsert",
        ["--id", "u1", "--email", "ann@example.com", "--custom-properties", "plan=pro", "--custom-properties", "tier=gold"],
        lambda s: {"id": "u1", "email": "ann@example.com", "plan": "pro", "tier": "gold"},
    ),
    ("customer.delete", ["--id", "gone"], lambda s: {"success": True}),
    (
        "event.track",
        ["--customer-id", "u1", "--event-name", "purchase", "--custom-attributes", "sku=X-1"],
        lambda s: {"success": True},
    ),
    (
        "event.trackAnonymous",
        ["--event-name", "page_view", "--custom-attributes", "path=/pricing"],
        lambda s: {"success": True},
    ),
    ("segment.add", ["--segment-id", "5", "--customer-ids", "d, e"], lambda s: {"success": True}),
    ("segment.remove", ["--segment-id", "5", "--customer-ids", "a,b"], lambda s: {"success": True}),
]


@pytest.mark.parametrize(("name", "flags", "expected"), ONE_CALL, ids=[c[0] for c in ONE_CALL])
def test_every_operation_in_one_call_mode(server: FakeCustomerIo, name: str, flags: list[str], expected: Any) -> None:
    _seed_segment(server)
    server.people["gone"] = {"email": "old@example.com"}
    resource, operation = name.split(".")
    done = cli(server, resource, operation, *flags)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # one call: the result and nothing else
    result = json.loads(done.stdout)  # compact JSON on a pipe: one line
    assert done.stdout.count("\n") == 1
    if expected is not None:
        assert result == expected(server)
    assert [e.endpoint for e in server.journal] == [name]
    assert server.journal[0].status == 200 and server.journal[0].applied
    assert_no_secrets(done.stdout, done.stderr)
    # What the server did, operation by operation.
    if name == "campaign.getMetrics":
        assert server.journal[0].query == {"period": "hours", "steps": "3", "type": "email"}
        assert set(result["series"]) >= {"sent", "opened", "clicked"}
        assert all(len(series) == 3 for series in result["series"].values())
    elif name == "customer.upsert":
        assert server.people["u1"] == {"email": "ann@example.com", "plan": "pro", "tier": "gold"}
    elif name == "customer.delete":
        assert "gone" not in server.people
    elif name == "event.track":
        assert [(e["customer_id"], e["name"], e["data"]) for e in server.events] == [("u1", "purchase", {"sku": "X-1"})]
    elif name == "event.trackAnonymous":
        assert [(e["customer_id"], e["name"], e["data"]) for e in server.events] == [(None, "page_view", {"path": "/pricing"})]
    elif name == "segment.add":
        assert server.segments[5] == {"a", "b", "c", "d", "e"}
    elif name == "segment.remove":
        assert server.segments[5] == {"c"}


def test_one_call_exit_codes(server: FakeCustomerIo) -> None:
    missing = cli(server, "campaign", "get", "--campaign-id", "404")
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert missing.stderr.startswith("Error: HTTP 404: campaign not found")
    invalid = cli(server, "segment", "add", "--segment-id", "5", "--customer-ids", " , ")
    assert invalid.returncode == 2
    usage = cli(server, "campaign", "getMetrics", "--campaign-id", "1", "--steps", "500")
    assert usage.returncode == 2 and "--steps" in usage.stderr
    assert [e.endpoint for e in server.journal] == ["campaign.get"]  # 2 = refused before sending
    assert_no_secrets(missing.stderr, invalid.stderr, usage.stderr)


# ----------------------------------------------------------------------------- bulk


def test_jsonl_200_events_with_expressions_and_concurrency(server: FakeCustomerIo, tmp_path: Path) -> None:
    rows = [{"user_id": f"user-{i:03d}", "plan": ["free", "pro", "team"][i % 3], "amount": i} for i in range(200)]
    items = write_jsonl(tmp_path / "events.jsonl", rows)
    done = cli(
        server, "event", "track",
        "--items", str(items),
        "--customer-id", "={{ $json.user_id }}",
        "--event-name", "purchase",
        "--custom-attributes", "plan=={{ $json.plan }}",
        "--custom-attributes", "amount=={{ $json.amount + 1000 }}",
        "--custom-attributes", "row=={{ $itemIndex }}",
        "--concurrency", "8",
    )
    assert done.returncode == 0, done.stderr
    lines = jsonl(done.stdout)
    assert lines == [{"json": {"success": True}, "pairedItem": {"item": i}} for i in range(200)]
    assert len(server.events) == 200
    assert len({e["id"] for e in server.events}) == 200
    sent = {e["customer_id"]: e for e in server.events}
    assert sorted(sent) == [r["user_id"] for r in rows]
    for i, row in enumerate(rows):
        event = sent[row["user_id"]]
        assert event["name"] == "purchase"
        assert event["data"] == {"plan": row["plan"], "amount": i + 1000, "row": i}
    ok, failed, retried, seconds = summary(done.stderr)
    assert (ok, failed, retried) == (200, 0, 0) and seconds >= 0
    assert done.stderr.count("\n") == 1  # not a terminal: no progress bar, only the summary
    assert len(server.journal) == 200


def test_csv_items(server: FakeCustomerIo, tmp_path: Path) -> None:
    items = tmp_path / "people.csv"
    items.write_text("id,email,plan\nc1,c1@example.com,pro\nc2,c2@example.com,\n\"c,3\",c3@example.com,free\n", encoding="utf-8")
    done = cli(
        server, "customer", "upsert",
        "--items", str(items),
        "--id", "={{ $json.id }}",
        "--email", "={{ $json.email }}",
        "--custom-properties", "plan=={{ $json.plan }}",
        "--custom-properties", "source=csv",
    )
    assert done.returncode == 0, done.stderr
    assert paired(jsonl(done.stdout)) == [0, 1, 2]
    assert server.people == {
        "c1": {"email": "c1@example.com", "plan": "pro", "source": "csv"},
        "c2": {"email": "c2@example.com", "plan": "", "source": "csv"},
        "c,3": {"email": "c3@example.com", "plan": "free", "source": "csv"},
    }
    assert summary(done.stderr)[:3] == (3, 0, 0)


def test_csv_from_stdin_with_items_format(server: FakeCustomerIo) -> None:
    done = cli(
        server, "segment", "add",
        "--items", "-", "--items-format", "csv",
        "--segment-id", "={{ $json.segment }}",
        "--customer-ids", "={{ $json.ids }}",
        input='segment,ids\n7,"a, b"\n8,c\n',
    )
    assert done.returncode == 0, done.stderr
    assert paired(jsonl(done.stdout)) == [0, 1]
    assert server.segments == {7: {"a", "b"}, 8: {"c"}}


def test_jsonl_from_stdin(server: FakeCustomerIo) -> None:
    server.people.update({"a": {}, "b": {}, "keep": {}})
    done = cli(server, "customer", "delete", "--items", "-", "--id", "={{ $json.id }}", input='{"id": "a"}\n\n{"id": "b"}\n')
    assert done.returncode == 0, done.stderr
    assert jsonl(done.stdout) == [
        {"json": {"success": True}, "pairedItem": {"item": 0}},
        {"json": {"success": True}, "pairedItem": {"item": 1}},
    ]
    assert set(server.people) == {"keep"}
    assert summary(done.stderr)[:3] == (2, 0, 0)


def test_parameters_file_with_n8n_parameters(server: FakeCustomerIo, tmp_path: Path) -> None:
    parameters = tmp_path / "node.json"
    parameters.write_text(
        json.dumps(
            {
                "resource": "event",
                "operation": "track",
                "customerId": "={{ $json.user }}",
                "eventName": "from-parameters",
                "additionalFields": {
                    "customAttributes": {"customAttribute": [{"key": "plan", "value": "={{ $json.plan }}"}]},
                    "type": "page",
                },
            }
        ),
        encoding="utf-8",
    )
    items = write_jsonl(tmp_path / "items.jsonl", [{"user": "p1", "plan": "pro"}, {"user": "p2", "plan": "free"}])
    done = cli(server, "event", "track", "--parameters", str(parameters), "--items", str(items))
    assert done.returncode == 0, done.stderr
    assert paired(jsonl(done.stdout)) == [0, 1]
    assert [(e["customer_id"], e["name"], e["data"], e["type"]) for e in server.events] == [
        ("p1", "from-parameters", {"plan": "pro", "type": "page"}, None),  # n8n sends `type` in data
        ("p2", "from-parameters", {"plan": "free", "type": "page"}, None),
    ]
    # A flag overrides the file.
    again = cli(server, "event", "track", "--parameters", str(parameters), "--items", str(items), "--event-name", "from-flag")
    assert again.returncode == 0, again.stderr
    assert [e["name"] for e in server.events[2:]] == ["from-flag", "from-flag"]
    # --parameters alone is one run over one empty item.
    single = tmp_path / "single.json"
    single.write_text(json.dumps({"resource": "campaign", "operation": "get", "campaignId": 3}), encoding="utf-8")
    one = cli(server, "campaign", "get", "--parameters", str(single))
    assert one.returncode == 0, one.stderr
    assert jsonl(one.stdout) == [{"json": server.campaigns[3], "pairedItem": {"item": 0}}]


def test_parameters_file_for_another_operation_is_a_usage_error(server: FakeCustomerIo, tmp_path: Path) -> None:
    parameters = tmp_path / "node.json"
    parameters.write_text(json.dumps({"resource": "customer", "operation": "delete", "id": "x"}), encoding="utf-8")
    done = cli(server, "event", "track", "--parameters", str(parameters))
    assert done.returncode == 2
    assert done.stderr.strip() == "Error: --parameters names resource 'customer', but the command is event.track"
    assert server.journal == []


# Two attempts per request (--retry --max-tries 2 --wait 0), one item at a time: a 500 on the
# 2nd and 3rd request fails item 1 for good, on the 6th and 7th item 4 (requests 1, 4, 5 are
# items 0, 2, 3).
FAIL_ITEMS_1_AND_4 = [2, 3, 6, 7]
TWO_TRIES = ("--retry", "--max-tries", "2", "--wait", "0")


def _delete_items(tmp_path: Path, n: int = 5) -> Path:
    return write_jsonl(tmp_path / "ids.jsonl", [{"id": f"d{i}"} for i in range(n)])


def test_continue_error_output_writes_error_items_to_the_errors_file(server: FakeCustomerIo, tmp_path: Path) -> None:
    server.inject("customer.delete", "500", requests=FAIL_ITEMS_1_AND_4)
    errors_file = tmp_path / "errors.jsonl"
    done = cli(
        server, "customer", "delete", "--items", str(_delete_items(tmp_path)), "--id", "={{ $json.id }}",
        "--on-error", "continueErrorOutput", "--errors", str(errors_file), *TWO_TRIES,
    )
    assert done.returncode == 1  # an item failed
    assert jsonl(done.stdout) == [{"json": {"success": True}, "pairedItem": {"item": i}} for i in (0, 2, 3)]
    errors = jsonl(errors_file.read_text(encoding="utf-8"))
    assert paired(errors) == [1, 4]
    for error, customer in zip(errors, ("d1", "d4"), strict=True):
        assert error["json"]["status"] == 500
        assert error["json"]["errorType"] == "ServerError"
        assert error["json"]["error"].startswith("HTTP 500: internal server error (DELETE ")
        assert error["json"]["error"].endswith(f"/customers/{customer})")
    assert summary(done.stderr)[:3] == (3, 2, 2)
    assert done.stderr.count("\n") == 1  # the error items went to the file, not to stderr
    assert_no_secrets(done.stdout, done.stderr, errors_file.read_text(encoding="utf-8"))


def test_continue_error_output_without_errors_file_uses_stderr(server: FakeCustomerIo, tmp_path: Path) -> None:
    server.inject("customer.delete", "500", requests=FAIL_ITEMS_1_AND_4)
    done = cli(
        server, "customer", "delete", "--items", str(_delete_items(tmp_path)), "--id", "={{ $json.id }}",
        "--on-error", "continueErrorOutput", *TWO_TRIES,
    )
    assert done.returncode == 1
    assert paired(jsonl(done.stdout)) == [0, 2, 3]
    *errors, last = done.stderr.splitlines()
    assert paired([json.loads(line) for line in errors]) == [1, 4]
    assert re.fullmatch(SUMMARY, last)


def test_continue_regular_output_keeps_error_items_in_place(server: FakeCustomerIo, tmp_path: Path) -> None:
    server.inject("customer.delete", "500", requests=FAIL_ITEMS_1_AND_4)
    done = cli(
        server, "customer", "delete", "--items", str(_delete_items(tmp_path)), "--id", "={{ $json.id }}",
        "--on-error", "continueRegularOutput", *TWO_TRIES,
    )
    assert done.returncode == 1
    lines = jsonl(done.stdout)
    assert paired(lines) == [0, 1, 2, 3, 4]
    assert [("error" in line["json"]) for line in lines] == [False, True, False, False, True]
    assert lines[1]["json"]["status"] == 500
    assert summary(done.stderr)[:3] == (3, 2, 2)
    assert done.stderr.count("\n") == 1


def test_stop_workflow_stops_at_the_first_failure(server: FakeCustomerIo, tmp_path: Path) -> None:
    server.inject("customer.delete", "500", requests=[3, 4])  # both tries of item 2
    done = cli(server, "customer", "delete", "--items", str(_delete_items(tmp_path)), "--id", "={{ $json.id }}", *TWO_TRIES)
    assert done.returncode == 1
    assert jsonl(done.stdout) == [{"json": {"success": True}, "pairedItem": {"item": i}} for i in (0, 1)]
    error_line, _summary = done.stderr.splitlines()
    assert json.loads(error_line)["pairedItem"] == {"item": 2}
    assert summary(done.stderr)[:3] == (2, 1, 1)
    # Items 3 and 4 were never sent.
    assert [e.params["customer_id"] for e in server.journal] == ["d0", "d1", "d2", "d2"]


def test_stop_workflow_with_concurrency(server: FakeCustomerIo, tmp_path: Path) -> None:
    rows = [{"id": f"d{i}"} for i in range(40)]
    rows[10]["id"] = ""  # fails validation: no request is sent for it
    items = write_jsonl(tmp_path / "ids.jsonl", rows)
    done = cli(server, "customer", "delete", "--items", str(items), "--id", "={{ $json.id }}", "--concurrency", "4")
    assert done.returncode == 1
    lines = jsonl(done.stdout)
    assert paired(lines)[:10] == list(range(10))  # every item before the failure
    assert paired(lines) == sorted(paired(lines)) and 10 not in paired(lines)
    assert json.loads(done.stderr.splitlines()[0])["pairedItem"] == {"item": 10}
    ok, failed, _, _ = summary(done.stderr)
    assert failed == 1 and ok == len(lines) and ok + failed < 40  # it stopped
    sent = [e.params["customer_id"] for e in server.journal]
    assert sorted(sent) == sorted(line_id for line_id in (f"d{i}" for i in paired(lines)))  # written == sent


def test_retries_transient_faults_without_duplicates(server: FakeCustomerIo, tmp_path: Path) -> None:
    # 500s, and answers lost after the event was stored: a retry must not store it twice.
    # (Faults at least 8 requests apart: no item can meet one on all of its 3 tries.)
    server.inject("event.track", "500", requests=[4, 20, 36, 52])
    server.inject("event.track", "drop_after", requests=[12, 28, 44])
    items = write_jsonl(tmp_path / "events.jsonl", [{"user_id": f"r{i}"} for i in range(60)])
    done = cli(
        server, "event", "track", "--items", str(items),
        "--customer-id", "={{ $json.user_id }}", "--event-name", "retried",
        "--retry", "--max-tries", "3", "--wait", "0", "--concurrency", "4",
    )
    assert done.returncode == 0, done.stderr
    assert paired(jsonl(done.stdout)) == list(range(60))
    ok, failed, retried, _ = summary(done.stderr)
    assert (ok, failed) == (60, 0)
    faults = server.fault_counts()
    assert (faults["500"], faults["drop_after"]) == (4, 3)
    assert retried == 7 == len(server.journal) - 60
    assert sum(not e.applied for e in server.journal) == 4 + 3  # the 500s, and the re-sent events

    assert sorted(e["customer_id"] for e in server.events) == sorted(f"r{i}" for i in range(60))  # no duplicates
    assert len(server.events) == 60


def test_rate_never_exceeds_the_limit_in_any_second(server: FakeCustomerIo, tmp_path: Path) -> None:
    """--rate 20 over 30 items: no 1-second window of the server's journal holds more than 20."""
    items = write_jsonl(tmp_path / "ids.jsonl", [{"id": f"r{i}"} for i in range(30)])
    done = cli(server, "customer", "delete", "--items", str(items), "--id", "={{ $json.id }}", "--rate", "20")
    assert done.returncode == 0, done.stderr
    times = sorted(e.time for e in server.journal)
    assert len(times) == 30
    busiest = max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))
    assert busiest <= 20


def test_app_api_pacing_stays_under_the_servers_limit(tmp_path: Path) -> None:
    """The node paces the App API itself (10/s): a server that allows 10 in any second never says 429."""
    with run_server(site_id=SITE_ID, api_key=TRACKING_KEY, app_api_key=APP_KEY, app_rate_limit=10.0) as limited:
        items = write_jsonl(tmp_path / "ids.jsonl", [{"id": 1 + i % 3} for i in range(25)])
        done = cli(limited, "campaign", "get", "--items", str(items), "--campaign-id", "={{ $json.id }}")
        assert done.returncode == 0, done.stderr
        assert [e.status for e in limited.journal].count(429) == 0
        assert summary(done.stderr)[:3] == (25, 0, 0)


@pytest.mark.parametrize("concurrency", ["1", "8"])
def test_rate_paces_requests(server: FakeCustomerIo, tmp_path: Path, concurrency: str) -> None:
    """30 requests at 20/s are spread over ~1.5 s, one item at a time or eight: never a burst."""
    items = write_jsonl(tmp_path / "ids.jsonl", [{"id": f"r{i}"} for i in range(30)])
    done = cli(
        server, "customer", "delete", "--items", str(items), "--id", "={{ $json.id }}",
        "--rate", "20", "--concurrency", concurrency,
    )
    assert done.returncode == 0, done.stderr
    assert paired(jsonl(done.stdout)) == list(range(30))
    times = sorted(e.time for e in server.journal)
    assert len(times) == 30
    assert times[-1] - times[0] >= 29 / 20 - 0.05
    # A burst would put all 30 in a few milliseconds; paced, a quarter second holds about 5
    # (more when a loaded machine wakes threads late).
    busiest_quarter = max(bisect.bisect_left(times, t + 0.25) - i for i, t in enumerate(times))
    assert busiest_quarter <= 15
    assert summary(done.stderr)[3] >= 1.4


def test_bad_items_file_names_the_file_and_line(server: FakeCustomerIo, tmp_path: Path) -> None:
    items = tmp_path / "broken.jsonl"
    items.write_text('{"id": "a"}\n{"id": "b"}\n{"id": \n{"id": "d"}\n', encoding="utf-8")
    done = cli(server, "customer", "delete", "--items", str(items), "--id", "={{ $json.id }}")
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"{items}:3:" in done.stderr
    assert "not valid JSON" in done.stderr
    assert server.journal == []  # nothing is sent when the file is bad


def test_items_that_are_not_objects(server: FakeCustomerIo) -> None:
    done = cli(server, "customer", "delete", "--items", "-", "--id", "={{ $json.id }}", input='{"id": "a"}\n[1, 2]\n')
    assert done.returncode == 2
    assert done.stderr.strip() == "Error: <stdin>:2: each line must be a JSON object, got list"
    assert server.journal == []


def test_an_item_that_fails_validation_is_an_error_item(server: FakeCustomerIo) -> None:
    done = cli(
        server, "event", "track", "--items", "-", "--customer-id", "={{ $json.id }}", "--event-name", "e",
        "--on-error", "continueErrorOutput",
        input='{"id": "ok"}\n{"id": ""}\n{"id": "ok2"}\n',
    )
    assert done.returncode == 1
    assert paired(jsonl(done.stdout)) == [0, 2]
    error = json.loads(done.stderr.splitlines()[0])
    assert error == {
        "json": {
            "error": "customerId: String should have at least 1 character (got '')",
            "errorType": "ValidationError",
            "parameters": ["customerId"],
        },
        "pairedItem": {"item": 1},
    }
    assert [e["customer_id"] for e in server.events] == ["ok", "ok2"]


def test_secrets_never_reach_stdout_or_stderr(server: FakeCustomerIo, tmp_path: Path) -> None:
    items = write_jsonl(tmp_path / "ids.jsonl", [{"id": f"s{i}"} for i in range(3)])
    runs = [
        # Success, in both modes.
        cli(server, "customer", "delete", "--items", str(items), "--id", "={{ $json.id }}"),
        cli(server, "campaign", "getAll"),
        # Failures print error items and messages with URLs, never the keys.
        cli(server, "customer", "delete", "--items", str(items), "--id", "={{ $json.id }}",
            "--on-error", "continueRegularOutput", "--base-url", f"tracking={server.url}/track-eu.customer.io/api/v1"),
        cli(server, "campaign", "get", "--campaign-id", "999", "--pretty"),
        # A wrong key given as a flag is a secret too.
        cli(server, "customer", "delete", "--id", "x", "--tracking-api-key", "flag-s3cr3t-key"),
        cli(server, "customer", "delete", "--items", str(items), "--id", "={{ $json.id }}",
            "--tracking-api-key", "flag-s3cr3t-key", "--on-error", "continueErrorOutput"),
        cli(server, "customer", "delete", "--help"),
    ]
    assert [r.returncode for r in runs] == [0, 0, 1, 1, 1, 1, 0]
    assert "HTTP 401" in runs[2].stdout and "HTTP 401" in runs[5].stderr
    for run in runs:
        assert_no_secrets(run.stdout, run.stderr)
        assert "flag-s3cr3t-key" not in run.stdout + run.stderr
