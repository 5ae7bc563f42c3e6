"""Faults, measured: 2,000+ items across operations against the local server with ~10% faults.

Every run injects, per fault kind, a seeded `rate=` rule on every endpoint (see `workload.py`):
429, 429 with Retry-After, 500, 502, 503, 504, slow answers (longer than the read timeout),
connections dropped before and after the request is applied, and malformed 200 bodies.

- retries on: every item succeeds; the server holds one copy of each event, each person the
  attributes of their last update, each segment exactly its members; no item lost or doubled.
- retries off (`continueRegularOutput` / `continueErrorOutput`): every input index comes out
  exactly once; each error item names its item and the cause that the journal shows.
- `stopWorkflow`: the ItemError names the failing item and exactly the items sent before it.
- no API key in any output, error, repr or log line of these runs.

The figures (items, faults by kind, retries, duplicates, lost) are written as JSON to
`$RELIABILITY_FIGURES` when set (else to pytest's tmp dir); docs/reliability.md quotes a run.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import pickle
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from generated.customerio import (
    ApiError,
    Client,
    ConnectError,
    ItemError,
    NodeError,
    ProtocolError,
    RateLimitError,
    ServerError,
    TimeoutError,
    ValidationError,
    execute,
    execute_async,
)
from generated.customerio._node import OPERATIONS
from generated.customerio._runtime.request import SAFE_METHODS
from tests.fakes.customerio_server import FakeCustomerIo, run_server
from tests.reliability.workload import (
    APP_KEY,
    CREDS,
    EXPECTED_CAUSE,
    FAULT_KINDS,
    RATE_PER_KIND,
    READ_TIMEOUT,
    RETRY_AFTER,
    RETRY_OFF,
    RETRY_ON,
    SITE_ID,
    SLOW_DELAY,
    TIMEOUTS,
    TRACKING_KEY,
    TRANSPORT_ERRORS,
    ULID,
    Batch,
    BatchRun,
    LogCollector,
    Recorder,
    all_logs_at_debug,
    anonymous,
    deletes,
    fault_server,
    metrics,
    run_batch,
    segment_adds,
    settle,
    split,
    token_of,
    tracks,
    upserts,
)

PEOPLE = 100
ROUNDS = 4
EVENTS = ("event.track", "event.trackAnonymous")
SEGMENTS = 10
FIGURES: dict[str, Any] = {}


@dataclass
class Scenario:
    name: str
    server: FakeCustomerIo
    runs: list[BatchRun]
    waits: dict[int, list[float]] = field(default_factory=dict)  # per run index
    artifacts: list[str] = field(default_factory=list)  # texts a user could see (secrets check)

    @property
    def items(self) -> int:
        return sum(len(run.batch.items) for run in self.runs)

    def entries(self, batch: Batch) -> list[Any]:
        tokens = set(batch.tokens)
        return [e for e in self.server.journal if e.endpoint == batch.op and token_of(e) in tokens]


def _artifacts_of(run: BatchRun) -> list[str]:
    texts = [json.dumps(run.main, default=str), json.dumps(run.error, default=str), repr(run.main), repr(run.error), run.session_repr]
    for item in run.main + run.error:
        for key in ("error", "apiMessage"):
            if key in item["json"]:
                texts.append(str(item["json"][key]))
    return texts


# ---------------------------------------------------------------------------------- the runs


@pytest.fixture(scope="module")
def logs() -> Iterator[LogCollector]:
    """Every log record of every logger (root at DEBUG) while this module's runs happen."""
    with all_logs_at_debug() as collector:
        yield collector


def _on_batches() -> list[Batch]:
    # Upsert rounds are separate runs, settled in between: a "slow" attempt the client gave up
    # on lands SLOW_DELAY after it was sent, and would overwrite a later update of the same
    # person (see test_a_timed_out_put_can_land_after_a_later_update for that limitation).
    return [
        *split(upserts(PEOPLE * ROUNDS, PEOPLE, ""), PEOPLE),
        tracks(300, PEOPLE, ""),
        anonymous(100, ""),
        segment_adds(150, SEGMENTS, ""),
        deletes([f"p{k:03d}" for k in range(0, PEOPLE, 2)]),
        metrics(20),
    ]


@pytest.fixture(scope="module")
def retries_on(logs: LogCollector) -> Scenario:
    with fault_server(seed=1) as server:
        scenario = Scenario("retries on", server, [])
        for index, batch in enumerate(_on_batches()):
            recorder = Recorder()
            scenario.runs.append(run_batch(server, batch, retry=RETRY_ON, settings={"onError": "continueErrorOutput"}, sleep=recorder))
            scenario.waits[index] = recorder.waits
            settle(server)
    for run in scenario.runs:
        scenario.artifacts += _artifacts_of(run)
    return scenario


