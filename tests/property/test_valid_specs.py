"""Properties of the generator over random valid specs (issue 5, item 2).

Every valid spec, however hostile its names and texts, generates a package that
1. compiles and imports, and whose CLI answers `--help`;
2. passes `mypy --strict`;
3. is byte-identical across runs, the content cache and `PYTHONHASHSEED` values;
4. has docs naming every operation and parameter, and one schema model per operation;
5. carries spec text as data only: exactly into `NODE`, never as code;
6. passes every parameter value through its typed model to the operation.

Known generator bugs are kept away by `specs(avoid_known_bugs=True)` and pinned, one minimal
spec each, in test_known_bugs.py.
"""

from __future__ import annotations

import ast
import json
import shutil
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.property.harness import (
    REPO,
    code_identifiers,
    compile_doc,
    expected_names,
    function_docstrings,
    generate,
    marker_outside_strings,
    parallel,
    probe,
    python,
    python_files,
    readme_code_blocks,
    squash,
    tree,
    write_spec,
)
from tests.property.specs import MARKER, STYLES, all_params, operations, same, specs

SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture]


def budget(examples: int) -> settings:
    """Each example generates a package (~1 s: black and datamodel-code-generator dominate)."""
    return settings(max_examples=examples, deadline=None, suppress_health_check=SUPPRESSED)


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A fresh folder per example (hypothesis runs many examples in one test call)."""
    with tempfile.TemporaryDirectory(prefix="nodegen-prop-") as tmp:
        yield Path(tmp)


def _fresh(root: Path) -> Path:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    return root


# ---------------------------------------------------------------------------------------------
# 1. compiles, imports, CLI --help
# ---------------------------------------------------------------------------------------------

IMPORT_PROBE = r"""
import asyncio, importlib, json, sys, warnings
import click, httpx, pydantic  # third-party import-time warnings are not the package's

expected = json.loads(sys.argv[1])
pkg = expected["package"]
warnings.simplefilter("error")  # e.g. pydantic "field name shadows an attribute"
package = importlib.import_module(pkg)
client = importlib.import_module(pkg + ".client")
models = importlib.import_module(pkg + ".models")
operations = importlib.import_module(pkg + ".operations")
node = importlib.import_module(pkg + "._node")
cli = importlib.import_module(pkg + "._runtime.cli")
problems = []
sync_client, async_client = package.Client(), package.AsyncClient()
group = cli.build(node.NODE, pkg)
for r in expected["resources"]:
    for instance, prefix in ((sync_client, ""), (async_client, "Async")):
        resource = getattr(instance, r["attribute"], None)
        if type(resource).__name__ != prefix + r["class"]:
            problems.append(f"{prefix}Client.{r['attribute']} is {type(resource).__name__}, not {prefix}{r['class']}")
    for op in r["operations"]:
        for instance in (sync_client, async_client):
            method = getattr(getattr(instance, r["attribute"], None), op["method"], None)
            if not callable(method):
                problems.append(f"{type(instance).__name__}.{r['attribute']}.{op['method']} is missing")
        for suffix in ("", "_async"):
            if not callable(getattr(operations, op["function"] + suffix, None)):
                problems.append(f"operations.{op['function']}{suffix} is missing")
        if node.OPERATIONS.get(op["qualified"]) is None:
            problems.append(f"OPERATIONS has no {op['qualified']}")
        model = getattr(models, op["model"], None)
        if model is None:
            problems.append(f"models.{op['model']} is missing")
        else:
            fields = {f.alias or name for name, f in model.model_fields.items()}
            wanted = {p["python"] for p in op["params"]}
            if fields != wanted:
                problems.append(f"models.{op['model']} fields {sorted(fields)} != {sorted(wanted)}")
        command = group.commands[r["name"]].commands[op["name"]]
        flags, dests = {}, {}
        for p in command.params:
            for flag in [*p.opts, *p.secondary_opts]:
                if flag in flags:
                    problems.append(f"{op['qualified']}: CLI flag {flag} is used by {flags[flag]} and {p.name}")
                flags[flag] = p.name
            if p.name in dests:
                problems.append(f"{op['qualified']}: CLI destination {p.name} is used twice")
            dests[p.name] = p
            if any(flag.strip("-") == "" for flag in p.opts):
                problems.append(f"{op['qualified']}: empty CLI flag for {p.name}")
