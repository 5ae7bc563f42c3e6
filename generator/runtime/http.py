"""Sending prepared requests: URLs, auth, timeouts, retries with backoff, rate pacing.

Retry rule: a request is sent again only when doing so cannot create a duplicate. A failure
that proves the request never reached the server (connection refused, 408, 429) is always
retried; one after which it may have been applied (a read timeout, a dropped connection, 5xx)
is retried only when the request is safe to repeat (GET/PUT/DELETE, an operation declared
idempotent, or one carrying a de-duplication key such as an event `id`), or when the user opts
in with `RetryPolicy(retry_unsafe=True)`.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import email.utils
import json
import logging
import random
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from . import errors
from .descriptors import Base, Node
from .request import PreparedRequest

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_HTTPX_LOG = logging.getLogger("httpx")
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # built once, not per call


@dataclass(frozen=True)
class Timeouts:
    """Seconds. Defaults suit a hosted API: fail fast on connect, allow slow answers."""

    connect: float = 5.0
    read: float = 30.0
    write: float = 30.0
    pool: float = 10.0

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of one request. `max_attempts` counts every attempt, the first included."""

    max_attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 30.0
    jitter: bool = True
    retry_unsafe: bool = False
    statuses: frozenset[int] = RETRY_STATUSES

    @classmethod
    def off(cls) -> RetryPolicy:
        return cls(max_attempts=1)

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before attempt `attempt + 1`: the API's hint (capped), else backoff."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.backoff * 2 ** (attempt - 1), self.max_backoff)
        return rng.uniform(0, ceiling) if self.jitter else ceiling


class Credentials(Mapping[str, str]):
    """The credential's fields; secrets never appear in its repr."""

    def __init__(self, values: Mapping[str, Any], secret_fields: tuple[str, ...]) -> None:
        self._values = {key: "" if value is None else str(value) for key, value in values.items()}
        self._secret_fields = secret_fields

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Any:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        shown = {
            k: (errors.REDACTED if k in self._secret_fields and v else v)
            for k, v in self._values.items()
        }
        return f"Credentials({shown})"

    @property
    def secrets(self) -> list[str]:
        return [self._values[name] for name in self._secret_fields if self._values.get(name)]


def credentials_for(node: Node, given: Mapping[str, Any] | None) -> Credentials:
    values = {f.name: f.default for f in node.credentials}
    values.update({k: v for k, v in (given or {}).items() if v is not None})
    return Credentials(values, node.secret_fields)