def _off_batches(tag: str) -> list[Batch]:
    return [
        upserts(100, 100, tag),
        tracks(120, 100, tag),
        anonymous(60, tag),
        segment_adds(80, SEGMENTS, tag),
        deletes([f"{tag}p{k:03d}" for k in range(40)]),
    ]


def _retries_off(mode: str, seed: int, tag: str) -> Scenario:
    with fault_server(seed=seed) as server:
        scenario = Scenario(f"retries off, {mode}", server, [])
        for batch in _off_batches(tag):
            scenario.runs.append(run_batch(server, batch, retry=RETRY_OFF, settings={"onError": mode}, sleep=Recorder()))
        settle(server)
    for run in scenario.runs:
        scenario.artifacts += _artifacts_of(run)
    return scenario


@pytest.fixture(scope="module")
def off_regular(logs: LogCollector) -> Scenario:
    return _retries_off("continueRegularOutput", seed=2, tag="r")


@pytest.fixture(scope="module")
def off_error(logs: LogCollector) -> Scenario:
    return _retries_off("continueErrorOutput", seed=3, tag="e")


def _stop(server: FakeCustomerIo, batch: Batch, retry: Any) -> BatchRun:
    run = run_batch(server, batch, retry=retry, settings={"onError": "stopWorkflow"}, sleep=Recorder())
    assert isinstance(run.stopped, ItemError)
    return run


def _error_texts(error: BaseException) -> list[str]:
    texts = []
    chain: BaseException | None = error
    while chain is not None:
        texts += [str(chain), repr(chain), "".join(traceback.format_exception(chain))]
        chain = chain.__cause__
    return texts


@pytest.fixture(scope="module")
def stop_off(logs: LogCollector) -> Scenario:
    """stopWorkflow, retries off: the run stops at the first item that meets a fault."""
    with fault_server(seed=6) as server:  # seed 6: the first fault meets request 11
        scenario = Scenario("stopWorkflow, retries off", server, [_stop(server, tracks(300, PEOPLE, "s"), RETRY_OFF)])
        settle(server)
    scenario.artifacts += _artifacts_of(scenario.runs[0]) + _error_texts(scenario.runs[0].stopped)  # type: ignore[arg-type]
    return scenario


BURST = range(120, 128)  # 8 consecutive failures: one item exhausts RETRY_ON's 8 attempts


@pytest.fixture(scope="module")
def stop_on(logs: LogCollector) -> Scenario:
    """stopWorkflow, retries on: random faults are retried away; a burst of 503s is not."""
    with fault_server(seed=5, first=lambda s: s.inject("event.track", "503", requests=BURST)) as server:
        scenario = Scenario("stopWorkflow, retries on", server, [_stop(server, tracks(200, PEOPLE, "t"), RETRY_ON)])
        settle(server)
    scenario.artifacts += _artifacts_of(scenario.runs[0]) + _error_texts(scenario.runs[0].stopped)  # type: ignore[arg-type]
    return scenario


@pytest.fixture(scope="module")
def stop_concurrent(logs: LogCollector) -> Scenario:
    """stopWorkflow, retries off, 8 items in flight: items already running when one fails finish."""
    with fault_server(seed=8) as server:
        batch = tracks(300, PEOPLE, "k")
        run = BatchRun(batch)
        with pytest.raises(ItemError) as caught:
            execute(batch.parameters, batch.items, CREDS, {"onError": "stopWorkflow"}, base_urls={"tracking": server.track_url},
                    retry=RETRY_OFF, timeout=TIMEOUTS, concurrency=8)
        run.stopped, run.main = caught.value, caught.value.partial.main  # type: ignore[attr-defined]
        scenario = Scenario("stopWorkflow, retries off, concurrency 8", server, [run])
        settle(server)
    scenario.artifacts += _artifacts_of(run) + _error_texts(caught.value)
    return scenario


