"""Example values for the docs: a spec's `example`, else a plausible value of the type."""

from __future__ import annotations

import json
import shlex
from typing import Any

from generator.naming import member_name
from generator.pysource import literal
from generator.runtime.descriptors import Field, Operation

_BY_TYPE: dict[str, Any] = {
    "string": "example",
    "integer": 1,
    "number": 1.5,
    "boolean": True,
    "json": "{}",
    "dateTime": "2024-01-15T10:30:00Z",
    "fixedCollection": {"plan": "pro"},
}


def _value(f: Field, examples: dict[str, Any]) -> Any:
    if f.name in examples:
        return examples[f.name]
    if f.type == "options":
        return f.default if f.has_default else f.options[0].value
    if f.has_default and f.default not in (None, "", 0):
        return f.default
    return _BY_TYPE[f.type]


def example(op: Operation, examples: dict[str, Any], package: str) -> dict[str, str]:
    """Python call and CLI line for `op`, using its required parameters (and examples given)."""
    chosen = [f for f in op.fields if f.required or f.name in examples]
    kwargs = ", ".join(f"{f.python_name}={literal(_value(f, examples))}" for f in chosen)
    flags = []
    for f in chosen:
        value = _value(f, examples)
        if f.type == "fixedCollection":
            flags += [f"{f.cli_flag} {shlex.quote(f'{k}={v}')}" for k, v in value.items()]
        else:
            text = value if isinstance(value, str) else json.dumps(value)
            flags.append(f"{f.cli_flag} {shlex.quote(text)}")
    return {
        "python": f"client.{member_name(op.resource)}.{member_name(op.name)}({kwargs})",
        "cli": " ".join([f"python -m {package}", op.resource, op.name, *flags]),
    }
