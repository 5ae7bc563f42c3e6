"""Shared pieces of the reliability tests: credentials, fault mix, the item workload, helpers.

The workload is a mix of operations run with `execute()` (n8n parameters with per-item
expressions, so every item's request is distinct and can be found again in the server's
journal). Each item carries a unique token that ends up in its request (a path value or a body
field); `token_of(entry)` reads it back from a journal entry.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from generated.customerio import ItemError, RetryPolicy, Timeouts, execute
from generated.customerio._node import NODE
from generated.customerio._runtime.http import Session
from tests.fakes.customerio_server import FakeCustomerIo, JournalEntry, run_server

SITE_ID = "site_reliability"
TRACKING_KEY = "trk_SECRET_1234"
APP_KEY = "app_SECRET_5678"
CREDS = {"trackingSiteId": SITE_ID, "trackingApiKey": TRACKING_KEY, "appApiKey": APP_KEY}

# Each kind fires on ~1% of requests: ~10% of all requests get a transient fault.
FAULT_KINDS = ("429", "429_retry_after", "500", "502", "503", "504", "slow", "drop_before", "drop_after", "malformed")
RATE_PER_KIND = 0.011
READ_TIMEOUT = 0.2
SLOW_DELAY = 0.4  # longer than the read timeout: the client gives up, the server still applies
RETRY_AFTER = 0.01
TIMEOUTS = Timeouts(connect=2.0, read=READ_TIMEOUT, write=2.0, pool=2.0)
RETRY_ON = RetryPolicy(max_attempts=8, backoff=0.001, max_backoff=0.01, max_retry_after=0.05)
RETRY_OFF = RetryPolicy.off()
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")

# A kind -> what the client must report when it is not retried.
EXPECTED_CAUSE = {
    "429": ("RateLimitError", 429),
    "429_retry_after": ("RateLimitError", 429),
    "500": ("ServerError", 500),
    "502": ("ServerError", 502),
    "503": ("ServerError", 503),
    "504": ("ServerError", 504),
    "slow": ("TimeoutError", None),
    "drop_before": ("ProtocolError", None),
    "drop_after": ("ProtocolError", None),
    "malformed": ("ProtocolError", None),
}
TRANSPORT_ERRORS = frozenset({"TimeoutError", "ProtocolError", "ConnectError"})


@contextmanager
def fault_server(seed: int, first: Callable[[FakeCustomerIo], Any] | None = None) -> Iterator[FakeCustomerIo]:
    """A local server with the workload's credentials and ~10% seeded transient faults.

    `first` may inject rules that take precedence over the random ones (earliest rule wins).
    """
    with run_server(site_id=SITE_ID, api_key=TRACKING_KEY, app_api_key=APP_KEY) as server:
        if first is not None:
            first(server)
        for n, kind in enumerate(FAULT_KINDS):
            server.inject(None, kind, rate=RATE_PER_KIND, seed=seed * 100 + n, retry_after=RETRY_AFTER if kind == "429_retry_after" else None, delay=SLOW_DELAY if kind == "slow" else 0.0)
        yield server


def settle(server: FakeCustomerIo, limit: float = 5.0) -> None:
    """Wait until every "slow" request the client gave up on has landed and been journaled.

    A slow answer is journaled only after its delay, when the server has applied it; the
    client stopped waiting at its read timeout. Counts taken before this would miss them.
    """
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with server.lock:
            fired = server.fault_counts().get("slow", 0)
            landed = sum(1 for e in server.journal if e.fault == "slow")
        if landed >= fired:
            return
        time.sleep(0.02)
    raise AssertionError(f"{fired - landed} slow request(s) never landed")


# ---------------------------------------------------------------------------------- workload


@dataclass(frozen=True)
class Batch:
    """One `execute()` call: an operation, its n8n parameters and items."""

    op: str
    parameters: dict[str, Any]
    items: list[dict[str, Any]]
    tokens: list[str]  # per item, the unique value that identifies its request


def upserts(n: int, people: int, tag: str) -> Batch:
    """Person p{k} is updated n/people times; every update sets the same keys (so the last wins)."""
    items: list[dict[str, Any]] = [{"json": {"k": f"{tag}p{i % people:03d}", "seq": i, "round": i // people, "email": f"{tag}p{i % people:03d}.{i}@example.com"}} for i in range(n)]
    parameters = {
        "resource": "customer",
        "operation": "upsert",
        "id": "={{ $json.k }}",
        "additionalFields": {
            "email": "={{ $json.email }}",
            "customProperties": {"customProperty": [
                {"key": "seq", "value": "={{ $json.seq }}"},
                {"key": "round", "value": "={{ $json.round }}"},
                {"key": "item", "value": "={{ $itemIndex }}"},
            ]},
        },
    }
    return Batch("customer.upsert", parameters, items, [it["json"]["email"] for it in items])


def tracks(n: int, people: int, tag: str) -> Batch:
    items: list[dict[str, Any]] = [{"json": {"cid": f"{tag}p{i % people:03d}", "name": f"{tag}evt-{i:04d}", "n": i}} for i in range(n)]
    parameters = {
        "resource": "event",
        "operation": "track",
        "customerId": "={{ $json.cid }}",
        "eventName": "={{ $json.name }}",
        "additionalFields": {"customAttributes": {"customAttribute": [{"key": "n", "value": "={{ $json.n }}"}]}},
    }
    return Batch("event.track", parameters, items, [it["json"]["name"] for it in items])


def anonymous(n: int, tag: str) -> Batch:
    items: list[dict[str, Any]] = [{"json": {"name": f"{tag}anon-{i:04d}"}} for i in range(n)]
    parameters = {"resource": "event", "operation": "trackAnonymous", "eventName": "={{ $json.name }}",
                  "additionalFields": {"customAttributes": {"customAttribute": [{"key": "i", "value": "={{ $itemIndex }}"}]}}}
    return Batch("event.trackAnonymous", parameters, items, [it["json"]["name"] for it in items])


def segment_adds(n: int, segments: int, tag: str) -> Batch:
    items: list[dict[str, Any]] = [{"json": {"seg": 100 + i % segments, "a": f"{tag}m{i:04d}a", "b": f"{tag}m{i:04d}b"}} for i in range(n)]
    parameters = {"resource": "segment", "operation": "add", "segmentId": "={{ $json.seg }}", "customerIds": "={{ $json.a }},{{ $json.b }}"}
    return Batch("segment.add", parameters, items, [it["json"]["a"] for it in items])


def deletes(ids: list[str]) -> Batch:
    parameters = {"resource": "customer", "operation": "delete", "id": "={{ $json.id }}"}
    return Batch("customer.delete", parameters, [{"json": {"id": i}} for i in ids], list(ids))


def metrics(n: int) -> Batch:
    """App API reads (Bearer auth, paced at 10 requests/s): campaign c, steps s, unique per item."""
    items: list[dict[str, Any]] = [{"json": {"c": 1 + i % 3, "s": 1 + i}} for i in range(n)]
    parameters = {"resource": "campaign", "operation": "getMetrics", "campaignId": "={{ $json.c }}", "period": "months",
                  "additionalFields": {"steps": "={{ $json.s }}", "type": "email"}}
    return Batch("campaign.getMetrics", parameters, items, [f"{it['json']['c']}:{it['json']['s']}" for it in items])


def split(batch: Batch, size: int) -> list[Batch]:
    """The batch as consecutive runs of `size` items (e.g. one round of updates each)."""
    return [Batch(batch.op, batch.parameters, batch.items[i:i + size], batch.tokens[i:i + size]) for i in range(0, len(batch.items), size)]


def token_of(entry: JournalEntry) -> str | None:
    """The unique token of the item that sent this request (see the batch builders)."""
    body = entry.json if isinstance(entry.json, dict) else {}
    if entry.endpoint == "customer.upsert":
        return body.get("email")
    if entry.endpoint in ("event.track", "event.trackAnonymous"):
        return body.get("name")
    if entry.endpoint == "segment.add":
        ids = body.get("ids") or [None]
        return ids[0]
    if entry.endpoint == "customer.delete":
        return entry.params.get("customer_id")
    if entry.endpoint == "campaign.getMetrics":
        return f"{entry.params.get('campaign_id')}:{entry.query.get('steps')}"
    return None


# ---------------------------------------------------------------------------------- running


class LogCollector(logging.Handler):
    """Every log record of every logger, formatted with its arguments and exception text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def all_logs_at_debug() -> Iterator[LogCollector]:
    collector = LogCollector()
    root = logging.getLogger()
    saved = {name: logger.level for name, logger in logging.root.manager.loggerDict.items() if isinstance(logger, logging.Logger)}
    saved_root = root.level
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    for name in ("httpx", "httpcore", "generated", "generated.customerio"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield collector
    finally:
        root.removeHandler(collector)
        root.setLevel(saved_root)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


@dataclass
class BatchRun:
    batch: Batch
    main: list[dict[str, Any]] = field(default_factory=list)
    error: list[dict[str, Any]] = field(default_factory=list)
    stopped: BaseException | None = None
    attempts: int | None = None  # requests the session sent (first attempts and retries)
    retries: int | None = None
    session_repr: str = ""


class Recorder:
    """A `sleep` for the session that sleeps for real and records every wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds)


def run_batch(server: FakeCustomerIo, batch: Batch, *, retry: RetryPolicy, settings: dict[str, Any], sleep: Callable[[float], None]) -> BatchRun:
    """`execute()` over the batch through a session of our own, so its attempt counts can be read."""
    run = BatchRun(batch)
    session = Session(NODE, CREDS, base_urls={"tracking": server.track_url, "app": server.app_url}, retry=retry, timeout=TIMEOUTS, sleep=sleep)
    run.session_repr = repr(session)
    try:
        result = execute(batch.parameters, batch.items, None, settings, session=session)
        run.main, run.error = result.main, result.error
    except ItemError as stop:  # onError=stopWorkflow
        run.stopped, run.main = stop, stop.partial.main  # type: ignore[attr-defined]
    finally:
        run.attempts, run.retries = session.stats.attempts, session.stats.retries
        session.close()
    return run
