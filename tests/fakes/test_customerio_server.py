"""Tests for the in-memory fake Customer.io server (tests/fakes/customerio_server.py)."""

from __future__ import annotations

import base64
import json
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.customerio_server import (
    ENDPOINTS,
    FakeCustomerIo,
    run_server,
)

ROOT = Path(__file__).resolve().parents[2]
BASIC = ("site_123", "trk_key")
BEARER = {"Authorization": "Bearer app_key"}
TRACK_401 = {"meta": {"error": "Unauthorized request"}}
APP_401 = {"errors": [{"detail": "Unauthorized", "status": "401"}]}
CAMPAIGN_404 = {"errors": [{"detail": "campaign not found", "status": "404"}]}
DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


def meta(*messages: str) -> dict[str, Any]:
    return {"meta": {"errors": list(messages)}}


def _one_shot(method: str) -> Callable[..., httpx.Response]:
    # verify=False: these are plain-http URLs, and it skips building an SSL context (~20 ms).
    def call(url: str, **kwargs: Any) -> httpx.Response:
        with httpx.Client(verify=False) as client:
            return client.request(method, url, **kwargs)

    return call


http_get = _one_shot("GET")
http_put = _one_shot("PUT")


@pytest.fixture
def server(customerio_server: FakeCustomerIo) -> Iterator[FakeCustomerIo]:
    yield customerio_server
    assert customerio_server.errors == []  # no unexpected exception inside the fake


@pytest.fixture
def track(server: FakeCustomerIo) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.track_url, auth=BASIC, verify=False) as client:
        yield client


@pytest.fixture
def app(server: FakeCustomerIo) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.app_url, headers=BEARER, verify=False) as client:
        yield client


# --------------------------------------------------------------------------- lifecycle


def test_start_stop_is_fast_and_leaves_no_threads() -> None:
    before = set(threading.enumerate())
    timings = []
    for _ in range(3):  # best of 3: a loaded machine may stall one attempt
        t0 = time.perf_counter()
        server = FakeCustomerIo().start()
        started = time.perf_counter() - t0
        # the client keeps an idle keep-alive connection open while the server stops
        with httpx.Client(auth=BASIC, verify=False) as client:
            r = client.put(f"{server.track_url}/customers/u1", json={})
            assert r.status_code == 200
            t1 = time.perf_counter()
            server.stop()
            stopped = time.perf_counter() - t1
        timings.append((started, stopped))
        assert set(threading.enumerate()) == before
        server.stop()  # idempotent
        assert not server.running
    assert min(t[0] for t in timings) < 0.05
    assert min(t[1] for t in timings) < 0.05


def test_run_server_context_manager_and_kwargs() -> None:
    with run_server(site_id="s9", api_key="k9", region="eu") as server:
        assert server.running and server.port > 0
        r = http_put(f"{server.track_url}/customers/u1", json={}, auth=("s9", "k9"))
        assert r.status_code == 200
    assert not server.running
    with FakeCustomerIo() as server2:
        assert server2.running
    assert not server2.running


def test_base_urls(server: FakeCustomerIo) -> None:
    root = f"http://127.0.0.1:{server.port}"
    assert server.url == root
    assert server.base_url("track.customer.io") == f"{root}/track.customer.io/api/v1"
    assert (
        server.base_url("track-eu.customer.io") == f"{root}/track-eu.customer.io/api/v1"
    )
    assert server.base_url("api.customer.io") == f"{root}/api.customer.io/v1"
    assert server.base_url("api-eu.customer.io") == f"{root}/api-eu.customer.io/v1"
    assert server.track_url == server.base_url("track.customer.io")
    assert server.app_url == server.base_url("api.customer.io")
    with pytest.raises(ValueError, match="unknown Customer.io host"):
        server.base_url("example.com")


def test_constructor_rejects_bad_region() -> None:
    with pytest.raises(ValueError, match="region"):
        FakeCustomerIo(region="asia")


# --------------------------------------------------------------------------- happy paths


def test_upsert_creates_merges_and_null_removes(
    server: FakeCustomerIo, track: httpx.Client
) -> None:
    r = track.put(
        "/customers/u1",
        json={"email": "a@example.com", "plan": "free", "created_at": 1700000000},
    )
    assert r.status_code == 200
    assert r.json() == {}
    assert r.headers["content-type"] == "application/json"
    assert server.people == {
        "u1": {"email": "a@example.com", "plan": "free", "created_at": 1700000000}
    }
    r = track.put("/customers/u1", json={"plan": "pro", "email": None, "n": 3})
    assert r.status_code == 200
    assert server.people == {"u1": {"plan": "pro", "created_at": 1700000000, "n": 3}}
    # no body at all: the person exists with no attributes
    assert track.put("/customers/u2").status_code == 200
    assert server.people["u2"] == {}


def test_delete_person_and_unknown_person(
    server: FakeCustomerIo, track: httpx.Client
) -> None:
    track.put("/customers/u1", json={"a": 1})
    track.put("/customers/u2", json={})
    r = track.delete("/customers/u1")
    assert (r.status_code, r.json()) == (200, {})
    assert server.people == {"u2": {}}
    r = track.delete("/customers/nobody")
    assert (r.status_code, r.json()) == (200, {})


