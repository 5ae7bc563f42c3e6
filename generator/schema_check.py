"""Structural validation of a spec against the published JSON Schema, with positions.

Every JSON Schema error becomes one `file:line:col: message` diagnostic that names the place in
spec terms (`resources[customer].operations[get].request`), says what was expected and what was
found, and suggests the closest allowed word for a misspelt key or value.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from pathlib import Path
from typing import Any

from generator.diagnostics import Diagnostic
from generator.located import Located

SCHEMA_PATH = Path(__file__).with_name("spec.schema.json")
MAX_LISTED_KEYS = 10  # an unknown key with no close match lists the allowed keys when they are few

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}
_PATTERNS = {
    "^[a-z][a-z0-9_]*$": "a lower-case name (a letter, then lower-case letters, digits or _)",
    "^[A-Za-z_][A-Za-z0-9_]*$": "a name (a letter or _, then letters, digits or _)",
    "^[A-Z][A-Z0-9_]*$": "an upper-case name (a letter, then upper-case letters, digits or _)",
    "^[0-9]+\\.[0-9]+\\.[0-9]+$": "a version like 1.0.0",
    "^https?://": "a URL starting with http:// or https://",
    "^/": "a path starting with /",
    "^[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+)*$": "a wire key (letters, digits, _, $ or -; dotted for nesting)",
    "^[A-Z][0-9]+$": "an id like D1",
}


@cache
def spec_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def check_structure(doc: Located) -> list[Diagnostic]:
    # only validation needs it; `check` on an unchanged tree never gets here
    import jsonschema  # type: ignore[import-untyped]

    if not isinstance(doc.data, dict):
        return [doc.diag((), f"a spec must be a mapping at the top level, not {_found(doc.data)}")]
    validator = jsonschema.Draft202012Validator(spec_schema())
    problems = []
    for error in validator.iter_errors(doc.data):
        problems.extend(_describe(doc, error))
    return problems


def _describe(doc: Located, error: Any) -> list[Diagnostic]:
    path = tuple(error.absolute_path)
    where = _where(doc.data, path)
    if error.validator in ("oneOf", "anyOf"):
        return _describe_choice(doc, error)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = [key for key in error.instance if key not in allowed]
        place = f"in {where}" if path else "at the top level"
        return [
            doc.diag(path + (key,), f"unknown key {key!r} {place}{_suggest(key, allowed, listing=True)}", key=True)
            for key in unknown
        ]
    if error.validator == "required":
        missing = error.message.replace(" is a required property", "")
        return [doc.diag(path, f"{where}: missing required key {missing}")]
    if error.validator == "enum":
        choices = [str(c) for c in error.validator_value]
        found = repr(error.instance) if isinstance(error.instance, str) else _found(error.instance)
        return [
            doc.diag(
                path, f"{where}: {found} is not one of {', '.join(choices)}{_suggest(str(error.instance), choices)}"
            )
        ]
    if error.validator == "const":
        return [doc.diag(path, f"{where}: must be {error.validator_value!r}, not {error.instance!r}")]
    if error.validator == "type":
        return [doc.diag(path, f"{where}: {_type_problem(error.validator_value, error.instance)}")]
    if error.validator == "pattern":
        wanted = _PATTERNS.get(error.validator_value, f"a string matching {error.validator_value}")
        return [doc.diag(path, f"{where}: {error.instance!r} is not {wanted}")]
    if error.validator == "minItems":
        count = error.validator_value
        return [
            doc.diag(
                path, f"{where}: needs at least {count} item{'s' if count != 1 else ''}, found {len(error.instance)}"
            )
        ]
    return [doc.diag(path, f"{where}: {error.message}")]


def _describe_choice(doc: Located, error: Any) -> list[Diagnostic]:
    """A oneOf of mappings told apart by one key (`scheme`, `from`): judge the branch the spec chose."""
    import jsonschema

    branches: list[dict[str, Any]] = error.validator_value
    key, values = _discriminator(branches)
    instance = error.instance
    path = tuple(error.absolute_path)
    where = _where(doc.data, path)
    if key is None or not isinstance(instance, dict):
        if key is not None:
            return [doc.diag(path, f"{where}: expected a mapping, got {_found(instance)}")]
        best = jsonschema.exceptions.best_match(error.context)
        return _describe(doc, best) if best is not None else [doc.diag(path, f"{where}: {error.message}")]
    if key not in instance:
        return [doc.diag(path, f"{where}: missing required key {key!r}")]
    chosen = [i for i, allowed in enumerate(values) if instance[key] in allowed]
    if not chosen:
        choices = [str(v) for allowed in values for v in allowed]
        value = instance[key]
        found = repr(value) if isinstance(value, str) else _found(value)
        message = f"{where}.{key}: {found} is not one of {', '.join(choices)}{_suggest(str(value), choices)}"
        return [doc.diag(path + (key,), message)]
    problems: list[Diagnostic] = []
    for sub in error.context:
        if sub.relative_schema_path[0] == chosen[0]:
            problems.extend(_describe(doc, sub))
    return problems


def _discriminator(branches: list[dict[str, Any]]) -> tuple[str | None, list[list[Any]]]:
    """The property every branch pins with `const` or `enum`, and each branch's allowed values."""
    common = set.intersection(*(set(b.get("properties", {})) for b in branches)) if branches else set()
    for key in sorted(common):
        values = []
        for branch in branches:
            spec = branch["properties"][key]
            values.append([spec["const"]] if "const" in spec else list(spec.get("enum", [])))
        if all(values):
            return key, values
    return None, []


def _where(data: Any, path: tuple[Any, ...]) -> str:
    """`resources[customer].operations[get].params[0]`: list items by their name when they have one."""
    text = ""
    value = data
    for part in path:
        if isinstance(part, int):
            item = value[part] if isinstance(value, list) and part < len(value) else None
            name = item.get("name") if isinstance(item, dict) else None
            text += f"[{name}]" if isinstance(name, str) and name else f"[{part}]"
            value = item
        else:
            text += f".{part}" if text else str(part)
            value = value.get(part) if isinstance(value, dict) else None
    return text or "spec"


def _type_problem(expected: str | list[str], instance: Any) -> str:
    wanted = [expected] if isinstance(expected, str) else list(expected)
    names = [_TYPE_NAMES.get(t, t) for t in wanted]
    text = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    message = f"expected {text}, got {_found(instance)}"
    if "string" in wanted and isinstance(instance, (bool, int, float)):
        message += "; quote it to make it a string"
    return message


def _found(value: Any) -> str:
    """How a value that has the wrong type is named in a message: its kind, and a scalar's value."""
    if value is None:
        return "nothing (the value is empty or null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _suggest(word: str, choices: list[str], *, listing: bool = False) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    if listing and choices and len(choices) <= MAX_LISTED_KEYS:
        return f" (expected one of: {', '.join(choices)})"
    return ""