@pytest.fixture(scope="module")
def concurrent(logs: LogCollector) -> Scenario:
    """The same guarantees with 8 requests in flight: threads (execute) and asyncio (execute_async)."""
    with fault_server(seed=7) as server:
        scenario = Scenario("concurrency 8", server, [])
        threaded = tracks(200, PEOPLE, "c")
        scenario.runs.append(BatchRun(threaded))
        result = execute(threaded.parameters, threaded.items, CREDS, {"onError": "continueErrorOutput"}, base_urls={"tracking": server.track_url},
                         retry=RETRY_ON, timeout=TIMEOUTS, concurrency=8)
        scenario.runs[-1].main, scenario.runs[-1].error = result.main, result.error

        async def nap(seconds: float) -> None:
            await asyncio.sleep(seconds)

        async_batch = segment_adds(100, SEGMENTS, "a")
        result = asyncio.run(execute_async(async_batch.parameters, async_batch.items, CREDS, {"onError": "continueErrorOutput"},
                                           base_urls={"tracking": server.track_url}, retry=RETRY_ON, timeout=TIMEOUTS, concurrency=8, sleep=nap))
        scenario.runs.append(BatchRun(async_batch, result.main, result.error))
        anon = anonymous(100, "x")
        result = asyncio.run(execute_async(anon.parameters, anon.items, CREDS, {"onError": "continueErrorOutput"},
                                           base_urls={"tracking": server.track_url}, retry=RETRY_ON, timeout=TIMEOUTS, concurrency=8, sleep=nap))
        scenario.runs.append(BatchRun(anon, result.main, result.error))
        settle(server)
    for run in scenario.runs:
        scenario.artifacts += _artifacts_of(run)
    return scenario


KIND_SEQUENCE = ("429", "429_retry_after", "500", "502", "503", "504", "slow", "drop_before", "drop_after", "malformed")


@pytest.fixture(scope="module")
def client_errors(logs: LogCollector) -> tuple[list[NodeError], list[str]]:
    """The typed Client with retries off meets each fault kind once: the exceptions it raises."""
    caught: list[NodeError] = []
    texts: list[str] = []
    with run_server(site_id=SITE_ID, api_key=TRACKING_KEY, app_api_key=APP_KEY) as server:
        for n, kind in enumerate(KIND_SEQUENCE, start=1):
            server.inject("event.track", kind, requests=[n], retry_after=RETRY_AFTER if kind == "429_retry_after" else None,
                          delay=SLOW_DELAY if kind == "slow" else 0.0)
        with Client(CREDS, base_urls={"tracking": server.track_url, "app": server.app_url}, retry=RETRY_OFF, timeout=TIMEOUTS) as client:
            texts += [repr(client), str(client), repr(client._session), repr(client._session.credentials)]
            for kind in KIND_SEQUENCE:
                try:
                    client.event.track(customer_id="u1", event_name=f"kind-{kind}")
                except NodeError as error:
                    caught.append(error)
                    texts += _error_texts(error)
                    if isinstance(error, ApiError):  # the others do not survive pickling: see test_errors_survive_pickling
                        texts.append(repr(pickle.loads(pickle.dumps(error))))
        settle(server)
    return caught, texts


# ---------------------------------------------------------------------------------- retries on


def _paired(run: BatchRun) -> Counter[int]:
    return Counter(item["pairedItem"]["item"] for item in run.main + run.error)


