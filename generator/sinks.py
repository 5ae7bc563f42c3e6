"""The two consumers of a compiled Output: write it atomically, or compare it with the disk."""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from generator import fingerprint
from generator.project import OUTPUT_DIR, Output

# Byproducts of importing or building a package, never generated files.
_BYPRODUCT_DIRS = frozenset({"__pycache__", "build", "dist", ".mypy_cache", ".ruff_cache"})


def _on_disk(root: Path, folder: str) -> set[str]:
    base = root / folder
    if not base.is_dir():
        return set()
    return {
        p.relative_to(root).as_posix()
        for p in base.rglob("*")
        if p.is_file()
        and not _BYPRODUCT_DIRS.intersection(p.relative_to(base).parts)
        and not any(part.endswith(".egg-info") for part in p.relative_to(base).parts)
        and not p.name.endswith((".pyc", ".nodegen-tmp"))
    }


def owned_files(root: Path, output: Output, every_spec: bool) -> set[str]:
    """Files on disk that this run is responsible for (so a stale one is an orphan)."""
    if every_spec:
        return _on_disk(root, OUTPUT_DIR)
    found: set[str] = set()
    for folder in output.package_dirs:
        found |= _on_disk(root, folder)
    return found


@dataclass
class Drift:
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)
    diff: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changed or self.missing or self.orphaned)


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None


def drift(root: Path, output: Output, every_spec: bool) -> Drift:
    result = Drift()
    for path, text in sorted(output.files.items()):
        current = _read(root / path)
        if current is None:
            result.missing.append(path)
        elif current != text:
            result.changed.append(path)
            result.diff.extend(
                difflib.unified_diff(
                    current.splitlines(keepends=True), text.splitlines(keepends=True), f"a/{path}", f"b/{path}"
                )
            )
    result.orphaned = sorted(owned_files(root, output, every_spec) - set(output.files))
    return result


def write(root: Path, output: Output, every_spec: bool) -> Drift:
    """Write what changed. Every new file is staged first, so a failure leaves the tree as it was."""
    changes = drift(root, output, every_spec)
    staged: list[tuple[Path, Path]] = []
    try:
        for path in changes.changed + changes.missing:
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(target.name + ".nodegen-tmp")
            temp.write_bytes(output.files[path].encode("utf-8"))
            staged.append((temp, target))
    except BaseException:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        raise
    for temp, target in staged:
        os.replace(temp, target)
    for path in changes.orphaned:
        (root / path).unlink()
    _remove_empty_dirs(root / OUTPUT_DIR)
    return changes


def _remove_empty_dirs(base: Path) -> None:
    if not base.is_dir():
        return
    for folder in sorted((p for p in base.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if folder.name != "__pycache__" and not any(p for p in folder.iterdir() if p.name != "__pycache__"):
            for leftover in folder.glob("__pycache__"):
                for f in leftover.iterdir():
                    f.unlink()
                leftover.rmdir()
            folder.rmdir()


def quick_in_sync(
    root: Path, spec_paths: list[Path], spec_labels: list[str], templates: list[tuple[str, Path]], every_spec: bool
) -> bool:
    """True when the manifests prove every package is exactly what the inputs would produce.

    Hashes only: no YAML, no rendering, no black. Any doubt returns False (then `check`
    renders and compares, which is exact).
    """
    manifests: dict[str, tuple[str, dict[str, object]]] = {}
    for path in (root / OUTPUT_DIR).glob(f"*/{fingerprint.MANIFEST}"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        manifests[str(data.get("spec"))] = (path.parent.relative_to(root).as_posix(), data)
    expected: set[str] = set()
    versions = fingerprint.tool_versions()
    for spec_path, shown in zip(spec_paths, spec_labels):
        if shown not in manifests:
            return False
        folder, data = manifests[shown]
        if data.get("tools") != versions or data.get("inputs") != fingerprint.inputs(spec_path, shown, templates):
            return False
        files = data.get("files")
        if not isinstance(files, dict):
            return False
        for path, digest in files.items():
            content = _bytes(root / path)
            if content is None or fingerprint.sha256(content) != digest:
                return False
        expected |= set(files) | {f"{folder}/{fingerprint.MANIFEST}"}
        if _on_disk(root, folder) != {p for p in expected if p.startswith(folder + "/")}:
            return False
    from generator.sources import root_files

    for name, text in root_files().items():
        if _bytes(root / name) != text.encode():
            return False
        expected.add(name)
    return not every_spec or _on_disk(root, OUTPUT_DIR) == expected


def _bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None
