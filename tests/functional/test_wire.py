"""Every operation, both regions, over real HTTP to a local server: the exact request on the wire."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from generated.customerio import AsyncClient, Client
from tests.fakes.customerio_server import FakeCustomerIo, run_server
from tests.fakes.hostmap import AsyncHostMapTransport, HostMapTransport

REGIONS = {
    "us": ("track.customer.io", "https://track.customer.io/api/v1", "https://api.customer.io/v1"),
    "eu": ("track-eu.customer.io", "https://track-eu.customer.io/api/v1", "https://api-eu.customer.io/v1"),
}
BASIC = "Basic " + base64.b64encode(b"site_123:trk_key").decode()
BEARER = "Bearer app_key"
ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")


@pytest.fixture(params=sorted(REGIONS))
def region(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(region: str) -> Iterator[FakeCustomerIo]:
    with run_server(region=region, app_rate_limit=None) as fake:
        yield fake


@pytest.fixture
def wire(server: FakeCustomerIo, region: str) -> Iterator[tuple[Client, HostMapTransport]]:
    transport = HostMapTransport(server)
    credentials = {"trackingApiKey": "trk_key", "trackingSiteId": "site_123", "appApiKey": "app_key", "region": REGIONS[region][0]}
    with Client(credentials, http_client=httpx.Client(transport=transport)) as client:
        yield client, transport


def _body(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


# (call, method, base ("track"/"app"), path+query, auth, body, expected result)
CASES: list[tuple[str, Callable[[Client], Any], str, str, str, str, Any, Any]] = [
    ("customer.upsert", lambda c: c.customer.upsert(id_="u 1/x", email="ann@example.com", created_at="2024-01-15T10:30:00Z", custom_properties={"plan": "pro"}),
     "PUT", "track", "/customers/u%201%2Fx", BASIC, {"plan": "pro", "email": "ann@example.com", "created_at": 1705314600},
     {"id": "u 1/x", "plan": "pro", "email": "ann@example.com", "created_at": 1705314600}),
    ("customer.delete", lambda c: c.customer.delete(id_="u1"), "DELETE", "track", "/customers/u1", BASIC, None, {"success": True}),
    ("event.track", lambda c: c.event.track(customer_id="u1", event_name="signup", custom_attributes={"plan": "pro"}, type_="page"),
     "POST", "track", "/customers/u1/events", BASIC, {"data": {"plan": "pro", "type": "page"}, "name": "signup"}, {"success": True}),
    ("event.trackAnonymous", lambda c: c.event.track_anonymous(event_name="visit", custom_attributes={"path": "/"}),
     "POST", "track", "/events", BASIC, {"data": {"path": "/"}, "name": "visit"}, {"success": True}),
    ("segment.add", lambda c: c.segment.add(segment_id=7, customer_ids="a, b,,c"),
     "POST", "track", "/segments/7/add_customers", BASIC, {"ids": ["a", "b", "c"]}, {"success": True}),
    ("segment.remove", lambda c: c.segment.remove(segment_id=7, customer_ids=["a"]),
     "POST", "track", "/segments/7/remove_customers", BASIC, {"ids": ["a"]}, {"success": True}),
    ("campaign.get", lambda c: c.campaign.get(campaign_id=1), "GET", "app", "/campaigns/1", BEARER, None, "campaign:1"),
    ("campaign.getAll", lambda c: c.campaign.get_all(), "GET", "app", "/campaigns", BEARER, None, "campaigns"),
    ("campaign.getMetrics", lambda c: c.campaign.get_metrics(campaign_id=2, period="weeks", steps=4, type_="urbanAirship"),
     "GET", "app", "/campaigns/2/metrics?period=weeks&steps=4&type=urban_airship", BEARER, None, "metric"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_operation_on_the_wire(case: Any, wire: tuple[Client, HostMapTransport], server: FakeCustomerIo, region: str) -> None:
    name, call, method, base, path, auth, body, expected = case
    client, transport = wire
    result = call(client)
    (request,) = transport.sent
    base_url = REGIONS[region][1] if base == "track" else REGIONS[region][2]
    assert request.method == method
    assert str(request.url) == base_url + path
    assert request.headers["authorization"] == auth
    assert request.headers["accept"] == "application/json"
    sent = _body(request)
    if name.startswith("event."):
        assert ULID.match(sent.pop("id")), "every event carries a ULID id (D16)"
    assert sent == body
    if body is not None:
        assert request.headers["content-type"] == "application/json"
    (entry,) = server.journal
    assert (entry.endpoint, entry.status, entry.applied) == (name, 200, True)
    if expected == "campaign:1":
        expected = server.campaigns[1]
    elif expected == "campaigns":
        expected = [server.campaigns[k] for k in sorted(server.campaigns)]
    elif expected == "metric":
        expected = json.loads(entry_response(server, client, request))["metric"]
    assert result == expected


def entry_response(server: FakeCustomerIo, client: Client, request: httpx.Request) -> str:
    """What the server answers to the same request (deterministic), fetched again directly."""
    target = f"{server.url}/{request.url.host}{request.url.raw_path.decode()}"
    return httpx.get(target, headers={"Authorization": BEARER}).text


def test_server_state_after_a_session(wire: tuple[Client, HostMapTransport], server: FakeCustomerIo) -> None:
    client, _ = wire
    client.customer.upsert(id_="a/../b", email="x@example.com")
    client.customer.upsert(id_="ünï cödé", custom_properties={"n": 1})
    client.event.track(customer_id="a/../b", event_name="e1")
    client.segment.add(segment_id=3, customer_ids="a/../b, ünï cödé")
    client.segment.remove(segment_id=3, customer_ids="ünï cödé")
    assert server.people == {"a/../b": {"email": "x@example.com"}, "ünï cödé": {"n": 1}}
    assert [(e["customer_id"], e["name"]) for e in server.events] == [("a/../b", "e1")]
    assert server.segments == {3: {"a/../b"}}


def test_async_client_sends_the_same_requests(server: FakeCustomerIo, region: str) -> None:
    transport = AsyncHostMapTransport(server)
    credentials = {"trackingApiKey": "trk_key", "trackingSiteId": "site_123", "appApiKey": "app_key", "region": REGIONS[region][0]}

    async def run() -> list[Any]:
        async with AsyncClient(credentials, http_client=httpx.AsyncClient(transport=transport)) as client:
            return [
                await client.segment.add(segment_id=7, customer_ids="a,b"),
                await client.campaign.get(campaign_id=1),
                await client.customer.delete(id_="u1"),
            ]

    results = asyncio.run(run())
    assert results == [{"success": True}, server.campaigns[1], {"success": True}]
    assert [(r.method, str(r.url)) for r in transport.sent] == [
        ("POST", REGIONS[region][1] + "/segments/7/add_customers"),
        ("GET", REGIONS[region][2] + "/campaigns/1"),
        ("DELETE", REGIONS[region][1] + "/customers/u1"),
    ]


def test_wrong_region_is_rejected_by_the_server(server: FakeCustomerIo, region: str) -> None:
    other = "eu" if region == "us" else "us"
    transport = HostMapTransport(server)
    credentials = {"trackingApiKey": "trk_key", "trackingSiteId": "site_123", "region": REGIONS[other][0]}
    from generated.customerio import AuthenticationError

    with Client(credentials, http_client=httpx.Client(transport=transport)) as client, pytest.raises(AuthenticationError) as caught:
        client.customer.delete(id_="u1")
    assert caught.value.status == 401
    assert str(caught.value) == f"HTTP 401: Unauthorized request (DELETE {REGIONS[other][1]}/customers/u1)"


def test_base_url_override_reaches_the_local_server(server: FakeCustomerIo, region: str) -> None:
    track = server.base_url(REGIONS[region][0])
    with Client({"trackingApiKey": "trk_key", "trackingSiteId": "site_123"}, base_urls={"tracking": track}) as client:
        assert client.segment.add(segment_id=9, customer_ids="z") == {"success": True}
    assert server.segments == {9: {"z"}}