def test_track_event(server: FakeCustomerIo, track: httpx.Client) -> None:
    body = {
        "name": "purchase",
        "data": {"price": 9.5, "sku": "A-1"},
        "id": "01HZZZZZZZZZZZZZZZZZZZZZZZ",
        "timestamp": 1700000000,
        "type": "page",
    }
    r = track.post("/customers/u1/events", json=body)
    assert (r.status_code, r.json()) == (200, {})
    assert server.events == [
        {
            "customer_id": "u1",
            "name": "purchase",
            "data": {"price": 9.5, "sku": "A-1"},
            "id": "01HZZZZZZZZZZZZZZZZZZZZZZZ",
            "timestamp": 1700000000,
            "type": "page",
            "body": body,
            "raw": server.journal[-1].body,
        }
    ]
    assert json.loads(server.events[0]["raw"]) == body


def test_track_anonymous_event(server: FakeCustomerIo, track: httpx.Client) -> None:
    r = track.post("/events", json={"name": "visited", "data": {"ref": "ad"}})
    assert (r.status_code, r.json()) == (200, {})
    [event] = server.events
    assert event["customer_id"] is None
    assert event["name"] == "visited"
    assert event["data"] == {"ref": "ad"}
    assert event["id"] is None


def test_event_deduplicated_by_id(server: FakeCustomerIo, track: httpx.Client) -> None:
    body = {"name": "signup", "id": "01HABC"}
    for _ in range(3):
        r = track.post("/customers/u1/events", json=body)
        assert (r.status_code, r.json()) == (200, {})
    assert track.post("/events", json=body).status_code == 200  # same id, anonymous
    assert len(server.events) == 1
    assert [e.applied for e in server.journal] == [True, False, False, False]
    # events without an id are never de-duplicated
    track.post("/customers/u1/events", json={"name": "signup"})
    track.post("/customers/u1/events", json={"name": "signup"})
    assert len(server.events) == 3


def test_segments_add_and_remove(server: FakeCustomerIo, track: httpx.Client) -> None:
    r = track.post("/segments/7/add_customers", json={"ids": ["a", "b"]})
    assert (r.status_code, r.json()) == (200, {})
    track.post("/segments/7/add_customers", json={"ids": ["b", "c"]})
    assert server.segments == {7: {"a", "b", "c"}}
    r = track.post("/segments/7/remove_customers", json={"ids": ["a", "zz"]})
    assert (r.status_code, r.json()) == (200, {})
    assert server.segments == {7: {"b", "c"}}
    assert (
        track.post("/segments/8/remove_customers", json={"ids": ["a"]}).status_code
        == 200
    )
    assert server.segments == {7: {"b", "c"}}


def test_campaigns(server: FakeCustomerIo, app: httpx.Client) -> None:
    r = app.get("/campaigns")
    assert r.status_code == 200
    campaigns = r.json()["campaigns"]
    assert 2 <= len(campaigns) <= 3
    assert campaigns == [server.campaigns[k] for k in sorted(server.campaigns)]
    assert all({"id", "name", "state"} <= set(c) for c in campaigns)
    assert app.get("/campaigns/2").json() == {"campaign": server.campaigns[2]}
    for missing in ("999", "abc", "1.5", "-1"):
        r = app.get(f"/campaigns/{missing}")
        assert (r.status_code, r.json()) == (404, CAMPAIGN_404)
    server.campaigns = {42: {"id": 42, "name": "Custom"}}
    assert app.get("/campaigns").json() == {"campaigns": [{"id": 42, "name": "Custom"}]}
    assert app.get("/campaigns/42").json() == {"campaign": {"id": 42, "name": "Custom"}}
    server.reset()
    assert sorted(server.campaigns) == [1, 2, 3]


@pytest.mark.parametrize(
    ("period", "steps"), [("hours", 24), ("days", 45), ("weeks", 12), ("months", 12)]
)
def test_metrics_default_steps(app: httpx.Client, period: str, steps: int) -> None:
    r = app.get("/campaigns/1/metrics", params={"period": period})
    assert r.status_code == 200
    series = r.json()["metric"]["series"]
    assert {"sent", "delivered", "opened", "clicked", "bounced"} <= set(series)
    for values in series.values():
        assert len(values) == steps
        assert all(isinstance(v, int) and v >= 0 for v in values)


def test_metrics_steps_type_and_determinism(
    server: FakeCustomerIo, app: httpx.Client
) -> None:
    query = {"period": "weeks", "steps": "3", "type": "email"}
    first = app.get("/campaigns/1/metrics", params=query).json()
    again = app.get("/campaigns/1/metrics", params=query).json()
    assert first == again
    assert len(first["metric"]["series"]["sent"]) == 3
    push = app.get(
        "/campaigns/1/metrics", params={**query, "type": "urban_airship"}
    ).json()
    assert push != first
    assert server.journal[0].query == query
    no_period = app.get("/campaigns/2/metrics").json()
    assert len(no_period["metric"]["series"]["sent"]) == 45  # period defaults to days
    r = app.get("/campaigns/99/metrics", params={"period": "days"})
    assert (r.status_code, r.json()) == (404, CAMPAIGN_404)
    r = app.get("/campaigns/x/metrics", params={"period": "days"})
    assert (r.status_code, r.json()) == (404, CAMPAIGN_404)


