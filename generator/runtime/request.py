"""Turn validated parameter values into the request an operation sends, and its answer into items.

Everything here is pure: no I/O, so it is the same for the sync and async clients, for the
runner and for the CLI, and every problem is found before a request is sent.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .descriptors import Conditions, Field, Operation
from .errors import ValidationError
from .transforms import EMAIL, TRANSFORMS, check_bytes, parse_json

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class PreparedRequest:
    operation: Operation
    method: str
    base: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: dict[str, Any] | None
    values: Mapping[str, Any]

    @property
    def safe_to_retry(self) -> bool:
        """May this request be sent again after it possibly reached the server?"""
        op = self.operation
        return self.method in SAFE_METHODS or op.idempotent or op.dedup_key is not None


def conditions_hold(show: Conditions, hide: Conditions, values: Mapping[str, Any]) -> bool:
    for name, allowed in show.items():
        if not _among(values.get(name), allowed):
            return False
    return not any(_among(values.get(name), denied) for name, denied in hide.items())


def _among(value: Any, allowed: tuple[Any, ...]) -> bool:
    # 0 == False in Python; display conditions compare like JSON, type included.
    return any(type(value) is type(candidate) and value == candidate for candidate in allowed)


@dataclass(frozen=True)
class Plan:
    """What every call of one operation shares, worked out once instead of on each call."""

    by_python: dict[str, Field]
    # integer, number, dateTime, options of numbers: pydantic would take True as 1
    numeric: tuple[Field, ...]
    float_options: tuple[Field, ...]  # options with a float value: typed `float`, not a Literal
    # Each field with the display conditions it depends on (its own, then its collection's).
    conditions: tuple[tuple[Field, tuple[tuple[Conditions, Conditions], ...]], ...]
    condition_names: tuple[str, ...]  # the parameters those conditions read
    required_when_shown: frozenset[str]
    sent: tuple[Field, ...]  # fields with a location in the request
    has_body: bool
    # (shown fields, hidden fields) by the values of `condition_names` (see `shown_fields`)
    shown: dict[Any, tuple[tuple[Field, ...], tuple[Field, ...]]]


_PLANS: dict[int, Plan] = {}


def plan_of(op: Operation) -> Plan:
    # Keyed by id: descriptors hold dicts, so they cannot be hashed. The entry goes when `op`
    # does, so an id is never reused for another operation while it is cached.
    plan = _PLANS.get(id(op))
    if plan is None:
        plan = _PLANS[id(op)] = _plan(op)
        weakref.finalize(op, _PLANS.pop, id(op), None)
    return plan


def _plan(op: Operation) -> Plan:
    collections = {c.name: c for c in op.collections}
    conditions = []
    for f in op.fields:
        parent = collections.get(f.parent) if f.parent else None
        pairs = [(f.show, f.hide)] + ([(parent.show, parent.hide)] if parent else [])
        conditions.append((f, tuple((show, hide) for show, hide in pairs if show or hide)))
    names = dict.fromkeys(
        name for _, pairs in conditions for show, hide in pairs for name in (*show, *hide)
    )
    return Plan(
        by_python={f.python_name: f for f in op.fields},
        numeric=tuple(
            f
            for f in op.fields
            if f.type in ("integer", "number", "dateTime") or _numeric_options(f)
        ),
        float_options=tuple(
            f for f in op.fields if any(isinstance(v, float) for v in f.option_values)
        ),
        conditions=tuple(conditions),
        condition_names=tuple(names),
        required_when_shown=frozenset(
            f.name for f in op.fields if f.required and not f.always_required
        ),
        sent=tuple(f for f in op.fields if f.location != "none"),
        has_body=bool(op.body) or any(f.location == "body" for f in op.fields),
        shown={},
    )


def _numeric_options(f: Field) -> bool:
    values = f.option_values
    return any(isinstance(v, (int, float)) for v in values) and not any(
        isinstance(v, bool) for v in values
    )


def shown_fields(
    op: Operation, values: Mapping[str, Any]
) -> tuple[tuple[Field, ...], tuple[Field, ...]]:
    """The fields whose display conditions hold, and the others, in spec order."""
    plan = plan_of(op)
    # Conditions compare type and value (`_among`), so the same (type, value) pairs of the
    # names they read give the same answer.
    key = tuple([(type(value), value) for value in map(values.get, plan.condition_names)])
    try:
        return plan.shown[key]
    except KeyError:
        cacheable = len(plan.shown) < 64  # a few switch settings; never grows without bound
    except TypeError:  # a value that cannot be hashed (a list, a dict): work it out each time
        cacheable = False
    shown: list[Field] = []
    hidden: list[Field] = []
    for f, conditions in plan.conditions:
        holds = all(conditions_hold(show, hide, values) for show, hide in conditions)
        (shown if holds else hidden).append(f)
    result = tuple(shown), tuple(hidden)
    if cacheable:
        plan.shown[key] = result
    return result


def active_fields(op: Operation, values: Mapping[str, Any]) -> tuple[Field, ...]:
    return shown_fields(op, values)[0]


def prepare(op: Operation, values: Mapping[str, Any], new_id: Callable[[], str]) -> PreparedRequest:
    """Build the request from values keyed by spec name, already checked by the model and
    limited to the fields that apply (`calls.validate`)."""
    problems: list[tuple[str, str]] = []
    path_values: dict[str, str] = {}
    query: dict[str, Any] = {}
    plan = plan_of(op)
    body: dict[str, Any] = {}
    for constant in op.body:
        if conditions_hold(constant.show, constant.hide, values):
            _set(body, constant.key, copy_json(constant.value))
    for f in plan.sent:  # `values` holds only the fields that apply (see calls.validate)
        value = values.get(f.name)
        if value is None:
            continue
        try:
            value = _convert(f, value)
        except ValueError as exc:
            problems.append((f.name, str(exc)))
            continue
        if value is None or (f.omit_if and _among(value, f.omit_if)):
            continue
        if isinstance(value, str) and value in f.value_map:
            value = f.value_map[value]
        if f.spread and f.type == "json":
            try:
                value = _like_siblings(op, f, value)
            except ValueError as exc:
                problems.append((f.name, str(exc)))
                continue
        if f.location == "path":
            path_values[f.name] = _segment(_wire_text(value))
        elif f.location == "query":
            query.update(value if f.spread else {f.key: value})
        elif f.spread:
            target = _object_at(body, f.key) if f.key else body
            target.update(value)
        else:
            _set(body, f.key, value)
    for check in op.checks:
        checked = get_path(body, check.key)
        try:
            check_bytes(
                "" if checked is None else str(checked),
                minimum=check.min_bytes,
                maximum=check.max_bytes,
            )
        except ValueError as exc:
            problems.append((check.param, str(exc)))
    if problems:
        raise ValidationError(problems)
    if op.dedup_key and plan.has_body and get_path(body, op.dedup_key) is None:
        _set(body, op.dedup_key, new_id())
    if op.pagination is not None:
        query.update(_first_page(op, values))
    path = op.path
    for name, encoded in path_values.items():
        path = path.replace("{" + name + "}", encoded)
    return PreparedRequest(
        operation=op,
        method=op.method,
        base=op.base,
        path=path,
        query=tuple((key, _wire_text(value)) for key, value in query.items()),
        body=body if plan.has_body else None,
        values=values,
    )


def _like_siblings(op: Operation, spread: Field, value: dict[str, Any]) -> dict[str, Any]:
    """Keys of a spread JSON object that a sibling field also sends obey that field's rules.

    So JSON mode cannot bypass validation, conversions, omissions or value mapping (e.g.
    getMetrics `type`, upsert `created_at` and `email`, track `name`).
    """
    siblings = {
        f.key: f
        for f in op.fields
        if f.location == spread.location and f.key and f.type != "json" and f is not spread
    }
    result: dict[str, Any] = {}
    for key, item in value.items():
        sibling = siblings.get(key)
        if sibling is None:
            result[key] = item
            continue
        try:
            item = _sibling_value(sibling, item)
        except ValueError as exc:
            raise ValueError(f"{key!r} {exc}") from None
        if not _among(item, sibling.omit_if):
            result[key] = sibling.value_map.get(item, item) if isinstance(item, str) else item
    return result


def _sibling_value(sibling: Field, item: Any) -> Any:
    if sibling.spread:
        if not isinstance(item, dict):
            raise ValueError(f"must be an object, got {type(item).__name__}")
        return item
    if sibling.options and not any(_among(item, (o.value,)) for o in sibling.options):
        allowed = ", ".join(repr(o.value) for o in sibling.options)
        raise ValueError(f"must be one of {allowed}, got {item!r}")
    if sibling.type in ("integer", "number"):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise ValueError(f"must be a number, got {item!r}")
        if sibling.minimum is not None and item < sibling.minimum:
            raise ValueError(f"must be at least {sibling.minimum:g}, got {item}")
        if sibling.maximum is not None and item > sibling.maximum:
            raise ValueError(f"must be at most {sibling.maximum:g}, got {item}")
    if sibling.type == "string" and sibling.transform is None:
        if not isinstance(item, str):
            raise ValueError(f"must be text, got {item!r}")
        if sibling.format == "email" and not EMAIL.fullmatch(item):
            raise ValueError(f"is not an email address: {item!r}")
        check_bytes(item, maximum=sibling.max_bytes)
    if sibling.transform:
        item = TRANSFORMS[sibling.transform](item, sibling)
    return item


def _first_page(op: Operation, values: Mapping[str, Any]) -> dict[str, Any]:
    pages = op.pagination
    assert pages is not None
    first: dict[str, Any] = {} if pages.style == "cursor" else {pages.param: pages.start}
    if pages.size_param and pages.size:
        first[pages.size_param] = pages.size
    return first


def _convert(f: Field, value: Any) -> Any:
    if f.type == "json":
        value = parse_json(value, f)
        if f.spread and value is not None:
            if not isinstance(value, dict):
                raise ValueError(f"must be a JSON object, got {type(value).__name__}")
            unknown = sorted(set(value) - set(f.allowed_keys)) if f.allowed_keys else []
            if unknown:
                raise ValueError(
                    f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(f.allowed_keys)}"
                )
    if f.transform:
        value = TRANSFORMS[f.transform](value, f)
    if isinstance(value, str) and f.max_bytes is not None:
        check_bytes(value, maximum=f.max_bytes)
    if f.location == "path" and isinstance(value, str) and not value:
        raise ValueError("must not be empty")
    return value


def _segment(text: str) -> str:
    """One percent-encoded path segment (D1); `.` and `..` too, or URL normalisation eats them."""
    encoded = quote(text, safe="")
    return encoded.replace(".", "%2E") if set(encoded) == {"."} else encoded


def _wire_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_wire_text(item) for item in value)
    return str(value)


def _set(target: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        target = _object_at(target, part)
    target[last] = value


def _object_at(target: dict[str, Any], dotted: str) -> dict[str, Any]:
    for part in dotted.split("."):
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    return target


def copy_json(value: Any) -> Any:
    """A deep copy of JSON data from the spec (dicts, lists, scalars), cheaper than deepcopy."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


def get_path(target: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(target, dict):
            return None
        target = target.get(part)
    return target


def shape_output(request: PreparedRequest, response: Any) -> list[dict[str, Any]]:
    """The output items of one request, as the spec's `output` describes them."""
    output = request.operation.output
    if output.source == "constant":
        return [copy_json(dict(output.value))]
    if output.source == "request_body":
        head = {key: request.values.get(param) for key, param in output.prepend.items()}
        return [{**head, **copy.deepcopy(request.body or {})}]
    data = get_path(response, output.select) if output.select else response
    if output.split:
        elements = data if isinstance(data, list) else ([] if data is None else [data])
        return [e if isinstance(e, dict) else {"value": e} for e in elements]
    if data is None:
        return [{}]
    return [data if isinstance(data, dict) else {"value": data}]
