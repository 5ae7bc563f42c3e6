"""Conformance of `generated.customerio` with the real n8n Customer.io node.

Every case in `cases/` (inputs `NAME.json`, n8n 2.41.2's recording `NAME.out.json`, see
`cases/INDEX.md`) is replayed through `execute()` with a mock transport that answers each of our
requests with the canned response n8n's request *for the same item* got.

- A case that is not in `DEVIATIONS` (nor in `UNSUPPORTED_EXPRESSIONS`) must match n8n exactly:
  requests (item, method, URL, Authorization, JSON body), output items (`json`, and our
  `pairedItem` must name the right input item), and where n8n stopped, the item we stop at.
- A case in `DEVIATIONS` lists the deviations (D1..D18 of `spec/customerio.yaml`) that explain
  every difference. Our exact behaviour is then asserted from `expected/NAME.json`, written by
  hand from the reference and the deviation texts. When all its deviations are ones this file
  can undo on the n8n side (`NORMALISABLE`), the case is *also* compared with n8n after undoing
  exactly those, so equal parts are asserted equal.
- Every entry must be needed: ours must differ from the raw recording.
- Event `id`s (D16) are random ULIDs: checked for format, then replaced by `"<ULID>"`.

Expected files: `{"deviations", "notes", "requests": [{"item", "method", "url", "authorization",
"query", "body"}], "main", "error", "raises": null | {"type": "ItemError", "item_index",
"cause_type", "message_contains", "sent_items"?, "cause_status"?, "cause_api_message"?,
"cause_parameters"?}}`. An expected string may be `{"$contains": text}` where only part of a
message is specified. `main`/`error` are `ItemError.partial`'s when the run stops.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml  # type: ignore[import-untyped]

from generated.customerio import (
    ApiError,
    ItemError,
    ItemOutcome,
    RetryPolicy,
    execute,
)

HERE = Path(__file__).parent
CASES_DIR = HERE / "cases"
EXPECTED_DIR = HERE / "expected"
SPEC = HERE.parent.parent / "spec" / "customerio.yaml"

CASE_NAMES = sorted(p.name[: -len(".json")] for p in CASES_DIR.glob("*.json") if not p.name.endswith(".out.json"))

# The deviations of the reference (shared/reference/customerio-node.md); D14..D18 are ours only.
REFERENCE_DEVIATIONS = tuple(f"D{i}" for i in range(1, 14))

# case name -> the deviations that explain every difference between our run and n8n's recording.
# fmt: off
DEVIATIONS: dict[str, set[str]] = {
    "campaign_getAll_multi_eu_429_500_continueError": {"D11"},  # 429/500 go to the error output with status + API text + pairedItem, not n8n's generic texts
    "campaign_getMetrics_defaults": {"D6"},  # ?period=days is sent (n8n leaves the default out)
    "campaign_getMetrics_jsonParameters_true": {"D4", "D6", "D17"},  # JSON mode works: GET ?period=days&steps=4 instead of "Could not get parameter"; no `metric` in {} -> {}
    "campaign_getMetrics_jsonParameters_true_continueOnFail": {"D4", "D6", "D17"},  # JSON mode works: 2 GETs ?period=days, outputs {} instead of 2 error items
    "campaign_getMetrics_multi_429_500_continueError": {"D6", "D11"},  # steps in the query not a GET body; error output with status + API text
    "campaign_getMetrics_multi_expr_leak_eu": {"D2", "D5", "D6"},  # per-item query (no steps/type leak), type=empty not sent, urban_airship sent, period=days sent
    "campaign_getMetrics_steps_type_eu": {"D6"},  # steps and type in the query, not in a GET body
    "campaign_getMetrics_urbanAirship": {"D5", "D6"},  # type=urban_airship sent (n8n drops it); steps in the query
    "campaign_get_eu_missing_key": {"D17"},  # response without `campaign` gives {} instead of undefined
    "campaign_get_multi_expr_number_404_continueRegular": {"D11"},  # the 404 item carries status, API detail and pairedItem
    "customer_defaults_only": {"D14"},  # empty id is a ValidationError, no PUT /customers/ (the empty credential, D15, is not reached)
    "customer_delete": {"D10"},  # DELETE without the {"id"} body
    "customer_delete_multi_401_500_continueRegular": {"D1", "D10", "D11"},  # "User 1" encoded as User%201; no DELETE body; error items with status + API text
    "customer_delete_multi_eu_path_chars": {"D1", "D10"},  # @, /, space, ?, = percent-encoded in the one path segment; no DELETE body
    "customer_upsert_createdAt_no_offset_tz": {"D7"},  # offset-less date read as UTC, not the server's zone
    "customer_upsert_createdAt_number_expr_global": {"D7", "D18"},  # a number (or numeric text) is Unix seconds, not ms / NaN
    "customer_upsert_empty_customProperties_continueRegular": {"D9"},  # empty Custom Properties contribute nothing: PUTs sent instead of TypeError items
    "customer_upsert_expr_undefined_and_falsy_global": {"D14", "D18"},  # missing id and the number 0 as email are a ValidationError before any request
    "customer_upsert_fields_global": {"D7", "D8"},  # created_at integer seconds; custom properties top-level, not in `data`
    "customer_upsert_invalid_createdAt": {"D7"},  # an invalid date is a ValidationError, not created_at null
    "customer_upsert_invalid_json_continueOnFail": {"D11"},  # the error item adds errorType, parameters and pairedItem
    "customer_upsert_json_multi_expr_global": {"D2", "D7"},  # no key accumulation; created_at as seconds
    "customer_upsert_multi_expr_eu": {"D2", "D7", "D8"},  # no email/created_at leak into item 2; integer seconds; custom properties top-level
    "customer_upsert_multi_item_body_leak": {"D2"},  # item 1 (empty email and createdAt) sends {} instead of item 0's values
    "error_400_stop_event_track": {"D13"},  # empty event name is a ValidationError at item 0, no request (n8n sends it, gets 400)
    "error_401_stop_campaign_get_eu": {"D11"},  # ItemError at item 1 with AuthenticationError (status 401, API text)
    "error_404_app_body_stop_campaign_getMetrics_eu": {"D6", "D11"},  # ?period=days sent; NotFoundError with the App API detail
    "error_404_stop_segment_remove_eu": {"D10", "D11"},  # body {"ids"} only; NotFoundError with the Track API text
    "error_429_stop_campaign_getAll": {"D11"},  # RateLimitError with status and API detail instead of the generic text
    "error_500_stop_customer_upsert_eu": {"D11"},  # ServerError with status and API text
    "error_http_404_stop": {"D11"},  # NotFoundError with the API's "Campaign not found"
    "error_mixed_continueOnFail": {"D10", "D11"},  # no DELETE body; error items with status/API text, ConnectError typed
    "error_no_credentials": {"D15"},  # no credential: CredentialError naming trackingApiKey, before any request
    "error_transport_continueError_event_track_eu": {"D11", "D16"},  # typed transport error items in the error output; events carry a ULID id
    "event_trackAnonymous_attributes": {"D16"},  # the event carries a ULID id
    "event_trackAnonymous_empty_customAttributes_stop": {"D9", "D16"},  # empty Custom Attributes contribute nothing: POST {name, data: {}, id} instead of TypeError
    "event_trackAnonymous_json_eu": {"D16"},  # the event carries a ULID id
    "event_trackAnonymous_json_multi_global_401_continueError": {"D2", "D11", "D16"},  # no anonymous_id/timestamp leak; 401 item in the error output; ids
    "event_trackAnonymous_multi_expr_eu_429_400_continueRegular": {"D11", "D16"},  # 429/400 items with status + API text; ids
    "event_track_attributes_type": {"D16"},  # the event carries a ULID id
    "event_track_json": {"D16"},  # the event carries a ULID id
    "event_track_json_multi_eu_400_continueError": {"D2", "D11", "D16"},  # no timestamp/data leak; 400 item in the error output; ids
    "event_track_multi_expr_global": {"D13", "D16"},  # item 2's empty name stops the run with a ValidationError, no request; ids
    "event_track_no_fields_eu": {"D16"},  # the event carries a ULID id
    "segment_add_list_ids_continueRegular": {"D3", "D10"},  # a list of ids is accepted (n8n: split is not a function); body {"ids"} only
    "segment_add_multi_400_404_continueError": {"D3", "D10", "D11"},  # "" leaves no id: ValidationError, no request; body {"ids"}; typed error items
    "segment_add_multi_expr_eu": {"D3", "D10"},  # ids trimmed, empties dropped; body {"ids"} only
    "segment_add_spaces": {"D3", "D10"},  # ids trimmed, empties dropped; body {"ids"} only
    "segment_remove_eu": {"D10"},  # body {"ids"} only
    "segment_remove_multi_expr_global": {"D10"},  # body {"ids"} only
}
# fmt: on

# Cases whose parameters use expressions outside our documented subset. No deviation is claimed:
# our documented behaviour is that the item fails with a ValidationError naming the parameter and
# the expression, before any request. Their expected results are in expected/ too.
UNSUPPORTED_EXPRESSIONS: set[str] = {
    "event_track_json_two_items_leak",  # `={{ JSON.stringify($json.extra) }}`: function calls are not supported
}

# Which input item sent each of n8n's requests, where it is not simply item k for request k.
N8N_REQUEST_ITEMS: dict[str, list[int]] = {
    "segment_add_list_ids_continueRegular": [1],  # item 0 crashed before sending in n8n
}

# Deviations this file can undo on the n8n side (or on ours, for D16's id) for a comparison.
NORMALISABLE = frozenset({"D6", "D10", "D11", "D16", "D17"})

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_RE = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
ULID = "<ULID>"
ERROR_ITEM = "<error item>"


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load_case(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    case = json.loads((CASES_DIR / f"{name}.json").read_text())
    recorded = json.loads((CASES_DIR / f"{name}.out.json").read_text())
    return case, recorded


def load_expected(name: str) -> dict[str, Any]:
    return json.loads((EXPECTED_DIR / f"{name}.json").read_text())


def spec_deviation_ids() -> list[str]:
    spec = yaml.safe_load(SPEC.read_text())
    return [d["id"] for d in spec["deviations"]]


def d_sorted(ids: set[str] | list[str]) -> list[str]:
    return sorted(ids, key=lambda d: int(d[1:]))


def settings_for(case: dict[str, Any]) -> dict[str, Any]:
    if "onError" in case:
        return {"onError": case["onError"]}
    if case.get("continueOnFail"):
        return {"onError": "continueRegularOutput"}
    return {}


def items_of(case: dict[str, Any]) -> list[dict[str, Any]]:
    return case.get("items", [{"json": {}}])


def n8n_request_items(name: str, recorded: dict[str, Any]) -> list[int]:
    sent_by = N8N_REQUEST_ITEMS.get(name, list(range(len(recorded["requests"]))))
    assert len(sent_by) == len(recorded["requests"])
    return sent_by


# --------------------------------------------------------------------------------------------
# Replay
# --------------------------------------------------------------------------------------------


def canned(case: dict[str, Any], index: int | None) -> dict[str, Any]:
    """The canned response number `index` of the case; None: its defaultResponse, else 200 {}."""
    if index is not None and index < len(case.get("responses", [])):
        return case["responses"][index]
    return case.get("defaultResponse", {"status": 200, "body": {}})


TRANSPORT_ERRORS: dict[str, type[httpx.TransportError]] = {
    "ECONNREFUSED": httpx.ConnectError,
    "ENOTFOUND": httpx.ConnectError,
    "ETIMEDOUT": httpx.ReadTimeout,
    "ECONNRESET": httpx.RemoteProtocolError,
}


def respond(spec: dict[str, Any], request: httpx.Request) -> httpx.Response:
    if "error" in spec:
        code = spec["error"]["code"]
        raise TRANSPORT_ERRORS[code](spec["error"].get("message", code), request=request)
    status = spec.get("status", 200)
    headers = spec.get("headers", {})
    body = spec.get("body", {})
    if isinstance(body, str):  # a plain-text body (e.g. a proxy's 500)
        return httpx.Response(status, text=body, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def record(item: int, request: httpx.Request) -> dict[str, Any]:
    pairs = request.url.params.multi_items()
    query = dict(pairs)
    assert len(query) == len(pairs), f"repeated query key in {request.url}"
    return {
        "item": item,
        "method": request.method,
        "url": str(request.url),
        "authorization": request.headers.get("authorization"),
        "query": query,
        "body": json.loads(request.content) if request.content else None,
    }


@dataclass
class Run:
    requests: list[dict[str, Any]]
    main: list[dict[str, Any]]
    error: list[dict[str, Any]]
    raised: ItemError | None
    attempts: dict[int, int] = field(default_factory=dict)


def run_node(
    parameters: dict[str, Any],
    items: list[dict[str, Any]],
    credentials: dict[str, Any],
    settings: dict[str, Any],
    answer: Callable[[int, int, httpx.Request], httpx.Response],
) -> Run:
    """Run execute() sequentially; `answer(item, attempt, request)` answers each request."""
    current = {"item": 0}
    requests: list[dict[str, Any]] = []
    attempts: dict[int, int] = {}

    def on_item(outcome: ItemOutcome) -> None:
        current["item"] = outcome.index + 1  # items run in order, one at a time (concurrency 1)

    def handler(request: httpx.Request) -> httpx.Response:
        item = current["item"]
        attempts[item] = attempts.get(item, 0) + 1
        requests.append(record(item, request))
        return answer(item, attempts[item], request)

    raised: ItemError | None = None
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        try:
            result = execute(
                parameters,
                items,
                credentials,
                settings,
                http_client=client,
                retry=RetryPolicy.off(),
                pace=False,
                on_item=on_item,
            )
        except ItemError as error:
            raised = error
            result = error.partial  # type: ignore[attr-defined]
    return Run(requests, result.main, result.error, raised, attempts)


def replay(name: str, case: dict[str, Any], recorded: dict[str, Any]) -> Run:
    """Each of our requests gets the response n8n's request for the same item got."""
    sent_by = n8n_request_items(name, recorded)
    response_for_item = {item: request["responseIndex"] for item, request in zip(sent_by, recorded["requests"])}

    def answer(item: int, attempt: int, request: httpx.Request) -> httpx.Response:
        assert attempt == 1, f"item {item} sent twice without retryOnFail"
        # An item n8n did not send (it failed before, or n8n had stopped) gets the default.
        return respond(canned(case, response_for_item.get(item)), request)

    credentials = case.get("credentials")
    return run_node(
        case["parameters"],
        items_of(case),
        {} if credentials is None else credentials,
        settings_for(case),
        answer,
    )


