"""The Python annotation and signature default of each parameter in generated code."""

from __future__ import annotations

from generator.pysource import literal
from generator.runtime.descriptors import Field, Output

_SIMPLE = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "json": "str | dict[str, Any] | list[Any]",
    "dateTime": "str | float",
    "fixedCollection": "dict[str, Any]",
}


def annotation(f: Field) -> str:
    if f.type == "options":
        # A float cannot be a Literal value: such options widen to `float` (the model still
        # checks that the value is one of them).
        exact = [literal(o.value) for o in f.options if not isinstance(o.value, float)]
        union = ["float"] if len(exact) < len(f.options) else []
        return " | ".join(union + (["Literal[" + ", ".join(exact) + "]"] if exact else []))
    if f.transform == "comma_list":
        return "str | list[str]"
    return _SIMPLE[f.type]


def parameter(f: Field) -> str:
    """`name: type = default` for a keyword-only parameter of a generated function."""
    if f.always_required:
        return f"{f.python_name}: {annotation(f)}"
    if f.has_default and f.parent is None and f.default is not None and f.type in ("options", "boolean", "integer", "number"):
        return f"{f.python_name}: {annotation(f)} = {literal(f.default)}"
    return f"{f.python_name}: {annotation(f)} | None = None"


def returns(output: Output) -> str:
    return "list[dict[str, Any]]" if output.split else "dict[str, Any]"