def _attempts_of(scenario: Scenario, run: BatchRun, item: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What the server saw of one output item's requests (for failure messages)."""
    token = run.batch.tokens[item["pairedItem"]["item"]]
    return [(e.method, e.path, e.status, e.fault, e.applied, round(e.time % 1000, 3)) for e in scenario.server.journal
            if e.endpoint == run.batch.op and token_of(e) == token]


def test_retries_on_every_item_succeeds(retries_on: Scenario) -> None:
    assert retries_on.items >= 1000
    for run in retries_on.runs:
        assert run.error == [], [(item, _attempts_of(retries_on, run, item), run.attempts, run.retries) for item in run.error[:3]]
        assert len(run.main) == len(run.batch.items)
        assert _paired(run) == Counter(range(len(run.batch.items)))
        assert all("error" not in item["json"] for item in run.main)


def test_retries_on_really_met_every_fault_kind(retries_on: Scenario) -> None:
    counts = retries_on.server.fault_counts()
    assert all(counts[kind] >= 3 for kind in FAULT_KINDS), counts
    share = sum(counts.values()) / len(retries_on.server.journal)
    assert 0.07 <= share <= 0.13, f"{share:.1%} of requests faulted"


def test_retries_on_one_copy_of_each_event(retries_on: Scenario) -> None:
    events = retries_on.server.events
    expected = {name: None for run in retries_on.runs if run.batch.op == "event.trackAnonymous" for name in run.batch.tokens}
    for run in retries_on.runs:
        if run.batch.op == "event.track":
            expected.update({it["json"]["name"]: it["json"]["cid"] for it in run.batch.items})
    names = Counter(e["name"] for e in events)
    assert {name for name, count in names.items() if count > 1} == set()
    assert set(names) == set(expected)
    assert {e["name"]: e["customer_id"] for e in events} == expected
    ids = Counter(e["id"] for e in events)
    assert all(ULID.match(i) for i in ids), "every stored event carries a ULID"
    assert [i for i, count in ids.items() if count > 1] == []
    for event in events:  # each event's data is the one of its own item
        if event["customer_id"] is not None:
            assert event["data"] == {"n": int(event["name"].rsplit("-", 1)[1])}


def test_retries_on_people_hold_exactly_their_last_update(retries_on: Scenario) -> None:
    last: dict[str, dict[str, Any]] = {}
    for run in retries_on.runs:
        if run.batch.op == "customer.upsert":
            for index, item in enumerate(run.batch.items):
                j = item["json"]
                last[j["k"]] = {"email": j["email"], "seq": j["seq"], "round": j["round"], "item": index}
    deleted = {t for run in retries_on.runs if run.batch.op == "customer.delete" for t in run.batch.tokens}
    assert len(last) == PEOPLE and len(deleted) == PEOPLE // 2
    assert retries_on.server.people == {k: v for k, v in last.items() if k not in deleted}
    assert all(v["round"] == ROUNDS - 1 for v in retries_on.server.people.values())


def test_retries_on_segments_hold_exactly_their_members(retries_on: Scenario) -> None:
    expected: dict[int, set[str]] = {}
    for run in retries_on.runs:
        if run.batch.op == "segment.add":
            for item in run.batch.items:
                j = item["json"]
                expected.setdefault(j["seg"], set()).update({j["a"], j["b"]})
    assert retries_on.server.segments == expected
    assert sum(len(m) for m in expected.values()) == 300


def test_retries_on_reads_return_the_right_answer(retries_on: Scenario) -> None:
    (run,) = [r for r in retries_on.runs if r.batch.op == "campaign.getMetrics"]
    for item in run.main:
        steps = run.batch.items[item["pairedItem"]["item"]]["json"]["s"]
        assert all(len(values) == steps for values in item["json"]["series"].values())
    app = [e for e in retries_on.server.journal if e.endpoint == "campaign.getMetrics"]
    assert all(e.query["type"] == "email" and e.query["period"] == "months" for e in app)


def test_retry_rule_makes_every_retry_safe(retries_on: Scenario) -> None:
    """What the retry rule implies for this node, and that it holds on the wire.

    A failure after which the request may have been applied (read timeout, dropped connection,
    5xx, malformed answer) is retried only when repeating it cannot duplicate anything: PUT and
    DELETE are safe methods, segment add is declared idempotent (adding a member twice is a
    no-op) and both track operations carry a ULID `id` that the API de-duplicates on.
    """
    safe = {name: (op.method in SAFE_METHODS, op.idempotent, op.dedup_key) for name, op in OPERATIONS.items()}
    assert safe["customer.upsert"][0] and safe["customer.delete"][0] and safe["campaign.getMetrics"][0]
    assert safe["segment.add"] == (False, True, None)
    assert safe["event.track"] == (False, False, "id") and safe["event.trackAnonymous"] == (False, False, "id")

    journal = retries_on.server.journal
    event_entries = [e for e in journal if e.endpoint in ("event.track", "event.trackAnonymous")]
    ids_by_name: dict[str, set[str]] = {}
    for entry in event_entries:
        ids_by_name.setdefault(entry.json["name"], set()).add(entry.json["id"])
    assert all(len(ids) == 1 for ids in ids_by_name.values()), "every attempt of an event re-sends its id"
    assert len({next(iter(ids)) for ids in ids_by_name.values()}) == len(ids_by_name), "one id per event"

    by_name: dict[str, list[Any]] = {}
    for entry in event_entries:
        by_name.setdefault(entry.json["name"], []).append(entry)
    assert all(sum(e.applied for e in attempts) == 1 for attempts in by_name.values()), "each event applied once"
    # Some events were applied by an attempt the client saw fail (the answer was slow, dropped
    # or malformed); the retry that then succeeded was accepted by the API, not stored again.
    applied_unseen = [a for a in by_name.values() if next(e for e in a if e.applied).fault in ("slow", "drop_after", "malformed")]
    assert len(applied_unseen) >= 3
    for attempts in applied_unseen:
        final = next(e for e in attempts if e.fault is None)  # the attempt the client saw succeed
        assert final.status == 200 and not final.applied
    assert Counter(e["name"] for e in retries_on.server.events).most_common(1)[0][1] == 1


def test_retries_on_every_wait_is_a_retry_and_is_bounded(retries_on: Scenario) -> None:
    cap = max(RETRY_ON.max_backoff, RETRY_ON.max_retry_after)
    for index, run in enumerate(retries_on.runs):
        waits = retries_on.waits[index]
        assert all(0 <= w <= max(cap, 1.01) for w in waits)  # App API pacing: at most one 1.01 s window
        entries = retries_on.entries(run.batch)
        assert run.attempts == len(entries), "the session counted every request the server received"
        assert run.retries == len(entries) - len(run.batch.items)
        if run.batch.op != "campaign.getMetrics":  # tracking: no pacing, so one wait per retry
            assert len(waits) == run.retries
            assert all(w <= cap for w in waits)
            honoured = sum(1 for e in entries if e.fault == "429_retry_after")
            assert sum(1 for w in waits if w == RETRY_AFTER) >= honoured


def test_concurrent_runs_keep_the_guarantees(concurrent: Scenario) -> None:
    server = concurrent.server
    for run in concurrent.runs:
        assert run.error == [] and _paired(run) == Counter(range(len(run.batch.items)))
    names = Counter(e["name"] for e in server.events)
    expected = set(concurrent.runs[0].batch.tokens) | set(concurrent.runs[2].batch.tokens)
    assert set(names) == expected and max(names.values()) == 1
    assert sum(len(m) for m in server.segments.values()) == 200
    assert sum(server.fault_counts().values()) > 20


# ---------------------------------------------------------------------------------- retries off


@pytest.fixture(params=["off_regular", "off_error"])
def off(request: pytest.FixtureRequest) -> Scenario:
    return request.getfixturevalue(request.param)


def _outcomes(run: BatchRun) -> dict[int, dict[str, Any]]:
    return {item["pairedItem"]["item"]: item["json"] for item in run.main + run.error}


def test_retries_off_every_input_comes_out_once(off: Scenario) -> None:
    for run in off.runs:
        n = len(run.batch.items)
        assert run.attempts == n and run.retries == 0
        assert len(run.main) + len(run.error) == n
        assert _paired(run) == Counter(range(n)), "no input index missing or doubled"
        if off.name.endswith("continueRegularOutput"):
            assert run.error == [] and [i["pairedItem"]["item"] for i in run.main] == list(range(n))
        else:
            assert all("error" not in i["json"] for i in run.main)
            assert all("error" in i["json"] for i in run.error)


def test_retries_off_each_error_names_its_item_and_the_cause(off: Scenario) -> None:
    failures = 0
    for run in off.runs:
        entries = {token_of(e): e for e in off.entries(run.batch)}
        assert len(entries) == len(off.entries(run.batch)) == len(run.batch.items), "one request per item, none retried"
        for index, data in _outcomes(run).items():
            entry = entries[run.batch.tokens[index]]
            if entry.fault is None:
                assert "error" not in data and entry.applied, (index, data)
                continue
            failures += 1
            error_type, status = EXPECTED_CAUSE[entry.fault]
            assert data["errorType"] == error_type, (index, entry.fault, data)
            assert data["error"], "no item fails without a cause"
            assert data.get("status") == status
            if status is not None:
                assert data["error"].startswith(f"HTTP {status}: ") and data["apiMessage"]
                assert not entry.applied, "an HTTP error item was not applied"
            assert f" ({entry.method} " in data["error"] and data["error"].endswith(f"{entry.path})"), "method and URL"
    assert failures == sum(off.server.fault_counts().values())


def test_retries_off_an_applied_item_is_only_ever_reported_as_a_transport_error(off: Scenario) -> None:
    """A request applied but reported failed is ambiguous to the client: only a transport error can say so."""
    ambiguous = 0
    for run in off.runs:
        entries = {token_of(e): e for e in off.entries(run.batch)}
        for index, data in _outcomes(run).items():
            entry = entries[run.batch.tokens[index]]
            if "error" in data and entry.applied:
                ambiguous += 1
                assert data["errorType"] in TRANSPORT_ERRORS
                assert entry.fault in ("slow", "drop_after", "malformed")
            if "error" in data and data["errorType"] not in TRANSPORT_ERRORS:
                assert not entry.applied
    assert ambiguous > 0
    FIGURES.setdefault("ambiguous", {})[off.name] = ambiguous


def test_retries_off_the_server_state_matches_the_outputs(off: Scenario) -> None:
    """Items reported sent are on the server; HTTP-error items are not; nothing is doubled."""
    server = off.server
    names = Counter(e["name"] for e in server.events)
    assert max(names.values()) == 1
    deleted = {t for run in off.runs if run.batch.op == "customer.delete" for t in run.batch.tokens}
    for run in off.runs:
        entries = {token_of(e): e for e in off.entries(run.batch)}
        for index, data in _outcomes(run).items():
            j, token = run.batch.items[index]["json"], run.batch.tokens[index]
            applied = entries[token].applied
            assert applied or "error" in data, "an item reported sent was applied"
            if run.batch.op in EVENTS:
                assert (token in names) == applied
            elif run.batch.op == "segment.add":
                assert ({j["a"], j["b"]} <= server.segments.get(j["seg"], set())) == applied
            elif run.batch.op == "customer.upsert" and j["k"] not in deleted:
                assert (server.people.get(j["k"], {}).get("email") == token) == applied
            elif run.batch.op == "customer.delete" and applied:
                assert j["id"] not in server.people


# ---------------------------------------------------------------------------------- stopWorkflow


def test_stop_workflow_names_the_failing_item_and_the_items_sent(stop_off: Scenario) -> None:
    (run,) = stop_off.runs
    error = run.stopped
    assert isinstance(error, ItemError)
    journal = stop_off.server.journal
    failed = next(i for i, e in enumerate(journal) if e.fault is not None)
    assert failed >= 3, "seed chosen so that some items go through first"
    assert len(journal) == failed + 1, "nothing after the failing item is sent"
    assert [token_of(e) for e in journal] == run.batch.tokens[: failed + 1], "one request per item, in order"
    assert error.item_index == failed and error.cause.item_index == failed
    assert error.sent_items == list(range(failed))
    assert [e.applied for e in journal[:failed]] == [True] * failed
    assert str(error).startswith(f"item {failed} failed: ")
    assert str(error).endswith("Items already sent: " + ", ".join(map(str, range(failed))))
    assert type(error.cause).__name__ == EXPECTED_CAUSE[str(journal[failed].fault)][0]
    assert error.__cause__ is error.cause
    assert [i["pairedItem"]["item"] for i in run.main] == list(range(failed))


def test_stop_workflow_with_retries_stops_only_when_retries_run_out(stop_on: Scenario) -> None:
    (run,) = stop_on.runs
    error = run.stopped
    assert isinstance(error, ItemError)
    journal = stop_on.server.journal
    failing = token_of(journal[BURST[0] - 1])
    assert failing is not None
    failed = run.batch.tokens.index(failing)
    assert error.item_index == failed
    assert error.sent_items == list(range(failed))
    assert isinstance(error.cause, ServerError) and error.cause.status == 503
    assert error.cause.attempts == RETRY_ON.max_attempts
    attempts = [e for e in journal if token_of(e) == failing]
    assert len(attempts) == RETRY_ON.max_attempts
    assert all(token_of(e) in run.batch.tokens[: failed + 1] for e in journal), "nothing after the failing item is sent"
    sent = set(run.batch.tokens[:failed])
    stored = Counter(e["name"] for e in stop_on.server.events)
    assert sent <= set(stored) <= sent | {failing} and max(stored.values()) == 1
    assert sum(stop_on.server.fault_counts().values()) > len(attempts), "random faults before it were retried away"


def test_stop_workflow_with_concurrency_names_every_item_sent(stop_concurrent: Scenario) -> None:
    (run,) = stop_concurrent.runs
    error = run.stopped
    assert isinstance(error, ItemError)
    entries = {token_of(e): e for e in stop_concurrent.server.journal}
    assert len(entries) == len(stop_concurrent.server.journal), "one request per item"
    started = {i for i, token in enumerate(run.batch.tokens) if token in entries}
    failed = {i for i in started if entries[run.batch.tokens[i]].fault is not None}
    assert error.item_index == min(failed), "the first failing item in input order"
    assert error.sent_items == sorted(started - failed), "every item that went through, even after the failing one"
    assert len(started) < len(run.batch.items), "items not started when it failed are not sent"
    assert [i["pairedItem"]["item"] for i in run.main] == error.sent_items, "every output of the items sent"
    assert error.other_failures == sorted(failed - {error.item_index}), "items that failed in flight are named"


# ---------------------------------------------------------------------------------- typed errors


def test_the_client_raises_the_typed_error_of_each_fault(client_errors: tuple[list[NodeError], list[str]]) -> None:
    caught, _ = client_errors
    assert [type(e).__name__ for e in caught] == [EXPECTED_CAUSE[k][0] for k in KIND_SEQUENCE]
    by_kind = dict(zip(KIND_SEQUENCE, caught, strict=True))
    assert isinstance(by_kind["429_retry_after"], RateLimitError) and by_kind["429_retry_after"].retry_after == RETRY_AFTER
    assert isinstance(by_kind["429"], RateLimitError) and by_kind["429"].retry_after is None
    assert isinstance(by_kind["slow"], TimeoutError)
    assert all(isinstance(by_kind[k], ProtocolError) for k in ("drop_before", "drop_after", "malformed"))
    assert all(e.method == "POST" and e.url.endswith("/customers/u1/events") for e in caught)  # type: ignore[attr-defined]


PICKLED = [
    ServerError(503, "service unavailable", "POST", "http://h/api/v1/events", attempts=8),
    TimeoutError("ReadTimeout: timed out", "POST", "http://h/api/v1/events", attempts=8),
    ProtocolError("RemoteProtocolError: Server disconnected", "PUT", "http://h/api/v1/customers/a", attempts=2),
    ConnectError("ConnectError: refused", "GET", "http://h/v1/campaigns", attempts=3),
    ValidationError([("id", "must not be empty"), ("email", "is not an email")]),
    ItemError(3, ServerError(500, "boom", "POST", "http://h/api/v1/events", attempts=8), [0, 1, 2]),
]


@pytest.mark.parametrize("error", PICKLED, ids=lambda e: type(e).__name__)
def test_errors_survive_pickling(error: NodeError) -> None:
    """Errors cross process boundaries (multiprocessing, process pools, task queues) by pickle."""
    if not isinstance(error, ItemError):
        error.item_index = 3
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error) and copy.item_index == 3
    for name in ("status", "api_message", "method", "url", "reason", "attempts", "problems", "parameters", "sent_items"):
        assert getattr(copy, name, None) == getattr(error, name, None), name


