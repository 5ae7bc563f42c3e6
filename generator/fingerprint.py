"""Hashes of what a generated package is made from, and of what it consists of.

The manifest stores both, so `check` can prove a package is in sync by hashing files alone,
without importing black or datamodel-code-generator and without rendering.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import generator

GENERATOR_DIR = Path(generator.__file__).resolve().parent
TOOLS = ("black", "datamodel-code-generator", "jinja2", "pyyaml")
MANIFEST = "manifest.json"
# Modules that cannot change what is generated (commands, checks, reporting).
NOT_INPUTS = frozenset({"__main__.py", "cli.py", "breaking.py", "sinks.py", "cache.py", "diagnostics.py"})


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tool_versions() -> dict[str, str]:
    return {"nodegen": generator.__version__, **{tool: installed_version(tool) for tool in TOOLS}}


def installed_version(distribution: str) -> str:
    """The installed version, read from the `NAME-VERSION.dist-info` folder name.

    A directory listing is several times cheaper than importlib.metadata, and `check` runs it
    on every call.
    """
    wanted = distribution.replace("-", "_").lower()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                project, _, version = name[: -len(".dist-info")].partition("-")
                if project.replace("-", "_").lower() == wanted and version:
                    return version
    from importlib import metadata

    return metadata.version(distribution)


def inputs(spec_path: Path, spec_label: str, template_files: list[tuple[str, Path]]) -> dict[str, str]:
    """Hash of every input: the spec, each template, the generator's own sources and schema."""
    hashes = {spec_label: sha256(spec_path.read_bytes())}
    for label, path in template_files:
        hashes[label] = sha256(path.read_bytes())
    digest = hashlib.sha256()
    for path in sorted(GENERATOR_DIR.rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts and path.name not in NOT_INPUTS:
            digest.update(path.relative_to(GENERATOR_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    hashes["generator"] = digest.hexdigest()
    return dict(sorted(hashes.items()))


def manifest(spec_label: str, input_hashes: dict[str, str], files: dict[str, str]) -> str:
    body = {
        "spec": spec_label,
        "tools": tool_versions(),
        "inputs": input_hashes,
        "files": {path: sha256(text.encode()) for path, text in sorted(files.items())},
    }
    return json.dumps(body, indent=2, sort_keys=False) + "\n"
