"""A local, in-memory fake of the Customer.io Track and App APIs.

Standard library only. One ``ThreadingHTTPServer`` (HTTP/1.1 keep-alive, 127.0.0.1 only)
serves the four real hosts on one port, each under a path prefix::

    http://127.0.0.1:PORT/track.customer.io/api/v1/...      tracking, Global (us)
    http://127.0.0.1:PORT/track-eu.customer.io/api/v1/...   tracking, EU
    http://127.0.0.1:PORT/api.customer.io/v1/...            App API, Global (us)
    http://127.0.0.1:PORT/api-eu.customer.io/v1/...         App API, EU

When the first path segment is not one of those host names, the ``Host`` header (without its
port) names the host instead. The workspace lives in one region; the other region's hosts
answer 401.

Tests use :class:`FakeCustomerIo` (or the pytest fixtures in ``tests.fakes.fixtures``) and
inspect ``people``, ``events``, ``segments``, ``campaigns`` and ``journal``; ``inject()`` adds
faults (429/5xx answers, slow answers, dropped connections, malformed bodies).

By hand::

    python -m tests.fakes.customerio_server --port 8080 [--region eu] [--no-rate-limit]
"""

from __future__ import annotations

import argparse
import base64
import binascii
import copy
import json
import random
import signal
import socket
import socketserver
import sys
import threading
import time
import traceback
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "APP_HOSTS",
    "DEFAULT_API_KEY",
    "DEFAULT_APP_API_KEY",
    "DEFAULT_CAMPAIGNS",
    "DEFAULT_SITE_ID",
    "ENDPOINTS",
    "FAULT_KINDS",
    "HOSTS",
    "TRACK_HOSTS",
    "FakeCustomerIo",
    "Fault",
    "JournalEntry",
    "main",
    "run_server",
]

DEFAULT_SITE_ID = "site_123"
DEFAULT_API_KEY = "trk_key"
DEFAULT_APP_API_KEY = "app_key"

TRACK_HOSTS = {"us": "track.customer.io", "eu": "track-eu.customer.io"}
APP_HOSTS = {"us": "api.customer.io", "eu": "api-eu.customer.io"}
HOSTS = frozenset(TRACK_HOSTS.values()) | frozenset(APP_HOSTS.values())
_HOST_API = {h: "track" for h in TRACK_HOSTS.values()} | {
    h: "app" for h in APP_HOSTS.values()
}

ENDPOINTS = (
    "campaign.get",
    "campaign.getAll",
    "campaign.getMetrics",
    "customer.upsert",
    "customer.delete",
    "event.track",
    "event.trackAnonymous",
    "segment.add",
    "segment.remove",
)

ERROR_FAULTS = frozenset({"429", "429_retry_after", "500", "502", "503", "504"})
FAULT_KINDS = ERROR_FAULTS | {"slow", "drop_before", "drop_after", "malformed"}

# Limits (bytes are UTF-8 bytes).
MAX_ID_BYTES = 150
MAX_ATTR_NAME_BYTES = 150
MAX_ATTR_VALUE_BYTES = 1000
MAX_ATTRS = 300
MAX_EVENT_NAME_BYTES = 100
MAX_EVENT_DATA_BYTES = 100_000
MAX_SEGMENT_IDS = 1000
MAX_BODY_BYTES = 16 * 1024 * 1024

# 400 messages (body: {"meta": {"errors": [MESSAGE]}}).
MSG_INVALID_JSON = "request body is not valid JSON"
MSG_BODY_NOT_OBJECT = "request body must be a JSON object"
MSG_ID_TOO_LONG = "customer id cannot be longer than 150 bytes"
MSG_TOO_MANY_ATTRS = "cannot set more than 300 attributes per request"
MSG_ATTR_NAME_TOO_LONG = "attribute names cannot be longer than 150 bytes"
MSG_ATTR_VALUE_TOO_LONG = "attribute values cannot be longer than 1000 bytes"
MSG_CREATED_AT = "created_at must be an integer (Unix seconds)"
MSG_EVENT_NAME_REQUIRED = "event name is required"
MSG_EVENT_NAME_TOO_LONG = "event name cannot be longer than 100 bytes"
MSG_EVENT_DATA_NOT_OBJECT = "event data must be a JSON object"
MSG_EVENT_DATA_TOO_LARGE = "event data cannot be larger than 100000 bytes"
MSG_EVENT_ID = "event id must be a string"
MSG_TIMESTAMP = "timestamp must be an integer (Unix seconds)"
MSG_EVENT_TYPE = "event type must be a string"
MSG_SEGMENT_ID = "segment id must be an integer"
MSG_IDS_TYPE = "ids must be an array of non-empty strings"
MSG_IDS_COUNT = "ids must contain between 1 and 1000 ids"
MSG_PERIOD = "period must be one of: hours, days, weeks, months"
MSG_STEPS = "steps must be an integer between 1 and 120"
MSG_METRIC_TYPE = (
    "type must be one of: email, push, slack, twilio, urban_airship, webhook"
)
MSG_RATE_LIMIT = "rate limit exceeded"

