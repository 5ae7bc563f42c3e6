"""Structural validation of a spec against the published JSON Schema, with positions."""

from __future__ import annotations

import difflib
import json
from functools import cache
from pathlib import Path
from typing import Any

from generator.diagnostics import Diagnostic
from generator.yaml_source import Located

SCHEMA_PATH = Path(__file__).with_name("spec.schema.json")


@cache
def spec_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def check_structure(doc: Located) -> list[Diagnostic]:
    import jsonschema  # only validation needs it; `check` on an unchanged tree never gets here

    if not isinstance(doc.data, dict):
        kind = "a list" if isinstance(doc.data, list) else f"a {type(doc.data).__name__}"
        return [doc.diag((), f"a spec must be a mapping at the top level, not {kind}")]
    validator = jsonschema.Draft202012Validator(spec_schema())
    problems = []
    for error in validator.iter_errors(doc.data):
        problems.extend(_describe(doc, error))
    return problems


def _leaf(error: Any) -> Any:
    """For oneOf/anyOf, the branch error that got furthest is the useful one."""
    import jsonschema

    if error.validator in ("oneOf", "anyOf") and error.context:
        best = jsonschema.exceptions.best_match(error.context)
        return _leaf(best) if best is not None else error
    return error


def _describe(doc: Located, error: Any) -> list[Diagnostic]:
    error = _leaf(error)
    path = tuple(error.absolute_path)
    where = ".".join(str(p) for p in path) or "spec"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = [key for key in error.instance if key not in allowed]
        return [
            doc.diag(path + (key,), f"unknown key {key!r} in {where}{_suggest(key, allowed)}", key=True) for key in unknown
        ]
    if error.validator == "required":
        return [doc.diag(path, f"{where}: {error.message.replace(' is a required property', '')} is required")]
    if error.validator == "enum":
        choices = [str(c) for c in error.validator_value]
        return [doc.diag(path, f"{where}: {error.instance!r} is not one of {', '.join(choices)}{_suggest(str(error.instance), choices)}")]
    if error.validator == "type":
        expected = error.validator_value if isinstance(error.validator_value, str) else " or ".join(error.validator_value)
        return [doc.diag(path, f"{where}: expected {expected}, got {_json_type(error.instance)}")]
    if error.validator == "pattern":
        return [doc.diag(path, f"{where}: {error.instance!r} does not match {error.validator_value}")]
    return [doc.diag(path, f"{where}: {error.message}")]


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), type(value).__name__
    )
