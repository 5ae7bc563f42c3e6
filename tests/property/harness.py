"""Generating a drawn spec and looking at the result: in memory, on disk, in a subprocess."""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import subprocess
import sys
import tokenize
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import naming
from generator.cli import main as nodegen_main
from tests.property.specs import all_params, dump

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def write_spec(root: Path, doc: dict[str, Any], style: str = "block") -> Path:
    (root / "spec").mkdir(parents=True, exist_ok=True)
    path = root / "spec" / f"{doc['node']['name']}.yaml"
    path.write_text(dump(doc, style), encoding="utf-8")
    return path


def nodegen(root: Path, *args: str) -> Run:
    """`nodegen --root ROOT ARGS` in this process, with its output captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = nodegen_main(["--root", str(root), *args])
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
        except Exception:  # noqa: BLE001 - a crash: report it as the command line would show it
            traceback.print_exc()
            code = -1
    return Run(code, out.getvalue(), err.getvalue())


def generate(root: Path) -> None:
    done = nodegen(root, "generate")
    assert done.code == 0, f"generate failed ({done.code}):\n{done.stderr[-5000:]}"


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def python(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run this interpreter in `root` with only `root` on the path (the package must stand alone)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHASHSEED")}
    environment.update({"PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "100"}, **(env or {}))
    return subprocess.run(
        [PYTHON, *args], cwd=root, env=environment, capture_output=True, text=True, timeout=timeout, check=False
    )


def parallel(*commands: tuple[Path, list[str], dict[str, str]]) -> list[subprocess.CompletedProcess[str]]:
    """Run several `python` commands at once (generation and imports are CPU-bound but single-threaded)."""
    procs = []
    for root, args, env in commands:
        environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHASHSEED")}
        environment.update({"PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "100"}, **env)
        procs.append(
            subprocess.Popen(
                [PYTHON, *args], cwd=root, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    results = []
    for proc, (_, args, _) in zip(procs, commands, strict=True):
        out, err = proc.communicate(timeout=300)
        results.append(subprocess.CompletedProcess([PYTHON, *args], proc.returncode, out, err))
    return results


# ---- what the spec says the package must contain ----


def expected_names(doc: dict[str, Any]) -> dict[str, Any]:
    """The Python names the generated package must define for the spec (docs/spec-format.md)."""
    return {
        "package": f"generated.{doc['node']['name']}",
        "resources": [
            {
                "name": r["name"],
                "attribute": naming.member_name(r["name"]),
                "class": naming.pascal(r["name"]) + "Resource",
                "operations": [
                    {
                        "name": op["name"],
                        "qualified": f"{r['name']}.{op['name']}",
                        "method": naming.member_name(op["name"]),
                        "function": naming.function_name(r["name"], op["name"]),
                        "model": naming.model_name(r["name"], op["name"]),
                        "params": [
                            {
                                "name": p["name"],
                                "python": p.get("python_name") or naming.python_name(p["name"]),
                                "parent": parent,
                            }
                            for p, parent in all_params(op)
                        ],
                    }
                    for op in r["operations"]
                ],
            }
            for r in doc["resources"]
        ],
    }


# ---- looking at generated Python source ----


def python_files(files: dict[str, str]) -> dict[str, str]:
    return {path: text for path, text in files.items() if path.endswith(".py")}


def marker_outside_strings(source: str, marker: str) -> list[tuple[int, int]]:
    """Positions where `marker` occurs in `source` but not inside one string token."""
    if marker not in source:
        return []
    lines = io.StringIO(source).readlines()  # the lines tokenize sees (not str.splitlines)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    spans = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING:
            start = offsets[token.start[0] - 1] + token.start[1]
            end = offsets[token.end[0] - 1] + token.end[1]
            spans.append((start, end))
    bad = []
    for match in re.finditer(re.escape(marker), source):
        if not any(start <= match.start() and match.end() <= end for start, end in spans):
            row = source.count("\n", 0, match.start()) + 1
            bad.append((row, match.start() - source.rfind("\n", 0, match.start())))
    return bad


def code_identifiers(source: str) -> set[str]:
    """Every name and attribute the module's code (not its strings) refers to."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return names


def function_docstrings(source: str) -> dict[str, str]:
    tree_ = ast.parse(source)
    found = {}
    for node in ast.walk(tree_):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc is not None:
                found[node.name] = doc
    return found


def squash(text: str) -> str:
    """Text with every run of whitespace as one space: docstrings keep words, not layout."""
    return " ".join(text.split())


def readme_code_blocks(readme: str, language: str) -> list[str]:
    return re.findall(r"^```" + language + r"\n(.*?)^```", readme, flags=re.DOTALL | re.MULTILINE)