class RatePacer:
    """At most `rate` requests start in any rolling second, evenly spaced.

    Two rules, both applied when a start is granted (under the lock, as the request goes out):
    starts are at least 1/rate apart, so requests are spread rather than burst; and a sliding
    window of actual start times is the hard cap, so a caller that was delayed (threads, a busy
    machine) can never squeeze an extra request into any second.
    """

    def __init__(self, rate: float | None) -> None:
        self._cap = max(1, int(rate)) if rate else 0
        self._interval = 1.0 / rate if rate else 0.0
        # The window holding `cap` starts, with 1% to spare for the server's clock.
        self._window = 1.01 * self._cap / rate if rate else 0.0
        self._starts: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Record a start now and return 0, or return how long to wait before asking again."""
        if not self._cap:
            return 0.0
        with self._lock:
            now = time.monotonic()
            while self._starts and now - self._starts[0] >= self._window:
                self._starts.popleft()
            waits = []
            if self._starts:
                waits.append(self._starts[-1] + self._interval - now)
            if len(self._starts) >= self._cap:
                waits.append(self._starts[0] + self._window - now)
            wait = max(waits, default=0.0)
            if wait > 0:
                return wait
            self._starts.append(now)
            return 0.0


@dataclass
class _Wire:
    # Fields that can hold a credential (the Authorization header, a query key) stay out of repr.
    method: str
    url: str = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)
    content: bytes | None = field(repr=False)
    base_url: str
    path: str
    query: tuple[tuple[str, str], ...]
    secrets: list[str] = field(default_factory=list, repr=False)
    direct_head: tuple[tuple[bytes, bytes], ...] | None = field(default=None, repr=False)

    @property
    def display_url(self) -> str:
        """The URL for messages: the query auth value (if any) shows as ***."""
        if not self.query:
            return self.base_url + self.path
        return f"{self.base_url}{self.path}?{urllib.parse.urlencode(self.query, safe='*')}"


@dataclass(frozen=True)
class _BaseParts:
    """What every request to one base API shares within a session (credentials are fixed)."""

    # Fields that can hold a credential stay out of repr.
    url: str
    headers: Mapping[str, str] = field(repr=False)
    json_headers: Mapping[str, str] = field(repr=False)  # with Content-Type: application/json
    params: tuple[tuple[str, str], ...] = field(repr=False)
    display_params: tuple[tuple[str, str], ...]
    missing: str | None
    # Set when requests may skip httpx.Client (see `Session`); `headers` then include its
    # defaults. The raw headers of a JSON request as httpx.Request lays them out: Host, then
    # `json_headers` (Content-Length follows, per request).
    direct_head: tuple[tuple[bytes, bytes], ...] | None = field(repr=False)


class _SessionBase:
    def __init__(
        self,
        node: Node,
        credentials: Mapping[str, Any] | None,
        *,
        base_urls: Mapping[str, str] | None = None,
        timeout: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        pace: bool = True,
        rate: float | None = None,
        user_agent: str | None = None,
    ) -> None:
        self.node = node
        self.credentials = credentials_for(node, credentials)
        self._secrets = self.credentials.secrets
        self.base_urls = dict(base_urls or {})
        self.timeout = timeout or Timeouts()
        self.retry = retry or RetryPolicy()
        self.user_agent = user_agent or f"nodegen-{node.name}/{node.version}"
        self._pacers = {
            b.name: RatePacer(_lowest(b.rate_limit if pace else None, rate)) for b in node.bases
        }
        self._rng = random.Random()
        self.stats = Stats()
        self._base_parts: dict[str, _BaseParts] = {}
        # The default headers of the client we own and may bypass; None when it is not bypassed.
        self._client_headers: httpx.Headers | None = None
        self._extensions = {"timeout": self.timeout.to_httpx().as_dict()}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.node.name} credentials={self.credentials!r}>"

    def base_url(self, base: Base) -> str:
        if base.name in self.base_urls:
            return self.base_urls[base.name].rstrip("/")
        if base.url_field and self.credentials.get(base.url_field, "") in base.urls:
            return base.urls[self.credentials[base.url_field]].rstrip("/")
        url = base.url
        for name, value in self.credentials.items():
            url = url.replace("{" + name + "}", value)
        return url.rstrip("/")

    def _parts(self, base: Base) -> _BaseParts:
        parts = self._base_parts[base.name] = self._build_parts(base)
        return parts

    def _build_parts(self, base: Base) -> _BaseParts:
        headers = {"User-Agent": self.user_agent, **self.node.headers}
        params: tuple[tuple[str, str], ...] = ()
        display: tuple[tuple[str, str], ...] = ()
        auth, creds = base.auth, self.credentials
        needed = {
            "basic": auth.password,
            "bearer": auth.token,
            "header": auth.value,
            "query": auth.value,
        }
        name = needed.get(auth.scheme)
        missing = name if name and not creds.get(name) else None
        if missing is None:
            if auth.scheme == "basic":
                pair = f"{creds.get(auth.username, '')}:{creds[auth.password]}".encode()
                headers["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"
            elif auth.scheme == "bearer":
                headers["Authorization"] = f"Bearer {creds[auth.token]}"
            elif auth.scheme == "header":
                headers[auth.name] = creds[auth.value]
            elif auth.scheme == "query":
                params, display = ((auth.name, creds[auth.value]),), ((auth.name, errors.REDACTED),)
        url = self.base_url(base)
        plain: Mapping[str, str] = headers
        json_headers: Mapping[str, str] = {**headers, "Content-Type": "application/json"}
        head = None
        if self._client_headers is not None:
            merged = self._merged(json_headers)
            # httpx.Client turns user:password@ into Basic auth, and httpx.Request fills in
            # Host and Content-Length only when absent: leave those cases to them.
            if "@" not in urllib.parse.urlsplit(url).netloc and not any(
                name in merged for name in ("Host", "Content-Length", "Transfer-Encoding")
            ):
                plain, json_headers = self._merged(plain), merged
                head = ((b"Host", httpx.URL(url).netloc), *merged.raw)
        return _BaseParts(url, plain, json_headers, params, display, missing, head)

    def _merged(self, ours: Mapping[str, str]) -> httpx.Headers:
        """`ours` merged into the client's default headers, as `httpx.Client` merges them."""
        merged = httpx.Headers(self._client_headers)
        merged.update(ours)
        return merged

    def direct_request(self, wire: _Wire) -> httpx.Request:
        """The request `httpx.Client.request` would build, for sending without the client."""
        if wire.content and wire.direct_head:  # the headers Request(content=...) adds, in place
            length = (b"Content-Length", str(len(wire.content)).encode())
            return httpx.Request(
                wire.method,
                wire.url,
                headers=[*wire.direct_head, length],
                stream=httpx.ByteStream(wire.content),
                extensions=dict(self._extensions),  # each request its own, as httpx builds them
            )
        return httpx.Request(
            wire.method,
            wire.url,
            headers=wire.headers,
            content=wire.content,
            extensions=dict(self._extensions),
        )

    def wire(self, request: PreparedRequest) -> _Wire:
        parts = self._base_parts.get(request.base) or self._parts(self.node.base(request.base))
        if parts.missing:
            raise errors.CredentialError(
                f"credential field {parts.missing!r} is required for "
                f"{request.operation.qualified_name} ({request.base} API)"
            )
        query = request.query + parts.params
        url = parts.url + request.path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers, content = parts.headers, None
        if request.body is not None:
            headers = parts.json_headers
            content = _JSON.encode(request.body).encode()
        display_query = request.query + parts.display_params
        return _Wire(
            request.method,
            url,
            headers,
            content,
            parts.url,
            request.path,
            display_query,
            self._secrets,
            parts.direct_head,
        )

    def interpret(self, wire: _Wire, response: httpx.Response, attempts: int) -> Any:
        """The decoded JSON of a 2xx answer; raise the typed error otherwise."""
        text = _text(response)
        try:
            data = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError:
            if response.is_success:
                raise errors.ProtocolError(
                    f"HTTP {response.status_code} with a body that is not JSON",
                    wire.method,
                    wire.display_url,
                    attempts=attempts,
                ) from None
            data = text
        if response.is_success:
            return data
        message = errors.redact(errors.api_message(data), wire.secrets)
        cls = errors.api_error_for(response.status_code)
        raise cls(
            response.status_code,
            message,
            wire.method,
            wire.display_url,
            retry_after=_retry_after(response),
            attempts=attempts,
        )

    def transport_error(self, wire: _Wire, exc: Exception, attempts: int) -> errors.TransportError:
        reason = errors.redact(
            f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, wire.secrets
        )
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
            return errors.ConnectError(reason, wire.method, wire.display_url, attempts=attempts)
        if isinstance(exc, httpx.TimeoutException):
            return errors.TimeoutError(reason, wire.method, wire.display_url, attempts=attempts)
        return errors.ProtocolError(reason, wire.method, wire.display_url, attempts=attempts)

    def _received(
        self, response: httpx.Response, request: httpx.Request, wire: _Wire, cookies: httpx.Cookies
    ) -> bool:
        """What the client would do with the answer to a request sent without it. True when the
        server set a cookie: the jar keeps it, and requests go through the client from then on."""
        response.request = request
        _log_request(response, wire)
        if "set-cookie" not in response.headers:
            return False
        cookies.extract_cookies(response)
        return True

    def outcome(
        self,
        request: PreparedRequest,
        wire: _Wire,
        answer: httpx.Response | httpx.HTTPError,
        attempt: int,
        policy: RetryPolicy,
    ) -> tuple[Any, float | None]:
        """One attempt's answer judged, without I/O: `(decoded answer, None)`, or `(None, seconds
        to wait)` before trying again; raises the typed error when it is final.

        `Session.send` and `AsyncSession.send` only pace, send, and follow this, so their
        behaviour cannot differ.
        """
        try:
            if isinstance(answer, httpx.HTTPError):
                raise self.transport_error(wire, answer, attempt)
            return self.interpret(wire, answer, attempt), None
        except (errors.ApiError, errors.TransportError) as error:
            delay = self.retry_delay(request, error, attempt, policy)
            if delay is None:
                raise
            return None, delay

    def retry_delay(
        self, request: PreparedRequest, error: errors.NodeError, attempt: int, policy: RetryPolicy
    ) -> float | None:
        """Seconds to wait before trying again, or None when the error is final."""
        if attempt >= policy.max_attempts:
            return None
        if isinstance(error, errors.ConnectError):
            return policy.delay(attempt, None, self._rng)
        if isinstance(error, errors.ApiError):
            if error.status not in policy.statuses:
                return None
            # A 4xx answer means the request was refused, not applied; a 5xx may come after it was.
            if error.status >= 500 and not (request.safe_to_retry or policy.retry_unsafe):
                return None
            return policy.delay(attempt, error.retry_after, self._rng)
        if isinstance(error, errors.TransportError) and (
            request.safe_to_retry or policy.retry_unsafe
        ):
            return policy.delay(attempt, None, self._rng)
        return None