sync_client.close()
asyncio.run(async_client.aclose())
print(json.dumps(problems))
"""


@budget(12)
@given(doc=specs(), style=STYLES, data=st.data())
def test_every_valid_spec_compiles_imports_and_answers_help(workdir: Path, doc: dict[str, Any], style: str, data: st.DataObject) -> None:
    root = _fresh(workdir / "p1")
    write_spec(root, doc, style)
    generate(root)
    names = expected_names(doc)
    package = names["package"]
    resource, op = data.draw(st.sampled_from(operations(doc)), label="operation for --help")
    env = {"PYTHONPATH": str(root)}
    imported, top_help, op_help = parallel(
        (root, ["-c", IMPORT_PROBE, json.dumps(names)], env),
        (root, ["-m", package, "--help"], env),
        (root, ["-m", package, resource["name"], op["name"], "--help"], env),
    )
    assert imported.returncode == 0, imported.stderr[-8000:]
    assert json.loads(imported.stdout) == []
    assert top_help.returncode == 0, top_help.stderr[-4000:]
    for r in doc["resources"]:
        assert r["name"] in top_help.stdout
    assert op_help.returncode == 0, op_help.stderr[-4000:]
    shown = op_help.stdout
    op_names = next(o for r in names["resources"] if r["name"] == resource["name"] for o in r["operations"] if o["name"] == op["name"])
    for p in op_names["params"]:
        flag = "--" + p["python"].strip("_").replace("_", "-")
        assert flag + " " in shown or flag + "\n" in shown or flag + "/" in shown, flag


# ---------------------------------------------------------------------------------------------
# 2. mypy --strict
# ---------------------------------------------------------------------------------------------

MYPY_NODE = "typed"  # one package name for every example, so mypy's cache keeps the runtime


@pytest.fixture(scope="module")
def mypy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy")


@budget(6)
@given(doc=specs(), style=STYLES)
def test_every_valid_spec_passes_mypy_strict(mypy_root: Path, doc: dict[str, Any], style: str) -> None:
    doc = {**doc, "node": {**doc["node"], "name": MYPY_NODE}}
    for leftover in ("spec", "generated"):
        shutil.rmtree(mypy_root / leftover, ignore_errors=True)
    write_spec(mypy_root, doc, style)
    generate(mypy_root)
    done = python(mypy_root, "-m", "mypy", "--strict", "--cache-dir", str(mypy_root / ".mypy_cache"), "-p", f"generated.{MYPY_NODE}")
    # The runtime is copied verbatim whatever the spec; tests/generator/test_output_quality.py
    # type-checks it. Here: everything the spec shapes.
    errors = [
        line
        for line in done.stdout.splitlines()
        if ": error:" in line and not line.startswith(f"generated/{MYPY_NODE}/_runtime/")
    ]
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert errors == [], "\n".join(errors)


# ---------------------------------------------------------------------------------------------
# 3. byte-identical: twice, through the cache, under two PYTHONHASHSEED values
# ---------------------------------------------------------------------------------------------


@budget(4)
@given(doc=specs(), style=STYLES)
def test_generation_is_byte_identical_across_runs_caches_and_hash_seeds(workdir: Path, doc: dict[str, Any], style: str) -> None:
    roots = [_fresh(workdir / name) for name in ("a", "b", "c")]
    for root in roots:
        write_spec(root, doc, style)
    memory = compile_doc(roots[0], doc, style)  # no cache
    generate(roots[0])  # fills .nodegen-cache
    first = tree(roots[0] / "generated")
    assert first == {path.removeprefix("generated/"): text.encode("utf-8") for path, text in memory.items()}
    shutil.rmtree(roots[0] / "generated")
    generate(roots[0])  # every expensive step is now a cache hit
    assert tree(roots[0] / "generated") == first
    seeded = parallel(
        *[
            (root, ["-m", "generator", "--root", str(root), "generate"], {"PYTHONPATH": str(REPO), "PYTHONHASHSEED": seed})
            for root, seed in zip(roots[1:], ("0", "4242"), strict=True)
        ]
    )
    for done, root in zip(seeded, roots[1:], strict=True):
        assert done.returncode == 0, done.stderr[-4000:]
        assert tree(root / "generated") == first


# ---------------------------------------------------------------------------------------------
# 4. docs and schema
# ---------------------------------------------------------------------------------------------


@budget(12)
@given(doc=specs(), style=STYLES)
def test_docs_name_every_operation_and_parameter_and_schema_has_one_model_per_operation(workdir: Path, doc: dict[str, Any], style: str) -> None:
    files = compile_doc(_fresh(workdir / "p4"), doc, style)
    package = f"generated/{doc['node']['name']}"
    readme = files[f"{package}/README.md"]
    names = expected_names(doc)
    for r in names["resources"]:
        for op in r["operations"]:
            assert f"{op['qualified']}:" in readme, op["qualified"]
            for p in op["params"]:
                shown = f"`{p['parent']}.{p['name']}`" if p["parent"] else f"`{p['name']}`"
                assert shown in readme, shown
                assert f"`{p['python']}`" in readme, p["python"]
    for block in readme_code_blocks(readme, "python"):
        ast.parse(block)  # the examples are Python
    schema = json.loads(files[f"{package}/schema.json"])
    ops = [op for r in names["resources"] for op in r["operations"]]
    assert len(schema["$defs"]) == len(ops)
    assert [ref["$ref"] for ref in schema["oneOf"]] == [f"#/$defs/{op['model']}" for op in ops]
    for op in ops:
        model = schema["$defs"][op["model"]]
        assert list(model["properties"]) == [p["python"] for p in op["params"]]


# ---------------------------------------------------------------------------------------------
# 5. spec text is data, never code
# ---------------------------------------------------------------------------------------------

NODE_PROBE = r"""
import dataclasses, importlib, json, sys
node = importlib.import_module(json.loads(sys.argv[1]) + "._node").NODE
print(json.dumps(dataclasses.asdict(node)))
"""


def _expected_node_texts(doc: dict[str, Any]) -> dict[str, Any]:
    """The spec's texts and values as NODE must carry them (defaults per docs/spec-format.md)."""
    node = doc["node"]
    credential = doc.get("credential", {"fields": []})
    return {
        "display_name": node["display_name"],
        "description": node.get("description", ""),
        "credentials": [
            {
                "display_name": f.get("display_name", f["name"]),
                "description": f.get("description", ""),
                "default": f.get("default", ""),
                "options": [[o["value"], o["label"], o.get("description", "")] for o in f.get("options", [])],
            }
            for f in credential["fields"]
        ],
        "bases": [[b["url"], b.get("description", "")] for b in doc["bases"]],
        "resources": [
            {
                "display_name": r.get("display_name", r["name"]),
                "operations": [
                    {
                        "display_name": op.get("display_name", op["name"]),
                        "description": op.get("description", ""),
                        "path": op["request"]["path"],
                        "select": op["output"].get("select"),
                        "value": op["output"].get("value", {}),
                        "body": [c["value"] for c in op["request"].get("body", [])],
                        "fields": [
                            {
                                "name": p["name"],
                                "display_name": p.get("display_name", p["name"]),
                                "description": p.get("description", ""),
                                "default": p.get("default"),
                                "options": [[o["value"], o["label"], o.get("description", "")] for o in p.get("options", [])]
                                if p["type"] == "options"
                                else [],
                            }
                            for p, _ in all_params(op)
                        ],
                    }
                    for op in r["operations"]
                ],
            }
            for r in doc["resources"]
        ],
    }


