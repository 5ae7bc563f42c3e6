"""The pipeline: spec files -> validated Node -> rendered, formatted files (all in memory).

`generate` writes the result and `check` compares it with the disk; both consume the same
in-memory map, so they can never disagree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator import fingerprint
from generator.cache import ContentCache
from generator.diagnostics import Diagnostic, SpecError

if TYPE_CHECKING:
    from generator.helper import Helper
    from generator.runtime.descriptors import Node

OUTPUT_DIR = "generated"


@dataclass(frozen=True)
class Options:
    root: Path
    templates: Path | None = None
    cache_dir: Path | None = None
    # A helper process for a single spec (see helper.py). It pays off in a new process, which
    # loads the tools anyway; a long-lived caller would load them again in every helper.
    helper: bool = False


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


@dataclass(frozen=True)
class _Compiled:
    """One spec's result: its node name and files, or its problems."""

    label: str
    node_name: str = ""
    files: dict[str, str] | None = None
    problems: tuple[Diagnostic, ...] = ()


def _compile_one(path: Path, options: Options, helper: Helper | None = None) -> _Compiled:
    from generator.formatting import format_python
    from generator.models import models_source
    from generator.param_schema import parameters_schema
    from generator.render import MODELS, render_node
    from generator.sources import template_files

    shown = label(path, options.root)
    try:
        node, docs = load_node(path, shown)
    except SpecError as exc:
        return _Compiled(shown, problems=tuple(exc.diagnostics))
    cache = ContentCache(options.cache_dir)
    jinja_cache = options.cache_dir / "jinja" if options.cache_dir is not None else None
    # datamodel-code-generator runs in the helper while the templates are rendered and formatted;
    # models.py (its header, then the models) is formatted last.
    models = models_source(parameters_schema(node), cache, helper)
    # black's blocks are shared only with a helper that runs anyway: starting one and loading
    # black there costs more than the few blocks an edit leaves.
    sharing = helper if helper is not None and helper.started else None
    rendered = render_node(node, shown, docs, options.templates, jinja_cache)
    models_path = f"{OUTPUT_DIR}/{node.name}/{MODELS}"
    rendered = format_python(rendered, frozenset(p for p in rendered if "/_runtime/" in p or p == models_path), cache, sharing)
    rendered.update(format_python({models_path: rendered[models_path] + models()}, cache=cache, helper=sharing))
    hashes = fingerprint.inputs(path, shown, template_files(options.templates))
    rendered[f"{OUTPUT_DIR}/{node.name}/{fingerprint.MANIFEST}"] = fingerprint.manifest(shown, hashes, rendered)
    return _Compiled(shown, node.name, rendered)


def _compile_all(paths: list[Path], options: Options) -> list[_Compiled]:
    """Specs are independent: several are compiled in parallel, one process per core. A single
    spec can get one helper process (when there is a second core), which runs
    datamodel-code-generator and shares black's work."""
    workers = min(len(paths), os.cpu_count() or 1)
    if workers <= 1 and not options.helper:
        return [_compile_one(path, options) for path in paths]
    if workers <= 1:
        from generator.helper import helper_process

        # With no cache to serve them, black and datamodel-code-generator are certainly needed:
        # black is loaded before the helper is forked, so both processes have it for one import.
        cold = options.cache_dir is None or not options.cache_dir.is_dir()
        if cold:
            import black  # noqa: F401
        with helper_process(_warm_up if cold else None) as helper:
            return [_compile_one(path, options, helper) for path in paths]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_compile_one, paths, [options] * len(paths), chunksize=max(1, len(paths) // (4 * workers))))


def _warm_up() -> None:
    """Load datamodel-code-generator in the helper while this process reads the spec."""
    from generator.models import models_source

    models_source({"type": "object", "title": "Warm", "properties": {"a": {"type": "string"}}})()


def compile_specs(paths: list[Path], options: Options) -> Output:
    """Render every spec; all problems of all specs are collected before raising."""
    from generator.sources import root_files

    files: dict[str, str] = dict(root_files())
    package_dirs: list[str] = []
    problems: list[Diagnostic] = []
    owners: dict[str, str] = {}
    for result in _compile_all(paths, options):
        problems.extend(result.problems)
        if result.files is None:
            continue
        if result.node_name in owners:
            message = f"node name {result.node_name!r} is also used by {owners[result.node_name]}"
            problems.append(Diagnostic(result.label, 1, 1, message))
            continue
        owners[result.node_name] = result.label
        files.update(result.files)
        package_dirs.append(f"{OUTPUT_DIR}/{result.node_name}")
    if problems:
        raise SpecError(problems)
    return Output(files, package_dirs)
