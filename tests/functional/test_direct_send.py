"""A client that owns its httpx client sends through the transport directly (P5 in
benchmarks/README.md). These pin that the bytes on the wire are exactly what `httpx.Client`
sends, and that the cases where the client does more still go through it."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from generated.customerio import AsyncClient, Client

CREDENTIALS = {"trackingSiteId": "site_123", "trackingApiKey": "trk_key"}
ULID = re.compile(rb'"id":"[0-9A-HJKMNP-TV-Z]{26}"')


class RawServer:
    """Records each request's bytes as received; answers 200 `{}` (keep-alive), adding
    `first_headers` to the first answer only."""

    def __init__(self, first_headers: bytes = b"") -> None:
        self.requests: list[bytes] = []
        self.first_headers = first_headers
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = re.search(rb"(?im)^content-length: *(\d+)", head)
                size = int(length.group(1)) if length else 0
                while len(buffer) < size:
                    buffer += conn.recv(65536)
                body, buffer = buffer[:size], buffer[size:]
                extra = self.first_headers if not self.requests else b""
                self.requests.append(head + b"\r\n\r\n" + body)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + extra
                    + b"Content-Length: 2\r\n\r\n{}"
                )

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def server() -> Iterator[RawServer]:
    raw = RawServer()
    yield raw
    raw.close()


def _track(client: Client) -> Any:
    return client.event.track(customer_id="u 1", event_name="signup", custom_attributes={"plan": "pro"})


def _same_but_id(request: bytes) -> bytes:
    return ULID.sub(b'"id":"<ULID>"', request)


CALLS = {
    "post": (lambda c: c.event.track(customer_id="u 1", event_name="signup", custom_attributes={"plan": "pro"}),
             b"POST /api/v1/customers/u%201/events HTTP/1.1\r\n"),
    "put": (lambda c: c.customer.upsert(id_="u1", email="ann@example.com"), b"PUT /api/v1/customers/u1 HTTP/1.1\r\n"),
    "delete": (lambda c: c.customer.delete(id_="u1"), b"DELETE /api/v1/customers/u1 HTTP/1.1\r\n"),
    "get": (lambda c: c.campaign.get_metrics(campaign_id=2, period="weeks"),
            b"GET /app/campaigns/2/metrics?period=weeks HTTP/1.1\r\n"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_owned_client_sends_the_bytes_httpx_client_sends(server: RawServer, name: str) -> None:
    call, request_line = CALLS[name]
    credentials = {**CREDENTIALS, "appApiKey": "app_key"}
    urls = {"tracking": f"http://127.0.0.1:{server.port}/api/v1", "app": f"http://127.0.0.1:{server.port}/app"}
    with Client(credentials, base_urls=urls, pace=False) as direct:
        call(direct)
        call(direct)  # the pooled connection is reused
    with Client(credentials, base_urls=urls, pace=False, http_client=httpx.Client()) as through:
        call(through)
    first, second, reference = (_same_but_id(r) for r in server.requests)
    assert first == second == reference
    assert first.startswith(request_line)
    assert b"\r\nAuthorization: " in first


def test_async_owned_client_sends_the_bytes_httpx_client_sends(server: RawServer) -> None:
    urls = {"tracking": f"http://127.0.0.1:{server.port}/api/v1"}

    async def run() -> None:
        async with AsyncClient(CREDENTIALS, base_urls=urls, pace=False) as direct:
            await direct.event.track(customer_id="u1", event_name="signup")
        async with AsyncClient(CREDENTIALS, base_urls=urls, pace=False, http_client=httpx.AsyncClient()) as through:
            await through.event.track(customer_id="u1", event_name="signup")

    asyncio.run(run())
    first, reference = (_same_but_id(r) for r in server.requests)
    assert first == reference


def test_cookies_a_server_sets_are_sent_back_as_httpx_client_does() -> None:
    server = RawServer(first_headers=b"Set-Cookie: lb=abc; Path=/\r\n")
    try:
        with Client(CREDENTIALS, base_urls={"tracking": f"http://127.0.0.1:{server.port}/v1"}, pace=False) as client:
            _track(client)
            _track(client)
    finally:
        server.close()
    first, second = server.requests
    assert b"\r\nCookie:" not in first
    assert b"\r\nCookie: lb=abc\r\n" in second


def test_a_proxy_from_the_environment_is_still_used(server: RawServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.port}")
    with Client(CREDENTIALS, base_urls={"tracking": "http://track.example.invalid/v1"}, pace=False) as client:
        _track(client)
    (request,) = server.requests
    assert request.startswith(b"POST http://track.example.invalid/v1/customers/u%201/events HTTP/1.1\r\n")


def test_user_and_password_in_a_base_url_still_become_basic_auth(server: RawServer) -> None:
    # httpx.Client turns user:password@ into the Authorization header; that stays so.
    urls = {"tracking": f"http://ann:pw@127.0.0.1:{server.port}/v1"}
    with Client(CREDENTIALS, base_urls=urls, pace=False) as client:
        _track(client)
    (request,) = server.requests
    assert b"\r\nAuthorization: Basic " + base64.b64encode(b"ann:pw") + b"\r\n" in request


def test_the_httpx_request_log_line_is_kept(server: RawServer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"), Client(
        CREDENTIALS, base_urls={"tracking": f"http://127.0.0.1:{server.port}/v1"}, pace=False
    ) as client:
        _track(client)
    assert [r.getMessage() for r in caplog.records if r.name == "httpx"] == [
        f'HTTP Request: POST http://127.0.0.1:{server.port}/v1/customers/u%201/events "HTTP/1.1 200 OK"'
    ]


def test_a_closed_client_refuses_to_send_as_before(server: RawServer) -> None:
    client = Client(CREDENTIALS, base_urls={"tracking": f"http://127.0.0.1:{server.port}/v1"}, pace=False)
    _track(client)
    client.close()
    with pytest.raises(RuntimeError, match="client has been closed"):
        _track(client)