def _lowest(*rates: float | None) -> float | None:
    given = [r for r in rates if r]
    return min(given) if given else None


class Stats:
    """Requests and attempts sent through a session (attempts - requests = retries)."""

    def __init__(self) -> None:
        self.requests = 0
        self.attempts = 0
        self._lock = threading.Lock()

    def count(self, attempt: int) -> None:
        with self._lock:
            self.attempts += 1
            self.requests += attempt == 1

    @property
    def retries(self) -> int:
        return self.attempts - self.requests


def _text(response: httpx.Response) -> str:
    """`response.text`. Without a charset in Content-Type that is the body decoded with the
    default encoding; httpx parses the header with the email package to learn that (~5 µs)."""
    if response.default_encoding == "utf-8" and "charset" not in (
        response.headers.get("Content-Type", "").lower()
    ):
        return response.content.decode("utf-8", "replace")
    return response.text


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


class Session(_SessionBase):
    """Sends prepared requests with an `httpx.Client` (yours, or one it owns).

    With a client it owns, it hands each request straight to the client's transport: the same
    request and connection pool, without about 50 µs per request of `httpx.Client.send`
    machinery that such a client does not use (auth, redirects, hooks). Cases where the client
    would do more (a proxy from the environment, a URL with user:password@, a server that sets
    cookies) keep going through the client. The client's default headers are merged once per
    base, which is safe because nobody else holds a client the session owns.
    """

    def __init__(
        self,
        node: Node,
        credentials: Mapping[str, Any] | None,
        *,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **options: Any,
    ) -> None:
        super().__init__(node, credentials, **options)
        self._owns_client = http_client is None
        self._transport: httpx.BaseTransport | None = None
        if http_client is None:
            # Given a transport, httpx.Client mounts no proxy from the environment: keep its own.
            self._transport = None if _environment_proxy() else httpx.HTTPTransport()
            http_client = httpx.Client(timeout=self.timeout.to_httpx(), transport=self._transport)
            self._client_headers = http_client.headers if self._transport else None
        self.http = http_client
        self._sleep = sleep

    def send(self, request: PreparedRequest, retry: RetryPolicy | None = None) -> Any:
        policy, wire, pacer = retry or self.retry, self.wire(request), self._pacers[request.base]
        attempt = 0
        while True:
            attempt += 1
            self.stats.count(attempt)
            while (wait := pacer.acquire()) > 0:
                self._sleep(wait)
            answer: httpx.Response | httpx.HTTPError
            try:
                transport = self._transport
                if transport is not None and wire.direct_head:
                    answer = self._send_direct(transport, wire)
                else:
                    answer = self.http.request(
                        wire.method, wire.url, headers=wire.headers, content=wire.content
                    )
            except httpx.HTTPError as exc:
                answer = exc
            data, delay = self.outcome(request, wire, answer, attempt, policy)
            if delay is None:
                return data
            self._sleep(delay)

    def _send_direct(self, transport: httpx.BaseTransport, step: _Wire) -> httpx.Response:
        request = self.direct_request(step)
        response = transport.handle_request(request)
        try:
            response.read()
        finally:
            response.close()
        if self._received(response, request, step, self.http.cookies):
            self._transport = None
        return response

    def close(self) -> None:
        self._transport = None
        if self._owns_client:
            self.http.close()