PERIOD_MSG = "period must be one of: hours, days, weeks, months"
STEPS_MSG = "steps must be an integer between 1 and 120"
TYPE_MSG = "type must be one of: email, push, slack, twilio, urban_airship, webhook"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "years"}, PERIOD_MSG),
        ({"period": ""}, PERIOD_MSG),
        ({"period": "days", "steps": "0"}, STEPS_MSG),
        ({"period": "days", "steps": "121"}, STEPS_MSG),
        ({"period": "days", "steps": "abc"}, STEPS_MSG),
        ({"period": "days", "steps": "1.5"}, STEPS_MSG),
        ({"period": "days", "steps": "-3"}, STEPS_MSG),
        ({"period": "days", "steps": ""}, STEPS_MSG),
        ({"period": "days", "type": "urbanAirship"}, TYPE_MSG),
        ({"period": "days", "type": "empty"}, TYPE_MSG),
    ],
)
def test_metrics_validation(
    app: httpx.Client, query: dict[str, str], message: str
) -> None:
    r = app.get("/campaigns/1/metrics", params=query)
    assert r.status_code == 400
    assert r.json() == meta(message)


def test_metrics_limits_accepted(app: httpx.Client) -> None:
    for steps in ("1", "120"):
        r = app.get("/campaigns/1/metrics", params={"period": "hours", "steps": steps})
        assert len(r.json()["metric"]["series"]["sent"]) == int(steps)


# --------------------------------------------------------------------------- auth, regions


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic " + base64.b64encode(b"site_123:wrong").decode()},
        {"Authorization": "Basic " + base64.b64encode(b"other:trk_key").decode()},
        {"Authorization": "Basic " + base64.b64encode(b"site_123trk_key").decode()},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Bearer trk_key"},
        {"Authorization": "Bearer app_key"},
    ],
)
def test_track_auth_rejected(server: FakeCustomerIo, headers: dict[str, str]) -> None:
    r = http_put(f"{server.track_url}/customers/u1", json={"a": 1}, headers=headers)
    assert (r.status_code, r.json()) == (401, TRACK_401)
    assert server.people == {}
    assert (server.journal[-1].status, server.journal[-1].applied) == (401, False)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "app_key"},
        {"Authorization": "Basic " + base64.b64encode(b"site_123:app_key").decode()},
        {"Authorization": "Basic " + base64.b64encode(b"site_123:trk_key").decode()},
    ],
)
def test_app_auth_rejected(server: FakeCustomerIo, headers: dict[str, str]) -> None:
    r = http_get(f"{server.app_url}/campaigns", headers=headers)
    assert (r.status_code, r.json()) == (401, APP_401)


def test_auth_accepted_in_both_forms(server: FakeCustomerIo) -> None:
    basic = "Basic " + base64.b64encode(b"site_123:trk_key").decode()
    r = http_put(
        f"{server.track_url}/customers/u1", json={}, headers={"Authorization": basic}
    )
    assert r.status_code == 200
    r = http_get(
        f"{server.app_url}/campaigns", headers={"Authorization": "bearer app_key"}
    )
    assert r.status_code == 200


def test_other_region_hosts_answer_401(server: FakeCustomerIo) -> None:
    r = http_put(
        f"{server.base_url('track-eu.customer.io')}/customers/u1",
        json={"a": 1},
        auth=BASIC,
    )
    assert (r.status_code, r.json()) == (401, TRACK_401)
    r = http_get(f"{server.base_url('api-eu.customer.io')}/campaigns", headers=BEARER)
    assert (r.status_code, r.json()) == (401, APP_401)
    assert server.people == {}


def test_eu_region(customerio_server_eu: FakeCustomerIo) -> None:
    server = customerio_server_eu
    assert server.track_url.endswith("/track-eu.customer.io/api/v1")
    assert server.app_url.endswith("/api-eu.customer.io/v1")
    assert (
        http_put(f"{server.track_url}/customers/u1", json={}, auth=BASIC).status_code
        == 200
    )
    assert http_get(f"{server.app_url}/campaigns", headers=BEARER).status_code == 200
    r = http_put(
        f"{server.base_url('track.customer.io')}/customers/u2", json={}, auth=BASIC
    )
    assert (r.status_code, r.json()) == (401, TRACK_401)
    r = http_get(f"{server.base_url('api.customer.io')}/campaigns", headers=BEARER)
    assert (r.status_code, r.json()) == (401, APP_401)
    assert list(server.people) == ["u1"]


def test_host_header_selects_the_host(server: FakeCustomerIo) -> None:
    r = http_put(
        f"{server.url}/api/v1/customers/u1",
        json={"a": 1},
        auth=BASIC,
        headers={"Host": "track.customer.io"},
    )
    assert r.status_code == 200
    assert server.people == {"u1": {"a": 1}}
    assert server.journal[-1].host == "track.customer.io"
    r = http_get(
        f"{server.url}/v1/campaigns", headers={**BEARER, "Host": "api.customer.io:443"}
    )
    assert r.status_code == 200
    r = http_get(f"{server.url}/v1/campaigns", headers=BEARER)  # Host: 127.0.0.1:PORT
    assert r.status_code == 404


# --------------------------------------------------------------------------- validation