# --------------------------------------------------------------------------------------------
# Views: what is compared
# --------------------------------------------------------------------------------------------


def is_ulid(value: Any) -> bool:
    if not isinstance(value, str) or not ULID_RE.match(value):
        return False
    millis = 0
    for char in value[:10]:
        millis = millis * 32 + CROCKFORD.index(char)
    return abs(millis / 1000 - time.time()) < 3600  # minted by this run


def is_event_request(request: dict[str, Any]) -> bool:
    return request["method"] == "POST" and request["url"].split("?")[0].endswith("/events")


def our_requests(run: Run, deviations: set[str]) -> list[dict[str, Any]]:
    """Our requests; under D16 each event's `id` is checked to be a fresh ULID, then `<ULID>`."""
    requests = copy.deepcopy(run.requests)
    if "D16" in deviations:
        seen: set[str] = set()
        for request in requests:
            if is_event_request(request):
                event_id = request["body"].get("id")
                assert is_ulid(event_id), f"event id {event_id!r} is not a ULID (D16)"
                assert event_id not in seen, f"event id {event_id} used for two events"
                seen.add(event_id)
                request["body"]["id"] = ULID
    return requests


def n8n_pairing(case: dict[str, Any], recorded: dict[str, Any], sent_by: list[int]) -> list[int]:
    """The input item of each item of n8n's (unpaired) output, in order."""
    response_of = {item: r["responseIndex"] for item, r in zip(sent_by, recorded["requests"])}
    flattens = case["parameters"].get("operation") == "getAll"  # one output item per campaign
    pairing: list[int] = []
    for item in range(len(items_of(case))):
        if item not in response_of:  # failed before sending: one error item
            pairing.append(item)
            continue
        spec = canned(case, response_of[item])
        ok = "error" not in spec and 200 <= spec.get("status", 200) < 300
        if ok and flattens:
            pairing.extend([item] * len(spec.get("body", {}).get("campaigns") or []))
        else:
            pairing.append(item)
    assert len(pairing) == len(recorded["output"][0]), "cannot pair n8n's output with its items"
    return pairing


