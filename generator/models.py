"""Pydantic models from the parameters' JSON Schema, with datamodel-code-generator."""

from __future__ import annotations

import json
from importlib import metadata
from typing import Any

from generator.cache import DISABLED, ContentCache

DATAMODEL_OPTIONS: dict[str, Any] = {
    "disable_timestamp": True,
    "use_standard_collections": True,
    "use_union_operator": True,
    "field_constraints": True,
    "use_annotated": True,
    "enum_field_as_literal": "all",
    "use_double_quotes": True,
    "strict_nullable": True,
    "use_schema_description": True,
    "use_field_description": True,
    "formatters": [],
}


def models_source(schema: dict[str, Any], cache: ContentCache = DISABLED) -> str:
    key = json.dumps([metadata.version("datamodel-code-generator"), DATAMODEL_OPTIONS, schema], sort_keys=True)
    return cache.get("models", key, lambda: _generate(schema))


def _generate(schema: dict[str, Any]) -> str:
    from datamodel_code_generator import DataModelType, InputFileType, PythonVersion, generate  # type: ignore[attr-defined]

    source = generate(
        schema,
        input_file_type=InputFileType.JsonSchema,
        output_model_type=DataModelType.PydanticV2BaseModel,
        target_python_version=PythonVersion.PY_311,
        **DATAMODEL_OPTIONS,
    )
    assert isinstance(source, str)
    # Drop datamodel-code-generator's own header; ours is added by the template.
    lines = source.splitlines()
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines) + "\n"