ID_MSG = "customer id cannot be longer than 150 bytes"
ATTR_NAME_MSG = "attribute names cannot be longer than 150 bytes"
ATTR_VALUE_MSG = "attribute values cannot be longer than 1000 bytes"
ATTR_COUNT_MSG = "cannot set more than 300 attributes per request"
CREATED_AT_MSG = "created_at must be an integer (Unix seconds)"
OBJECT_MSG = "request body must be a JSON object"
NAME_REQUIRED_MSG = "event name is required"
NAME_LONG_MSG = "event name cannot be longer than 100 bytes"
DATA_OBJECT_MSG = "event data must be a JSON object"
DATA_LARGE_MSG = "event data cannot be larger than 100000 bytes"
SEGMENT_ID_MSG = "segment id must be an integer"
IDS_TYPE_MSG = "ids must be an array of non-empty strings"
IDS_COUNT_MSG = "ids must contain between 1 and 1000 ids"

VALIDATION_CASES: list[tuple[str, str, Any, str]] = [
    ("PUT", "/customers/" + "x" * 151, {"a": 1}, ID_MSG),
    ("PUT", "/customers/" + "é" * 76, {"a": 1}, ID_MSG),  # 152 UTF-8 bytes
    ("DELETE", "/customers/" + "x" * 151, None, ID_MSG),
    ("PUT", "/customers/u1", {"k" * 151: 1}, ATTR_NAME_MSG),
    ("PUT", "/customers/u1", {"é" * 76: 1}, ATTR_NAME_MSG),
    ("PUT", "/customers/u1", {"a": "x" * 1001}, ATTR_VALUE_MSG),
    ("PUT", "/customers/u1", {"a": "é" * 501}, ATTR_VALUE_MSG),
    ("PUT", "/customers/u1", {"a": list(range(300))}, ATTR_VALUE_MSG),
    ("PUT", "/customers/u1", {f"a{i}": i for i in range(301)}, ATTR_COUNT_MSG),
    ("PUT", "/customers/u1", {"created_at": "2024-01-01"}, CREATED_AT_MSG),
    ("PUT", "/customers/u1", {"created_at": 1700000000.5}, CREATED_AT_MSG),
    ("PUT", "/customers/u1", {"created_at": True}, CREATED_AT_MSG),
    ("PUT", "/customers/u1", [1, 2], OBJECT_MSG),
    ("POST", "/customers/u1/events", {}, NAME_REQUIRED_MSG),
    ("POST", "/customers/u1/events", {"name": ""}, NAME_REQUIRED_MSG),
    ("POST", "/customers/u1/events", {"name": 5}, NAME_REQUIRED_MSG),
    ("POST", "/customers/u1/events", "purchase", OBJECT_MSG),
    ("POST", "/customers/u1/events", {"name": "x" * 101}, NAME_LONG_MSG),
    ("POST", "/events", {"name": "é" * 51}, NAME_LONG_MSG),
    ("POST", "/events", {}, NAME_REQUIRED_MSG),
    ("POST", "/customers/u1/events", {"name": "n", "data": [1]}, DATA_OBJECT_MSG),
    (
        "POST",
        "/customers/u1/events",
        {"name": "n", "data": {"b": "x" * 100_000}},
        DATA_LARGE_MSG,
    ),
    ("POST", "/events", {"name": "n", "data": {"b": "x" * 100_000}}, DATA_LARGE_MSG),
    ("POST", "/events", {"name": "n", "id": 5}, "event id must be a string"),
    (
        "POST",
        "/events",
        {"name": "n", "timestamp": "now"},
        "timestamp must be an integer (Unix seconds)",
    ),
    (
        "POST",
        "/events",
        {"name": "n", "timestamp": 1.5},
        "timestamp must be an integer (Unix seconds)",
    ),
    (
        "POST",
        "/customers/u1/events",
        {"name": "n", "type": 1},
        "event type must be a string",
    ),
    ("POST", "/customers/" + "x" * 151 + "/events", {"name": "n"}, ID_MSG),
    ("POST", "/segments/abc/add_customers", {"ids": ["a"]}, SEGMENT_ID_MSG),
    ("POST", "/segments/1.5/remove_customers", {"ids": ["a"]}, SEGMENT_ID_MSG),
    ("POST", "/segments/-1/add_customers", {"ids": ["a"]}, SEGMENT_ID_MSG),
    ("POST", "/segments/1/add_customers", {"ids": []}, IDS_COUNT_MSG),
    (
        "POST",
        "/segments/1/add_customers",
        {"ids": [str(i) for i in range(1001)]},
        IDS_COUNT_MSG,
    ),
    ("POST", "/segments/1/add_customers", {}, IDS_TYPE_MSG),
    ("POST", "/segments/1/add_customers", None, OBJECT_MSG),
    ("POST", "/segments/1/add_customers", {"ids": [1, 2]}, IDS_TYPE_MSG),
    ("POST", "/segments/1/remove_customers", {"ids": "a,b"}, IDS_TYPE_MSG),
    ("POST", "/segments/1/add_customers", {"ids": ["a", ""]}, IDS_TYPE_MSG),
]