def n8n_view(name: str, case: dict[str, Any], recorded: dict[str, Any], deviations: set[str]) -> dict[str, Any]:
    """n8n's recording in our shape, with the listed normalisable deviations undone."""
    sent_by = n8n_request_items(name, recorded)
    requests = []
    for item, request in zip(sent_by, recorded["requests"]):
        options = request["options"]
        method, url, body = options["method"], options["url"], options.get("body")
        if "D6" in deviations and method == "GET" and url.split("?")[0].endswith("/metrics"):
            # D6: period (always) and steps/type (from n8n's GET body) are query parameters.
            parsed = httpx.URL(url)
            query = {"period": parsed.params.get("period", "days")}
            query.update({k: (body or {})[k] for k in ("steps", "type") if k in (body or {})})
            url, body = str(parsed.copy_with(params=query)), None
        if "D10" in deviations and method == "DELETE":
            body = None  # D10: DELETE has no body
        if "D10" in deviations and "/segments/" in url and isinstance(body, dict):
            body = {k: v for k, v in body.items() if k != "id"}  # D10: segment body is {"ids"}
        requests.append(
            {
                "item": item,
                "method": method,
                "url": url,
                "authorization": options["headers"].get("Authorization"),
                "body": body,
            }
        )
    view: dict[str, Any] = {"requests": requests, "main": None, "error": None, "raises": None}
    if recorded["error"] is not None:  # n8n stopped: no output at all
        error = recorded["error"]
        view["raises"] = {"item_index": error.get("itemIndex", sent_by[-1] if sent_by else 0)}
        return view
    main: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    to_error_output = settings_for(case).get("onError") == "continueErrorOutput"
    for item, output in zip(n8n_pairing(case, recorded, sent_by), recorded["output"][0]):
        data = output["json"]
        is_error = isinstance(data, dict) and set(data) == {"error"}
        if "D17" in deviations and data == "__undefined__":
            data = {}  # D17: a missing response key gives {}
        if "D11" in deviations and is_error:
            data = ERROR_ITEM
        # n8n's WorkflowExecute (not run by the oracle) routes error items to the error output.
        (errors if is_error and to_error_output else main).append({"json": data, "pairedItem": {"item": item}})
    view["main"], view["error"] = main, errors
    return view


