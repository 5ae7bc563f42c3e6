"""The pipeline: spec files -> validated Node -> rendered, formatted files (all in memory).

`generate` writes the result and `check` compares it with the disk; both consume the same
in-memory map, so they can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator import fingerprint
from generator.cache import ContentCache
from generator.diagnostics import Diagnostic, SpecError
from generator.runtime.descriptors import Node

OUTPUT_DIR = "generated"


@dataclass(frozen=True)
class Options:
    root: Path
    templates: Path | None = None
    cache_dir: Path | None = None


@dataclass(frozen=True)
class Output:
    """Everything one run produces: files by path relative to root, and the folders it owns."""

    files: dict[str, str]
    package_dirs: list[str]


def discover(root: Path) -> list[Path]:
    spec_dir = root / "spec"
    return sorted(p for p in spec_dir.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def label(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def load_node(path: Path, shown: str) -> tuple[Node, object]:
    from generator.build import build_node, docs_info
    from generator.schema_check import check_structure
    from generator.yaml_source import load

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError([Diagnostic(shown, 1, 1, f"cannot read spec: {exc.strerror}")]) from None
    doc = load(shown, raw)
    problems = check_structure(doc)
    if problems:
        raise SpecError(problems)
    return build_node(doc), docs_info(doc)


def compile_specs(paths: list[Path], options: Options) -> Output:
    """Render every spec; all problems of all specs are collected before raising."""
    from generator.formatting import format_python
    from generator.models import models_source
    from generator.param_schema import parameters_schema
    from generator.render import render_node, root_files, template_files

    cache = ContentCache(options.cache_dir)
    files: dict[str, str] = dict(root_files())
    package_dirs: list[str] = []
    problems: list[Diagnostic] = []
    owners: dict[str, str] = {}
    templates = template_files(options.templates)
    for path in paths:
        shown = label(path, options.root)
        try:
            node, docs = load_node(path, shown)
        except SpecError as exc:
            problems.extend(exc.diagnostics)
            continue
        if node.name in owners:
            problems.append(Diagnostic(shown, 1, 1, f"node name {node.name!r} is also used by {owners[node.name]}"))
            continue
        owners[node.name] = shown
        rendered = render_node(node, shown, models_source(parameters_schema(node), cache), docs, options.templates)
        rendered = format_python(rendered, frozenset(p for p in rendered if "/_runtime/" in p), cache)
        package = f"{OUTPUT_DIR}/{node.name}"
        hashes = fingerprint.inputs(path, shown, templates)
        rendered[f"{package}/{fingerprint.MANIFEST}"] = fingerprint.manifest(shown, hashes, rendered)
        files.update(rendered)
        package_dirs.append(package)
    if problems:
        raise SpecError(problems)
    return Output(files, package_dirs)
