"""Node parameters as n8n stores them in a workflow -> values for one item.

n8n keeps collection sub-options nested (`additionalFields.email`) and fixedCollections as
`{"customProperty": [{"key": ..., "value": ...}]}`; the models are flat. This module resolves
expressions per item, applies declared defaults, drops what the display conditions hide, and
flattens, so the rest of the runtime never sees n8n's storage shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import expressions
from .descriptors import Field, Node, Operation
from .errors import ValidationError
from .request import active_fields


def select_operation(node: Node, parameters: Mapping[str, Any]) -> Operation:
    resource_name = parameters.get("resource", node.default_resource)
    resource = next((r for r in node.resources if r.name == resource_name), None)
    if resource is None:
        names = ", ".join(r.name for r in node.resources)
        raise ValidationError(
            [("resource", f"unknown resource {resource_name!r}; one of: {names}")]
        )
    operation_name = parameters.get("operation", resource.default_operation)
    for op in resource.operations:
        if op.name == operation_name:
            return op
    names = ", ".join(op.name for op in resource.operations)
    raise ValidationError(
        [
            (
                "operation",
                f"unknown operation {operation_name!r} for {resource_name}; one of: {names}",
            )
        ]
    )


def item_values(
    op: Operation, parameters: Mapping[str, Any], item_json: Any, item_index: int
) -> dict[str, Any]:
    """Values keyed by Python name for one item, ready for `calls.validate`."""
    context = expressions.ExpressionContext(
        json=item_json, parameters=parameters, item_index=item_index
    )
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    collections: dict[str, Mapping[str, Any]] = {}
    for collection in op.collections:
        raw = _resolve(parameters.get(collection.name, {}), collection.name, context, problems)
        collections[collection.name] = raw if isinstance(raw, Mapping) else {}
    for f in op.fields:
        if f.parent is None:
            if f.name in parameters:
                value = _resolve(parameters[f.name], f.name, context, problems)
                values[f.name] = _pairs(f, value) if f.type == "fixedCollection" else value
            elif f.has_default:
                values[f.name] = f.default
        elif f.name in collections.get(f.parent, {}):
            raw = collections[f.parent][f.name]
            if raw == "":  # an added but empty option means "not set", as in n8n
                continue
            values[f.name] = _pairs(f, raw) if f.type == "fixedCollection" else raw
    if problems:
        raise ValidationError(problems)
    values = {name: _coerce(op.field(name), value) for name, value in values.items()}
    active = active_fields(op, values)
    return {f.python_name: values[f.name] for f in active if f.name in values}


def _resolve(
    value: Any, name: str, context: expressions.ExpressionContext, problems: list[tuple[str, str]]
) -> Any:
    try:
        return expressions.resolve(value, context)
    except expressions.ExpressionError as exc:
        problems.append((name, str(exc)))
        return None


def _pairs(f: Field, raw: Any) -> Any:
    """`{"customProperty": [{"key": k, "value": v}, ...]}` -> `{k: v}`; a later key wins (as n8n)."""
    if not isinstance(raw, Mapping):
        return {}
    if f.group not in raw:  # already a plain mapping
        return dict(raw)
    rows = raw[f.group] or []
    if not isinstance(rows, list):
        rows = [rows]
    return {
        str(row.get(f.mapping_key, "")): row.get(f.mapping_value)
        for row in rows
        if isinstance(row, Mapping)
    }


def _coerce(f: Field, value: Any) -> Any:
    """n8n hands item JSON straight to parameters: numbers where ids are text, "true" for booleans."""
    if f.type == "string" and _is_number(value):
        return str(value)
    if f.transform == "comma_list" and isinstance(value, list):
        return [str(v) if _is_number(v) else v for v in value]
    if f.type == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
