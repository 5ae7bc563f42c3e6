"""Client-side workers of the benchmark, each run as its own process by run.py.

    python benchmarks/workers.py runtime --kind nodegen|httpx|customerio --url URL [-n 2000]
    python benchmarks/workers.py capture --kind nodegen|httpx|customerio
    python benchmarks/workers.py bulk --url URL --concurrency C [-n 10000]
    python benchmarks/workers.py ratecap [--rate 10] [-n 50] [--concurrency 8]
    python benchmarks/workers.py server [--latency SECONDS]

Each prints one JSON object on stdout (the server prints its URL, then serves until killed).
`nodegen` and `httpx` run in the nodegen venv; `customerio` runs in the peers venv. The source
tree under test (generated/, tests/fakes/) must be importable (run.py sets PYTHONPATH).
Only the standard library is imported at module level.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
from typing import Any

SITE_ID = "site_123"  # the fake server's defaults (tests/fakes/customerio_server.py)
API_KEY = "trk_key"
EVENT_NAME = "signup"
EVENT_DATA = {"plan": "pro"}
USER_AGENT = "bench/1.0"


def _event_id(i: int) -> str:
    # 26 characters like a ULID, unique per process (the fake server de-duplicates ids).
    return f"{os.getpid() % 10**8:08d}{time.monotonic_ns() % 10**6:06d}{i:012d}"


# ---------------------------------------------------------------------------- the three senders


def _nodegen_sender(track_url: str) -> tuple[Any, Any]:
    from generated.customerio import Client

    client = Client(
        {"trackingSiteId": SITE_ID, "trackingApiKey": API_KEY},
        base_urls={"tracking": track_url},
        pace=False,
    )

    def send(i: int) -> None:
        client.event.track(customer_id=f"u{i % 100}", event_name=EVENT_NAME, custom_attributes=EVENT_DATA)

    return send, client.close


def _httpx_sender(track_url: str) -> tuple[Any, Any]:
    import httpx

    client = httpx.Client(
        auth=(SITE_ID, API_KEY),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        timeout=10.0,
    )
    base = track_url.rstrip("/")

    def send(i: int) -> None:
        body = {"name": EVENT_NAME, "data": EVENT_DATA, "id": _event_id(i)}
        response = client.post(f"{base}/customers/u{i % 100}/events", json=body)
        response.raise_for_status()
        response.json()

    return send, client.close


def _customerio_sender(track_url: str) -> tuple[Any, Any]:
    """The official package, pointed at the local fake over plain HTTP.

    customerio 3.x builds its base URL as https://{host}[:{port}]/{url_prefix} and mounts its
    retrying keep-alive adapter on https:// only; there is no option for http://. The subclass
    changes only the scheme and mounts the same adapter on http:// too, so everything else
    (requests.Session, retries, sanitising, JSON encoding) is the package's own code.
    """
    from urllib.parse import urlsplit

    from customerio import CustomerIO
    from customerio.client_base import TCPKeepAliveHTTPAdapter

    parts = urlsplit(track_url)

    class LocalCustomerIO(CustomerIO):  # type: ignore[misc]
        def setup_base_url(self) -> None:
            super().setup_base_url()
            self.base_url = "http://" + self.base_url.split("://", 1)[1]

        def _build_session(self) -> Any:
            session = super()._build_session()
            session.mount("http://", TCPKeepAliveHTTPAdapter(max_retries=session.adapters["https://"].max_retries))
            return session

    client = LocalCustomerIO(SITE_ID, API_KEY, host=parts.hostname, port=parts.port, url_prefix=parts.path)

    def send(i: int) -> None:
        client.track(f"u{i % 100}", EVENT_NAME, EVENT_DATA, id=_event_id(i))

    return send, client.close


SENDERS = {"nodegen": _nodegen_sender, "httpx": _httpx_sender, "customerio": _customerio_sender}


def cmd_runtime(args: argparse.Namespace) -> dict[str, Any]:
    send, close = SENDERS[args.kind](args.url)
    try:
        for i in range(args.warmup):
            send(i)
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(args.n):
            send(i)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        close()
    # CPU of the client process per request: what the client costs, whatever the server and the
    # machine's other load do to the wall-clock rate.
    return {
        "kind": args.kind,
        "n": args.n,
        "seconds": seconds,
        "rps": args.n / seconds,
        "cpu_us_per_request": cpu / args.n * 1e6,
    }


def cmd_capture(args: argparse.Namespace) -> dict[str, Any]:
    """Send one event through an in-process fake and return what the server received."""
    from tests.fakes.customerio_server import run_server

    with run_server(app_rate_limit=None) as server:
        send, close = SENDERS[args.kind](server.track_url)
        try:
            send(7)
        finally:
            close()
        entry = server.journal[-1]
        return {
            "kind": args.kind,
            "method": entry.method,
            "path": entry.path.split("/api/v1", 1)[-1],
            "status": entry.status,
            "body_keys": sorted(entry.json) if isinstance(entry.json, dict) else None,
            "name": entry.json.get("name") if isinstance(entry.json, dict) else None,
            "data": entry.json.get("data") if isinstance(entry.json, dict) else None,
            "id_length": len(entry.json.get("id", "")) if isinstance(entry.json, dict) else None,
            "authorization": entry.headers.get("authorization"),
            "content_type": entry.headers.get("content-type"),
            "expected_authorization": "Basic " + base64.b64encode(f"{SITE_ID}:{API_KEY}".encode()).decode(),
        }


# ---------------------------------------------------------------------------- execute()

TRACK_PARAMETERS = {
    "resource": "event",
    "operation": "track",
    "customerId": "={{ $json.id }}",
    "eventName": "signup",
}


def _ordered(result: Any, n: int) -> bool:
    paired = [item["pairedItem"]["item"] for item in result.main]
    return len(paired) == n and paired == list(range(n)) and not result.error and result.succeeded == list(range(n))


def cmd_bulk(args: argparse.Namespace) -> dict[str, Any]:
    from generated.customerio import execute

    credentials = {"trackingSiteId": SITE_ID, "trackingApiKey": API_KEY}
    options = {"base_urls": {"tracking": args.url}, "concurrency": args.concurrency}
    # Warm-up (imports, connection pool, pydantic), not timed.
    execute(TRACK_PARAMETERS, [{"json": {"id": f"w{i}"}} for i in range(50)], credentials, **options)
    items = [{"json": {"id": f"u{i}"}} for i in range(args.n)]
    start = time.perf_counter()
    result = execute(TRACK_PARAMETERS, items, credentials, **options)
    seconds = time.perf_counter() - start
    return {
        "concurrency": args.concurrency,
        "n": args.n,
        "seconds": seconds,
        "rps": args.n / seconds,
        "in_order": _ordered(result, args.n),
    }


def cmd_ratecap(args: argparse.Namespace) -> dict[str, Any]:
    """execute(rate=R) against an in-process fake; the journal's arrival times are the judge."""
    from generated.customerio import execute
    from tests.fakes.customerio_server import run_server

    items = [{"json": {"id": f"r{i}"}} for i in range(args.n)]
    credentials = {"trackingSiteId": SITE_ID, "trackingApiKey": API_KEY}
    with run_server(app_rate_limit=None) as server:
        start = time.perf_counter()
        result = execute(
            TRACK_PARAMETERS,
            items,
            credentials,
            base_urls={"tracking": server.track_url},
            concurrency=args.concurrency,
            rate=args.rate,
        )
        seconds = time.perf_counter() - start
        times = sorted(e.time for e in server.journal if e.endpoint == "event.track")
    # The largest number of arrivals in any window [t, t + 1 s) (a window starting at an arrival
    # is the worst case), and the smallest span between request k and request k + rate.
    worst = max((sum(1 for u in times[i:] if u - t < 1.0) for i, t in enumerate(times)), default=0)
    cap = int(args.rate)
    spans = [times[i + cap] - times[i] for i in range(len(times) - cap)]
    return {
        "rate": args.rate,
        "n": args.n,
        "concurrency": args.concurrency,
        "requests_seen": len(times),
        "seconds": seconds,
        "max_in_any_1s_window": worst,
        "min_span_of_rate_plus_1_requests": min(spans) if spans else None,
        "in_order": _ordered(result, args.n),
    }


