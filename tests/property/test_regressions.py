"""Generator bugs the property tests found, each kept as a regression test on its minimal spec.

Each test runs the property check that failed, on that explicit example only (the random specs
cover the rest). The comment above each test says what used to go wrong. Names that the fix
made invalid (a builtin `python_name`, colliding classes, models, functions or CLI flags, dunder
names, an example of the wrong type) are refused instead: tests/specs/bad holds those.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, example, given, settings

from tests.property import checks
from tests.property.specs import specs

EXPLICIT_ONLY = settings(
    phases=[Phase.explicit], deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def spec(
    params: list[dict[str, Any]] | None = None,
    *,
    resources: list[dict[str, Any]] | None = None,
    credential: list[dict[str, Any]] | None = None,
    **top: Any,
) -> dict[str, Any]:
    """A minimal valid spec: one resource `r` with one operation `o` taking `params`."""
    doc: dict[str, Any] = {"nodegen": 1, "node": {"name": "bug", "display_name": "Bug", "version": "1.0.0"}}
    doc["credential"] = {"name": "bugApi", "fields": credential or [{"name": "apiKey", "type": "string"}]}
    doc["bases"] = [{"name": "main", "url": "https://api.example.invalid"}]
    doc["resources"] = resources or [{"name": "r", "operations": [op("o", params or [])]}]
    doc.update(top)
    return doc


def op(name: str, params: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "request": {"method": "GET", "base": "main", "path": "/x"},
        "output": {"from": "response"},
        "params": params or [],
        **extra,
    }


@pytest.fixture
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="nodegen-bug-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="module")
def mypy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy-bugs")


def full_check(root: Path, doc: dict[str, Any]) -> None:
    """Properties 1, 4, 5 and 6 on one generated package (as test_valid_specs.py runs them)."""
    package = checks.build(root, doc)
    checks.check_imports_and_help(package)
    checks.check_docs_and_schema(package)
    checks.check_text_is_data(package)
    checks.check_parameters_reach_operation(package)


# ---- names the generated code uses itself ----------------------------------------------------


# Was: a parameter whose Python name is `models`, `items`, `call`, `acall` (operations.py) or
# `operations` (client.py) shadows the module or local the generated function body uses:
# `models.ROParams` becomes an attribute of the str argument (mypy: 'Item "str" of "str | None"
# has no attribute "ROParams"'; AttributeError when called).
@EXPLICIT_ONLY
@example(doc=spec([{"name": "models", "type": "string"}]))
@given(doc=specs())
def test_parameter_named_like_a_name_the_generated_body_uses(mypy_root: Path, doc: dict[str, Any]) -> None:
    checks.check_mypy_strict(mypy_root, doc)


# Was: a credential field named `pace` (or `fields`) becomes a keyword argument of Client.__init__ next
# to the fixed `pace: bool` (SyntaxError: duplicate argument 'pace' — the package does not import)
# or overwrites its `fields` local (mypy).
@EXPLICIT_ONLY
@example(doc=spec(credential=[{"name": "pace", "type": "string"}]))
@given(doc=specs())
def test_credential_field_named_like_a_client_argument(workdir: Path, doc: dict[str, Any]) -> None:
    full_check(workdir, doc)


# Was: a resource whose Python name is a Client attribute (`execute`, `close`, `aclose`, `_session`)
# replaces it: `self.execute = ExecuteResource(...)` hides Client.execute (mypy: Cannot assign to
# a method). Same for an operation named `__init__` (or `_session`) in the resource classes.
@EXPLICIT_ONLY
@example(doc=spec(resources=[{"name": "execute", "operations": [op("o")]}]))
@given(doc=specs())
def test_resource_named_like_a_client_attribute(mypy_root: Path, doc: dict[str, Any]) -> None:
    checks.check_mypy_strict(mypy_root, doc)


# Was: credential fields `aB` and `AB` (distinct Python names `a_b`/`ab` and environment variables)
# both get the CLI flag `--a-b` (runtime/cli.py _credential_options kebab-cases the spec name, not
# the Python name).
@EXPLICIT_ONLY
@example(doc=spec(credential=[{"name": "aB", "type": "string"}, {"name": "AB", "type": "string"}]))
@given(doc=specs())
def test_credential_cli_flags_collide(workdir: Path, doc: dict[str, Any]) -> None:
    full_check(workdir, doc)


# Was: datamodel-code-generator renames model fields pydantic cannot use (`json` -> `json_` with alias
# 'json'; also schema, copy, validate, construct, register, model_config, and every name with a
# leading underscore such as `_x` -> `field_x`). runtime/calls.validate reads
# `checked.model_dump()` (field names) and keeps only keys that are Python names, so the value
# given for `json` is silently dropped.
@EXPLICIT_ONLY
@example(doc=spec([{"name": "json", "type": "string", "in": "query"}]))
@given(doc=specs())
def test_parameter_renamed_by_pydantic_is_not_dropped(workdir: Path, doc: dict[str, Any]) -> None:
    full_check(workdir, doc)


# ---- types and values ------------------------------------------------------------------------


# Was: an options parameter with a number value (1.5) is annotated `Literal[1.5]` in client.py and
# operations.py (pytypes.annotation); a float is not a valid Literal value (mypy: Literal[...]
# cannot contain arbitrary expressions; datamodel-code-generator already falls back to `float`).
@EXPLICIT_ONLY
@example(doc=spec([{"name": "ratio", "type": "options", "options": [{"value": 1.5, "label": "One and a half"}]}]))
@given(doc=specs())
def test_float_option_values(mypy_root: Path, doc: dict[str, Any]) -> None:
    checks.check_mypy_strict(mypy_root, doc)


# Was: a deviation without `before`/`after` (both optional in the schema) crashes `nodegen generate`:
# jinja2 UndefinedError 'dict object' has no attribute 'before' in
# templates/package/README.md.jinja (`{% if d.before %}` under StrictUndefined).
@EXPLICIT_ONLY
@example(doc=spec(deviations=[{"id": "D1", "title": "t", "n8n": "a", "ours": "b"}]))
@given(doc=specs())
def test_deviation_without_before_and_after(workdir: Path, doc: dict[str, Any]) -> None:
    full_check(workdir, doc)


# Was: a NUL character in a description (YAML escape "\0") is written raw into a docstring
# (pysource.docstring escapes only backslashes, triple quotes and \r). Since 619e5ed `nodegen
# generate` crashes with a traceback (SyntaxError: source code string cannot contain null bytes,
# from ast.parse in formatting.blocks); before it, the package did not import.
@EXPLICIT_ONLY
@example(doc=spec(resources=[{"name": "r", "operations": [op("o", description="a\x00b")]}]))
@given(doc=specs())
def test_nul_character_in_a_description(workdir: Path, doc: dict[str, Any]) -> None:
    full_check(workdir, doc)


# ---- diagnostics -----------------------------------------------------------------------------

_LINE_SEPARATOR_SPEC = spec(
    resources=[
        {
            "name": "r",
            "operations": [
                op(
                    "o",
                    [
                        {"name": "customerId", "type": "string", "description": "first\u2028second"},
                        {"name": "customer_id", "type": "string"},
                    ],
                )
            ],
        }
    ]
)


# Was: YAML counts U+0085, U+2028 and U+2029 as line breaks, editors, grep and diff do not. A
# description holding a raw U+2028 (valid YAML; yaml.safe_dump(allow_unicode=True) writes one)
# shifts every later `file:line:col` by one line: the collision of `customerId` and `customer_id`
# is reported at the line after the name. generator/yaml_source.py _pos() uses the PyYAML/libyaml
# marks as they are.
@settings(phases=[Phase.explicit], deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(doc=_LINE_SEPARATOR_SPEC)
@given(doc=specs())
def test_diagnostic_line_numbers_after_a_unicode_line_separator(workdir: Path, doc: dict[str, Any]) -> None:
    raw = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    assert "\u2028" in raw  # the spec file really holds the raw separator
    checks.check_refused_naming_both(workdir, doc, ("customerId", "customer_id"), raw_text=raw)


# Was: the node's display name and description go into the generated pyproject.toml through the `jsonv`
# filter (json.dumps(ensure_ascii=False)), which leaves U+007F (DEL) raw; TOML forbids it in
# strings, so the package's pyproject.toml does not parse (tomllib: Illegal character '\x7f') and
# `pip wheel generated/<node>` fails.
@EXPLICIT_ONLY
@example(doc=spec(node={"name": "bug", "display_name": "Bug", "version": "1.0.0", "description": "a\x7fb"}))
@given(doc=specs())
def test_del_character_in_the_node_description(workdir: Path, doc: dict[str, Any]) -> None:
    full_check(workdir, doc)