def _actual_node_texts(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "display_name": node["display_name"],
        "description": node["description"],
        "credentials": [
            {
                "display_name": f["display_name"],
                "description": f["description"],
                "default": f["default"],
                "options": [[o["value"], o["label"], o["description"]] for o in f["options"]],
            }
            for f in node["credentials"]
        ],
        "bases": [[b["url"], b["description"]] for b in node["bases"]],
        "resources": [
            {
                "display_name": r["display_name"],
                "operations": [
                    {
                        "display_name": op["display_name"],
                        "description": op["description"],
                        "path": op["path"],
                        "select": op["output"]["select"],
                        "value": op["output"]["value"],
                        "body": [c["value"] for c in op["body"]],
                        "fields": [
                            {
                                "name": f["name"],
                                "display_name": f["display_name"],
                                "description": f["description"],
                                "default": f["default"],
                                "options": [[o["value"], o["label"], o["description"]] for o in f["options"]],
                            }
                            for f in op["fields"]
                        ],
                    }
                    for op in r["operations"]
                ],
            }
            for r in node["resources"]
        ],
    }


@budget(12)
@given(doc=specs(), style=STYLES)
def test_spec_text_reaches_node_exactly_and_never_becomes_code(workdir: Path, doc: dict[str, Any], style: str) -> None:
    root = _fresh(workdir / "p5")
    write_spec(root, doc, style)
    generate(root)
    files = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in (root / "generated").rglob("*") if p.is_file()}
    package = f"generated/{doc['node']['name']}"
    for path, source in python_files(files).items():
        ast.parse(source, filename=path)  # every generated module parses
        assert marker_outside_strings(source, MARKER) == [], path
        assert not {"__import__", "nodegen_pwned"} & code_identifiers(source), path
    # the texts, exactly, in the running package
    node = probe(root, NODE_PROBE, f"generated.{doc['node']['name']}")
    assert same(json.loads(json.dumps(_actual_node_texts(node))), json.loads(json.dumps(_expected_node_texts(doc))))
    # ... in the docstrings, up to layout (black re-indents docstrings)
    operations_doc = function_docstrings(files[f"{package}/operations.py"])
    names = expected_names(doc)
    for r, (resource, ops) in zip(names["resources"], [(r, r["operations"]) for r in doc["resources"]], strict=True):
        for op_names, op in zip(r["operations"], ops, strict=True):
            docstring = operations_doc[op_names["function"]]
            assert squash(op.get("description", "")) in squash(docstring)
            assert squash(op.get("display_name", op["name"])) in squash(docstring)
    # ... in the JSON schema and the package metadata
    schema = json.loads(files[f"{package}/schema.json"])
    for r in names["resources"]:
        for op_names, op in zip(r["operations"], [o for x in doc["resources"] if x["name"] == r["name"] for o in x["operations"]], strict=True):
            properties = schema["$defs"][op_names["model"]]["properties"]
            for (p, _), p_names in zip(all_params(op), op_names["params"], strict=True):
                assert properties[p_names["python"]]["title"] == p.get("display_name", p["name"])
                assert properties[p_names["python"]].get("description", "") == p.get("description", "")
    meta = tomllib.loads(files[f"{package}/pyproject.toml"])
    assert meta["project"]["description"] == f"{doc['node']['display_name']} node: {doc['node'].get('description', '')}"


