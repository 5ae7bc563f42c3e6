"""Run an operation over items the way n8n runs a node, without n8n's bugs.

    execute(parameters, items, credentials, settings) -> ExecutionResult(main, error)

Per item: resolve expressions, validate, build one request, send it (retrying that request
only, D12), and turn the answer into output items paired with the input item. Settings follow
n8n: onError, retryOnFail/maxTries/waitBetweenTries (clamped), alwaysOutputData, executeOnce.
Attempts per request: `maxTries` when retryOnFail is on, otherwise the client's RetryPolicy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import httpx

from . import errors
from .calls import new_ulid, validate
from .descriptors import Node, Operation
from .http import AsyncSession, RetryPolicy, Session
from .n8n_parameters import item_values, select_operation
from .pages import afetch, fetch
from .request import PreparedRequest, prepare

Item = dict[str, Any]
ON_ERROR_MODES = ("stopWorkflow", "continueRegularOutput", "continueErrorOutput")


@dataclass
class ExecutionResult:
    """`main` and `error` are n8n's two outputs; `succeeded`/`failed` list input item indexes."""

    main: list[Item] = field(default_factory=list)
    error: list[Item] = field(default_factory=list)
    succeeded: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Settings:
    always_output_data: bool
    execute_once: bool
    retry_on_fail: bool
    max_tries: int
    wait_between_tries: int
    on_error: str

    def retry_policy(self, default: RetryPolicy) -> RetryPolicy:
        if not self.retry_on_fail:
            return default
        wait = self.wait_between_tries / 1000
        # n8n retries on any failure; 4xx except 408/429 are still final when unsafe (see http).
        return RetryPolicy(
            max_attempts=self.max_tries,
            backoff=wait,
            max_backoff=wait,
            jitter=False,
            max_retry_after=max(default.max_retry_after, wait),
            retry_unsafe=default.retry_unsafe,
            statuses=frozenset(range(400, 600)),
        )


def settings_for(node: Node, given: Mapping[str, Any] | None) -> Settings:
    values: dict[str, Any] = {s.name: s.default for s in node.settings}
    values.update(given or {})
    for setting in node.settings:
        value = values[setting.name]
        if setting.type == "integer":
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise errors.ValidationError(
                    [(f"settings.{setting.name}", f"must be a whole number, got {value!r}")]
                ) from None
            if setting.minimum is not None:
                value = max(setting.minimum, value)
            if setting.maximum is not None:
                value = min(setting.maximum, value)
            values[setting.name] = value
    on_error = values.get("onError", "stopWorkflow")
    if on_error not in ON_ERROR_MODES:
        raise errors.ValidationError(
            [("settings.onError", f"must be one of {', '.join(ON_ERROR_MODES)}, got {on_error!r}")]
        )
    return Settings(
        always_output_data=bool(values.get("alwaysOutputData", False)),
        execute_once=bool(values.get("executeOnce", False)),
        retry_on_fail=bool(values.get("retryOnFail", False)),
        max_tries=int(values.get("maxTries", 3)),
        wait_between_tries=int(values.get("waitBetweenTries", 1000)),
        on_error=on_error,
    )


@dataclass
class ItemOutcome:
    """What happened to one input item: its output items, or the error that failed it."""

    index: int
    outputs: list[Item] | None = None
    error: errors.NodeError | None = None


class _Plan:
    """What does not depend on I/O: the operation, its model, each item's request."""

    def __init__(
        self, node: Node, models: ModuleType, parameters: Mapping[str, Any], settings: Settings
    ) -> None:
        self.node = node
        self.parameters = parameters
        self.settings = settings
        self.operation: Operation = select_operation(node, parameters)
        self.model = getattr(models, self.operation.model)

    def prepare(self, index: int, item: Any) -> PreparedRequest:
        item_json = item.get("json", {}) if isinstance(item, Mapping) else {}
        given = item_values(self.operation, self.parameters, item_json, index)
        values = validate(self.operation, self.model, given, strict=False)
        return prepare(self.operation, values, new_ulid)

    def finish(self, index: int, results: list[dict[str, Any]]) -> ItemOutcome:
        outputs = [{"json": data, "pairedItem": {"item": index}} for data in results]
        return ItemOutcome(index, outputs=outputs)


def error_item(index: int, error: errors.NodeError) -> Item:
    data: dict[str, Any] = {"error": str(error), "errorType": type(error).__name__}
    if isinstance(error, errors.ApiError):
        data.update(status=error.status, apiMessage=error.api_message)
    if isinstance(error, errors.ValidationError):
        data["parameters"] = error.parameters
    return {"json": data, "pairedItem": {"item": index}}


