"""One operation call: validate the values with the operation's model, prepare, send, shape."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

import pydantic

from .descriptors import Operation
from .errors import ValidationError
from .http import AsyncSession, RetryPolicy, Session
from .pages import afetch, fetch
from .request import PreparedRequest, active_fields, conditions_hold, prepare

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid() -> str:
    """A ULID: 48 bits of milliseconds then 80 random bits, in Crockford base32 (26 chars)."""
    number = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(number >> shift) & 31] for shift in range(125, -1, -5))


def validate(
    op: Operation, model: type[pydantic.BaseModel], given: Mapping[str, Any], *, strict: bool = True
) -> dict[str, Any]:
    """Check values keyed by Python name; return them keyed by spec name (None dropped).

    `strict` also rejects values given for parameters that do not apply (display conditions).
    """
    by_python = {f.python_name: f for f in op.fields}
    supplied = {key: value for key, value in given.items() if value is not None}
    try:
        checked = model.model_validate(supplied)
    except pydantic.ValidationError as exc:
        raise ValidationError([_problem(by_python, err) for err in exc.errors()]) from None
    values = {
        by_python[name].name: value
        for name, value in checked.model_dump().items()
        if value is not None and name in by_python
    }
    if strict:
        active = {f.name for f in active_fields(op, values)}
        stray = [
            f
            for f in op.fields
            if f.name not in active
            and f.python_name in supplied
            and not (f.has_default and supplied[f.python_name] == f.default)
        ]
        if stray:
            raise ValidationError(
                [
                    (f.name, f"does not apply here ({_conditions_text(f.show, f.hide)})")
                    for f in stray
                ]
            )
        values = {name: value for name, value in values.items() if name in active}
    return values


def _problem(by_python: Mapping[str, Any], err: Any) -> tuple[str, str]:
    loc = err.get("loc") or ("?",)
    head = str(loc[0])
    name = by_python[head].name if head in by_python else head
    where = "".join(f"[{part!r}]" for part in loc[1:])
    message = err.get("msg", "invalid")
    if err.get("type") not in ("missing", "extra_forbidden") and "input" in err:
        shown = repr(err["input"])
        message += f" (got {shown[:80] + '...' if len(shown) > 80 else shown})"
    if err.get("type") == "extra_forbidden":
        message = "is not a parameter of this operation"
    return (name + where, message)


def _conditions_text(show: Mapping[str, Any], hide: Mapping[str, Any]) -> str:
    parts = [f"{name} is {' or '.join(map(_js, allowed))}" for name, allowed in show.items()]
    parts += [f"{name} is not {' or '.join(map(_js, denied))}" for name, denied in hide.items()]
    return "only when " + " and ".join(parts)


def _js(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value)


def prepared(
    op: Operation, model: type[pydantic.BaseModel], given: Mapping[str, Any]
) -> PreparedRequest:
    return prepare(op, validate(op, model, given), new_ulid)


def call(
    session: Session,
    op: Operation,
    model: type[pydantic.BaseModel],
    given: Mapping[str, Any],
    retry: RetryPolicy | None = None,
) -> list[dict[str, Any]]:
    return fetch(session, prepared(op, model, given), retry)


async def acall(
    session: AsyncSession,
    op: Operation,
    model: type[pydantic.BaseModel],
    given: Mapping[str, Any],
    retry: RetryPolicy | None = None,
) -> list[dict[str, Any]]:
    return await afetch(session, prepared(op, model, given), retry)


__all__ = ["acall", "call", "conditions_hold", "new_ulid", "prepared", "validate"]
