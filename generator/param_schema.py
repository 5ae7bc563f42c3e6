"""The JSON Schema of each operation's parameters, derived from the spec.

datamodel-code-generator turns it into the pydantic models; it is also shipped in the package
(`schema.json`) for other tools. Property names are the Python names.
"""

from __future__ import annotations

from typing import Any

from generator import naming
from generator.runtime.descriptors import Field, Node
from generator.runtime.transforms import EMAIL

EMAIL_PATTERN = f"^{EMAIL.pattern}$"


def field_schema(f: Field) -> dict[str, Any]:
    schema: dict[str, Any]
    if f.type == "string" and f.transform == "comma_list":
        schema = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    elif f.type in ("string", "dateTime") and f.transform != "unix_seconds" or f.type == "string":
        schema = {"type": "string"}
        if f.required and f.location == "path" or f.min_length:
            schema["minLength"] = f.min_length or 1
        if f.max_length:
            schema["maxLength"] = f.max_length
        if f.format == "email":
            schema["pattern"] = EMAIL_PATTERN
    elif f.type == "dateTime":
        schema = {"anyOf": [{"type": "string"}, {"type": "number"}]}
    elif f.type in ("integer", "number"):
        schema = {"type": f.type}
        if f.minimum is not None:
            schema["minimum"] = f.minimum
        if f.maximum is not None:
            schema["maximum"] = f.maximum
    elif f.type == "boolean":
        schema = {"type": "boolean"}
    elif f.type == "options":
        schema = {"enum": [o.value for o in f.options]}
    elif f.type == "json":
        schema = {"anyOf": [{"type": "string"}, {"type": "object"}, {"type": "array"}]}
    else:  # fixedCollection with a key/value mapping
        schema = {"type": "object", "additionalProperties": True}
    schema["title"] = f.display_name
    if f.description:
        schema["description"] = f.description
    if f.has_default and not f.always_required and f.parent is None:
        schema["default"] = f.default  # a collection option that was not added has no value
    return schema


def parameters_schema(node: Node) -> dict[str, Any]:
    defs: dict[str, Any] = {}
    for resource in node.resources:
        for op in resource.operations:
            defs[op.model] = {
                "type": "object",
                "title": op.model,
                "description": f"Parameters of {node.display_name} {resource.display_name}: {op.display_name} ({op.qualified_name}).",
                "additionalProperties": False,
                "properties": {f.python_name: field_schema(f) for f in op.fields},
                "required": [f.python_name for f in op.fields if f.always_required],
            }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": naming.pascal(node.name, "parameters"),
        "description": f"Parameters of every {node.display_name} operation.",
        "oneOf": [{"$ref": f"#/$defs/{name}"} for name in defs],
        "$defs": defs,
    }
