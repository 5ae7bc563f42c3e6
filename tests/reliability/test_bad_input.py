"""Bad input: every bad parameter value is a ValidationError naming the parameter, before any request.

`ROWS` is the table: the typed `Client` call, the parameter name(s) `ValidationError.parameters`
must list and the exact `str(error)`; each row also checks that the server's journal is empty.
`EXPRESSION_ROWS` sends bad values through `execute()` as n8n parameters, most of them coming
from expressions with the wrong type. `RUNTIME_BUGS` are the rows that found
runtime bugs B1-B8 (see docs/reliability.md, "Bugs found, and fixed"); they now pass like the rest.

Path values with `/`, `..`, `?`, `#`, spaces, `%` and unicode are percent-encoded as one path
segment and reach the right person (checked on the server's decoded state and raw paths).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from generated.customerio import Client, ItemError, RetryPolicy, ValidationError, execute
from tests.fakes.customerio_server import FakeCustomerIo, run_server
from tests.reliability.workload import APP_KEY, CREDS, SITE_ID, TRACKING_KEY

E76 = "é" * 76  # 152 bytes in 76 characters
IDS_1001 = [f"c{i}" for i in range(1001)]
IDS_1000 = IDS_1001[:1000]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeCustomerIo]:
    with run_server(site_id=SITE_ID, api_key=TRACKING_KEY, app_api_key=APP_KEY, app_rate_limit=None) as server:
        yield server


@pytest.fixture(scope="module")
def client(server: FakeCustomerIo) -> Iterator[Client]:
    with Client(CREDS, base_urls={"tracking": server.track_url, "app": server.app_url}, retry=RetryPolicy.off(), pace=False) as client:
        yield client


@dataclass(frozen=True)
class Row:
    id: str
    call: Callable[[Any], Any]
    parameters: list[str]
    message: str


def row(id: str, call: Callable[[Any], Any], parameters: list[str], message: str) -> Any:
    return pytest.param(Row(id, call, parameters, message), id=id)


ROWS = [
    # campaign.get / campaign.getMetrics: campaignId, period, steps, type, JSON mode
    row("campaign.get campaignId not numeric", lambda c: c.campaign.get(campaign_id="abc"), ["campaignId"],
        "campaignId: Input should be a valid integer, unable to parse string as an integer (got 'abc')"),
    row("campaign.get campaignId negative", lambda c: c.campaign.get(campaign_id=-1), ["campaignId"],
        "campaignId: Input should be greater than or equal to 0 (got -1)"),
    row("campaign.get campaignId fractional", lambda c: c.campaign.get(campaign_id=1.5), ["campaignId"],
        "campaignId: Input should be a valid integer, got a number with a fractional part (got 1.5)"),
    row("getMetrics campaignId negative text", lambda c: c.campaign.get_metrics(campaign_id="-7"), ["campaignId"],
        "campaignId: Input should be greater than or equal to 0 (got '-7')"),
    row("getMetrics steps 121", lambda c: c.campaign.get_metrics(campaign_id=1, steps=121), ["steps"],
        "steps: Input should be less than or equal to 120 (got 121)"),
    row("getMetrics steps -1", lambda c: c.campaign.get_metrics(campaign_id=1, steps=-1), ["steps"],
        "steps: Input should be greater than or equal to 0 (got -1)"),
    row("getMetrics unknown period", lambda c: c.campaign.get_metrics(campaign_id=1, period="years"), ["period"],
        "period: Input should be 'hours', 'days', 'weeks' or 'months' (got 'years')"),
    row("getMetrics unknown type", lambda c: c.campaign.get_metrics(campaign_id=1, type_="sms"), ["type"],
        "type: Input should be 'email', 'empty', 'push', 'slack', 'twilio', 'urbanAirship' or 'webhook' (got 'sms')"),
    row("getMetrics two bad values at once", lambda c: c.campaign.get_metrics(campaign_id=1, period="years", steps=121), ["period", "steps"],
        "period: Input should be 'hours', 'days', 'weeks' or 'months' (got 'years'); steps: Input should be less than or equal to 120 (got 121)"),
    row("getMetrics JSON invalid", lambda c: c.campaign.get_metrics(campaign_id=1, json_parameters=True, additional_fields_json="{bad"), ["additionalFieldsJson"],
        "additionalFieldsJson: Additional fields must be a valid JSON (Expecting property name enclosed in double quotes at line 1 column 2)"),
    row("getMetrics JSON a list", lambda c: c.campaign.get_metrics(campaign_id=1, json_parameters=True, additional_fields_json="[1, 2]"), ["additionalFieldsJson"],
        "additionalFieldsJson: must be a JSON object, got list"),
    row("getMetrics JSON a number", lambda c: c.campaign.get_metrics(campaign_id=1, json_parameters=True, additional_fields_json="42"), ["additionalFieldsJson"],
        "additionalFieldsJson: must be a JSON object, got int"),
    row("getMetrics JSON key not allowed", lambda c: c.campaign.get_metrics(campaign_id=1, json_parameters=True, additional_fields_json='{"limit": 5}'), ["additionalFieldsJson"],
        "additionalFieldsJson: unknown key(s) limit; allowed: period, steps, type"),
    row("getMetrics JSON steps 121", lambda c: c.campaign.get_metrics(campaign_id=1, json_parameters=True, additional_fields_json='{"steps": 121}'), ["additionalFieldsJson"],
        "additionalFieldsJson: 'steps' must be at most 120, got 121"),
    row("getMetrics JSON steps not a number", lambda c: c.campaign.get_metrics(campaign_id=1, json_parameters=True, additional_fields_json='{"steps": "5"}'), ["additionalFieldsJson"],
        "additionalFieldsJson: 'steps' must be a number, got '5'"),
    row("getMetrics JSON unknown period", lambda c: c.campaign.get_metrics(campaign_id=1, json_parameters=True, additional_fields_json='{"period": "years"}'), ["additionalFieldsJson"],
        "additionalFieldsJson: 'period' must be one of 'hours', 'days', 'weeks', 'months', got 'years'"),
    row("getMetrics JSON unknown type", lambda c: c.campaign.get_metrics(campaign_id=1, json_parameters=True, additional_fields_json={"type": "sms"}), ["additionalFieldsJson"],
        "additionalFieldsJson: 'type' must be one of 'email', 'empty', 'push', 'slack', 'twilio', 'urbanAirship', 'webhook', got 'sms'"),
    # segment.add / segment.remove: segmentId, customerIds
    row("segment.add segmentId not numeric", lambda c: c.segment.add(segment_id="abc", customer_ids="a"), ["segmentId"],
        "segmentId: Input should be a valid integer, unable to parse string as an integer (got 'abc')"),
    row("segment.add segmentId negative", lambda c: c.segment.add(segment_id=-1, customer_ids="a"), ["segmentId"],
        "segmentId: Input should be greater than or equal to 0 (got -1)"),
    row("segment.remove segmentId digits then letters", lambda c: c.segment.remove(segment_id="12abc", customer_ids="a"), ["segmentId"],
        "segmentId: Input should be a valid integer, unable to parse string as an integer (got '12abc')"),
    row("segment.remove segmentId negative text", lambda c: c.segment.remove(segment_id="-3", customer_ids="a"), ["segmentId"],
        "segmentId: Input should be greater than or equal to 0 (got '-3')"),
    row("segment.add customerIds empty", lambda c: c.segment.add(segment_id=1, customer_ids=""), ["customerIds"],
        "customerIds: needs at least 1 id(s), got 0"),
    row("segment.add customerIds only commas and spaces", lambda c: c.segment.add(segment_id=1, customer_ids=" , ,"), ["customerIds"],
        "customerIds: needs at least 1 id(s), got 0"),
    row("segment.remove customerIds empty list", lambda c: c.segment.remove(segment_id=1, customer_ids=[]), ["customerIds"],
        "customerIds: needs at least 1 id(s), got 0"),
    row("segment.add 1001 customerIds", lambda c: c.segment.add(segment_id=1, customer_ids=IDS_1001), ["customerIds"],
        "customerIds: accepts at most 1000 ids, got 1001"),
    row("segment.add 1001 customerIds as text", lambda c: c.segment.add(segment_id=1, customer_ids=",".join(IDS_1001)), ["customerIds"],
        "customerIds: accepts at most 1000 ids, got 1001"),
    row("segment.remove a customer id over 150 bytes", lambda c: c.segment.remove(segment_id=1, customer_ids=["a", E76]), ["customerIds"],
        f"customerIds: id {'é' * 40!r} is longer than 150 bytes"),
    # customer.upsert / customer.delete: id, JSON mode, email, createdAt, custom properties
    row("upsert id over 150 bytes (ASCII)", lambda c: c.customer.upsert(id_="a" * 151), ["id"],
        "id: must be at most 150 bytes (UTF-8), got 151"),
    row("upsert id over 150 bytes (76 two-byte characters)", lambda c: c.customer.upsert(id_=E76), ["id"],
        "id: must be at most 150 bytes (UTF-8), got 152"),
    row("upsert id empty", lambda c: c.customer.upsert(id_=""), ["id"],
        "id: String should have at least 1 character (got '')"),
    row("upsert id not a string", lambda c: c.customer.upsert(id_=5), ["id"],
        "id: Input should be a valid string (got 5)"),
    row("upsert JSON invalid", lambda c: c.customer.upsert(id_="a", json_parameters=True, additional_fields_json="{nope"), ["additionalFieldsJson"],
        "additionalFieldsJson: Additional fields must be a valid JSON (Expecting property name enclosed in double quotes at line 1 column 2)"),
    row("upsert JSON a list", lambda c: c.customer.upsert(id_="a", json_parameters=True, additional_fields_json="[1]"), ["additionalFieldsJson"],
        "additionalFieldsJson: must be a JSON object, got list"),
    row("upsert JSON a number", lambda c: c.customer.upsert(id_="a", json_parameters=True, additional_fields_json="3"), ["additionalFieldsJson"],
        "additionalFieldsJson: must be a JSON object, got int"),
    row("upsert JSON a string", lambda c: c.customer.upsert(id_="a", json_parameters=True, additional_fields_json='"abc"'), ["additionalFieldsJson"],
        "additionalFieldsJson: must be a JSON object, got str"),
    row("upsert JSON given without jsonParameters", lambda c: c.customer.upsert(id_="a", additional_fields_json='{"plan": "pro"}'), ["additionalFieldsJson"],
        "additionalFieldsJson: does not apply here (only when jsonParameters is true)"),
    row("upsert invalid email", lambda c: c.customer.upsert(id_="a", email="not-an-email"), ["email"],
        "email: is not an email address (got 'not-an-email')"),
    row("upsert email without a dot in the domain", lambda c: c.customer.upsert(id_="a", email="a@b"), ["email"],
        "email: is not an email address (got 'a@b')"),
    row("upsert email not a string", lambda c: c.customer.upsert(id_="a", email=5), ["email"],
        "email: Input should be a valid string (got 5)"),
    row("upsert createdAt unparseable", lambda c: c.customer.upsert(id_="a", created_at="yesterday"), ["createdAt"],
        "createdAt: is not a date (ISO 8601 or Unix seconds): 'yesterday'"),
    row("upsert createdAt month 13", lambda c: c.customer.upsert(id_="a", created_at="2024-13-01"), ["createdAt"],
        "createdAt: is not a date (ISO 8601 or Unix seconds): '2024-13-01'"),
    row("upsert createdAt empty", lambda c: c.customer.upsert(id_="a", created_at=""), ["createdAt"],
        "createdAt: is not a date (ISO 8601 or Unix seconds): ''"),
    row("upsert customProperties not a mapping", lambda c: c.customer.upsert(id_="a", custom_properties=[1]), ["customProperties"],
        "customProperties: Input should be a valid dictionary (got [1])"),
    row("delete id over 150 bytes (51 three-byte characters)", lambda c: c.customer.delete(id_="€" * 51), ["id"],
        "id: must be at most 150 bytes (UTF-8), got 153"),
    row("delete id missing", lambda c: c.customer.delete(id_=None), ["id"],
        "id: Field required"),
    # event.track / event.trackAnonymous: customerId, eventName, JSON mode
    row("track customerId over 150 bytes", lambda c: c.event.track(customer_id=E76, event_name="x"), ["customerId"],
        "customerId: must be at most 150 bytes (UTF-8), got 152"),
    row("track customerId empty", lambda c: c.event.track(customer_id="", event_name="x"), ["customerId"],
        "customerId: String should have at least 1 character (got '')"),
    row("track event name over 100 bytes (51 two-byte characters)", lambda c: c.event.track(customer_id="a", event_name="é" * 51), ["eventName"],
        "eventName: must be at most 100 bytes (UTF-8), got 102"),
    row("track event name empty", lambda c: c.event.track(customer_id="a", event_name=""), ["eventName"],
        "eventName: must not be empty"),
    row("track event name missing", lambda c: c.event.track(customer_id="a"), ["eventName"],
        "eventName: must not be empty"),
    row("track event name empty after JSON mode", lambda c: c.event.track(customer_id="a", event_name="x", json_parameters=True, additional_fields_json='{"name": ""}'), ["eventName"],
        "eventName: must not be empty"),
    row("track JSON invalid", lambda c: c.event.track(customer_id="a", event_name="x", json_parameters=True, additional_fields_json="{'name': 'x'}"), ["additionalFieldsJson"],
        "additionalFieldsJson: Additional fields must be a valid JSON (Expecting property name enclosed in double quotes at line 1 column 2)"),
    row("trackAnonymous event name empty", lambda c: c.event.track_anonymous(event_name=""), ["eventName"],
        "eventName: must not be empty"),
    row("trackAnonymous event name 101 bytes", lambda c: c.event.track_anonymous(event_name="x" * 101), ["eventName"],
        "eventName: must be at most 100 bytes (UTF-8), got 101"),
    row("trackAnonymous JSON name 101 bytes", lambda c: c.event.track_anonymous(event_name="x", json_parameters=True, additional_fields_json={"name": "y" * 101}), ["eventName"],
        "eventName: must be at most 100 bytes (UTF-8), got 101"),
    row("trackAnonymous empty name, JSON without one", lambda c: c.event.track_anonymous(event_name="", json_parameters=True, additional_fields_json={"data": {"a": 1}}), ["eventName"],
        "eventName: must not be empty"),
    row("trackAnonymous JSON a list", lambda c: c.event.track_anonymous(event_name="x", json_parameters=True, additional_fields_json=[1]), ["additionalFieldsJson"],
        "additionalFieldsJson: must be a JSON object, got list"),
]


@pytest.mark.parametrize("case", ROWS)
def test_bad_value_is_a_validation_error_naming_the_parameter(case: Row, client: Client, server: FakeCustomerIo) -> None:
    before = len(server.journal)
    with pytest.raises(ValidationError) as caught:
        case.call(client)
    assert caught.value.parameters == case.parameters
    assert str(caught.value) == case.message
    assert len(server.journal) == before, "no request was sent"


def test_the_table_is_complete() -> None:
    rows = [p.values[0] for p in ROWS]
    assert len(rows) >= 32
    assert len({r.id for r in rows}) == len(rows)
    covered = {name for r in rows for name in r.parameters}
    assert covered >= {"campaignId", "segmentId", "steps", "period", "type", "customerIds", "additionalFieldsJson", "email",
                       "createdAt", "id", "customerId", "eventName", "customProperties"}


@pytest.mark.parametrize(("call", "sent"), [
    pytest.param(lambda c: c.customer.upsert(id_="é" * 75), "/customers/" + "%C3%A9" * 75, id="id of exactly 150 bytes"),
    pytest.param(lambda c: c.event.track_anonymous(event_name="é" * 50), "/events", id="event name of exactly 100 bytes"),
    pytest.param(lambda c: c.segment.add(segment_id=0, customer_ids=IDS_1000), "/segments/0/add_customers", id="1000 ids, segment 0"),
    pytest.param(lambda c: c.segment.add(segment_id="19", customer_ids=["é" * 75]), "/segments/19/add_customers", id="a 150-byte id in customerIds"),
    pytest.param(lambda c: c.campaign.get_metrics(campaign_id=1, steps=120, period="months"), "/campaigns/1/metrics", id="steps 120"),
])
def test_values_at_the_limits_are_sent(call: Callable[[Any], Any], sent: str, client: Client, server: FakeCustomerIo) -> None:
    before = len(server.journal)
    call(client)
    (entry,) = server.journal[before:]
    assert entry.status == 200 and entry.path.endswith(sent)



def test_an_unknown_keyword_argument_is_a_type_error_and_sends_nothing(client: Client, server: FakeCustomerIo) -> None:
    """The typed methods have fixed keyword arguments: Python refuses unknown ones before any code runs."""
    before = len(server.journal)
    with pytest.raises(TypeError, match=r"upsert\(\) got an unexpected keyword argument 'emial'"):
        client.customer.upsert(id_="a", emial="a@example.com")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'segment'"):
        client.segment.add(segment=1, customer_ids="a")  # type: ignore[call-arg]
    assert len(server.journal) == before


# ---------------------------------------------------------------------------------- execute()

UPSERT = {"resource": "customer", "operation": "upsert", "id": "={{ $json.id }}"}
SEGMENT = {"resource": "segment", "operation": "add", "segmentId": "={{ $json.obj }}", "customerIds": "a"}


@dataclass(frozen=True)
class ExpressionRow:
    parameters: dict[str, Any]
    item: dict[str, Any]
    names: list[str]
    message: str


EXPRESSION_ROWS = [
    pytest.param(ExpressionRow(SEGMENT, {"obj": {"x": 1}}, ["segmentId"], "segmentId: Input should be a valid integer (got {'x': 1})"), id="segmentId from a dict"),
    pytest.param(ExpressionRow(SEGMENT, {"obj": [7]}, ["segmentId"], "segmentId: Input should be a valid integer (got [7])"), id="segmentId from a list"),
    pytest.param(ExpressionRow(SEGMENT, {"obj": "7a"}, ["segmentId"], "segmentId: Input should be a valid integer, unable to parse string as an integer (got '7a')"), id="segmentId from text"),
    pytest.param(ExpressionRow(SEGMENT, {}, ["segmentId"], "segmentId: Field required"), id="segmentId from a missing key"),
    pytest.param(ExpressionRow({"resource": "campaign", "operation": "get", "campaignId": "={{ $json.c }}"}, {"c": -3}, ["campaignId"],
                               "campaignId: Input should be greater than or equal to 0 (got -3)"), id="campaignId negative"),
    pytest.param(ExpressionRow({"resource": "campaign", "operation": "getMetrics", "campaignId": 1, "additionalFields": {"steps": "={{ $json.s }}"}},
                               {"s": "121"}, ["steps"], "steps: Input should be less than or equal to 120 (got '121')"), id="steps 121 as text"),
    pytest.param(ExpressionRow({"resource": "campaign", "operation": "getMetrics", "campaignId": 1, "period": "={{ $json.p }}"},
                               {"p": "year"}, ["period"], "period: Input should be 'hours', 'days', 'weeks' or 'months' (got 'year')"), id="period unknown"),
    pytest.param(ExpressionRow(UPSERT, {"id": {"a": 1}}, ["id"], "id: Input should be a valid string (got {'a': 1})"), id="id from a dict"),
    pytest.param(ExpressionRow(UPSERT, {"id": True}, ["id"], "id: Input should be a valid string (got True)"), id="id from a boolean"),
    pytest.param(ExpressionRow(UPSERT, {"id": "€" * 51}, ["id"], "id: must be at most 150 bytes (UTF-8), got 153"), id="id over 150 bytes"),
    pytest.param(ExpressionRow({**UPSERT, "additionalFields": {"createdAt": "={{ $json.t }}"}}, {"id": "u", "t": "soon"}, ["createdAt"],
                               "createdAt: is not a date (ISO 8601 or Unix seconds): 'soon'"), id="createdAt unparseable"),
    pytest.param(ExpressionRow({**UPSERT, "additionalFields": {"email": "={{ $json.e }}"}}, {"id": "u", "e": ["a@b.io"]}, ["email"],
                               "email: Input should be a valid string (got ['a@b.io'])"), id="email from a list"),
    pytest.param(ExpressionRow({**UPSERT, "jsonParameters": True, "additionalFieldsJson": "={{ $json.j }}"}, {"id": "u", "j": [1, 2]}, ["additionalFieldsJson"],
                               "additionalFieldsJson: must be a JSON object, got list"), id="additionalFieldsJson a list"),
    pytest.param(ExpressionRow({"resource": "event", "operation": "track", "customerId": "u", "eventName": "={{ $json.n }}"}, {"n": {"a": 1}}, ["eventName"],
                               "eventName: Input should be a valid string (got {'a': 1})"), id="eventName from a dict"),
    pytest.param(ExpressionRow({"resource": "event", "operation": "track", "customerId": "u", "eventName": "={{ $json.n }}"}, {"n": None}, ["eventName"],
                               "eventName: must not be empty"), id="eventName from null"),
    pytest.param(ExpressionRow({"resource": "segment", "operation": "remove", "segmentId": 3, "customerIds": "={{ $json.ids }}"}, {"ids": " ,"}, ["customerIds"],
                               "customerIds: needs at least 1 id(s), got 0"), id="customerIds empty"),
]


def _execute(server: FakeCustomerIo, parameters: dict[str, Any], items: list[dict[str, Any]], on_error: str) -> Any:
    return execute(parameters, items, CREDS, {"onError": on_error}, base_urls={"tracking": server.track_url, "app": server.app_url},
                   retry=RetryPolicy.off(), pace=False)


@pytest.mark.parametrize("case", EXPRESSION_ROWS)
def test_bad_value_through_execute_fails_its_item_naming_the_parameter(case: ExpressionRow, server: FakeCustomerIo) -> None:
    before = len(server.journal)
    result = _execute(server, case.parameters, [{"json": case.item}], "continueErrorOutput")
    assert result.main == []
    assert result.error == [{"json": {"error": case.message, "errorType": "ValidationError", "parameters": case.names}, "pairedItem": {"item": 0}}]
    with pytest.raises(ItemError) as caught:
        _execute(server, case.parameters, [{"json": case.item}], "stopWorkflow")
    assert caught.value.item_index == 0 and caught.value.sent_items == []
    assert isinstance(caught.value.cause, ValidationError) and caught.value.cause.parameters == case.names
    assert str(caught.value) == f"item 0 failed: {case.message}. Items already sent: none"
    assert len(server.journal) == before, "no request was sent"


def test_bad_items_do_not_stop_good_ones(server: FakeCustomerIo) -> None:
    """One run, good and bad items mixed: only the good ones reach the server, in order."""
    before = len(server.journal)
    items: list[dict[str, Any]] = [{"json": {"id": "good-1"}}, {"json": {"id": {"a": 1}}}, {"json": {"id": ""}}, {"json": {"id": "x" * 151}}, {"json": {"id": "good-2"}}]
    result = _execute(server, UPSERT, items, "continueRegularOutput")
    assert [i["pairedItem"]["item"] for i in result.main] == [0, 1, 2, 3, 4]
    assert [i["json"].get("errorType") for i in result.main] == [None, "ValidationError", "ValidationError", "ValidationError", None]
    assert [e.params["customer_id"] for e in server.journal[before:]] == ["good-1", "good-2"]


# ---------------------------------------------------------------------------------- path values

PATH_VALUES = [  # (customer id, its path segment on the wire: written out, not computed)
    ("a/b", "a%2Fb"),
    ("a/../b", "a%2F..%2Fb"),
    ("../x", "..%2Fx"),
    ("../../../../v1/campaigns", "..%2F..%2F..%2F..%2Fv1%2Fcampaigns"),
    ("q?x=1", "q%3Fx%3D1"),
    ("h#frag", "h%23frag"),
    ("sp ace", "sp%20ace"),
    ("100%", "100%25"),
    ("%2F", "%252F"),
    ("a+b&c=d;e", "a%2Bb%26c%3Dd%3Be"),
    ("üñí€😀", "%C3%BC%C3%B1%C3%AD%E2%82%AC%F0%9F%98%80"),
    ("x\\y\t\n", "x%5Cy%09%0A"),
]


def test_path_values_are_percent_encoded_and_reach_the_right_person(client: Client, server: FakeCustomerIo) -> None:
    server.reset()
    for value, _ in PATH_VALUES:
        client.customer.upsert(id_=value, custom_properties={"original": value})
    assert server.people == {value: {"original": value} for value, _ in PATH_VALUES}
    assert [e.path for e in server.journal] == [f"/track.customer.io/api/v1/customers/{wire}" for _, wire in PATH_VALUES]
    assert [e.endpoint for e in server.journal] == ["customer.upsert"] * len(PATH_VALUES)


def test_path_values_from_expressions_reach_the_right_person(server: FakeCustomerIo) -> None:
    server.reset()
    track = {"resource": "event", "operation": "track", "customerId": "={{ $json.id }}", "eventName": "=visit {{ $itemIndex }}"}
    result = _execute(server, track, [{"json": {"id": value}} for value, _ in PATH_VALUES], "stopWorkflow")
    assert len(result.main) == len(PATH_VALUES)
    assert [(e["customer_id"], e["name"]) for e in server.events] == [(value, f"visit {i}") for i, (value, _) in enumerate(PATH_VALUES)]
    assert [e.path for e in server.journal] == [f"/track.customer.io/api/v1/customers/{wire}/events" for _, wire in PATH_VALUES]
    _execute(server, {"resource": "customer", "operation": "delete", "id": "={{ $json.id }}"}, [{"json": {"id": v}} for v, _ in PATH_VALUES], "stopWorkflow")
    assert [e.params["customer_id"] for e in server.journal if e.endpoint == "customer.delete"] == [v for v, _ in PATH_VALUES]


# ---------------------------------------------------------------------------------- runtime bugs
# Each of these found a runtime bug (docs/reliability.md, "Bugs found, and fixed"); they stay as
# regression tests.


def _rejected(call: Callable[[Any], Any], client: Client, server: FakeCustomerIo, parameter: str, says: str = "") -> None:
    before = len(server.journal)
    try:
        with pytest.raises(ValidationError) as caught:
            call(client)
    finally:
        assert len(server.journal) == before, "no request was sent"
    assert caught.value.parameters == [parameter]
    assert str(caught.value).startswith(f"{parameter}: ") and says in str(caught.value)


BOOL_AS_NUMBER = "B1: a boolean passes as the integer 1 (pydantic lax mode), e.g. $json.flag addresses campaign/segment 1"
NON_FINITE_DATE = "B2: unix_seconds() lets OverflowError escape for infinite numbers and NaN gives Python's text"
JSON_MODE_TYPES = "B3: in JSON mode, sibling rules check options and bounds but not the type, format or transform of a value"
STRAY_TEXT = "B4: 'does not apply here' omits the collection's condition: '(only when )'"
UNION_NAMES = "B5: union members leak into ValidationError.parameters (customerIds['list[str]'][0])"

RUNTIME_BUGS = [
    pytest.param(lambda c: c.campaign.get(campaign_id=True), "campaignId", "", id="campaignId True"),
    pytest.param(lambda c: c.segment.add(segment_id=True, customer_ids="a"), "segmentId", "", id="segmentId True"),
    pytest.param(lambda c: c.campaign.get_metrics(campaign_id=1, steps=True), "steps", "", id="steps True"),
    pytest.param(lambda c: c.customer.upsert(id_="a", created_at=True), "createdAt", "", id="createdAt True"),
    pytest.param(lambda c: c.customer.upsert(id_="a", created_at=float("inf")), "createdAt", "is not a date", id="createdAt infinite"),
    pytest.param(lambda c: c.customer.upsert(id_="a", created_at="1" + "0" * 400), "createdAt", "is not a date", id="createdAt 401 digits"),
    pytest.param(lambda c: c.customer.upsert(id_="a", created_at=float("nan")), "createdAt", "is not a date", id="createdAt NaN"),
    pytest.param(lambda c: c.event.track(customer_id="a", event_name="x", json_parameters=True, additional_fields_json='{"name": 5}'), "additionalFieldsJson", "name",
                 id="track JSON name a number"),
    pytest.param(lambda c: c.event.track_anonymous(event_name="x", json_parameters=True, additional_fields_json='{"data": [1]}'), "additionalFieldsJson", "data",
                 id="trackAnonymous JSON data a list"),
    pytest.param(lambda c: c.customer.upsert(id_="a", json_parameters=True, additional_fields_json='{"created_at": "yesterday"}'), "additionalFieldsJson", "created_at",
                 id="upsert JSON created_at unparseable"),
    pytest.param(lambda c: c.customer.upsert(id_="a", json_parameters=True, additional_fields_json='{"email": "nope"}'), "additionalFieldsJson", "email",
                 id="upsert JSON invalid email"),
    pytest.param(lambda c: c.customer.upsert(id_="a", json_parameters=True, email="a@b.io"), "email", "(only when jsonParameters is false)",
                 id="upsert email in JSON mode"),
    pytest.param(lambda c: c.campaign.get_metrics(campaign_id=1, json_parameters=True, steps=5), "steps", "(only when jsonParameters is false)",
                 id="getMetrics steps in JSON mode"),
    pytest.param(lambda c: c.segment.add(segment_id=1, customer_ids={"a": 1}), "customerIds", "", id="customerIds a mapping"),
    pytest.param(lambda c: c.customer.upsert(id_="a", json_parameters=True, additional_fields_json=5), "additionalFieldsJson", "", id="additionalFieldsJson a number (not text)"),
]


@pytest.mark.parametrize(("call", "parameter", "says"), RUNTIME_BUGS)
def test_runtime_bug_rows(call: Callable[[Any], Any], parameter: str, says: str, client: Client, server: FakeCustomerIo) -> None:
    _rejected(call, client, server, parameter, says)


def test_bug_boolean_from_an_expression_is_not_a_segment_id(server: FakeCustomerIo) -> None:
    before = len(server.journal)
    result = _execute(server, SEGMENT, [{"json": {"obj": True}}], "continueErrorOutput")
    assert len(server.journal) == before, f"sent {[e.path for e in server.journal[before:]]}"
    assert result.error[0]["json"]["parameters"] == ["segmentId"]


def test_bug_an_overflowing_date_fails_its_item_not_the_run(server: FakeCustomerIo) -> None:
    parameters = {**UPSERT, "additionalFields": {"createdAt": "={{ $json.t }}"}}
    result = _execute(server, parameters, [{"json": {"id": "ok", "t": 1700000000}}, {"json": {"id": "bad", "t": "9" * 400}}], "continueErrorOutput")
    assert [i["pairedItem"]["item"] for i in result.main] == [0]
    assert result.error[0]["json"]["parameters"] == ["createdAt"]


def test_bug_numeric_customer_ids_from_an_expression(server: FakeCustomerIo) -> None:
    before = len(server.journal)
    result = _execute(server, {"resource": "segment", "operation": "add", "segmentId": 3, "customerIds": "={{ $json.ids }}"}, [{"json": {"ids": [1, 2]}}], "continueErrorOutput")
    sent = server.journal[before:]
    if result.error:  # either a clear error naming the parameter...
        assert result.error[0]["json"]["parameters"] == ["customerIds"] and not sent
    else:  # ...or the ids sent as text, as a single numeric id is
        assert [e.json for e in sent] == [{"ids": ["1", "2"]}]


def test_bug_json_parameters_from_an_expression(server: FakeCustomerIo) -> None:
    server.reset()
    parameters = {**UPSERT, "jsonParameters": "={{ $json.jp }}", "additionalFieldsJson": '{"plan": "pro"}', "additionalFields": {"email": "a@b.io"}}
    result = _execute(server, parameters, [{"json": {"id": "u", "jp": "true"}}], "continueErrorOutput")
    # Either JSON mode (the text 'true' taken as true) or a validation error: never silently neither.
    assert server.people.get("u") == {"plan": "pro"} or (result.error and result.error[0]["json"]["parameters"] == ["jsonParameters"])


@pytest.mark.parametrize("value", [".", ".."])
def test_bug_dot_segments_reach_the_right_person(value: str, client: Client, server: FakeCustomerIo) -> None:
    server.reset()
    try:
        client.event.track(customer_id=value, event_name="purchase")  # today: '..' lands on POST /events, an anonymous event
    finally:
        assert [e["customer_id"] for e in server.events] in ([value], [])
    client.customer.upsert(id_=value, custom_properties={"original": value})
    assert server.people == {value: {"original": value}}
    assert all(e.params.get("customer_id") == value for e in server.journal)
