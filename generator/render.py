"""Node description -> {relative path: text}, from the Jinja templates and the runtime sources.

Pure: it reads templates and runtime files, nothing else, and its output depends only on them
and the node (no clock, no environment, dict order = spec order).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator import examples, naming, pysource, pytypes
from generator.param_schema import parameters_schema
from generator.runtime.descriptors import Node
from generator.sources import TEMPLATES_DIR, runtime_sources

PACKAGE_TEMPLATES = (
    "__init__.py",
    "__main__.py",
    "_node.py",
    "operations.py",
    "client.py",
    "README.md",
    "pyproject.toml",
)
MODELS = "models.py"


def environment(override_dir: Path | None, cache_dir: Path | None = None) -> Any:
    import jinja2

    search = [str(override_dir)] if override_dir is not None else []
    # Compiled templates are cached beside the other content-keyed results (jinja checks freshness).
    bytecode = jinja2.FileSystemBytecodeCache(str(cache_dir)) if cache_dir is not None else None
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search + [str(TEMPLATES_DIR)]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        bytecode_cache=bytecode,
    )
    env.filters.update(
        py=pysource.literal,
        docstring=pysource.docstring,
        comment=pysource.comment,
        parameter=pytypes.parameter,
        annotation=pytypes.annotation,
        returns=pytypes.returns,
        md=_markdown_cell,
        jsonv=lambda v: json.dumps(v, ensure_ascii=False),
        toml=_toml_string,
    )
    env.globals.update(
        op_id=id,
        example=examples.example,
        python_name=naming.python_name,
        member_name=naming.member_name,
        function_name=naming.function_name,
        pascal=naming.pascal,
        cli_name=naming.cli_name,  # for override templates
    )
    return env


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but TOML also forbids a raw DEL."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _markdown_cell(text: Any) -> str:
    """Text safe inside a Markdown table cell (and free of raw HTML)."""
    value = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(value.split())


def render_node(
    node: Node,
    spec_file: str,
    docs: Any,
    override_dir: Path | None = None,
    cache_dir: Path | None = None,
) -> dict[str, str]:
    env = environment(override_dir, cache_dir)
    uses_literal = any(f.type == "options" for r in node.resources for op in r.operations for f in op.fields)
    context = {"node": node, "spec_file": spec_file, "uses_literal": uses_literal, "docs": docs}
    package = f"generated/{node.name}"
    files = {f"{package}/{name}": env.get_template(f"package/{name}.jinja").render(context) for name in PACKAGE_TEMPLATES}
    header = env.get_template("macros.jinja").module.header(spec_file)
    # The models' source is appended when datamodel-code-generator is done (see project).
    files[f"{package}/{MODELS}"] = f'{header}\n"""Typed parameters of each operation (pydantic v2, from schema.json)."""\n\n'
    files[f"{package}/schema.json"] = json.dumps(parameters_schema(node), indent=2, ensure_ascii=False) + "\n"
    files[f"{package}/py.typed"] = ""
    for source in runtime_sources():
        text = source.read_text(encoding="utf-8")
        files[f"{package}/_runtime/{source.name}"] = f"{header}\n# Copied from the nodegen runtime.\n{text}"
    return files