METRIC_PERIODS = {"hours": 24, "days": 45, "weeks": 12, "months": 12}
METRIC_TYPES = frozenset(
    {"email", "push", "slack", "twilio", "urban_airship", "webhook"}
)
METRIC_SERIES = (
    "attempted",
    "bounced",
    "clicked",
    "converted",
    "created",
    "delivered",
    "drafted",
    "failed",
    "opened",
    "sent",
    "spammed",
    "undeliverable",
    "unsubscribed",
)

DEFAULT_CAMPAIGNS: dict[int, dict[str, Any]] = {
    1: {
        "id": 1,
        "deduplicate_id": "1:1700000000",
        "name": "Welcome series",
        "type": "segment",
        "state": "running",
        "active": True,
        "created": 1700000000,
        "updated": 1700086400,
        "first_started": 1700003600,
        "created_by": "fake@example.com",
        "tags": ["onboarding"],
        "actions": [{"id": 11, "type": "email"}, {"id": 12, "type": "delay"}],
        "msg_templates": [{"id": 101, "type": "email"}],
    },
    2: {
        "id": 2,
        "deduplicate_id": "2:1700500000",
        "name": "Cart abandonment",
        "type": "event",
        "state": "running",
        "active": True,
        "created": 1700500000,
        "updated": 1700600000,
        "first_started": 1700503600,
        "created_by": "fake@example.com",
        "tags": ["ecommerce", "retention"],
        "actions": [{"id": 21, "type": "push"}, {"id": 22, "type": "email"}],
        "msg_templates": [{"id": 201, "type": "push"}, {"id": 202, "type": "email"}],
    },
    3: {
        "id": 3,
        "deduplicate_id": "3:1701000000",
        "name": "Win-back (draft)",
        "type": "segment",
        "state": "draft",
        "active": False,
        "created": 1701000000,
        "updated": 1701000000,
        "first_started": 0,
        "created_by": "fake@example.com",
        "tags": [],
        "actions": [],
        "msg_templates": [],
    },
}

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    414: "URI Too Long",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

_EMPTY = b"{}"
_MALFORMED_BODY = b'{"meta": {"truncated": tr'  # not valid JSON (cut short)
_RETRY_AFTER_1 = (("Retry-After", "1"),)


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _meta_errors(*messages: str) -> bytes:
    return _dumps({"meta": {"errors": list(messages)}})


def _app_errors(detail: str, status: int) -> bytes:
    return _dumps({"errors": [{"detail": detail, "status": str(status)}]})


_TRACK_401 = _dumps({"meta": {"error": "Unauthorized request"}})
_APP_401 = _app_errors("Unauthorized", 401)
_RATE_LIMIT_BODY = _meta_errors(MSG_RATE_LIMIT)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