def test_a_timed_out_put_can_land_after_a_later_update() -> None:
    """Limitation (documented in docs/reliability.md): retrying a PUT after a read timeout is
    safe to *repeat*, but the abandoned attempt is still on its way and may be applied after a
    later update of the same person. Nothing on the client can order them; keep the read
    timeout well above the API's slowest answers (the default is 30 s)."""
    with run_server(site_id=SITE_ID, api_key=TRACKING_KEY) as server:
        server.inject("customer.upsert", "slow", requests=[1], delay=1.0)
        with Client(CREDS, base_urls={"tracking": server.track_url}, retry=RETRY_ON, timeout=TIMEOUTS) as client:
            client.customer.upsert(id_="p", custom_properties={"v": 1})  # attempt 1 times out, attempt 2 applies
            client.customer.upsert(id_="p", custom_properties={"v": 2})
        assert server.people == {"p": {"v": 2}}
        settle(server)
        landed = [(e.json, e.fault) for e in server.journal]
        assert landed == [({"v": 1}, None), ({"v": 2}, None), ({"v": 1}, "slow")]
        assert server.people == {"p": {"v": 1}}, "the stale attempt of update 1 overwrote update 2"


# ---------------------------------------------------------------------------------- secrets


def test_no_api_key_in_any_output_error_repr_or_log(
    retries_on: Scenario, off_regular: Scenario, off_error: Scenario, stop_off: Scenario, stop_on: Scenario,
    stop_concurrent: Scenario, concurrent: Scenario, client_errors: tuple[list[NodeError], list[str]], logs: LogCollector,
) -> None:
    texts = [t for s in (retries_on, off_regular, off_error, stop_off, stop_on, stop_concurrent, concurrent) for t in s.artifacts]
    texts += client_errors[1] + logs.lines
    basic = base64.b64encode(f"{SITE_ID}:{TRACKING_KEY}".encode()).decode()
    secrets = [TRACKING_KEY, APP_KEY, basic, f"Bearer {APP_KEY}", TRACKING_KEY[4:], APP_KEY[4:]]
    leaks = [(secret, text[:200]) for text in texts for secret in secrets if secret in text]
    assert leaks == []
    # The haystack is real: outputs, error texts with URLs, ItemErrors, reprs and httpx/httpcore logs.
    haystack = "\n".join(texts)
    assert len(logs.lines) > 3000 and any(line.startswith("INFO httpx HTTP Request: PUT") for line in logs.lines)
    assert any(line.startswith("DEBUG httpcore") for line in logs.lines)
    assert "Items already sent: 0" in haystack and "HTTP 503: service unavailable (POST http://127.0.0.1:" in haystack
    assert "Credentials({" in haystack and "'trackingApiKey': '***'" in haystack and "'appApiKey': '***'" in haystack


