"""Fetch every page of a list operation (or up to its limit) and shape the items.

The page logic is pure (`next_page`, `_page_loop`); `fetch` and `afetch` only drive it with
I/O, so the sync and async paths cannot disagree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from typing import Any

from .http import AsyncSession, RetryPolicy, Session
from .request import PreparedRequest, get_path, shape_output


def limit_of(request: PreparedRequest) -> int | None:
    """How many items the caller wants; None means all."""
    pages = request.operation.pagination
    if pages is None or pages.limit is None:
        return None
    if pages.return_all is not None and request.values.get(pages.return_all):
        return None
    value = request.values.get(pages.limit)
    return int(value) if value is not None else None


def next_page(
    request: PreparedRequest, response: Any, batch: int, collected: int, page: int
) -> PreparedRequest | None:
    pages = request.operation.pagination
    if pages is None or page + 1 >= pages.max_pages:
        return None
    limit = limit_of(request)
    if limit is not None and collected >= limit:
        return None
    if pages.style == "cursor":
        cursor = get_path(response, pages.next or "")
        if cursor in (None, ""):
            return None
        value: Any = cursor
    else:
        if batch == 0 or (pages.size is not None and batch < pages.size):
            return None
        # page: the next page number; offset: how many items came so far (pages may vary in size)
        value = pages.start + (page + 1 if pages.style == "page" else collected)
    query = [(k, v) for k, v in request.query if k != pages.param] + [(pages.param, str(value))]
    return dataclasses.replace(request, query=tuple(query))


def _page_loop(request: PreparedRequest) -> Generator[PreparedRequest, Any, list[dict[str, Any]]]:
    """Yields each page's request, receives its decoded answer, returns the items."""
    items: list[dict[str, Any]] = []
    page = 0
    current: PreparedRequest | None = request
    while current is not None:
        response = yield current
        batch = shape_output(current, response)
        items += batch
        current, page = next_page(current, response, len(batch), len(items), page), page + 1
    limit = limit_of(request)
    return items if limit is None else items[:limit]


def fetch(
    session: Session, request: PreparedRequest, retry: RetryPolicy | None = None
) -> list[dict[str, Any]]:
    if request.operation.pagination is None:  # one request: what `_page_loop` does, directly
        return shape_output(request, session.send(request, retry))
    steps = _page_loop(request)
    response: Any = None
    try:
        while True:
            response = session.send(steps.send(response), retry)
    except StopIteration as done:
        items: list[dict[str, Any]] = done.value
        return items


async def afetch(
    session: AsyncSession, request: PreparedRequest, retry: RetryPolicy | None = None
) -> list[dict[str, Any]]:
    if request.operation.pagination is None:
        return shape_output(request, await session.send(request, retry))
    steps = _page_loop(request)
    response: Any = None
    try:
        while True:
            response = await session.send(steps.send(response), retry)
    except StopIteration as done:
        items: list[dict[str, Any]] = done.value
        return items