class _ApiError(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _bad_request(message: str) -> _ApiError:
    return _ApiError(400, _meta_errors(message))


@dataclass(slots=True)
class JournalEntry:
    """One request as the server received it (one per request, in arrival order).

    ``headers`` keys are lower-case. ``params`` are the decoded path parameters
    (``customer_id``, ``segment_id``, ``campaign_id``). ``json`` is the parsed body, or None
    when the body is empty or not JSON. ``status`` is what the client received (None when the
    connection was dropped). ``applied`` is True when the request took effect (for GETs: was
    answered successfully); a de-duplicated event is not applied.
    """

    method: str
    host: str | None
    path: str
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    endpoint: str | None
    status: int | None = None
    applied: bool = False
    fault: str | None = None
    time: float = 0.0


@dataclass(eq=False)
class Fault:
    """A fault rule returned by :meth:`FakeCustomerIo.inject`. ``count`` = times it fired."""

    endpoint: str | None
    kind: str
    requests: frozenset[int] | None = None
    every: int | None = None
    rate: float | None = None
    seed: int = 0
    retry_after: float | None = None
    delay: float = 0.0
    times: int | None = None
    count: int = 0
    seen: int = 0  # matching requests seen since injection
    _random: random.Random = field(init=False, repr=False)
    _server: FakeCustomerIo | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.count >= self.times

    def remove(self) -> None:
        """Stop this rule from firing again."""
        if self._server is not None:
            self._server._remove_fault(self)

    def _fires(self) -> bool:
        # Called under the server lock for each matching request (``seen`` already counted).
        if self.exhausted:
            return False
        if self.requests is not None:
            return self.seen in self.requests
        if self.every is not None:
            return self.seen % self.every == 0
        if self.rate is not None:
            return self._random.random() < self.rate
        return True


class _Handler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 handler with a small, fast request parser.

    ``BaseHTTPRequestHandler.parse_request`` parses headers through the ``email`` package,
    which dominates the per-request cost; this reads the request line and headers directly
    into ``self.hdrs`` (lower-case name -> value; repeated headers joined with ", ").
    """

    protocol_version = "HTTP/1.1"
    server_version = "FakeCustomerIo/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    server: _HTTPServer
    hdrs: dict[str, str]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reject(self, status: int, message: str) -> None:
        body = _meta_errors(message)
        self.close_connection = True
        self.wfile.write(
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode(
                "latin-1"
            )
            + body
        )

    def handle_one_request(self) -> None:
        rfile = self.rfile
        line = rfile.readline(65537)
        while line in (b"\r\n", b"\n"):  # tolerate stray CRLF between requests
            line = rfile.readline(65537)
        if not line:
            self.close_connection = True
            return
        if len(line) > 65536:
            self._reject(414, "request line too long")
            return
        self.raw_requestline = line
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self.request_version = "HTTP/1.1"
            self._reject(400, "bad request line")
            return
        self.command, self.path, self.request_version = parts
        hdrs: dict[str, str] = {}
        while True:
            raw = rfile.readline(65537)
            if raw in (b"\r\n", b"\n", b""):
                break
            if len(hdrs) >= 200 or len(raw) > 65536:
                self._reject(431, "request headers too large")
                return
            name, sep, value = raw.decode("latin-1").partition(":")
            if not sep:
                self._reject(400, "bad header line")
                return
            key = name.strip().lower()
            value = value.strip()
            hdrs[key] = f"{hdrs[key]}, {value}" if key in hdrs else value
        self.hdrs = hdrs
        conn = hdrs.get("connection", "").lower()
        if conn == "close" or (
            self.request_version == "HTTP/1.0" and conn != "keep-alive"
        ):
            self.close_connection = True
        else:
            self.close_connection = False
        if hdrs.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.server.app._handle(self)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: FakeCustomerIo) -> None:
        self.app = app
        self._conns: dict[threading.Thread, socket.socket] = {}
        self._conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn); skip it to start fast.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        t = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name="fake-customerio-conn",
            daemon=True,
        )
        with self._conns_lock:
            self._conns[t] = request
        t.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._conns_lock:
                self._conns.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(
            exc, OSError
        ):  # client went away, connection reset, server stopping
            return
        self.app.errors.append(traceback.format_exc())

    def close_connections(self, timeout: float = 2.0) -> None:
        with self._conns_lock:
            conns = list(self._conns.items())
        for _, sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        for t, _ in conns:
            t.join(max(0.0, deadline - time.monotonic()))


class FakeCustomerIo:
    """In-memory Customer.io API server (Track API + App API, 9 operations).

    Thread-safe: every state change and journal append happens under ``self.lock``.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        site_id: str = DEFAULT_SITE_ID,
        api_key: str = DEFAULT_API_KEY,
        app_api_key: str = DEFAULT_APP_API_KEY,
        region: str = "us",
        app_rate_limit: float | None = 10.0,
        campaigns: Mapping[int, dict[str, Any]] | None = None,
    ) -> None:
        if region not in TRACK_HOSTS:
            raise ValueError(f"region must be 'us' or 'eu', not {region!r}")
        if app_rate_limit is not None and app_rate_limit <= 0:
            raise ValueError("app_rate_limit must be positive or None")
        self.site_id = site_id
        self.api_key = api_key
        self.app_api_key = app_api_key
        self.region = region
        self.app_rate_limit = app_rate_limit
        self._requested_port = port
        self._seed_campaigns = copy.deepcopy(
            dict(DEFAULT_CAMPAIGNS if campaigns is None else campaigns)
        )
        self._region_hosts = frozenset({TRACK_HOSTS[region], APP_HOSTS[region]})

        self.lock = threading.RLock()
        self.people: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.segments: dict[int, set[str]] = {}
        self.campaigns: dict[int, dict[str, Any]] = copy.deepcopy(self._seed_campaigns)
        self.journal: list[JournalEntry] = []
        self.errors: list[str] = []  # tracebacks of unexpected server-side exceptions
        self._event_ids: set[str] = set()
        self._faults: list[Fault] = []
        self._fault_counts: Counter[str] = Counter()
        self._app_hits: deque[float] = deque()
        self._clock: Callable[[], float] = time.monotonic
        self._raw_body = b""

        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        if self._httpd is not None:
            raise RuntimeError("server already started")
        self._stopping.clear()
        self._httpd = _HTTPServer(("127.0.0.1", self._requested_port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-customerio-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()  # wakes "slow" faults
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        if thread is not None:
            thread.join(2.0)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server is not running")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def base_url(self, host: str) -> str:
        """Base URL standing in for ``https://{host}/api/v1`` or ``https://{host}/v1``."""
        api = _HOST_API.get(host)
        if api is None:
            raise ValueError(
                f"unknown Customer.io host {host!r}; expected one of {sorted(HOSTS)}"
            )
        return (
            f"{self.url}/{host}/api/v1" if api == "track" else f"{self.url}/{host}/v1"
        )

    @property
    def track_url(self) -> str:
        """Tracking base URL of the workspace's region."""
        return self.base_url(TRACK_HOSTS[self.region])

    @property
    def app_url(self) -> str:
        """App API base URL of the workspace's region."""
        return self.base_url(APP_HOSTS[self.region])

    # ------------------------------------------------------------------ state helpers

    def reset(self) -> None:
        """Clear people, events, segments, journal, faults, counters; restore campaigns."""
        with self.lock:  # in place: references held by tests stay valid
            self.people.clear()
            self.events.clear()
            self.segments.clear()
            self.campaigns.clear()
            self.campaigns.update(copy.deepcopy(self._seed_campaigns))
            self.journal.clear()
            self.errors.clear()
            self._event_ids.clear()
            self._faults = []
            self._fault_counts.clear()
            self._app_hits.clear()

    def requests_for(self, endpoint: str | None) -> list[JournalEntry]:
        """Journal entries for one endpoint name (None: requests that matched no endpoint)."""
        with self.lock:
            return [e for e in self.journal if e.endpoint == endpoint]

    # ------------------------------------------------------------------ faults

    def inject(
        self,
        endpoint: str | None,
        kind: str,
        *,
        requests: Iterable[int] | None = None,
        every: int | None = None,
        rate: float | None = None,
        seed: int = 0,
        retry_after: float | None = None,
        delay: float = 0.0,
        times: int | None = None,
    ) -> Fault:
        """Add a fault rule. At most one of ``requests``/``every``/``rate``; none = always.

        Requests are counted per rule from the moment it is injected, over the requests that
        match its endpoint (None: any of the 9 endpoints), 1-based. When several rules fire on
        the same request, the earliest injected wins (the others still count the request).
        """
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError(
                f"unknown endpoint {endpoint!r}; expected one of {ENDPOINTS}"
            )
        if kind not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}"
            )
        if sum(x is not None for x in (requests, every, rate)) > 1:
            raise ValueError("give at most one of requests=, every=, rate=")
        if every is not None and every < 1:
            raise ValueError("every must be >= 1")
        if rate is not None and not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if delay < 0 or (retry_after is not None and retry_after < 0):
            raise ValueError("delay and retry_after must be >= 0")
        if times is not None and times < 0:
            raise ValueError("times must be >= 0")
        if kind == "429_retry_after" and retry_after is None:
            retry_after = 1.0
        fault = Fault(
            endpoint=endpoint,
            kind=kind,
            requests=None if requests is None else frozenset(requests),
            every=every,
            rate=rate,
            seed=seed,
            retry_after=retry_after,
            delay=delay,
            times=times,
        )
        fault._server = self
        with self.lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every fault rule (fired counts are kept)."""
        with self.lock:
            self._faults = []

    def _remove_fault(self, fault: Fault) -> None:
        with self.lock:
            self._faults = [f for f in self._faults if f is not fault]

    def fault_counts(self) -> dict[str, int]:
        """How many times each fault kind fired (a Counter: missing kinds read as 0)."""
        with self.lock:
            return Counter(self._fault_counts)

    def _pick_fault(self, endpoint: str) -> Fault | None:
        fired = None
        for rule in self._faults:
            if rule.endpoint is not None and rule.endpoint != endpoint:
                continue
            rule.seen += 1
            if fired is None and rule._fires():
                rule.count += 1
                fired = rule
        if fired is not None:
            self._fault_counts[fired.kind] += 1
        return fired

    # ------------------------------------------------------------------ request handling

    def _handle(self, h: _Handler) -> None:
        try:
            self._handle_inner(h)
        except OSError:
            h.close_connection = True
        # A bug in the fake becomes a 500 answer and a traceback in self.errors.
        except Exception:  # noqa: BLE001
            self.errors.append(traceback.format_exc())
            h.close_connection = True
            try:
                self._send(h, 500, _meta_errors("fake server error"))
            except OSError:
                pass

    def _read_body(self, h: _Handler) -> bytes:
        headers = h.hdrs
        te = headers.get("transfer-encoding")
        if te is not None and "chunked" in te.lower():
            chunks = []
            total = 0
            while True:
                line = h.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"x", 16)
                if size == 0:
                    while h.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                total += size
                if total > MAX_BODY_BYTES:
                    raise _ApiError(413, _meta_errors("request body too large"))
                chunks.append(h.rfile.read(size))
                h.rfile.readline(3)
            return b"".join(chunks)
        cl = headers.get("content-length")
        if not cl:
            return b""
        n = int(cl)
        if n < 0:
            raise ValueError("negative Content-Length")
        if n > MAX_BODY_BYTES:
            raise _ApiError(413, _meta_errors("request body too large"))
        return h.rfile.read(n) if n else b""

    def _send(
        self,
        h: _Handler,
        status: int,
        body: bytes,
        extra: Iterable[tuple[str, str]] = (),
    ) -> None:
        head = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n",
            "Content-Type: application/json\r\n",
            f"Content-Length: {len(body)}\r\n",
        ]
        for name, value in extra:
            head.append(f"{name}: {value}\r\n")
        if h.close_connection:
            head.append("Connection: close\r\n")
        head.append("\r\n")
        data = "".join(head).encode("latin-1")
        if h.command != "HEAD":
            data += body
        h.wfile.write(data)

    def _handle_inner(self, h: _Handler) -> None:
        method = h.command
        try:
            body = self._read_body(h)
        except _ApiError as err:
            h.close_connection = True
            self._send(h, err.status, err.body)
            return
        except ValueError:
            h.close_connection = True
            self._send(h, 400, _meta_errors("invalid Content-Length or chunked body"))
            return

        target = h.path
        header_host = None
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            header_host = parts.hostname
            target = parts.path + ("?" + parts.query if parts.query else "")
        path, _, raw_query = target.partition("?")
        segs = path.split("/")
        if len(segs) > 1 and segs[1] in _HOST_API:
            host: str | None = segs[1]
            rest = segs[2:]
        else:
            rest = segs[1:]
            if header_host is None:
                hh = h.hdrs.get("host", "")
                if hh.startswith("["):
                    header_host = hh[1:].partition("]")[0]
                else:
                    header_host = hh.partition(":")[0]
            host = header_host.lower() or None

        headers = h.hdrs
        query = dict(parse_qsl(raw_query, keep_blank_values=True)) if raw_query else {}
        parsed: Any = None
        json_ok = True
        if body:
            try:
                parsed = json.loads(body)
            except (ValueError, RecursionError):
                json_ok = False

        api = _HOST_API.get(host) if host is not None else None
        endpoint, params, route_error = _route(api, method, rest)
        entry = JournalEntry(
            method=method,
            host=host,
            path=path,
            params=params,
            query=query,
            headers=headers,
            body=body,
            json=parsed,
            endpoint=endpoint,
            time=time.time(),
        )

        if route_error is not None:
            status, resp, extra = route_error
            entry.status = status
            with self.lock:
                self.journal.append(entry)
            self._send(h, status, resp, extra)
            return

        assert endpoint is not None and api is not None and host is not None
        with self.lock:
            fault = self._pick_fault(endpoint) if self._faults else None
            kind = None if fault is None else fault.kind
            entry.fault = kind
            early: tuple[int, bytes, tuple[tuple[str, str], ...]] | None = None
            if fault is not None and kind in ERROR_FAULTS:
                early = _fault_response(fault, api)
                entry.status = early[0]
            if kind == "drop_before" or early is not None:
                self.journal.append(entry)
        if kind == "drop_before":
            h.close_connection = True
            return
        if early is not None:
            self._send(h, *early)
            return
        if kind == "slow":
            assert fault is not None
            self._stopping.wait(fault.delay)

        with self.lock:
            try:
                status, resp, extra, applied = self._process(
                    api, host, endpoint, params, query, headers, parsed, json_ok, body
                )
            except _ApiError as err:
                status, resp, extra, applied = err.status, err.body, (), False
            entry.applied = applied
            entry.status = None if kind == "drop_after" else status
            self.journal.append(entry)
        if kind == "drop_after":
            h.close_connection = True
            return
        if kind == "malformed":
            resp = _MALFORMED_BODY
        self._send(h, status, resp, extra)

    def _process(
        self,
        api: str,
        host: str,
        endpoint: str,
        params: dict[str, str],
        query: dict[str, str],
        headers: dict[str, str],
        parsed: Any,
        json_ok: bool,
        raw: bytes,
    ) -> tuple[int, bytes, tuple[tuple[str, str], ...], bool]:
        """Auth, rate limit, validation and state change. Called with the lock held."""
        unauthorized = _TRACK_401 if api == "track" else _APP_401
        if host not in self._region_hosts:
            return 401, unauthorized, (), False
        auth = headers.get("authorization", "")
        if api == "track":
            if not self._basic_ok(auth):
                return 401, unauthorized, (), False
        else:
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or token.strip() != self.app_api_key:
                return 401, unauthorized, (), False
            if self.app_rate_limit is not None and self._app_rate_limited():
                return 429, _RATE_LIMIT_BODY, _RETRY_AFTER_1, False
        if not json_ok:
            raise _bad_request(MSG_INVALID_JSON)
        handler = _ENDPOINT_HANDLERS[endpoint]
        self._raw_body = raw  # read by _track_event (the lock is held)
        resp, applied = handler(self, params, query, parsed)
        return 200, resp, (), applied

    def _basic_ok(self, auth: str) -> bool:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        site_id, sep, key = decoded.partition(":")
        return bool(sep) and site_id == self.site_id and key == self.api_key

    def _app_rate_limited(self) -> bool:
        limit = self.app_rate_limit
        assert limit is not None
        # n requests per rolling window of n/limit seconds (n = floor(limit), at least 1):
        # app_rate_limit=10 means at most 10 requests in any 1-second window.
        n = max(1, int(limit))
        window = n / limit
        now = self._clock()
        hits = self._app_hits
        while hits and now - hits[0] >= window:
            hits.popleft()
        if len(hits) >= n:
            return True
        hits.append(now)
        return False

    # ------------------------------------------------------------------ endpoints

    def _check_customer_id(self, customer_id: str) -> None:
        if _utf8_len(customer_id) > MAX_ID_BYTES:
            raise _bad_request(MSG_ID_TOO_LONG)

    def _ep_upsert(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[bytes, bool]:
        cid = params["customer_id"]
        self._check_customer_id(cid)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise _bad_request(MSG_BODY_NOT_OBJECT)
        if len(body) > MAX_ATTRS:
            raise _bad_request(MSG_TOO_MANY_ATTRS)
        for name, value in body.items():
            if _utf8_len(name) > MAX_ATTR_NAME_BYTES:
                raise _bad_request(MSG_ATTR_NAME_TOO_LONG)
            if value is None:
                continue
            size = _utf8_len(value) if isinstance(value, str) else len(_dumps(value))
            if size > MAX_ATTR_VALUE_BYTES:
                raise _bad_request(MSG_ATTR_VALUE_TOO_LONG)
        created_at = body.get("created_at")
        if created_at is not None and not _is_int(created_at):
            raise _bad_request(MSG_CREATED_AT)
        person = self.people.setdefault(cid, {})
        for name, value in body.items():
            if value is None:
                person.pop(name, None)
            else:
                person[name] = value
        return _EMPTY, True

    def _ep_delete(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[bytes, bool]:
        cid = params["customer_id"]
        self._check_customer_id(cid)
        self.people.pop(cid, None)
        return _EMPTY, True

    def _track_event(self, customer_id: str | None, body: Any) -> tuple[bytes, bool]:
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise _bad_request(MSG_BODY_NOT_OBJECT)
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise _bad_request(MSG_EVENT_NAME_REQUIRED)
        if _utf8_len(name) > MAX_EVENT_NAME_BYTES:
            raise _bad_request(MSG_EVENT_NAME_TOO_LONG)
        data = body.get("data")
        if data is not None:
            if not isinstance(data, dict):
                raise _bad_request(MSG_EVENT_DATA_NOT_OBJECT)
            if len(_dumps(data)) > MAX_EVENT_DATA_BYTES:
                raise _bad_request(MSG_EVENT_DATA_TOO_LARGE)
        event_id = body.get("id")
        if event_id is not None and not isinstance(event_id, str):
            raise _bad_request(MSG_EVENT_ID)
        timestamp = body.get("timestamp")
        if timestamp is not None and not _is_int(timestamp):
            raise _bad_request(MSG_TIMESTAMP)
        event_type = body.get("type")
        if event_type is not None and not isinstance(event_type, str):
            raise _bad_request(MSG_EVENT_TYPE)
        if event_id:
            if event_id in self._event_ids:
                return _EMPTY, False  # de-duplicated: accepted, not stored again
            self._event_ids.add(event_id)
        self.events.append(
            {
                "customer_id": customer_id,
                "name": name,
                "data": data,
                "id": event_id,
                "timestamp": timestamp,
                "type": event_type,
                "body": body,
                "raw": self._raw_body,
            }
        )
        return _EMPTY, True

    def _ep_track(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[bytes, bool]:
        cid = params["customer_id"]
        self._check_customer_id(cid)
        return self._track_event(cid, body)

    def _ep_track_anonymous(
        self, params: Any, query: Any, body: Any
    ) -> tuple[bytes, bool]:
        return self._track_event(None, body)

    def _segment_ids(self, params: dict[str, str], body: Any) -> tuple[int, list[str]]:
        raw = params["segment_id"]
        if not (raw.isascii() and raw.isdigit()):
            raise _bad_request(MSG_SEGMENT_ID)
        if not isinstance(body, dict):
            raise _bad_request(MSG_BODY_NOT_OBJECT)
        ids = body.get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
            raise _bad_request(MSG_IDS_TYPE)
        if not 1 <= len(ids) <= MAX_SEGMENT_IDS:
            raise _bad_request(MSG_IDS_COUNT)
        return int(raw), ids

    def _ep_segment_add(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[bytes, bool]:
        sid, ids = self._segment_ids(params, body)
        self.segments.setdefault(sid, set()).update(ids)
        return _EMPTY, True

    def _ep_segment_remove(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[bytes, bool]:
        sid, ids = self._segment_ids(params, body)
        members = self.segments.get(sid)
        if members is not None:
            members.difference_update(ids)
        return _EMPTY, True

    def _campaign(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        raw = params["campaign_id"]
        campaign = None
        if raw.isascii() and raw.isdigit():
            campaign = self.campaigns.get(int(raw))
        if campaign is None:
            raise _ApiError(404, _app_errors("campaign not found", 404))
        return int(raw), campaign

    def _ep_campaign_get(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[bytes, bool]:
        _, campaign = self._campaign(params)
        return _dumps({"campaign": campaign}), True

    def _ep_campaign_get_all(
        self, params: Any, query: Any, body: Any
    ) -> tuple[bytes, bool]:
        campaigns = [self.campaigns[k] for k in sorted(self.campaigns)]
        return _dumps({"campaigns": campaigns}), True

    def _ep_campaign_metrics(
        self, params: dict[str, str], query: dict[str, str], body: Any
    ) -> tuple[bytes, bool]:
        cid, _ = self._campaign(params)
        period = query.get("period", "days")
        if period not in METRIC_PERIODS:
            raise _bad_request(MSG_PERIOD)
        raw_steps = query.get("steps")
        if raw_steps is None:
            steps = METRIC_PERIODS[period]
        else:
            if (
                not (raw_steps.isascii() and raw_steps.isdigit())
                or not 1 <= int(raw_steps) <= 120
            ):
                raise _bad_request(MSG_STEPS)
            steps = int(raw_steps)
        metric_type = query.get("type")
        if metric_type is not None and metric_type not in METRIC_TYPES:
            raise _bad_request(MSG_METRIC_TYPE)
        return _dumps({"metric": fake_metric(cid, period, steps, metric_type)}), True


def fake_metric(
    campaign_id: int, period: str, steps: int, metric_type: str | None
) -> dict[str, Any]:
    """Deterministic fake metric series: ``{"series": {name: [steps ints]}}``."""
    series: dict[str, list[int]] = {name: [] for name in METRIC_SERIES}
    for i in range(steps):
        seed = zlib.crc32(f"{campaign_id}:{period}:{metric_type or ''}:{i}".encode())
        sent = 50 + seed % 950
        delivered = sent - (seed >> 10) % max(1, sent // 20)
        opened = delivered * (20 + (seed >> 16) % 40) // 100
        clicked = opened * (5 + (seed >> 20) % 30) // 100
        values = {
            "attempted": sent + (seed >> 4) % 5,
            "bounced": sent - delivered,
            "clicked": clicked,
            "converted": clicked * ((seed >> 24) % 50) // 100,
            "created": sent + (seed >> 4) % 5,
            "delivered": delivered,
            "drafted": 0,
            "failed": (seed >> 4) % 5,
            "opened": opened,
            "sent": sent,
            "spammed": (seed >> 8) % 3,
            "undeliverable": (seed >> 12) % 4,
            "unsubscribed": (seed >> 14) % 6,
        }
        for name in METRIC_SERIES:
            series[name].append(values[name])
    return {"series": series}


_ENDPOINT_HANDLERS: dict[str, Callable[..., tuple[bytes, bool]]] = {
    "campaign.get": FakeCustomerIo._ep_campaign_get,
    "campaign.getAll": FakeCustomerIo._ep_campaign_get_all,
    "campaign.getMetrics": FakeCustomerIo._ep_campaign_metrics,
    "customer.upsert": FakeCustomerIo._ep_upsert,
    "customer.delete": FakeCustomerIo._ep_delete,
    "event.track": FakeCustomerIo._ep_track,
    "event.trackAnonymous": FakeCustomerIo._ep_track_anonymous,
    "segment.add": FakeCustomerIo._ep_segment_add,
    "segment.remove": FakeCustomerIo._ep_segment_remove,
}

_RouteError = tuple[int, bytes, tuple[tuple[str, str], ...]]


def _not_found(api: str | None, detail: str = "not found") -> _RouteError:
    if api == "track":
        return 404, _meta_errors(detail), ()
    return 404, _app_errors(detail, 404), ()


def _route(
    api: str | None, method: str, rest: list[str]
) -> tuple[str | None, dict[str, str], _RouteError | None]:
    """Map (api, method, path segments after the host) to (endpoint, params, error)."""
    if api is None:
        return None, {}, _not_found(None, "unknown host")
    methods: dict[str, str] | None = None
    params: dict[str, str] = {}
    n = len(rest)
    if api == "track":
        if n >= 3 and rest[0] == "api" and rest[1] == "v1":
            r = rest[2:]
            n = len(r)
            if r[0] == "customers" and n >= 2 and r[1]:
                if n == 2:
                    methods = {"PUT": "customer.upsert", "DELETE": "customer.delete"}
                elif n == 3 and r[2] == "events":
                    methods = {"POST": "event.track"}
                if methods is not None:
                    params = {"customer_id": unquote(r[1])}
            elif r[0] == "events" and n == 1:
                methods = {"POST": "event.trackAnonymous"}
            elif r[0] == "segments" and n == 3 and r[1]:
                if r[2] == "add_customers":
                    methods = {"POST": "segment.add"}
                elif r[2] == "remove_customers":
                    methods = {"POST": "segment.remove"}
                if methods is not None:
                    params = {"segment_id": unquote(r[1])}
    elif n >= 2 and rest[0] == "v1" and rest[1] == "campaigns":
        r = rest[1:]
        n = len(r)
        if n == 1:
            methods = {"GET": "campaign.getAll"}
        elif n == 2 and r[1]:
            methods = {"GET": "campaign.get"}
        elif n == 3 and r[1] and r[2] == "metrics":
            methods = {"GET": "campaign.getMetrics"}
        if n >= 2:
            params = {"campaign_id": unquote(r[1])}
    if methods is None:
        return None, {}, _not_found(api)
    endpoint = methods.get(method)
    if endpoint is None:
        allow = ", ".join(sorted(methods))
        body = (
            _meta_errors("method not allowed")
            if api == "track"
            else _app_errors("method not allowed", 405)
        )
        return None, params, (405, body, (("Allow", allow),))
    return endpoint, params, None


def _fault_response(
    fault: Fault, api: str
) -> tuple[int, bytes, tuple[tuple[str, str], ...]]:
    kind = fault.kind
    if kind == "429":
        return 429, _RATE_LIMIT_BODY, ()
    if kind == "429_retry_after":
        ra = fault.retry_after if fault.retry_after is not None else 1.0
        return 429, _RATE_LIMIT_BODY, (("Retry-After", f"{ra:g}"),)
    status = int(kind)
    reason = _REASONS[status].lower()
    if api == "track":
        return status, _meta_errors(reason), ()
    return status, _app_errors(_REASONS[status], status), ()


@contextmanager
def run_server(**kwargs: Any) -> Iterator[FakeCustomerIo]:
    """Start a :class:`FakeCustomerIo` (kwargs go to its constructor); stop it on exit."""
    server = FakeCustomerIo(**kwargs).start()
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------------- command line


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.customerio_server",
        description="Local in-memory fake of the Customer.io Track and App APIs "
        "(127.0.0.1 only, fake credentials).",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port (default 0: pick a free one)"
    )
    parser.add_argument("--site-id", default=DEFAULT_SITE_ID, help="tracking site id")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="tracking API key")
    parser.add_argument(
        "--app-api-key", default=DEFAULT_APP_API_KEY, help="App API key"
    )
    parser.add_argument(
        "--region", choices=("us", "eu"), default="us", help="workspace region"
    )
    parser.add_argument(
        "--no-rate-limit",
        action="store_true",
        help="disable the App API limit (10 requests/s)",
    )
    args = parser.parse_args(argv)

    server = FakeCustomerIo(
        port=args.port,
        site_id=args.site_id,
        api_key=args.api_key,
        app_api_key=args.app_api_key,
        region=args.region,
        app_rate_limit=None if args.no_rate_limit else 10.0,
    )
    try:
        # Ctrl-C / SIGINT and SIGTERM stop the server cleanly, even when SIGINT was
        # inherited as ignored (as it is for background jobs of a non-interactive shell).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            server.start()
        except OSError as exc:
            print(
                f"error: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr
            )
            return 1
        other = "eu" if args.region == "us" else "us"
        region_name = "Global/US" if args.region == "us" else "EU"
        lines = [
            f"Fake Customer.io API listening on {server.url} (workspace region: {region_name})",
            f"  Tracking API base URL: {server.track_url}",
            f"  App API base URL:      {server.app_url}",
            (
                f"  (other region, answers 401: {server.base_url(TRACK_HOSTS[other])} "
                f"and {server.base_url(APP_HOSTS[other])})"
            ),
            (
                f"  Tracking site id: {args.site_id}   tracking API key: {args.api_key}   "
                f"App API key: {args.app_api_key}"
            ),
            "  App API rate limit: "
            + ("off" if args.no_rate_limit else "10 requests per second"),
            "Press Ctrl-C to stop.",
        ]
        print("\n".join(lines), flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        try:
            server.stop()
        except KeyboardInterrupt:
            server.stop()
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