# ---------------------------------------------------------------------------------- figures


def _retries_on_losses(scenario: Scenario) -> tuple[int, int]:
    """(duplicates, lost) of the retries-on run, counted item by item against the server state."""
    server = scenario.server
    names = Counter(e["name"] for e in server.events)
    ids = Counter(e["id"] for e in server.events)
    duplicates = sum(c - 1 for c in names.values() if c > 1) + sum(c - 1 for c in ids.values() if c > 1)
    lost = 0
    last_seq = {}
    for run in scenario.runs:
        duplicates += sum(c - 1 for c in _paired(run).values() if c > 1)
        answered = set(_paired(run))
        for index, item in enumerate(run.batch.items):
            j = item["json"]
            ok = index in answered and not any("error" in o["json"] for o in run.main + run.error if o["pairedItem"]["item"] == index)
            if run.batch.op in ("event.track", "event.trackAnonymous"):
                ok = ok and names[j["name"]] >= 1
            elif run.batch.op == "segment.add":
                ok = ok and {j["a"], j["b"]} <= server.segments.get(j["seg"], set())
            elif run.batch.op == "customer.delete":
                ok = ok and j["id"] not in server.people
            elif run.batch.op == "customer.upsert":
                last_seq[j["k"]] = j["seq"]
            lost += not ok
    deleted = {t for run in scenario.runs if run.batch.op == "customer.delete" for t in run.batch.tokens}
    lost += sum(1 for k, seq in last_seq.items() if k not in deleted and server.people.get(k, {}).get("seq") != seq)
    return duplicates, lost