# ---------------------------------------------------------------------------- server


def cmd_server(args: argparse.Namespace) -> None:
    """The fake in this process, optionally with a fixed latency on every request."""
    import signal

    from tests.fakes.customerio_server import FakeCustomerIo

    server = FakeCustomerIo(app_rate_limit=None)
    if args.latency:
        server.inject(None, "slow", delay=args.latency)
    server.start()
    print(json.dumps({"track_url": server.track_url}), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    runtime = commands.add_parser("runtime")
    runtime.add_argument("--kind", choices=sorted(SENDERS), required=True)
    runtime.add_argument("--url", required=True)
    runtime.add_argument("-n", type=int, default=2000)
    runtime.add_argument("--warmup", type=int, default=100)
    capture = commands.add_parser("capture")
    capture.add_argument("--kind", choices=sorted(SENDERS), required=True)
    bulk = commands.add_parser("bulk")
    bulk.add_argument("--url", required=True)
    bulk.add_argument("-n", type=int, default=10_000)
    bulk.add_argument("--concurrency", type=int, default=1)
    ratecap = commands.add_parser("ratecap")
    ratecap.add_argument("--rate", type=float, default=10.0)
    ratecap.add_argument("-n", type=int, default=50)
    ratecap.add_argument("--concurrency", type=int, default=8)
    server = commands.add_parser("server")
    server.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    if args.command == "server":
        cmd_server(args)
        return
    handler = {"runtime": cmd_runtime, "capture": cmd_capture, "bulk": cmd_bulk, "ratecap": cmd_ratecap}
    print(json.dumps(handler[args.command](args)))


if __name__ == "__main__":
    main()
