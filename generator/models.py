"""Pydantic models from the parameters' JSON Schema, with datamodel-code-generator."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from generator.cache import DISABLED, ContentCache
from generator.fingerprint import installed_version

if TYPE_CHECKING:
    from generator.helper import Helper

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


def models_source(schema: dict[str, Any], cache: ContentCache = DISABLED, helper: Helper | None = None) -> Callable[[], str]:
    """The models' source, as a function that returns it. With a helper process,
    datamodel-code-generator runs there while this process renders and formats the other files."""
    key = json.dumps([installed_version("datamodel-code-generator"), DATAMODEL_OPTIONS, schema], sort_keys=True)
    # The cache holds datamodel-code-generator's output; what we do to it is applied after.
    cached = cache.lookup("models", key)
    if cached is not None:
        return lambda: _tidy(cached)
    pending = helper.submit(_generate, schema) if helper is not None else None

    def result() -> str:
        source = pending.result() if pending is not None else _generate(schema)
        cache.store("models", key, source)
        return _tidy(source)

    return result


def _generate(schema: dict[str, Any]) -> str:
    from datamodel_code_generator import DataModelType, InputFileType, PythonVersion, generate  # type: ignore[attr-defined]

    with warnings.catch_warnings():
        # It warns that a float enum value widens the Literal to `float`: the runtime checks
        # such values against the options itself (calls.validate).
        warnings.filterwarnings("ignore", "a Literal of the output model cannot hold", UserWarning)
        source = generate(
            schema,
            input_file_type=InputFileType.JsonSchema,
            output_model_type=DataModelType.PydanticV2BaseModel,
            target_python_version=PythonVersion.PY_311,
            **DATAMODEL_OPTIONS,
        )
    assert isinstance(source, str)
    return source


def _tidy(source: str) -> str:
    """Drop datamodel-code-generator's header (the template adds ours) and group its imports
    as isort does: __future__, standard library, third party."""
    lines = source.splitlines(keepends=True)
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    count = next((i for i, line in enumerate(lines) if not line.startswith(("from ", "import "))), len(lines))
    groups: dict[int, list[str]] = {0: [], 1: [], 2: []}
    for line in lines[:count]:
        module = line.split()[1].split(".")[0]
        groups[0 if module == "__future__" else 1 if module in sys.stdlib_module_names else 2].append(line)
    head = "\n".join("".join(sorted(group)) for group in groups.values() if group)
    return head + "".join(lines[count:])