@pytest.mark.parametrize(("method", "path", "body", "message"), VALIDATION_CASES)
def test_validation_errors(
    server: FakeCustomerIo,
    track: httpx.Client,
    method: str,
    path: str,
    body: Any,
    message: str,
) -> None:
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    r = track.request(method, path, **kwargs)
    assert r.status_code == 400
    assert r.json() == meta(message)
    assert (server.people, server.events, server.segments) == ({}, [], {})
    entry = server.journal[-1]
    assert (entry.status, entry.applied) == (400, False)


def test_limits_exactly_at_the_boundary_are_accepted(
    server: FakeCustomerIo, track: httpx.Client
) -> None:
    pid = "é" * 75  # 150 bytes
    attrs: dict[str, Any] = {f"a{i}": i for i in range(298)}
    attrs["n" * 150] = "v" * 1000
    attrs["created_at"] = 1700000000
    assert track.put(f"/customers/{pid}", json=attrs).status_code == 200
    assert len(server.people[pid]) == 300
    data = {"b": "x" * (100_000 - len('{"b":""}'))}
    r = track.post(f"/customers/{pid}/events", json={"name": "é" * 50, "data": data})
    assert r.status_code == 200
    ids = [f"p{i}" for i in range(1000)]
    assert track.post("/segments/3/add_customers", json={"ids": ids}).status_code == 200
    assert len(server.segments[3]) == 1000


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/customers/u1"),
        ("POST", "/customers/u1/events"),
        ("POST", "/events"),
        ("POST", "/segments/1/add_customers"),
        ("POST", "/segments/1/remove_customers"),
    ],
)
def test_malformed_json_body(
    server: FakeCustomerIo, track: httpx.Client, method: str, path: str
) -> None:
    r = track.request(
        method, path, content=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    assert (r.status_code, r.json()) == (400, meta("request body is not valid JSON"))
    assert server.journal[-1].json is None
    assert server.journal[-1].body == b'{"name": '


def test_percent_encoded_path_ids_are_decoded(
    server: FakeCustomerIo, track: httpx.Client
) -> None:
    assert track.put("/customers/a%2F..%2Fb", json={"x": 1}).status_code == 200
    assert server.people == {"a/../b": {"x": 1}}
    entry = server.journal[-1]
    assert entry.path == "/track.customer.io/api/v1/customers/a%2F..%2Fb"
    assert entry.params == {"customer_id": "a/../b"}
    track.post("/customers/caf%C3%A9%20x%3Fy/events", json={"name": "n"})
    assert server.events[0]["customer_id"] == "café x?y"
    assert track.delete("/customers/a%2F..%2Fb").status_code == 200
    assert server.people == {}
    track.post("/segments/%35/add_customers", json={"ids": ["a"]})
    assert server.segments == {5: {"a"}}


def test_unknown_route_and_wrong_method(
    server: FakeCustomerIo, track: httpx.Client, app: httpx.Client
) -> None:
    r = track.get("/customers/u1")
    assert (r.status_code, r.json()) == (405, meta("method not allowed"))
    assert r.headers["allow"] == "DELETE, PUT"
    assert track.post("/customers/u1").status_code == 405
    assert track.put("/events", json={"name": "n"}).status_code == 405
    assert track.get("/segments/1/add_customers").status_code == 405
    r = app.post("/campaigns", json={})
    assert r.status_code == 405
    assert r.headers["allow"] == "GET"
    r = track.get("/nope")
    assert (r.status_code, r.json()) == (404, meta("not found"))
    assert track.put("/customers/u1/extra", json={}).status_code == 404
    assert track.post("/segments/1/other", json={"ids": ["a"]}).status_code == 404
    assert app.get("/nope").status_code == 404
    assert http_get(f"{server.url}/track.customer.io/v1/campaigns").status_code == 404
    assert http_get(f"{server.url}/api.customer.io/api/v1/events").status_code == 404
    assert {e.endpoint for e in server.journal} == {None}
    assert server.people == {}


def test_head_and_chunked_bodies_keep_the_connection_usable(
    server: FakeCustomerIo, track: httpx.Client
) -> None:
    r = track.head("/customers/u1")
    assert r.status_code == 405
    assert r.content == b""
    r = track.put(
        "/customers/u1",
        content=iter([b'{"a":', b" 1}"]),  # an iterator: sent with chunked encoding
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 200
    assert server.journal[-1].headers.get("transfer-encoding") == "chunked"
    assert server.people == {"u1": {"a": 1}}
    assert track.put("/customers/u2", json={}).status_code == 200


# --------------------------------------------------------------------------- rate limit


def test_app_rate_limit(
    server: FakeCustomerIo, app: httpx.Client, track: httpx.Client
) -> None:
    assert [app.get("/campaigns").status_code for _ in range(10)] == [200] * 10
    r = app.get("/campaigns/1")
    assert r.status_code == 429
    assert r.headers["retry-after"] == "1"
    assert r.json() == meta("rate limit exceeded")
    assert (server.journal[-1].status, server.journal[-1].fault) == (429, None)
    # the Track API is not limited
    assert [track.put(f"/customers/u{i}", json={}).status_code for i in range(15)] == [
        200
    ] * 15


def test_app_rate_limit_window_rolls(server: FakeCustomerIo, app: httpx.Client) -> None:
    now = [1000.0]
    server._clock = lambda: now[0]
    assert [app.get("/campaigns").status_code for _ in range(10)] == [200] * 10
    assert app.get("/campaigns").status_code == 429
    now[0] += 0.5
    assert app.get("/campaigns").status_code == 429
    now[0] += 0.5
    assert [app.get("/campaigns").status_code for _ in range(11)] == [200] * 10 + [429]


def test_app_rate_limit_configurable() -> None:
    with (
        run_server(app_rate_limit=None) as server,
        httpx.Client(headers=BEARER) as client,
    ):
        statuses = [
            client.get(f"{server.app_url}/campaigns").status_code for _ in range(25)
        ]
        assert statuses == [200] * 25
    with run_server(app_rate_limit=3) as server, httpx.Client(headers=BEARER) as client:
        statuses = [
            client.get(f"{server.app_url}/campaigns").status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]


# --------------------------------------------------------------------------- faults

TRACK_FAULT_BODIES = {
    "429": meta("rate limit exceeded"),
    "500": meta("internal server error"),
    "502": meta("bad gateway"),
    "503": meta("service unavailable"),
    "504": meta("gateway timeout"),
}
APP_FAULT_BODIES = {
    "429": meta("rate limit exceeded"),
    "500": {"errors": [{"detail": "Internal Server Error", "status": "500"}]},
    "502": {"errors": [{"detail": "Bad Gateway", "status": "502"}]},
    "503": {"errors": [{"detail": "Service Unavailable", "status": "503"}]},
    "504": {"errors": [{"detail": "Gateway Timeout", "status": "504"}]},
}


@pytest.mark.parametrize("kind", sorted(TRACK_FAULT_BODIES))
def test_error_faults_on_tracking(
    server: FakeCustomerIo, track: httpx.Client, kind: str
) -> None:
    handle = server.inject("customer.upsert", kind)
    r = track.put("/customers/u1", json={"a": 1})
    assert r.status_code == int(kind)
    assert r.json() == TRACK_FAULT_BODIES[kind]
    assert "retry-after" not in r.headers
    assert server.people == {}
    entry = server.journal[-1]
    assert (entry.status, entry.applied, entry.fault) == (int(kind), False, kind)
    assert handle.count == 1
    assert server.fault_counts() == {kind: 1}
    assert (
        track.post("/events", json={"name": "n"}).status_code == 200
    )  # other endpoint


@pytest.mark.parametrize("kind", sorted(APP_FAULT_BODIES))
def test_error_faults_on_app(
    server: FakeCustomerIo, app: httpx.Client, kind: str
) -> None:
    server.inject("campaign.getAll", kind)
    r = app.get("/campaigns")
    assert (r.status_code, r.json()) == (int(kind), APP_FAULT_BODIES[kind])
    assert app.get("/campaigns/1").status_code == 200


def test_429_retry_after_fault(server: FakeCustomerIo, track: httpx.Client) -> None:
    server.inject("event.track", "429_retry_after", requests=[1])
    server.inject("event.track", "429_retry_after", retry_after=2.5, requests=[2])
    r = track.post("/customers/u1/events", json={"name": "n"})
    assert (r.status_code, r.headers["retry-after"]) == (429, "1")
    assert r.json() == meta("rate limit exceeded")
    r = track.post("/customers/u1/events", json={"name": "n"})
    assert (r.status_code, r.headers["retry-after"]) == (429, "2.5")
    assert track.post("/customers/u1/events", json={"name": "n"}).status_code == 200
    assert len(server.events) == 1
    assert server.fault_counts() == {"429_retry_after": 2}


def test_slow_fault(server: FakeCustomerIo, track: httpx.Client) -> None:
    server.inject("customer.upsert", "slow", delay=0.2)
    t0 = time.perf_counter()
    r = track.put("/customers/u1", json={"a": 1})
    assert time.perf_counter() - t0 >= 0.2
    assert (r.status_code, r.json()) == (200, {})
    assert server.people == {"u1": {"a": 1}}
    entry = server.journal[-1]
    assert (entry.status, entry.applied, entry.fault) == (200, True, "slow")


def test_drop_before_fault(server: FakeCustomerIo, track: httpx.Client) -> None:
    handle = server.inject("event.track", "drop_before", requests=[1])
    with pytest.raises(DROPPED):
        track.post("/customers/u1/events", json={"name": "n", "id": "e1"})
    assert server.events == []
    entry = server.journal[-1]
    assert (entry.status, entry.applied, entry.fault) == (None, False, "drop_before")
    assert entry.json == {"name": "n", "id": "e1"}
    # a retry (new connection) goes through
    r = track.post("/customers/u1/events", json={"name": "n", "id": "e1"})
    assert r.status_code == 200
    assert len(server.events) == 1
    assert handle.count == 1


def test_drop_after_fault(server: FakeCustomerIo, track: httpx.Client) -> None:
    server.inject("event.track", "drop_after", requests=[1])
    with pytest.raises(DROPPED):
        track.post("/customers/u1/events", json={"name": "n", "id": "e1"})
    assert len(server.events) == 1  # applied although the client saw no answer
    entry = server.journal[-1]
    assert (entry.status, entry.applied, entry.fault) == (None, True, "drop_after")
    # the client's retry with the same event id is de-duplicated
    assert (
        track.post("/customers/u1/events", json={"name": "n", "id": "e1"}).status_code
        == 200
    )
    assert len(server.events) == 1
    assert server.journal[-1].applied is False


def test_drop_after_upsert_applies(server: FakeCustomerIo, track: httpx.Client) -> None:
    server.inject("customer.upsert", "drop_after")
    with pytest.raises(DROPPED):
        track.put("/customers/u1", json={"a": 1})
    assert server.people == {"u1": {"a": 1}}


def test_malformed_fault(
    server: FakeCustomerIo, track: httpx.Client, app: httpx.Client
) -> None:
    server.inject(None, "malformed")
    r = track.put("/customers/u1", json={"a": 1})
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()
    assert server.people == {"u1": {"a": 1}}
    r = app.get("/campaigns")
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()
    assert [(e.applied, e.fault) for e in server.journal] == [(True, "malformed")] * 2
    assert server.fault_counts() == {"malformed": 2}


def test_fault_requests_selector_counts_per_endpoint(
    server: FakeCustomerIo, track: httpx.Client
) -> None:
    handle = server.inject("customer.upsert", "500", requests=[2, 4])
    statuses = []
    for i in range(5):
        statuses.append(track.put(f"/customers/u{i}", json={}).status_code)
        assert (
            track.post("/events", json={"name": "n"}).status_code == 200
        )  # not counted
    assert statuses == [200, 500, 200, 500, 200]
    assert handle.count == 2
    assert sorted(server.people) == ["u0", "u2", "u4"]


def test_fault_every_and_times(server: FakeCustomerIo, track: httpx.Client) -> None:
    server.inject("event.trackAnonymous", "503", every=3)
    statuses = [track.post("/events", json={"name": "n"}).status_code for _ in range(6)]
    assert statuses == [200, 200, 503, 200, 200, 503]
    server.clear_faults()
    handle = server.inject(None, "502", times=2)
    statuses = [track.put("/customers/u1", json={}).status_code for _ in range(4)]
    assert statuses == [502, 502, 200, 200]
    assert handle.count == 2
    assert server.fault_counts() == {"503": 2, "502": 2}


def test_fault_any_endpoint_counts_all_requests(
    server: FakeCustomerIo, track: httpx.Client, app: httpx.Client
) -> None:
    server.inject(None, "504", requests=[2])
    assert track.put("/customers/u1", json={}).status_code == 200
    assert app.get("/campaigns").status_code == 504
    assert track.post("/events", json={"name": "n"}).status_code == 200


def test_fault_rate_is_seeded_and_deterministic() -> None:
    def run_pattern(seed: int) -> list[int]:
        with run_server() as server, httpx.Client(auth=BASIC) as client:
            server.inject("event.trackAnonymous", "500", rate=0.5, seed=seed)
            url = f"{server.track_url}/events"
            return [client.post(url, json={"name": "n"}).status_code for _ in range(20)]

    first = run_pattern(42)
    assert first == run_pattern(42)
    rng = random.Random(42)
    assert first == [500 if rng.random() < 0.5 else 200 for _ in range(20)]
    assert 0 < first.count(500) < 20
    assert run_pattern(7) != first


def test_fault_remove_and_inject_validation(
    server: FakeCustomerIo, track: httpx.Client
) -> None:
    handle = server.inject("customer.delete", "500")
    assert track.delete("/customers/u1").status_code == 500
    handle.remove()
    assert track.delete("/customers/u1").status_code == 200
    with pytest.raises(ValueError, match="unknown fault kind"):
        server.inject(None, "418")
    with pytest.raises(ValueError, match="unknown endpoint"):
        server.inject("customer.create", "500")
    with pytest.raises(ValueError, match="at most one"):
        server.inject(None, "500", requests=[1], every=2)
    with pytest.raises(ValueError, match="rate"):
        server.inject(None, "500", rate=1.5)


def test_reset_clears_state_journal_and_faults(
    server: FakeCustomerIo, track: httpx.Client
) -> None:
    server.inject("customer.upsert", "500", requests=[1])
    server.inject("event.trackAnonymous", "drop_before")
    track.put("/customers/u1", json={})
    track.put("/customers/u1", json={"a": 1})
    track.post("/customers/u1/events", json={"name": "n", "id": "e1"})
    track.post("/segments/1/add_customers", json={"ids": ["u1"]})
    server.campaigns[1]["name"] = "changed"
    assert server.fault_counts() == {"500": 1}
    server.reset()
    assert (server.people, server.events, server.segments, server.journal) == (
        {},
        [],
        {},
        [],
    )
    assert server.fault_counts() == {}
    assert server.campaigns[1]["name"] == "Welcome series"
    assert track.post("/events", json={"name": "n"}).status_code == 200  # fault gone
    # the event id seen before the reset is forgotten
    assert (
        track.post("/customers/u1/events", json={"name": "n", "id": "e1"}).status_code
        == 200
    )
    assert len(server.events) == 2


# --------------------------------------------------------------------------- journal


def test_journal_entry_content(server: FakeCustomerIo, track: httpx.Client) -> None:
    r = track.put(
        "/customers/u%201",
        params={"dry": "1"},
        json={"email": "e@example.com"},
        headers={"X-Test": "yes"},
    )
    assert r.status_code == 200
    [entry] = server.journal
    assert entry.method == "PUT"
    assert entry.host == "track.customer.io"
    assert entry.path == "/track.customer.io/api/v1/customers/u%201"
    assert entry.params == {"customer_id": "u 1"}
    assert entry.query == {"dry": "1"}
    assert entry.headers["x-test"] == "yes"
    assert entry.headers["content-type"] == "application/json"
    assert entry.headers["authorization"] == (
        "Basic " + base64.b64encode(b"site_123:trk_key").decode()
    )
    assert entry.body == b'{"email":"e@example.com"}'
    assert entry.json == {"email": "e@example.com"}
    assert entry.endpoint == "customer.upsert"
    assert (entry.status, entry.applied, entry.fault) == (200, True, None)
    assert entry.time > 0


def test_journal_names_every_endpoint(
    server: FakeCustomerIo, track: httpx.Client, app: httpx.Client
) -> None:
    app.get("/campaigns/1")
    app.get("/campaigns")
    app.get("/campaigns/1/metrics", params={"period": "days"})
    track.put("/customers/u1", json={})
    track.delete("/customers/u1")
    track.post("/customers/u1/events", json={"name": "n"})
    track.post("/events", json={"name": "n"})
    track.post("/segments/1/add_customers", json={"ids": ["u1"]})
    track.post("/segments/1/remove_customers", json={"ids": ["u1"]})
    assert [e.endpoint for e in server.journal] == list(ENDPOINTS)
    assert all(e.status == 200 and e.applied for e in server.journal)
    get_all = server.requests_for("campaign.getAll")
    assert [(e.method, e.body, e.json, e.params) for e in get_all] == [
        ("GET", b"", None, {})
    ]
    assert server.requests_for("campaign.getMetrics")[0].params == {"campaign_id": "1"}
    assert server.requests_for("segment.add")[0].params == {"segment_id": "1"}


# --------------------------------------------------------------------------- load


def test_keep_alive_throughput(server: FakeCustomerIo) -> None:
    """Raw keep-alive client: 2000 sequential requests on one connection."""
    auth = base64.b64encode(b"site_123:trk_key").decode()
    n = 2000
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rfile = sock.makefile("rb")
        t0 = time.perf_counter()
        for i in range(n):
            body = b'{"i":1}'
            sock.sendall(
                f"PUT /track.customer.io/api/v1/customers/u{i} HTTP/1.1\r\n"
                f"Host: x\r\nAuthorization: Basic {auth}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode() + body
            )
            assert rfile.readline() == b"HTTP/1.1 200 OK\r\n"
            length = 0
            while (line := rfile.readline()) != b"\r\n":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert rfile.read(length) == b"{}"
        elapsed = time.perf_counter() - t0
        rfile.close()
    assert len(server.people) == n
    assert elapsed < 4.0, f"{n / elapsed:.0f} requests/s"


def test_concurrent_clients(server: FakeCustomerIo) -> None:
    def worker(k: int) -> None:
        with httpx.Client(
            base_url=server.track_url, auth=BASIC, verify=False
        ) as client:
            for i in range(40):
                client.put(f"/customers/w{k}", json={f"a{i}": i})
                client.post(
                    f"/customers/w{k}/events", json={"name": "n", "id": f"{k}-{i % 20}"}
                )

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(server.journal) == 6 * 80
    assert len(server.people) == 6
    assert all(len(p) == 40 for p in server.people.values())
    assert len(server.events) == 6 * 20


# --------------------------------------------------------------------------- command line


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("port", "extra"),
    [
        (None, []),  # an explicit free port
        (
            0,  # port 0: the server picks one and prints it
            [
                "--region",
                "eu",
                "--site-id",
                "s1",
                "--api-key",
                "k1",
                "--app-api-key",
                "a1",
                "--no-rate-limit",
            ],
        ),
    ],
)
def test_command_line_entry_point(port: int | None, extra: list[str]) -> None:
    if port is None:
        port = _free_port()
    eu = "--region" in extra
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.customerio_server",
            "--port",
            str(port),
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put("")

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    err = ""
    try:
        out = ""
        while "Ctrl-C" not in out:
            line = lines.get(timeout=10)
            if not line:
                proc.wait(5)
                assert proc.stderr is not None
                pytest.fail(f"server exited early: {out!r} {proc.stderr.read()!r}")
            out += line
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", out)
        assert match, out
        if port:
            assert int(match.group(1)) == port
        port = int(match.group(1))
        track_host = "track-eu.customer.io" if eu else "track.customer.io"
        app_host = "api-eu.customer.io" if eu else "api.customer.io"
        track_url = f"http://127.0.0.1:{port}/{track_host}/api/v1"
        assert track_url in out
        assert f"http://127.0.0.1:{port}/{app_host}/v1" in out
        auth = ("s1", "k1") if eu else BASIC
        r = http_put(f"{track_url}/customers/u1", json={"a": 1}, auth=auth)
        assert (r.status_code, r.json()) == (200, {})
        proc.send_signal(signal.SIGINT)
        try:
            returncode = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            assert proc.stderr is not None
            pytest.fail(f"no exit after SIGINT; stderr: {proc.stderr.read()!r}")
        assert proc.stderr is not None
        err = proc.stderr.read()
        assert returncode == 0, err
        reader.join(5)
        assert "Traceback" not in err
        assert err == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_package_entry_point_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.fakes", "--help"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0
    assert "--no-rate-limit" in result.stdout
