"""Generator bugs the property tests found, each pinned by its minimal valid spec.

Every test runs the property check that fails on its spec, on that explicit example only, and is
a strict xfail: when the bug is fixed the test passes, strict xfail turns that into a failure,
and the fixer deletes the test here and the matching avoidance in specs.py (grep the KNOWN_BUG_
name), so that the random specs cover the case from then on.
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


def known_bug(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)


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


@known_bug(
    "KNOWN_BUG_SHADOWED_LOCALS: a parameter whose Python name is `models`, `items`, `call`, "
    "`acall` (operations.py) or `operations` (client.py) shadows the module or local the generated "
    "function body uses: `models.ROParams` becomes an attribute of the str argument (mypy: "
    '\'Item "str" of "str | None" has no attribute "ROParams"\'; AttributeError when called). '
    "Fix: add these names to naming.RESERVED, or alias them in the templates (`from . import models as _models`, `_items = call(...)`)."
)
@EXPLICIT_ONLY
@example(doc=spec([{"name": "models", "type": "string"}]))
@given(doc=specs())
def test_parameter_named_like_a_name_the_generated_body_uses(mypy_root: Path, doc: dict[str, Any]) -> None:
    checks.check_mypy_strict(mypy_root, doc)


@known_bug(
    "KNOWN_BUG_CREDENTIAL_NAMES: a credential field named `pace` (or `fields`) becomes a keyword "
    "argument of Client.__init__ next to the fixed `pace: bool` (SyntaxError: duplicate argument "
    "'pace' — the package does not import) or overwrites its `fields` local (mypy). "
    "Fix: escape credential Python names against the names Client.__init__ uses (pace, fields, ...) like naming.RESERVED."
)
@EXPLICIT_ONLY
@example(doc=spec(credential=[{"name": "pace", "type": "string"}]))
@given(doc=specs())
def test_credential_field_named_like_a_client_argument(workdir: Path, doc: dict[str, Any]) -> None:
    full_check(workdir, doc)


@known_bug(
    "KNOWN_BUG_CLIENT_ATTRIBUTES: a resource whose Python name is a Client attribute (`execute`, "
    "`close`, `aclose`, `_session`) replaces it: `self.execute = ExecuteResource(...)` hides "
    "Client.execute (mypy: Cannot assign to a method). Same for an operation named `__init__` "
    "(or `_session`) in the resource classes. Fix: refuse these names in build.py, or escape them in naming.python_name for resources/operations."
)
@EXPLICIT_ONLY
@example(doc=spec(resources=[{"name": "execute", "operations": [op("o")]}]))
@given(doc=specs())
def test_resource_named_like_a_client_attribute(mypy_root: Path, doc: dict[str, Any]) -> None:
    checks.check_mypy_strict(mypy_root, doc)


@known_bug(
    "KNOWN_BUG_CLIENT_ATTRIBUTES: an operation named `__init__` becomes a method that replaces the "
    'resource class\'s constructor (mypy: Name "__init__" already defined; The return type of "__init__" must be None). '
    "Fix: refuse dunder operation/resource names in build.py (or escape them)."
)
@EXPLICIT_ONLY
@example(doc=spec(resources=[{"name": "r", "operations": [op("__init__")]}]))
@given(doc=specs())
def test_operation_named_like_a_dunder(mypy_root: Path, doc: dict[str, Any]) -> None:
    checks.check_mypy_strict(mypy_root, doc)


@known_bug(
    "KNOWN_BUG_OVERRIDE_BUILTINS: derived Python names escape builtins (`int` -> `int_`), but an "
    "explicit `python_name: int` is used as is (build.py refuses only keywords and naming.RESERVED). "
    "In models.py the field `int` then shadows the type for the fields after it (mypy: Variable "
    '"...ROParams.int" is not valid as a type; datamodel-code-generator aliases the builtin only in '
    "some cases). `python_name: str` or `dict` is renamed by datamodel-code-generator instead and its "
    "value dropped (KNOWN_BUG_RENAMED_FIELDS). Fix: refuse builtins in python_name like keywords "
    "(naming._SHADOWED), or escape them the same way."
)
@EXPLICIT_ONLY
@example(
    doc=spec(
        [{"name": "a", "type": "boolean", "python_name": "int", "required": True}, {"name": "b", "type": "integer"}]
    )
)
@given(doc=specs())
def test_python_name_override_that_is_a_builtin(mypy_root: Path, doc: dict[str, Any]) -> None:
    checks.check_mypy_strict(mypy_root, doc)


# ---- derived names that collide ----------------------------------------------------------------


@known_bug(
    "KNOWN_BUG_FUNCTION_NAMES: operations `get` and `get_async` of one resource both define "
    "`operations.r_get_async` (the async twin of `get` and the sync `get_async`); the later wins, so "
    "Client.r.get_async calls a coroutine function with a sync Session (mypy: no-redef, arg-type). "
    "build.python_collisions only compares function_name() values. Fix: also count `function_name(r, o) + '_async'` as taken there."
)
@EXPLICIT_ONLY
@example(doc=spec(resources=[{"name": "r", "operations": [op("get"), op("get_async")]}]))
@given(doc=specs())
def test_operation_and_its_async_twin(mypy_root: Path, doc: dict[str, Any]) -> None:
    checks.check_mypy_strict(mypy_root, doc)


@known_bug(
    "KNOWN_BUG_CLASS_NAMES: resources `x` and `async_x` both produce class `AsyncXResource` in "
    "client.py (pascal('x') prefixed with Async == pascal('async_x')); the same happens for `a1` and "
    "`a_1` (pascal gives `A1` for both). The later class wins: Client.x gets the other resource's "
    "operations (mypy: Name \"AsyncXResource\" already defined). Fix: check pascal(r) + 'Resource' and "
    "'Async' + pascal(r) + 'Resource' for collisions in build.python_collisions, or derive class names from python_name(r) (e.g. `_Resource_x`)."
)
@EXPLICIT_ONLY
@example(doc=spec(resources=[{"name": "x", "operations": [op("o")]}, {"name": "async_x", "operations": [op("o")]}]))
@given(doc=specs())
def test_resource_classes_collide(mypy_root: Path, doc: dict[str, Any]) -> None:
    checks.check_mypy_strict(mypy_root, doc)


@known_bug(
    "KNOWN_BUG_FUNCTION_NAMES: operations `o1` and `o_1` (distinct Python names) share the model name "
    "`RO1Params` (naming.model_name = pascal(resource, op, 'params')); param_schema keeps one $defs "
    "entry, so schema.json has 1 model for 2 operations and `r.o1` is validated with `r.o_1`'s "
    "parameters. Fix: report model_name collisions in build.python_collisions (or derive model names injectively)."
)
@EXPLICIT_ONLY
@example(
    doc=spec(
        resources=[
            {
                "name": "r",
                "operations": [
                    op("o1", [{"name": "a", "type": "string"}]),
                    op("o_1", [{"name": "b", "type": "integer"}]),
                ],
            }
        ]
    )
)
@given(doc=specs())
def test_operation_models_collide(workdir: Path, doc: dict[str, Any]) -> None:
    full_check(workdir, doc)


@known_bug(
    "KNOWN_BUG_CLI_FLAGS: a parameter named `pretty` gets the CLI flag `--pretty`, which every "
    "command already has (--pretty/--compact); click warns and one of them is unreachable. Same for "
    "the other fixed flags (--base-url, --items, --parameters, --on-error, --retry (a `retry` "
    "parameter is `retry_`), --wait, --rate, ...), for `a` next to `_a` or `a_` (both `--a`), for `_` "
    "(flag `--`), for `no_x` next to a boolean `x` (`--no-x`) and a `cred_<field>` parameter (same "
    "destination as the credential option). Fix: check the CLI flag words (Field.cli_flag, plus --no- for booleans) "
    "of an operation's parameters, credential fields and the fixed options for collisions in build.py."
)
@EXPLICIT_ONLY
@example(doc=spec([{"name": "pretty", "type": "string"}]))
@given(doc=specs())
def test_parameter_cli_flag_collides_with_a_fixed_option(workdir: Path, doc: dict[str, Any]) -> None:
    full_check(workdir, doc)


@known_bug(
    "KNOWN_BUG_CLI_FLAGS: credential fields `aB` and `AB` (distinct Python names `a_b`/`ab` and "
    "environment variables) both get the CLI flag `--a-b` (runtime/cli.py _credential_options "
    "kebab-cases the spec name, not the Python name). Fix: derive the flag from naming.cli_name(python_name) and check flag collisions in build.credential_fields."
)
@EXPLICIT_ONLY
@example(doc=spec(credential=[{"name": "aB", "type": "string"}, {"name": "AB", "type": "string"}]))
@given(doc=specs())
def test_credential_cli_flags_collide(workdir: Path, doc: dict[str, Any]) -> None:
    full_check(workdir, doc)


@known_bug(
    "KNOWN_BUG_RENAMED_FIELDS: datamodel-code-generator renames model fields pydantic cannot use "
    "(`json` -> `json_` with alias 'json'; also schema, copy, validate, construct, register, "
    "model_config, and every name with a leading underscore such as `_x` -> `field_x`). "
    "runtime/calls.validate reads `checked.model_dump()` (field names) and keeps only keys that are "
    "Python names, so the value given for `json` is silently dropped. Fix: `checked.model_dump(by_alias=True)` in calls.validate."
)
@EXPLICIT_ONLY
@example(doc=spec([{"name": "json", "type": "string", "in": "query"}]))
@given(doc=specs())
def test_parameter_renamed_by_pydantic_is_not_dropped(workdir: Path, doc: dict[str, Any]) -> None:
    full_check(workdir, doc)


# ---- types and values ------------------------------------------------------------------------


@known_bug(
    "KNOWN_BUG_FLOAT_OPTIONS: an options parameter with a number value (1.5) is annotated "
    "`Literal[1.5]` in client.py and operations.py (pytypes.annotation); a float is not a valid "
    "Literal value (mypy: Literal[...] cannot contain arbitrary expressions; datamodel-code-generator "
    "already falls back to `float`). Fix: annotate options with non-int numbers as `float` (or a union), or refuse float option values."
)
@EXPLICIT_ONLY
@example(doc=spec([{"name": "ratio", "type": "options", "options": [{"value": 1.5, "label": "One and a half"}]}]))
@given(doc=specs())
def test_float_option_values(mypy_root: Path, doc: dict[str, Any]) -> None:
    checks.check_mypy_strict(mypy_root, doc)


@known_bug(
    "KNOWN_BUG_FIXED_COLLECTION_EXAMPLE: `example: x` (any non-mapping) on a fixedCollection crashes "
    "`nodegen generate` with AttributeError: 'str' object has no attribute 'items' in "
    "generator/examples.py example() (`value.items()`), a traceback instead of exit 2 or a package. "
    "Fix: check in build.py that an example has the parameter's type (a mapping for fixedCollection), reporting file:line:col."
)
@EXPLICIT_ONLY
@example(
    doc=spec([{"name": "attrs", "type": "fixedCollection", "mapping": {"key": "k", "value": "v"}, "example": "x"}])
)
@given(doc=specs())
def test_fixed_collection_example_that_is_not_a_mapping(workdir: Path, doc: dict[str, Any]) -> None:
    full_check(workdir, doc)


@known_bug(
    "KNOWN_BUG_DEVIATION_EXAMPLES: a deviation without `before`/`after` (both optional in the "
    "schema) crashes `nodegen generate`: jinja2 UndefinedError 'dict object' has no attribute "
    "'before' in templates/package/README.md.jinja (`{% if d.before %}` under StrictUndefined). "
    "Fix: `{% if d.get('before') %}` / `d.get('after')`, or default them to '' in build.docs_info."
)
@EXPLICIT_ONLY
@example(doc=spec(deviations=[{"id": "D1", "title": "t", "n8n": "a", "ours": "b"}]))
@given(doc=specs())
def test_deviation_without_before_and_after(workdir: Path, doc: dict[str, Any]) -> None:
    full_check(workdir, doc)


@known_bug(
    'KNOWN_BUG_NUL: a NUL character in a description (YAML escape "\\0") is written raw into a '
    "docstring (pysource.docstring escapes only backslashes, triple quotes and \\r). Since 619e5ed "
    "`nodegen generate` crashes with a traceback (SyntaxError: source code string cannot contain null "
    "bytes, from ast.parse in formatting.blocks); before it, the package did not import. "
    "Fix: escape every non-printable character in pysource.docstring (e.g. `\\x00`), or refuse control characters in spec text."
)
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


@known_bug(
    "KNOWN_BUG_LINE_NUMBERS: YAML counts U+0085, U+2028 and U+2029 as line breaks, editors, grep "
    "and diff do not. A description holding a raw U+2028 (valid YAML; yaml.safe_dump(allow_unicode=True) "
    "writes one) shifts every later `file:line:col` by one line: the collision of `customerId` and "
    "`customer_id` is reported at the line after the name. generator/yaml_source.py _pos() uses "
    "the PyYAML/libyaml marks as they are. Fix: derive line and column from mark.index, counting only '\\n' in the text."
)
@settings(phases=[Phase.explicit], deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(doc=_LINE_SEPARATOR_SPEC)
@given(doc=specs())
def test_diagnostic_line_numbers_after_a_unicode_line_separator(workdir: Path, doc: dict[str, Any]) -> None:
    raw = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    assert "\u2028" in raw  # the spec file really holds the raw separator
    checks.check_refused_naming_both(workdir, doc, ("customerId", "customer_id"), raw_text=raw)


@known_bug(
    "KNOWN_BUG_TOML_DEL: the node's display name and description go into the generated "
    "pyproject.toml through the `jsonv` filter (json.dumps(ensure_ascii=False)), which leaves U+007F "
    "(DEL) raw; TOML forbids it in strings, so the package's pyproject.toml does not parse "
    "(tomllib: Illegal character '\\x7f') and `pip wheel generated/<node>` fails. Fix: a `toml` "
    "filter that escapes U+007F (and other control characters) as \\u007f, or json.dumps(ensure_ascii=True)."
)
@EXPLICIT_ONLY
@example(doc=spec(node={"name": "bug", "display_name": "Bug", "version": "1.0.0", "description": "a\x7fb"}))
@given(doc=specs())
def test_del_character_in_the_node_description(workdir: Path, doc: dict[str, Any]) -> None:
    full_check(workdir, doc)
