"""Every error a generated node package raises.

    NodeError                    base class: catch this to catch everything below
    ├── ValidationError          a parameter is invalid; raised before any request is sent
    ├── CredentialError          a credential field the operation needs is missing
    ├── ApiError                 the API answered with an error status
    │   ├── BadRequestError      400, 409, 422 (the API rejected the request's content)
    │   ├── AuthenticationError  401, 403 (wrong key, or the other region's host)
    │   ├── NotFoundError        404
    │   ├── RateLimitError       429 (carries `retry_after` when the API sent it)
    │   └── ServerError          5xx
    ├── TransportError           no usable answer came back
    │   ├── ConnectError         the connection could not be made: the request never left
    │   ├── TimeoutError         connect, write or read timeout
    │   └── ProtocolError        the connection dropped mid-exchange, or the body was not JSON
    └── ItemError                a run stopped at an item (onError=stopWorkflow); `__cause__` is
                                 the error above that stopped it

Errors carry the HTTP method and URL, never credentials: every message is passed through
`redact()` with the credential's secrets before it is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

REDACTED = "***"


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


class NodeError(Exception):
    """Base class of every error raised by a generated node package."""

    item_index: int | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process pools and task queues: rebuild from args and attributes alike.
        return (_rebuild, (type(self), self.args, self.__dict__))

    @property
    def message(self) -> str:
        return str(self)


def _rebuild(cls: type[NodeError], args: tuple[Any, ...], state: dict[str, Any]) -> NodeError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ValidationError(NodeError, ValueError):
    """A parameter value is invalid. Raised before any request is sent."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems  # (parameter name as in the spec, problem)
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in problems))

    @property
    def parameters(self) -> list[str]:
        return [name for name, _ in self.problems]


class CredentialError(NodeError):
    """A credential field that this operation needs is missing."""


class ApiError(NodeError):
    """The API answered with an error status."""

    def __init__(
        self,
        status: int,
        api_message: str,
        method: str,
        url: str,
        *,
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        self.status = status
        self.api_message = api_message
        self.method = method
        self.url = url
        self.retry_after = retry_after
        self.attempts = attempts
        detail = f": {api_message}" if api_message else ""
        super().__init__(f"HTTP {status}{detail} ({method} {url})")


class BadRequestError(ApiError):
    """400, 409 or 422: the API rejected the request's content."""


class AuthenticationError(ApiError):
    """401 or 403: wrong key, or a request sent to the other region's host."""


class NotFoundError(ApiError):
    """404."""


class RateLimitError(ApiError):
    """429: too many requests; `retry_after` is the API's hint in seconds, if any."""


class ServerError(ApiError):
    """5xx."""


class TransportError(NodeError):
    """No usable answer came back."""

    def __init__(self, reason: str, method: str, url: str, *, attempts: int = 1) -> None:
        self.reason = reason
        self.method = method
        self.url = url
        self.attempts = attempts
        super().__init__(f"{reason} ({method} {url})")


class ConnectError(TransportError):
    """The connection could not be made; the request never reached the server."""


class TimeoutError(TransportError):  # the public name users expect (shadows the builtin here only)
    """A connect, write or read timeout."""


class ProtocolError(TransportError):
    """The connection dropped mid-exchange, or the answer was not valid JSON."""


class ItemError(NodeError):
    """A run stopped at an item (onError=stopWorkflow). `__cause__` holds the reason."""

    def __init__(
        self,
        item_index: int,
        cause: NodeError,
        sent_items: list[int],
        other_failures: list[int] | None = None,
    ) -> None:
        self.item_index = item_index
        self.cause = cause
        self.sent_items = sent_items
        self.other_failures = other_failures or []  # items in flight (concurrency) that failed too
        sent = ", ".join(map(str, sent_items)) if sent_items else "none"
        also = (
            f". Other items that failed in flight: {', '.join(map(str, self.other_failures))}"
            if self.other_failures
            else ""
        )
        super().__init__(f"item {item_index} failed: {cause}. Items already sent: {sent}{also}")


def api_error_for(status: int) -> type[ApiError]:
    if status == 429:
        return RateLimitError
    if status in (401, 403):
        return AuthenticationError
    if status == 404:
        return NotFoundError
    if status >= 500:
        return ServerError
    return BadRequestError


def api_message(body: Any) -> str:
    """The API's own error text from the usual error shapes (`meta.error(s)`, `errors[].detail`)."""
    if isinstance(body, dict):
        meta = body.get("meta")
        if isinstance(meta, dict):
            if isinstance(meta.get("errors"), list):
                return "; ".join(str(e) for e in meta["errors"])
            if meta.get("error"):
                return str(meta["error"])
        errors = body.get("errors")
        if isinstance(errors, list):
            texts = [
                str(e.get("detail") or e.get("message") or e) if isinstance(e, dict) else str(e)
                for e in errors
            ]
            return "; ".join(texts)
        for key in ("message", "error", "detail"):
            if isinstance(body.get(key), str):
                return str(body[key])
    if isinstance(body, str):
        return body[:500]
    return ""
