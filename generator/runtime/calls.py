"""One operation call: validate the values with the operation's model, prepare, send, shape."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

import pydantic

from .descriptors import Field, Operation
from .errors import ValidationError
from .http import AsyncSession, RetryPolicy, Session
from .pages import afetch, fetch
from .request import PreparedRequest, conditions_hold, plan_of, prepare, shown_fields

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = [first + second for first in _CROCKFORD for second in _CROCKFORD]  # by 10-bit value


def new_ulid() -> str:
    """A ULID: 48 bits of milliseconds then 80 random bits, in Crockford base32 (26 chars)."""
    number = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join([_PAIRS[(number >> shift) & 1023] for shift in range(120, -1, -10)])


def validate(
    op: Operation, model: type[pydantic.BaseModel], given: Mapping[str, Any], *, strict: bool = True
) -> dict[str, Any]:
    """Check values keyed by Python name; return them keyed by spec name (None dropped).

    `strict` also rejects values given for parameters that do not apply (display conditions).
    """
    plan = plan_of(op)
    by_python = plan.by_python
    supplied = {key: value for key, value in given.items() if value is not None}
    # pydantic's lax mode reads True as 1: a boolean is never a number, a date or a number option.
    booleans = [
        (f.name, _not_a_boolean(f, supplied[f.python_name]))
        for f in plan.numeric
        if isinstance(supplied.get(f.python_name), bool)
    ]
    if booleans:
        raise ValidationError(booleans)
    try:
        checked = model.model_validate(supplied)
    except pydantic.ValidationError as exc:
        raise ValidationError(_problems(by_python, exc.errors())) from None
    values = {
        by_python[name].name: value
        for name, value in checked.model_dump(by_alias=True).items()
        if value is not None and name in by_python
    }
    # A float option is typed `float` (it cannot be a Literal): check it is one of the options.
    off = [
        f for f in plan.float_options if f.name in values and values[f.name] not in f.option_values
    ]
    if off:
        raise ValidationError([(f.name, _not_an_option(f, supplied[f.python_name])) for f in off])
    active_list, hidden = shown_fields(op, values)
    missing = [
        f for f in active_list if f.name in plan.required_when_shown and values.get(f.name) is None
    ]
    if missing:
        raise ValidationError([(f.name, "is required here") for f in missing])
    if strict:
        stray = [
            f
            for f in hidden
            if f.python_name in supplied
            and not (f.has_default and supplied[f.python_name] == f.default)
        ]
        if stray:
            raise ValidationError(
                [
                    (f.name, f"does not apply here ({_conditions_text(*_conditions(op, f))})")
                    for f in stray
                ]
            )
    return {f.name: values[f.name] for f in active_list if f.name in values}


def _problems(by_python: Mapping[str, Any], errs: list[Any]) -> list[tuple[str, str]]:
    """One problem per parameter: a union's branches (e.g. text or list) become one message."""
    grouped: dict[str, list[Any]] = {}
    for err in errs:
        grouped.setdefault(str((err.get("loc") or ("?",))[0]), []).append(err)
    problems = []
    for head, group in grouped.items():
        name = by_python[head].name if head in by_python else head
        first = group[0]
        if first.get("type") == "extra_forbidden":
            problems.append((name, "is not a parameter of this operation"))
            continue
        where = "".join(f"[{part!r}]" for part in first["loc"][1:]) if len(group) == 1 else ""
        message = " or ".join(dict.fromkeys(err.get("msg", "invalid") for err in group))
        if (
            first.get("type") == "string_pattern_mismatch"
            and head in by_python
            and by_python[head].format == "email"
        ):
            message = "is not an email address"
        if first.get("type") != "missing" and "input" in first:
            value = group[-1]["input"] if len(group) > 1 else first["input"]
            shown = repr(value)
            message += f" (got {shown[:80] + '...' if len(shown) > 80 else shown})"
        problems.append((name + where, message))
    return problems


def _not_a_boolean(f: Field, value: bool) -> str:
    if f.type == "options":
        return _not_an_option(f, value)
    return "is not a date: a boolean" if f.type == "dateTime" else "must be a number, not a boolean"


def _not_an_option(f: Field, value: Any) -> str:
    shown = [repr(v) for v in f.option_values]
    listed = " or ".join(shown) if len(shown) < 3 else ", ".join(shown[:-1]) + " or " + shown[-1]
    return f"Input should be {listed} (got {value!r})"


def _conditions(op: Operation, f: Field) -> tuple[dict[str, Any], dict[str, Any]]:
    """A field's display conditions, with those of its collection."""
    show, hide = dict(f.show), dict(f.hide)
    for collection in op.collections:
        if collection.name == f.parent:
            show.update(collection.show)
            hide.update(collection.hide)
    return show, hide


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