def _figures(scenario: Scenario, duplicates: int, lost: int, items: int | None = None) -> dict[str, Any]:
    counts = scenario.server.fault_counts()
    requests = len(scenario.server.journal)
    items = scenario.items if items is None else items
    return {
        "items": items,
        "requests": requests,
        "retries": requests - items,
        "faults": {kind: counts.get(kind, 0) for kind in FAULT_KINDS},
        "faults_total": sum(counts.values()),
        "app_api_429_not_injected": sum(1 for e in scenario.server.journal if e.status == 429 and e.fault is None),
        # A retry of a request that had been applied: absorbed by the event id, or harmless (PUT, DELETE, set add).
        "event_resends_absorbed": sum(1 for e in scenario.server.journal if e.endpoint in EVENTS and e.status == 200 and not e.applied),
        "applied_twice": sum(1 for c in Counter(token_of(e) for e in scenario.server.journal if e.applied and e.endpoint not in EVENTS).values() if c > 1),
        "duplicates": duplicates,
        "lost": lost,
    }


def test_figures(retries_on: Scenario, off_regular: Scenario, off_error: Scenario, stop_off: Scenario, stop_on: Scenario,
                 stop_concurrent: Scenario, concurrent: Scenario, tmp_path_factory: pytest.TempPathFactory) -> None:
    duplicates, lost = _retries_on_losses(retries_on)
    assert (duplicates, lost) == (0, 0)
    figures = {"retries on": _figures(retries_on, duplicates, lost)}
    figures["retries on, concurrency 8"] = _figures(concurrent, max(Counter(e["name"] for e in concurrent.server.events).values()) - 1, 0)
    for scenario in (off_regular, off_error):
        outputs = sum(len(r.main) + len(r.error) for r in scenario.runs)
        failed = sum(1 for r in scenario.runs for i in r.main + r.error if "error" in i["json"])
        figures[scenario.name] = {**_figures(scenario, 0, scenario.items - outputs), "failed_items": failed,
                                  "failed_but_applied": FIGURES.get("ambiguous", {}).get(scenario.name)}
    for scenario in (stop_off, stop_on, stop_concurrent):
        (run,) = scenario.runs
        stopped = run.stopped
        assert isinstance(stopped, ItemError)
        started = len({token_of(e) for e in scenario.server.journal})
        figures[scenario.name] = {**_figures(scenario, 0, 0, items=started), "stopped_at": stopped.item_index, "sent_items": len(stopped.sent_items)}
    figures["total"] = {
        "items": sum(f["items"] for f in figures.values()),
        "requests": sum(f["requests"] for f in figures.values()),
        "faults": {k: sum(f["faults"][k] for f in figures.values()) for k in FAULT_KINDS},
    }
    figures["total"]["retries"] = sum(f["retries"] for name, f in figures.items() if name != "total" and "off" not in name)
    figures["settings"] = {"rate_per_kind": RATE_PER_KIND, "read_timeout": READ_TIMEOUT, "slow_delay": SLOW_DELAY, "retry_after": RETRY_AFTER,
                           "retry": {"max_attempts": RETRY_ON.max_attempts, "backoff": RETRY_ON.backoff, "max_backoff": RETRY_ON.max_backoff,
                                     "max_retry_after": RETRY_ON.max_retry_after}}
    target = Path(os.environ.get("RELIABILITY_FIGURES") or tmp_path_factory.mktemp("reliability") / "figures.json")
    target.write_text(json.dumps(figures, indent=2) + "\n")
    assert figures["total"]["items"] >= 2000
    print(json.dumps(figures, indent=2))