def _collect(plan: _Plan, items: Sequence[Any], outcomes: list[ItemOutcome]) -> ExecutionResult:
    result = ExecutionResult()
    for outcome in outcomes:
        if outcome.error is None:
            result.main.extend(outcome.outputs or [])
            result.succeeded.append(outcome.index)
            continue
        outcome.error.item_index = outcome.index
        result.failed.append(outcome.index)
        mode = plan.settings.on_error
        if mode == "stopWorkflow":
            # With concurrency, items after this one may have been in flight: report them too.
            done = [o for o in outcomes if o.error is None]
            others = [o.index for o in outcomes if o.error is not None and o is not outcome]
            stop = errors.ItemError(outcome.index, outcome.error, [o.index for o in done], others)
            partial = ExecutionResult(
                succeeded=[o.index for o in done], failed=[outcome.index, *others]
            )
            partial.main = [item for o in done for item in o.outputs or []]
            stop.partial = partial  # type: ignore[attr-defined]  # every output of the items sent
            raise stop from outcome.error
        (result.main if mode == "continueRegularOutput" else result.error).append(
            error_item(outcome.index, outcome.error)
        )
    if plan.settings.always_output_data and not result.main:
        result.main.append({"json": {}, "pairedItem": [{"item": i} for i in range(len(items))]})
    return result


def _inputs(settings: Settings, items: Sequence[Any]) -> list[tuple[int, Any]]:
    chosen = list(items)[:1] if settings.execute_once else list(items)
    return list(enumerate(chosen))


class _Stop:
    """Set when onError=stopWorkflow saw a failure: items not started yet are not sent."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.failed = False

    def after(self, outcome: ItemOutcome) -> None:
        if self.enabled and outcome.error is not None:
            self.failed = True


def execute(
    node: Node,
    models: ModuleType,
    parameters: Mapping[str, Any],
    items: Sequence[Any] | None,
    credentials: Mapping[str, Any] | None,
    settings: Mapping[str, Any] | None = None,
    http_client: httpx.Client | None = None,
    *,
    session: Session | None = None,
    concurrency: int = 1,
    on_item: Callable[[ItemOutcome], None] | None = None,
    **session_options: Any,
) -> ExecutionResult:
    """Run the node over items (see the module docstring).

    With `concurrency` > 1 items run on a thread pool; outputs stay in input order. `on_item`
    is called once per finished item (from worker threads). On KeyboardInterrupt, items not
    started are cancelled, items in flight finish, and the interrupt propagates.
    """
    items = [{"json": {}}] if items is None else items
    run_settings = settings_for(node, settings)
    plan = _Plan(node, models, parameters, run_settings)
    own = session is None
    session = session or Session(node, credentials, http_client=http_client, **session_options)
    policy = run_settings.retry_policy(session.retry)
    stop = _Stop(run_settings.on_error == "stopWorkflow")

    def run(index: int, item: Any) -> ItemOutcome | None:
        if stop.failed:
            return None
        try:
            request = plan.prepare(index, item)
            outcome = plan.finish(index, fetch(session, request, policy))
        except errors.NodeError as error:
            outcome = ItemOutcome(index, error=error)
        stop.after(outcome)
        if on_item:
            on_item(outcome)
        return outcome

    inputs = _inputs(run_settings, items)
    try:
        if concurrency <= 1:
            done = [run(index, item) for index, item in inputs if not stop.failed]
        else:
            pool = ThreadPoolExecutor(max_workers=concurrency)
            try:
                futures = [pool.submit(run, index, item) for index, item in inputs]
                done = [future.result() for future in futures]
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        if own:
            session.close()
    return _collect(plan, items, [outcome for outcome in done if outcome is not None])


async def execute_async(
    node: Node,
    models: ModuleType,
    parameters: Mapping[str, Any],
    items: Sequence[Any] | None,
    credentials: Mapping[str, Any] | None,
    settings: Mapping[str, Any] | None = None,
    http_client: httpx.AsyncClient | None = None,
    *,
    session: AsyncSession | None = None,
    concurrency: int = 1,
    on_item: Callable[[ItemOutcome], None] | None = None,
    **session_options: Any,
) -> ExecutionResult:
    """The async twin of `execute`: the same semantics, with at most `concurrency` in flight."""
    items = [{"json": {}}] if items is None else items
    run_settings = settings_for(node, settings)
    plan = _Plan(node, models, parameters, run_settings)
    own = session is None
    session = session or AsyncSession(node, credentials, http_client=http_client, **session_options)
    policy = run_settings.retry_policy(session.retry)
    stop = _Stop(run_settings.on_error == "stopWorkflow")
    gate = asyncio.Semaphore(max(1, concurrency))

    async def run(index: int, item: Any) -> ItemOutcome | None:
        async with gate:
            if stop.failed:
                return None
            try:
                request = plan.prepare(index, item)
                outcome = plan.finish(index, await afetch(session, request, policy))
            except errors.NodeError as error:
                outcome = ItemOutcome(index, error=error)
        stop.after(outcome)
        if on_item:
            on_item(outcome)
        return outcome

    inputs = _inputs(run_settings, items)
    try:
        if concurrency <= 1:
            done = [await run(index, item) for index, item in inputs if not stop.failed]
        else:
            done = list(await asyncio.gather(*(run(index, item) for index, item in inputs)))
    finally:
        if own:
            await session.aclose()
    return _collect(plan, items, [outcome for outcome in done if outcome is not None])