def our_view(run: Run, deviations: set[str], *, n8n_stopped: bool) -> dict[str, Any]:
    requests = []
    for request in our_requests(run, deviations):
        request = {k: v for k, v in request.items() if k != "query"}  # the URL has the query
        if "D16" in deviations and is_event_request(request):
            request["body"] = {k: v for k, v in request["body"].items() if k != "id"}
        requests.append(request)

    def items(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if "D11" not in deviations:
            return found
        return [
            {**i, "json": ERROR_ITEM} if isinstance(i["json"], dict) and "errorType" in i["json"] else i for i in found
        ]

    raises = None if run.raised is None else {"item_index": run.raised.item_index}
    if n8n_stopped:  # n8n has no output to compare with ours (our partial output)
        return {"requests": requests, "main": None, "error": None, "raises": raises}
    return {"requests": requests, "main": items(run.main), "error": items(run.error), "raises": raises}


def raw_n8n_outcome(name: str, case: dict[str, Any], recorded: dict[str, Any]) -> dict[str, Any]:
    return n8n_view(name, case, recorded, set())


# --------------------------------------------------------------------------------------------
# Expected files
# --------------------------------------------------------------------------------------------


def resolve_matchers(expected: Any, actual: Any) -> Any:
    """`{"$contains": text}` in an expected file matches a string containing `text`.

    Returns `expected` with each satisfied matcher replaced by the actual value, so that a plain
    `==` then gives pytest's readable diff for everything else.
    """
    if isinstance(expected, dict) and set(expected) == {"$contains"}:
        if isinstance(actual, str) and expected["$contains"] in actual:
            return actual
        return expected
    if isinstance(expected, dict) and isinstance(actual, dict):
        return {k: resolve_matchers(v, actual.get(k)) for k, v in expected.items()}
    if isinstance(expected, list) and isinstance(actual, list):
        return [resolve_matchers(e, actual[i] if i < len(actual) else None) for i, e in enumerate(expected)]
    return expected


def check_raises(raised: ItemError | None, expected: dict[str, Any] | None) -> None:
    if expected is None:
        assert raised is None, f"unexpected stop: {raised!r} (cause {raised.cause!r})"
        return
    assert raised is not None, f"expected the run to stop at item {expected['item_index']}"
    assert expected["type"] == "ItemError"
    cause = raised.cause
    assert raised.__cause__ is cause
    assert (raised.item_index, type(cause).__name__) == (
        expected["item_index"],
        expected["cause_type"],
    ), str(raised)
    assert expected["message_contains"] in str(cause), str(cause)
    if "sent_items" in expected:
        assert raised.sent_items == expected["sent_items"]
    if "cause_status" in expected:
        assert isinstance(cause, ApiError)
        assert (cause.status, cause.api_message) == (
            expected["cause_status"],
            expected["cause_api_message"],
        )
    if "cause_parameters" in expected:
        assert cause.parameters == expected["cause_parameters"]  # type: ignore[attr-defined]


def secrets_of(credentials: dict[str, Any] | None) -> list[str]:
    if not credentials:
        return []
    found = [credentials.get("trackingApiKey", ""), credentials.get("appApiKey", "")]
    basic = f"{credentials.get('trackingSiteId', '')}:{credentials.get('trackingApiKey', '')}"
    found.append(base64.b64encode(basic.encode()).decode())
    return [s for s in found if s]


# --------------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------------


@pytest.fixture
def case_timezone(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run under the case's process time zone (n8n's result depends on it; ours must not, D7)."""
    tz = load_case(request.node.callspec.params["name"])[0].get("timezone")
    if tz is None or not hasattr(time, "tzset"):
        yield
        return
    old = os.environ.get("TZ")
    os.environ["TZ"] = tz
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case(name: str, case_timezone: None) -> None:
    case, recorded = load_case(name)
    run = replay(name, case, recorded)
    deviations = DEVIATIONS.get(name, set())

    # Secrets never appear in outputs or errors (D11 keeps its promise for every case).
    shown = json.dumps([run.main, run.error]) + ("" if run.raised is None else str(run.raised) + repr(run.raised.cause))
    for secret in secrets_of(case.get("credentials")):
        assert secret not in shown, "a secret leaked into the output"

    if name in DEVIATIONS or name in UNSUPPORTED_EXPRESSIONS:
        expected = load_expected(name)
        assert expected["deviations"] == d_sorted(deviations), "expected file and DEVIATIONS disagree"
        requests = our_requests(run, deviations)
        assert requests == expected["requests"]
        assert run.main == resolve_matchers(expected["main"], run.main)
        assert run.error == resolve_matchers(expected["error"], run.error)
        check_raises(run.raised, expected["raises"])
        # The entry is needed: ours differs from the raw recording (where both stop, the error
        # message counts too).
        stopped = recorded["error"] is not None
        same_stop = not stopped or run.raised is None or recorded["error"]["message"] in str(run.raised.cause)
        assert our_view(run, set(), n8n_stopped=stopped) != raw_n8n_outcome(name, case, recorded) or not same_stop, (
            f"{name} matches n8n exactly: remove it from DEVIATIONS"
        )

    if deviations <= NORMALISABLE and name not in UNSUPPORTED_EXPRESSIONS:
        # Not in the table (must match n8n exactly), or only deviations undone by n8n_view.
        n8n = n8n_view(name, case, recorded, deviations)
        ours = our_view(run, deviations, n8n_stopped=recorded["error"] is not None)
        assert ours == n8n
        if recorded["error"] is not None and "D11" not in deviations:
            assert recorded["error"]["message"] in str(run.raised.cause), (  # type: ignore[union-attr]
                f"n8n's message {recorded['error']['message']!r} is not in ours: {run.raised.cause}"  # type: ignore[union-attr]
            )


# --------------------------------------------------------------------------------------------
# Bookkeeping
# --------------------------------------------------------------------------------------------

FOCUSED: dict[str, set[str]] = {}  # test name -> deviations it exercises (not from cases)


def covers(*ids: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(test: Callable[..., None]) -> Callable[..., None]:
        FOCUSED[test.__name__] = set(ids)
        return test

    return register


def test_every_case_file_has_a_test_and_an_index_row() -> None:
    outs = sorted(p.name[: -len(".out.json")] for p in CASES_DIR.glob("*.out.json"))
    assert CASE_NAMES == outs, "every NAME.json needs NAME.out.json and the other way round"
    index = (CASES_DIR / "INDEX.md").read_text()
    indexed = sorted(set(re.findall(r"^\| \d+ \| \w+ \| (\w+) \|", index, re.MULTILINE)))
    assert indexed == CASE_NAMES
    assert len(CASE_NAMES) == 55
    # test_case is parametrised over exactly these names; classify each one.
    assert not set(DEVIATIONS) & UNSUPPORTED_EXPRESSIONS
    assert set(DEVIATIONS) | UNSUPPORTED_EXPRESSIONS <= set(CASE_NAMES)
    assert set(N8N_REQUEST_ITEMS) <= set(CASE_NAMES)


def test_expected_files_match_the_tables() -> None:
    files = sorted(p.stem for p in EXPECTED_DIR.glob("*.json"))
    assert files == sorted(set(DEVIATIONS) | UNSUPPORTED_EXPRESSIONS)
    for name in UNSUPPORTED_EXPRESSIONS:
        expected = load_expected(name)
        assert expected["deviations"] == []
        raises = expected["raises"]
        assert raises["cause_type"] == "ValidationError" and "expression" in raises["message_contains"]


def test_deviation_ids_are_the_specs() -> None:
    ids = spec_deviation_ids()
    assert ids == [f"D{i}" for i in range(1, 19)]
    for name, listed in DEVIATIONS.items():
        assert listed, f"{name}: an entry needs at least one deviation"
        assert listed <= set(ids), f"{name}: unknown deviation(s) {listed - set(ids)}"


def test_every_reference_deviation_is_exercised() -> None:
    by_cases = set().union(*DEVIATIONS.values())
    by_focused = set().union(*FOCUSED.values())
    missing = [d for d in REFERENCE_DEVIATIONS if d not in by_cases | by_focused]
    assert not missing, f"no test exercises {missing}"
    # The oracle cannot run n8n's retry loop, so D12 alone comes from focused tests.
    assert [d for d in REFERENCE_DEVIATIONS if d not in by_cases] == ["D12"]


# --------------------------------------------------------------------------------------------
# Focused tests (not from cases)
# --------------------------------------------------------------------------------------------

CREDENTIALS = {
    "trackingApiKey": "trk_key",
    "trackingSiteId": "site_123",
    "appApiKey": "app_key",
    "region": "track.customer.io",
}
BASIC = "Basic " + base64.b64encode(b"site_123:trk_key").decode()
RETRY = {"retryOnFail": True, "maxTries": 3, "waitBetweenTries": 0}


def fails_first(item_to_fail: int, times: int = 1, status: int = 500) -> Callable[..., httpx.Response]:
    def answer(item: int, attempt: int, request: httpx.Request) -> httpx.Response:
        if item == item_to_fail and attempt <= times:
            return httpx.Response(status, json={"meta": {"errors": ["internal server error"]}})
        return httpx.Response(200, json={})

    return answer


@covers("D12")
def test_d12_retry_on_fail_resends_only_the_failed_request() -> None:
    parameters = {"resource": "customer", "operation": "delete", "id": "={{ $json.id }}"}
    items = [{"json": {"id": f"c{i}"}} for i in range(3)]
    run = run_node(parameters, items, CREDENTIALS, RETRY, fails_first(1))
    assert run.raised is None
    assert run.attempts == {0: 1, 1: 2, 2: 1}
    assert [(r["item"], r["url"]) for r in run.requests] == [
        (0, "https://track.customer.io/api/v1/customers/c0"),
        (1, "https://track.customer.io/api/v1/customers/c1"),
        (1, "https://track.customer.io/api/v1/customers/c1"),
        (2, "https://track.customer.io/api/v1/customers/c2"),
    ]
    assert run.main == [{"json": {"success": True}, "pairedItem": {"item": i}} for i in range(3)]
    assert run.error == []


@covers("D12")
def test_d12_retry_gives_up_after_max_tries_and_stops_at_that_item() -> None:
    parameters = {"resource": "customer", "operation": "delete", "id": "={{ $json.id }}"}
    items = [{"json": {"id": f"c{i}"}} for i in range(3)]
    run = run_node(parameters, items, CREDENTIALS, RETRY, fails_first(1, times=99))
    assert run.attempts == {0: 1, 1: 3}  # maxTries attempts of item 1; item 2 never runs
    assert run.raised is not None and run.raised.item_index == 1
    cause = run.raised.cause
    assert isinstance(cause, ApiError) and (type(cause).__name__, cause.status) == ("ServerError", 500)
    assert run.raised.sent_items == [0]
    assert run.main == [{"json": {"success": True}, "pairedItem": {"item": 0}}]


@covers("D12", "D16")
def test_d12_retried_event_keeps_its_id() -> None:
    parameters = {"resource": "event", "operation": "track", "customerId": "={{ $json.id }}", "eventName": "signup"}
    items = [{"json": {"id": "a"}}, {"json": {"id": "b"}}]
    run = run_node(parameters, items, CREDENTIALS, RETRY, fails_first(0))
    assert run.attempts == {0: 2, 1: 1}
    first, retried, other = (r["body"] for r in run.requests)
    assert is_ulid(first["id"]) and retried == first  # the same event, the same id
    assert is_ulid(other["id"]) and other["id"] != first["id"]
    assert run.main == [{"json": {"success": True}, "pairedItem": {"item": i}} for i in range(2)]


@covers("D12")
def test_without_retry_on_fail_nothing_is_resent() -> None:
    parameters = {"resource": "customer", "operation": "delete", "id": "={{ $json.id }}"}
    items = [{"json": {"id": f"c{i}"}} for i in range(3)]
    run = run_node(parameters, items, CREDENTIALS, {"onError": "continueRegularOutput"}, fails_first(1))
    assert run.attempts == {0: 1, 1: 1, 2: 1}
    assert run.main[1]["json"]["errorType"] == "ServerError"
    assert run.main[1]["pairedItem"] == {"item": 1}


METRICS = {"metric": {"series": {"sent": [1, 2]}}}


def metrics_run(additional_fields_json: Any, **extra: Any) -> Run:
    parameters = {
        "resource": "campaign",
        "operation": "getMetrics",
        "campaignId": 42,
        "jsonParameters": True,
        "additionalFieldsJson": additional_fields_json,
        **extra,
    }
    return run_node(
        parameters,
        [{"json": {}}],
        CREDENTIALS,
        {"onError": "continueRegularOutput"},
        lambda item, attempt, request: httpx.Response(200, json=METRICS),
    )


@covers("D4", "D6")
def test_d4_get_metrics_json_mode_sets_period_steps_and_type() -> None:
    run = metrics_run('{"period": "weeks", "steps": 4}')
    assert [(r["method"], r["url"], r["authorization"], r["body"]) for r in run.requests] == [
        ("GET", "https://api.customer.io/v1/campaigns/42/metrics?period=weeks&steps=4", "Bearer app_key", None),
    ]
    assert run.main == [{"json": METRICS["metric"], "pairedItem": {"item": 0}}]

    run = metrics_run('{"steps": 3, "type": "email"}')  # period keeps its default, always sent
    assert [r["url"] for r in run.requests] == [
        "https://api.customer.io/v1/campaigns/42/metrics?period=days&steps=3&type=email"
    ]

    run = metrics_run({"period": "hours"})  # an already-decoded object (e.g. from an expression)
    assert [r["query"] for r in run.requests] == [{"period": "hours"}]


@covers("D4")
def test_d4_get_metrics_json_mode_rejects_other_keys_and_bad_json() -> None:
    run = metrics_run('{"steps": 4, "bogus": 1}')
    assert run.requests == []
    (item,) = run.main
    assert item["pairedItem"] == {"item": 0}
    assert item["json"]["errorType"] == "ValidationError"
    assert item["json"]["parameters"] == ["additionalFieldsJson"]
    assert "bogus" in item["json"]["error"]

    run = metrics_run("{not json")
    assert run.requests == [] and run.main[0]["json"]["errorType"] == "ValidationError"


@covers("D13")
def test_d13_event_name_is_checked_after_json_mode() -> None:
    def track(event_name: str, fields: str) -> Run:
        parameters = {
            "resource": "event",
            "operation": "track",
            "customerId": "c1",
            "eventName": event_name,
            "jsonParameters": True,
            "additionalFieldsJson": fields,
        }
        return run_node(
            parameters,
            [{"json": {}}],
            CREDENTIALS,
            {"onError": "continueErrorOutput"},
            lambda item, attempt, request: httpx.Response(200, json={}),
        )

    run = track("", '{"name": "from_json"}')  # JSON mode supplies the name: fine
    assert [r["body"]["name"] for r in run.requests] == ["from_json"]
    assert run.main == [{"json": {"success": True}, "pairedItem": {"item": 0}}]

    run = track("signup", '{"name": ""}')  # JSON mode empties it: a validation error
    assert run.requests == [] and run.main == []
    (item,) = run.error
    assert item["pairedItem"] == {"item": 0}
    assert item["json"]["errorType"] == "ValidationError"
    assert item["json"]["parameters"] == ["eventName"]


@covers("D15")
def test_d15_campaign_operations_need_the_app_api_key() -> None:
    credentials = {**CREDENTIALS, "appApiKey": ""}
    parameters = {"resource": "campaign", "operation": "get", "campaignId": 1}
    run = run_node(
        parameters, [{"json": {}}], credentials, {}, lambda item, attempt, request: httpx.Response(200, json={})
    )
    assert run.requests == []
    assert run.raised is not None and type(run.raised.cause).__name__ == "CredentialError"
    assert "appApiKey" in str(run.raised.cause)
