"""Route requests for the real Customer.io host names to the local fake server.

The client under test builds its real URLs (region handling included); this transport records
them, then forwards each request to `http://127.0.0.1:PORT/<host>/<path>`, where the fake
serves every host under a path prefix.
"""

from __future__ import annotations

import httpx

from tests.fakes.customerio_server import FakeCustomerIo


def _mapped(server: FakeCustomerIo, request: httpx.Request) -> httpx.Request:
    url = request.url
    target = httpx.URL(f"{server.url}/{url.host}{url.raw_path.decode('ascii')}")
    return httpx.Request(request.method, target, headers=request.headers, content=request.content)


class HostMapTransport(httpx.BaseTransport):
    def __init__(self, server: FakeCustomerIo) -> None:
        self.server = server
        self.sent: list[httpx.Request] = []
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.sent.append(request)
        return self._inner.handle_request(_mapped(self.server, request))

    def close(self) -> None:
        self._inner.close()


class AsyncHostMapTransport(httpx.AsyncBaseTransport):
    def __init__(self, server: FakeCustomerIo) -> None:
        self.server = server
        self.sent: list[httpx.Request] = []
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.sent.append(request)
        return await self._inner.handle_async_request(_mapped(self.server, request))

    async def aclose(self) -> None:
        await self._inner.aclose()