# ---------------------------------------------------------------------------------------------
# 6. every parameter value reaches the operation through the typed model
# ---------------------------------------------------------------------------------------------

VALIDATE_PROBE = r"""
import importlib, json, sys
cases = json.loads(sys.argv[1])
pkg = cases["package"]
models = importlib.import_module(pkg + ".models")
node = importlib.import_module(pkg + "._node")
calls = importlib.import_module(pkg + "._runtime.calls")
result = {}
for case in cases["operations"]:
    op = node.OPERATIONS[case["qualified"]]
    values = calls.validate(op, getattr(models, op.model), case["values"], strict=False)
    result[case["qualified"]] = sorted(values)
print(json.dumps(result))
"""


def sample_value(p: dict[str, Any]) -> Any:
    """A value every constraint the spec puts on `p` accepts."""
    kind = p["type"]
    if kind == "string":
        return "a@b.co" if p.get("format") == "email" else "abc"
    if kind in ("number", "integer"):
        return p.get("minimum", p.get("maximum", 1 if kind == "integer" else 1.5))
    if kind == "boolean":
        return True
    if kind == "options":
        return p["options"][0]["value"]
    if kind == "json":
        return {"k": "v"}
    if kind == "dateTime":
        return "2024-01-15T10:30:00Z"
    return {"k": "v"}  # fixedCollection


@budget(8)
@given(doc=specs(), style=STYLES)
def test_every_parameter_passes_through_its_typed_model(workdir: Path, doc: dict[str, Any], style: str) -> None:
    root = _fresh(workdir / "p6")
    write_spec(root, doc, style)
    generate(root)
    names = expected_names(doc)
    cases = []
    for (resource, op), op_names in zip(operations(doc), [o for r in names["resources"] for o in r["operations"]], strict=True):
        values = {n["python"]: sample_value(p) for (p, _), n in zip(all_params(op), op_names["params"], strict=True)}
        cases.append({"qualified": op_names["qualified"], "values": values, "expected": sorted(n["name"] for n in op_names["params"])})
    result = probe(root, VALIDATE_PROBE, {"package": names["package"], "operations": cases})
    for case in cases:
        assert result[case["qualified"]] == case["expected"], case["qualified"]
