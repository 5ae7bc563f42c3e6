"""Table-driven checks: one `Case` per operation call, run through the three entry points.

A case states the typed-client keyword arguments and the equivalent n8n parameters, and what
must happen on the wire (method, every request's path and query, the JSON body) and what comes
back (the items). `run()` performs it through the sync `Client`, the `AsyncClient` or
`execute()`, and `check_wire()` compares the server's journal with the case.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from generator.naming import python_name
from tests.shapes.servers import FakeApi, Request

MODES = ("client", "async", "execute")
NO_BODY = object()


@dataclass
class Case:
    id: str
    resource: str
    operation: str
    kwargs: dict[str, Any]  # typed client keyword arguments (Python names)
    parameters: dict[str, Any]  # the same call as n8n stores it (resource/operation added by run)
    method: str
    targets: list[str]  # every request, in order: path and query (query order is not significant)
    items: list[dict[str, Any]]
    body: Any = NO_BODY  # the JSON body of every request; NO_BODY: the request has none
    split: bool = True  # the client returns a list (else one dict)
    xfail: dict[str, str] = field(default_factory=dict)  # mode -> reason (a known generator gap)


def params(cases: list[Case]) -> list[Any]:
    """pytest params (case, mode) with the known gaps marked xfail(strict=True)."""
    out = []
    for case in cases:
        for mode in MODES:
            marks = [pytest.mark.xfail(strict=True, reason=case.xfail[mode])] if mode in case.xfail else []
            out.append(pytest.param(case, mode, id=f"{case.id}-{mode}", marks=marks))
    return out


def normalized(target: str) -> tuple[str, list[tuple[str, str]]]:
    split = urlsplit(target)
    return split.path, sorted(parse_qsl(split.query, keep_blank_values=True))


def run(
    package: ModuleType,
    case: Case,
    mode: str,
    base: str,
    credentials: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Perform the case through one entry point; return the output items."""
    resource, operation = python_name(case.resource), python_name(case.operation)
    base_urls = {"api": base}
    if mode == "client":
        with package.Client(credentials, base_urls=base_urls) as client:
            result = getattr(getattr(client, resource), operation)(**case.kwargs)
        return result if case.split else [result]
    if mode == "async":

        async def go() -> Any:
            async with package.AsyncClient(credentials, base_urls=base_urls) as client:
                return await getattr(getattr(client, resource), operation)(**case.kwargs)

        result = asyncio.run(go())
        return result if case.split else [result]
    assert mode == "execute"
    parameters = {"resource": case.resource, "operation": case.operation, **case.parameters}
    outcome = package.execute(parameters, [{"json": {}}], credentials, base_urls=base_urls)
    assert outcome.error == []
    assert all(item["pairedItem"] == {"item": 0} for item in outcome.main)
    return [item["json"] for item in outcome.main]


def check_wire(server: FakeApi, case: Case) -> list[Request]:
    journal = list(server.journal)
    assert [r.method for r in journal] == [case.method] * len(case.targets)
    assert [normalized(r.target) for r in journal] == [normalized(t) for t in case.targets]
    for request in journal:
        if case.body is NO_BODY:
            assert request.raw_body == b"" and "content-type" not in request.headers
        else:
            assert request.headers["content-type"] == "application/json"
            assert request.body == case.body
    return journal


def check_case(
    package: ModuleType, server: FakeApi, case: Case, mode: str, credentials: dict[str, Any] | None
) -> list[Request]:
    items = run(package, case, mode, server.base, credentials)
    journal = check_wire(server, case)
    assert items == case.items
    return journal
