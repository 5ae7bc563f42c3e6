"""`execute()` over items against the local server: settings, pairing, expressions, async parity."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from generated.customerio import ItemError, RetryPolicy, ValidationError, execute, execute_async
from tests.fakes.customerio_server import FakeCustomerIo

CREDS = {"trackingApiKey": "trk_key", "trackingSiteId": "site_123", "appApiKey": "app_key"}


def run(server: FakeCustomerIo, parameters: dict[str, Any], items: list[dict[str, Any]], settings: dict[str, Any] | None = None, **options: Any) -> Any:
    options.setdefault("retry", RetryPolicy.off())
    return execute(parameters, items, CREDS, settings, base_urls={"tracking": server.track_url, "app": server.app_url}, **options)


DELETE = {"resource": "customer", "operation": "delete", "id": "={{ $json.id }}"}


def items(*ids: str) -> list[dict[str, Any]]:
    return [{"json": {"id": i}} for i in ids]


def test_outputs_are_paired_with_their_items(customerio_server: FakeCustomerIo) -> None:
    result = run(customerio_server, DELETE, items("a", "b"))
    assert result.main == [
        {"json": {"success": True}, "pairedItem": {"item": 0}},
        {"json": {"success": True}, "pairedItem": {"item": 1}},
    ]
    assert result.error == []


def test_get_all_pairs_many_outputs_with_one_input(customerio_server: FakeCustomerIo) -> None:
    customerio_server.campaigns = {1: {"id": 1}, 2: {"id": 2}}
    result = run(customerio_server, {"resource": "campaign", "operation": "getAll"}, [{"json": {}}, {"json": {}}])
    assert result.main == [
        {"json": {"id": 1}, "pairedItem": {"item": 0}},
        {"json": {"id": 2}, "pairedItem": {"item": 0}},
        {"json": {"id": 1}, "pairedItem": {"item": 1}},
        {"json": {"id": 2}, "pairedItem": {"item": 1}},
    ]


def test_always_output_data_when_get_all_returns_nothing(customerio_server: FakeCustomerIo) -> None:
    customerio_server.campaigns = {}
    params = {"resource": "campaign", "operation": "getAll"}
    assert run(customerio_server, params, [{"json": {}}, {"json": {}}]).main == []
    result = run(customerio_server, params, [{"json": {}}, {"json": {}}], {"alwaysOutputData": True})
    assert result.main == [{"json": {}, "pairedItem": [{"item": 0}, {"item": 1}]}]


def test_execute_once_runs_only_the_first_item(customerio_server: FakeCustomerIo) -> None:
    result = run(customerio_server, DELETE, items("a", "b", "c"), {"executeOnce": True})
    assert [e.params for e in customerio_server.journal] == [{"customer_id": "a"}]
    assert result.main == [{"json": {"success": True}, "pairedItem": {"item": 0}}]


def test_stop_workflow_names_the_item_and_what_was_sent(customerio_server: FakeCustomerIo) -> None:
    customerio_server.inject("customer.delete", "500", requests=[2])
    with pytest.raises(ItemError) as caught:
        run(customerio_server, DELETE, items("a", "b", "c"))
    error = caught.value
    assert error.item_index == 1 and error.sent_items == [0]
    assert str(error).startswith("item 1 failed: HTTP 500")
    assert str(error).endswith("Items already sent: 0")
    assert error.partial.main == [{"json": {"success": True}, "pairedItem": {"item": 0}}]  # type: ignore[attr-defined]
    assert len(customerio_server.journal) == 2, "nothing after the failing item is sent"


def test_continue_regular_output_puts_the_error_in_place(customerio_server: FakeCustomerIo) -> None:
    result = run(customerio_server, {"resource": "campaign", "operation": "get", "campaignId": "={{ $json.n }}"},
                 [{"json": {"n": 1}}, {"json": {"n": 404}}, {"json": {"n": 2}}], {"onError": "continueRegularOutput"})
    assert [item["pairedItem"] for item in result.main] == [{"item": 0}, {"item": 1}, {"item": 2}]
    assert result.main[1]["json"] == {
        "error": f"HTTP 404: campaign not found (GET {customerio_server.app_url}/campaigns/404)",
        "errorType": "NotFoundError",
        "status": 404,
        "apiMessage": "campaign not found",
    }


def test_continue_error_output_with_retries(customerio_server: FakeCustomerIo) -> None:
    customerio_server.inject("customer.delete", "503", requests=[2])  # item 1, first attempt: transient
    customerio_server.inject("customer.delete", "500", requests=[5, 6, 7])  # item 3: every attempt fails
    sleeps: list[float] = []
    result = run(customerio_server, DELETE, items("a", "b", "c", "d"),
                 {"onError": "continueErrorOutput", "retryOnFail": True, "maxTries": 3, "waitBetweenTries": 10}, sleep=sleeps.append)
    assert [i["pairedItem"]["item"] for i in result.main] == [0, 1, 2]
    assert [(i["pairedItem"]["item"], i["json"]["status"]) for i in result.error] == [(3, 500)]
    assert [e.params["customer_id"] for e in customerio_server.journal] == ["a", "b", "b", "c", "d", "d", "d"]
    assert sleeps == [0.01, 0.01, 0.01]


def test_retries_are_per_request_so_succeeded_items_are_never_resent(customerio_server: FakeCustomerIo) -> None:
    """D12: n8n re-runs the whole node; here only the failed request is attempted again."""
    customerio_server.inject("event.track", "500", requests=[3])
    params = {"resource": "event", "operation": "track", "customerId": "={{ $json.id }}", "eventName": "signup"}
    result = run(customerio_server, params, items("a", "b", "c"), {"retryOnFail": True, "waitBetweenTries": 0})
    assert len(result.main) == 3
    assert [e["customer_id"] for e in customerio_server.events] == ["a", "b", "c"]
    sent = [e.json["id"] for e in customerio_server.journal]
    assert len(sent) == 4 and sent[2] == sent[3], "the retry re-sends the same event id"


@pytest.mark.parametrize(("given", "attempts"), [(1, 2), (4, 4), (50, 5)])
def test_max_tries_is_clamped(customerio_server: FakeCustomerIo, given: int, attempts: int) -> None:
    customerio_server.inject("customer.delete", "500")
    with pytest.raises(ItemError):
        run(customerio_server, DELETE, items("a"), {"retryOnFail": True, "maxTries": given, "waitBetweenTries": 0}, sleep=lambda s: None)
    assert len(customerio_server.journal) == attempts


@pytest.mark.parametrize(("given", "wait"), [(-5, 0.0), (0, 0.0), (250, 0.25), (99999, 5.0)])
def test_wait_between_tries_is_clamped_and_zero_is_honoured(customerio_server: FakeCustomerIo, given: int, wait: float) -> None:
    customerio_server.inject("customer.delete", "500", requests=[1])
    sleeps: list[float] = []
    run(customerio_server, DELETE, items("a"), {"retryOnFail": True, "waitBetweenTries": given}, sleep=sleeps.append)
    assert sleeps == [wait]


def test_retry_after_from_the_api_wins_over_the_wait(customerio_server: FakeCustomerIo) -> None:
    customerio_server.inject("customer.delete", "429_retry_after", requests=[1], retry_after=2)
    sleeps: list[float] = []
    run(customerio_server, DELETE, items("a"), {"retryOnFail": True, "waitBetweenTries": 100}, sleep=sleeps.append)
    assert sleeps == [2.0]


def test_unknown_on_error_mode_is_a_validation_error(customerio_server: FakeCustomerIo) -> None:
    with pytest.raises(ValidationError, match="settings.onError: must be one of"):
        run(customerio_server, DELETE, items("a"), {"onError": "ignore"})
    assert customerio_server.journal == []


def test_expressions_resolve_per_item_and_keep_types(customerio_server: FakeCustomerIo) -> None:
    params = {
        "resource": "customer",
        "operation": "upsert",
        "id": "=user-{{ $json.n }}",
        "additionalFields": {
            "email": "={{ $json[\"e mail\"] }}",
            "customProperties": {"customProperty": [
                {"key": "index", "value": "={{ $itemIndex }}"},
                {"key": "op", "value": "={{ $parameter[\"operation\"] + \"!\" }}"},
            ]},
        },
    }
    result = run(customerio_server, params, [{"json": {"n": 1, "e mail": "a@x.io"}}, {"json": {"n": 2, "e mail": "b@x.io"}}])
    assert customerio_server.people == {
        "user-1": {"index": 0, "op": "upsert!", "email": "a@x.io"},
        "user-2": {"index": 1, "op": "upsert!", "email": "b@x.io"},
    }
    assert result.main[1]["json"] == {"id": "user-2", "index": 1, "op": "upsert!", "email": "b@x.io"}


def test_an_unsupported_expression_fails_that_item_naming_the_parameter(customerio_server: FakeCustomerIo) -> None:
    params = {"resource": "customer", "operation": "delete", "id": "={{ $json.id.toUpperCase() }}"}
    result = run(customerio_server, params, items("a"), {"onError": "continueRegularOutput"})
    (item,) = result.main
    assert item["json"]["errorType"] == "ValidationError"
    assert item["json"]["error"] == "id: function calls are not supported at column 25 in expression '={{ $json.id.toUpperCase() }}'"
    assert customerio_server.journal == []


def test_parameters_that_do_not_apply_are_ignored_and_defaults_fill_in(customerio_server: FakeCustomerIo) -> None:
    params = {"resource": "campaign", "operation": "getMetrics", "campaignId": 1, "additionalFieldsJson": "{not json", "customerIds": "x"}
    run(customerio_server, params, [{"json": {}}])
    (entry,) = customerio_server.journal
    assert entry.query == {"period": "days"}


def test_async_twin_has_the_same_semantics(customerio_server: FakeCustomerIo) -> None:
    customerio_server.inject("customer.delete", "500", requests=[2])

    async def go() -> Any:
        return await execute_async(DELETE, items("a", "b", "c"), CREDS, {"onError": "continueErrorOutput"},
                                   base_urls={"tracking": customerio_server.track_url}, retry=RetryPolicy.off())

    result = asyncio.run(go())
    assert [i["pairedItem"]["item"] for i in result.main] == [0, 2]
    assert [(i["pairedItem"]["item"], i["json"]["status"]) for i in result.error] == [(1, 500)]
    with pytest.raises(ItemError) as caught:
        customerio_server.inject("customer.delete", "500", requests=[1])
        asyncio.run(execute_async(DELETE, items("x", "y"), CREDS, None, base_urls={"tracking": customerio_server.track_url}, retry=RetryPolicy.off()))
    assert caught.value.item_index == 0 and caught.value.sent_items == []