class AsyncSession(_SessionBase):
    """Sends prepared requests with an `httpx.AsyncClient` (yours, or one it owns); a client it
    owns is bypassed as in `Session`."""

    def __init__(
        self,
        node: Node,
        credentials: Mapping[str, Any] | None,
        *,
        http_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
        **options: Any,
    ) -> None:
        super().__init__(node, credentials, **options)
        self._owns_client = http_client is None
        self._transport: httpx.AsyncBaseTransport | None = None
        if http_client is None:
            self._transport = None if _environment_proxy() else httpx.AsyncHTTPTransport()
            http_client = httpx.AsyncClient(
                timeout=self.timeout.to_httpx(), transport=self._transport
            )
            self._client_headers = http_client.headers if self._transport else None
        self.http = http_client
        self._sleep = sleep

    async def send(self, request: PreparedRequest, retry: RetryPolicy | None = None) -> Any:
        policy, wire, pacer = retry or self.retry, self.wire(request), self._pacers[request.base]
        attempt = 0
        while True:
            attempt += 1
            self.stats.count(attempt)
            while (wait := pacer.acquire()) > 0:
                await self._sleep(wait)
            answer: httpx.Response | httpx.HTTPError
            try:
                transport = self._transport
                if transport is not None and wire.direct_head:
                    answer = await self._send_direct(transport, wire)
                else:
                    answer = await self.http.request(
                        wire.method, wire.url, headers=wire.headers, content=wire.content
                    )
            except httpx.HTTPError as exc:
                answer = exc
            data, delay = self.outcome(request, wire, answer, attempt, policy)
            if delay is None:
                return data
            await self._sleep(delay)

    async def _send_direct(
        self, transport: httpx.AsyncBaseTransport, step: _Wire
    ) -> httpx.Response:
        request = self.direct_request(step)
        response = await transport.handle_async_request(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        if self._received(response, request, step, self.http.cookies):
            self._transport = None
        return response

    async def aclose(self) -> None:
        self._transport = None
        if self._owns_client:
            await self.http.aclose()


def _log_request(response: httpx.Response, wire: _Wire) -> None:
    """The line `httpx.Client` logs for each request, for a request sent without it; the URL
    is the display URL, so a query-string key shows as ***."""
    if _HTTPX_LOG.isEnabledFor(logging.INFO):
        _HTTPX_LOG.info(
            'HTTP Request: %s %s "%s %d %s"',
            wire.method,
            wire.display_url,
            response.http_version,
            response.status_code,
            response.reason_phrase,
        )


def _environment_proxy() -> bool:
    """Would `httpx.Client` send through a proxy named in the environment (HTTP_PROXY...)?"""
    proxies = urllib.request.getproxies()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))
