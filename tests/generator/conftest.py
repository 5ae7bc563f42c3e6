from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.cli import main

REPO = Path(__file__).resolve().parents[2]


def nodegen(root: Path, *args: str) -> int:
    return main(["--root", str(root), *args])


@pytest.fixture(scope="session")
def generated_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with the Customer.io spec, generated once per session (read-only for tests)."""
    root = tmp_path_factory.mktemp("golden")
    (root / "spec").mkdir()
    shutil.copy(REPO / "spec" / "customerio.yaml", root / "spec" / "customerio.yaml")
    assert nodegen(root, "generate") == 0
    return root


@pytest.fixture
def project(generated_root: Path, tmp_path: Path) -> Path:
    """A private, in-sync copy of the generated project that a test may change."""
    root = tmp_path / "project"
    shutil.copytree(generated_root, root)
    return root


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture
def snapshot() -> Callable[[Path], dict[str, bytes]]:
    return tree_bytes
