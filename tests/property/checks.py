"""The properties, as plain functions of one spec: the hypothesis tests and the pinned known
bug regressions (test_regressions.py) run the very same checks."""

from __future__ import annotations

import ast
import itertools
import json
import os
import re
import shutil
import subprocess
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.project import Options, compile_specs
from tests.property.harness import (
    REPO,
    code_identifiers,
    expected_names,
    function_docstrings,
    generate,
    marker_outside_strings,
    nodegen,
    parallel,
    python,
    python_files,
    readme_code_blocks,
    squash,
    tree,
    write_spec,
)
from tests.property.specs import MARKER, all_params, operations, same


def fresh(root: Path) -> Path:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    return root


@dataclass
class Package:
    """A spec generated into `root` (by `nodegen generate`), and what running it shows."""

    root: Path
    doc: dict[str, Any]
    names: dict[str, Any]
    files: dict[str, str]
    op_index: int = 0
    _ran: tuple[dict[str, Any], subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]] | None = None

    @property
    def folder(self) -> str:
        return f"generated/{self.doc['node']['name']}"

    def run(self) -> tuple[dict[str, Any], subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
        """The package probe, `python -m PKG --help` and `python -m PKG RESOURCE OP --help`, at once."""
        if self._ran is None:
            resource, op = operations(self.doc)[self.op_index]
            cases = [
                {
                    "qualified": o["qualified"],
                    "values": {
                        n["python"]: sample_value(p) for (p, _), n in zip(all_params(spec_op), o["params"], strict=True)
                    },
                }
                for (_, spec_op), o in zip(operations(self.doc), _ops(self.names), strict=True)
            ]
            env = {"PYTHONPATH": str(self.root)}
            package = self.names["package"]
            probed, top_help, op_help = parallel(
                (self.root, ["-c", PACKAGE_PROBE, json.dumps({"names": self.names, "cases": cases})], env),
                (self.root, ["-m", package, "--help"], env),
                (self.root, ["-m", package, resource["name"], op["name"], "--help"], env),
            )
            assert probed.returncode == 0, f"importing the package failed:\n{probed.stderr[-8000:]}"
            self._ran = (json.loads(probed.stdout), top_help, op_help)
        return self._ran


def _ops(names: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for r in names["resources"] for o in r["operations"]]


def build(root: Path, doc: dict[str, Any], style: str = "block", op_index: int = 0) -> Package:
    """`nodegen generate` the spec in a fresh `root`."""
    root = fresh(root)
    write_spec(root, doc, style)
    generate(root)
    files = {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in (root / "generated").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    return Package(root, doc, expected_names(doc), files, op_index)


# ---------------------------------------------------------------------------------------------
# 1. compiles, imports, CLI --help
# ---------------------------------------------------------------------------------------------

PACKAGE_PROBE = r"""
import asyncio, dataclasses, importlib, json, sys, warnings
import click, httpx, pydantic  # third-party import-time warnings are not the package's

given = json.loads(sys.argv[1])
expected, cases = given["names"], given["cases"]
pkg = expected["package"]
warnings.simplefilter("error")  # e.g. pydantic "field name shadows an attribute"
package = importlib.import_module(pkg)
client = importlib.import_module(pkg + ".client")
models = importlib.import_module(pkg + ".models")
operations = importlib.import_module(pkg + ".operations")
node = importlib.import_module(pkg + "._node")
cli = importlib.import_module(pkg + "._runtime.cli")
calls = importlib.import_module(pkg + "._runtime.calls")
request = importlib.import_module(pkg + "._runtime.request")
problems = []
sync_client, async_client = client.Client(), client.AsyncClient()
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
        flags, dests = {}, set()
        for p in command.params:
            for flag in [*p.opts, *p.secondary_opts]:
                if flag.strip("-") == "":
                    problems.append(f"{op['qualified']}: empty CLI flag {flag!r} for {p.name}")
                if flag in flags:
                    problems.append(f"{op['qualified']}: CLI flag {flag} is used by {flags[flag]} and {p.name}")
                flags[flag] = p.name
            if p.name in dests:
                problems.append(f"{op['qualified']}: CLI destination {p.name} is used twice")
            dests.add(p.name)
sync_client.close()
asyncio.run(async_client.aclose())
validated = {}
for case in cases:
    op = node.OPERATIONS[case["qualified"]]
    by_spec_name = {f.name: case["values"][f.python_name] for f in op.fields if f.python_name in case["values"]}
    active = sorted(f.name for f in request.active_fields(op, by_spec_name))  # display conditions hold
    try:
        kept = sorted(calls.validate(op, getattr(models, op.model), case["values"], strict=False))
    except Exception as exc:
        kept = f"{type(exc).__name__}: {exc}"
    validated[case["qualified"]] = {"active": active, "kept": kept}
print(json.dumps({"problems": problems, "node": dataclasses.asdict(node.NODE), "validated": validated}))
"""


def check_imports_and_help(pkg: Package) -> None:
    """Property 1: the package imports (warnings are errors), every operation has its client
    method, function, model and CLI command (without clashing flags), and `--help` works."""
    probed, top_help, op_help = pkg.run()
    assert probed["problems"] == [], "\n".join(probed["problems"])
    assert top_help.returncode == 0, top_help.stderr[-4000:]
    for r in pkg.doc["resources"]:
        assert r["name"] in top_help.stdout, r["name"]
    assert op_help.returncode == 0, op_help.stderr[-4000:]
    for p in _ops(pkg.names)[pkg.op_index]["params"]:
        flag = "--" + p["python"].strip("_").replace("_", "-")
        assert any(flag + end in op_help.stdout for end in (" ", "\n", "/")), flag


# ---------------------------------------------------------------------------------------------
# 2. mypy --strict
# ---------------------------------------------------------------------------------------------

MYPY_NODE = "typed"  # one package name for every example, so mypy's cache keeps the runtime
_MTIMES = itertools.count(int(time.time()) + 10)


def check_mypy_strict(root: Path, doc: dict[str, Any], style: str = "block") -> None:
    """Property 2: `mypy --strict` passes on the whole generated package."""
    doc = {**doc, "node": {**doc["node"], "name": MYPY_NODE}}
    root.mkdir(parents=True, exist_ok=True)
    for leftover in ("spec", "generated"):
        shutil.rmtree(root / leftover, ignore_errors=True)
    write_spec(root, doc, style)
    generate(root)
    # mypy trusts its cache for a file of the same size and whole-second mtime: give every
    # example's files their own mtime, or a same-sized models.py of the last example is reused.
    stamp = next(_MTIMES)
    for path in (root / "generated").rglob("*.py"):
        os.utime(path, (stamp, stamp))
    done = python(
        root, "-m", "mypy", "--strict", "--cache-dir", str(root / ".mypy_cache"), "-p", f"generated.{MYPY_NODE}"
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert errors == [], "\n".join(errors)


# ---------------------------------------------------------------------------------------------
# 3. byte-identical
# ---------------------------------------------------------------------------------------------


def assert_same_tree(got: dict[str, bytes], want: dict[str, bytes], how: str) -> None:
    differ = sorted(path for path in got.keys() | want.keys() if got.get(path) != want.get(path))
    assert not differ, f"{how}: these files differ from the first generation: {differ}"


def check_byte_identical(workdir: Path, doc: dict[str, Any], style: str = "block") -> None:
    """Property 3: written, rewritten from the content cache, compiled in memory (no cache), and
    generated by `python -m generator` under PYTHONHASHSEED=0 and 4242: the same bytes."""
    roots = [fresh(workdir / name) for name in ("a", "b", "c")]
    for root in roots:
        write_spec(root, doc, style)
    generate(roots[0])  # computes everything, fills .nodegen-cache
    first = tree(roots[0] / "generated")
    shutil.rmtree(roots[0] / "generated")
    generate(roots[0])  # every expensive step is now a cache hit
    assert_same_tree(tree(roots[0] / "generated"), first, "regenerated from the cache")
    memory = compile_specs([roots[0] / "spec" / f"{doc['node']['name']}.yaml"], Options(root=roots[0])).files
    assert_same_tree(
        {path.removeprefix("generated/"): text.encode("utf-8") for path, text in memory.items()},
        first,
        "compiled in memory",
    )
    seeded = parallel(
        *[
            (
                root,
                ["-m", "generator", "--root", str(root), "generate"],
                {"PYTHONPATH": str(REPO), "PYTHONHASHSEED": seed},
            )
            for root, seed in zip(roots[1:], ("0", "4242"), strict=True)
        ]
    )
    for done, root in zip(seeded, roots[1:], strict=True):
        assert done.returncode == 0, done.stderr[-4000:]
        assert_same_tree(tree(root / "generated"), first, f"generated with {done.args}")


# ---------------------------------------------------------------------------------------------
# 4. docs and schema
# ---------------------------------------------------------------------------------------------


def check_docs_and_schema(pkg: Package) -> None:
    """Property 4: README.md names every operation and parameter (spec and Python name), its
    Python examples parse; schema.json has one model per operation with every parameter."""
    readme = pkg.files[f"{pkg.folder}/README.md"]
    for r in pkg.names["resources"]:
        for op in r["operations"]:
            assert f"{op['qualified']}:" in readme, op["qualified"]
            for p in op["params"]:
                shown = f"`{p['parent']}.{p['name']}`" if p["parent"] else f"`{p['name']}`"
                assert shown in readme, shown
                assert f"`{p['python']}`" in readme, p["python"]
    for block in readme_code_blocks(readme, "python"):
        ast.parse(block)  # the examples are Python
    schema = json.loads(pkg.files[f"{pkg.folder}/schema.json"])
    ops = _ops(pkg.names)
    assert len(schema["$defs"]) == len(ops), f"{len(ops)} operations but models {sorted(schema['$defs'])}"
    assert [ref["$ref"] for ref in schema["oneOf"]] == [f"#/$defs/{op['model']}" for op in ops]
    for op in ops:
        model = schema["$defs"][op["model"]]
        assert list(model["properties"]) == [p["python"] for p in op["params"]], op["qualified"]


# ---------------------------------------------------------------------------------------------
# 5. spec text is data, never code
# ---------------------------------------------------------------------------------------------


def _texts(node: dict[str, Any], spec: bool) -> dict[str, Any]:
    """The texts and values of a node, from the spec (with the documented defaults) or from
    `dataclasses.asdict(NODE)`, in one shape to compare."""

    def get(entry: dict[str, Any], key: str, default: Any) -> Any:
        return entry.get(key, default) if spec else entry[key]

    def options(entry: dict[str, Any]) -> list[list[Any]]:
        raw = entry.get("options", []) if spec else entry["options"]
        if spec and entry.get("type") not in ("options", None):
            raw = []
        return [[o["value"], o["label"], get(o, "description", "")] for o in raw]

    if spec:
        meta, credentials, bases = node["node"], node.get("credential", {"fields": []})["fields"], node["bases"]
    else:
        meta, credentials, bases = node, node["credentials"], node["bases"]
    resources = []
    for r in node["resources"]:
        ops = []
        for op in r["operations"]:
            output = op["output"]
            fields = [p for p, _ in all_params(op)] if spec else op["fields"]
            ops.append(
                {
                    "display_name": get(op, "display_name", op["name"]),
                    "description": get(op, "description", ""),
                    "path": op["request"]["path"] if spec else op["path"],
                    "select": get(output, "select", None),
                    "value": get(output, "value", {}),
                    "body": [c["value"] for c in (op["request"].get("body", []) if spec else op["body"])],
                    "fields": [
                        {
                            "name": f["name"],
                            "display_name": get(f, "display_name", f["name"]),
                            "description": get(f, "description", ""),
                            "default": get(f, "default", None),
                            "options": options(f),
                        }
                        for f in fields
                    ],
                }
            )
        resources.append({"display_name": get(r, "display_name", r["name"]), "operations": ops})
    shape: dict[str, Any] = json.loads(
        json.dumps(
            {
                "display_name": meta["display_name"],
                "description": get(meta, "description", ""),
                "credentials": [
                    {
                        "display_name": get(f, "display_name", f["name"]),
                        "description": get(f, "description", ""),
                        "default": get(f, "default", ""),
                        "options": options(f),
                    }
                    for f in credentials
                ],
                "bases": [[b["url"], get(b, "description", "")] for b in bases],
                "resources": resources,
            }
        )
    )
    return shape


def check_text_is_data(pkg: Package) -> None:
    """Property 5: every generated module parses; the marker a description carries occurs only
    inside string tokens and no generated code names `__import__`; NODE holds every text and
    value exactly; docstrings, schema.json and pyproject.toml carry them too."""
    doc = pkg.doc
    for path, source in python_files(pkg.files).items():
        try:
            ast.parse(source, filename=path)
        except (SyntaxError, ValueError) as exc:  # ValueError: a NUL character
            raise AssertionError(f"{path} does not parse: {exc}") from None
        assert marker_outside_strings(source, MARKER) == [], path
        assert not {"__import__", "nodegen_pwned"} & code_identifiers(source), path
    probed, _, _ = pkg.run()
    assert same(_texts(probed["node"], spec=False), _texts(doc, spec=True))
    docstrings = function_docstrings(pkg.files[f"{pkg.folder}/operations.py"])
    schema = json.loads(pkg.files[f"{pkg.folder}/schema.json"])
    for (_, op), op_names in zip(operations(doc), _ops(pkg.names), strict=True):
        docstring = docstrings[op_names["function"]]  # black re-indents docstrings: compare words
        assert squash(op.get("description", "")) in squash(docstring), op_names["qualified"]
        assert squash(op.get("display_name", op["name"])) in squash(docstring), op_names["qualified"]
        properties = schema["$defs"][op_names["model"]]["properties"]
        for (p, _), p_names in zip(all_params(op), op_names["params"], strict=True):
            assert properties[p_names["python"]]["title"] == p.get("display_name", p["name"])
            assert properties[p_names["python"]].get("description", "") == p.get("description", "")
    try:
        meta = tomllib.loads(pkg.files[f"{pkg.folder}/pyproject.toml"])
    except tomllib.TOMLDecodeError as exc:
        raise AssertionError(f"{pkg.folder}/pyproject.toml does not parse: {exc}") from None
    assert meta["project"]["description"] == f"{doc['node']['display_name']} node: {doc['node'].get('description', '')}"


# ---------------------------------------------------------------------------------------------
# 6. every parameter reaches the operation through its typed model
# ---------------------------------------------------------------------------------------------


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


def check_parameters_reach_operation(pkg: Package) -> None:
    """Property 6: a valid value for every parameter, given by Python name to the operation's
    typed model (`_runtime.calls.validate`), comes out under its spec name: none that applies
    (display conditions, evaluated on the same values) is dropped."""
    probed, _, _ = pkg.run()
    for op in _ops(pkg.names):
        result = probed["validated"][op["qualified"]]
        assert result["kept"] == result["active"], f"{op['qualified']}: {result['active']} apply, {result['kept']} kept"


# ---------------------------------------------------------------------------------------------
# Names that collide after conversion are refused
# ---------------------------------------------------------------------------------------------

def check_refused_naming_both(
    root: Path, doc: dict[str, Any], pair: tuple[str, str], style: str = "block", *, raw_text: str | None = None
) -> None:
    """`nodegen generate` exits 2 without a traceback or a written file, and some
    `spec/NAME.yaml:LINE:COL: message` names both spellings, LINE being a line that shows one."""
    root = fresh(root)
    spec_path = write_spec(root, doc, style)
    if raw_text is not None:
        spec_path.write_text(raw_text, encoding="utf-8")
    done = nodegen(root, "generate")
    assert done.code == 2, f"exit {done.code}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr
    assert not (root / "generated").exists(), "a refused spec wrote files"
    lines = spec_path.read_text(encoding="utf-8").split("\n")
    naming_both = []
    for line in done.stderr.splitlines():
        found = re.match(r"^spec/[^:]+\.yaml:(\d+):(\d+): (.*)$", line)
        if found and all(f"'{n}'" in found.group(3) for n in pair):
            naming_both.append(line)
            row = int(found.group(1))
            assert 1 <= row <= len(lines), line
            assert any(n in lines[row - 1] for n in pair), f"{line} points at line {row}: {lines[row - 1][:200]!r}"
    assert naming_both, f"no message names both {pair}:\n{done.stderr[-3000:]}"
