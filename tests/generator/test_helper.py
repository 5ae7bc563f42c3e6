"""The helper process that the nodegen command uses for one spec: the same bytes as without it.

Tests call `main([...])` in-process, which never starts a helper, so these run the command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.project import Options, compile_specs
from tests.generator.conftest import REPO, nodegen, tree_bytes

SPEC = REPO / "spec" / "customerio.yaml"


def _program(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "generator", "--root", str(root), *args]
    return subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=120)


def _project(root: Path, spec_text: str) -> Path:
    (root / "spec").mkdir(parents=True)
    (root / "spec" / "customerio.yaml").write_text(spec_text, encoding="utf-8")
    return root


def test_compile_with_a_helper_gives_the_same_files(tmp_path: Path) -> None:
    root = _project(tmp_path, SPEC.read_text(encoding="utf-8"))
    spec = root / "spec" / "customerio.yaml"
    alone = compile_specs([spec], Options(root=root))
    helped = compile_specs([spec], Options(root=root, helper=True))
    assert helped == alone


def test_edit_with_a_warm_cache_regenerates_as_from_scratch(tmp_path: Path) -> None:
    # A field description is in the models' schema: datamodel-code-generator runs again, in a
    # helper started only then, and black's new blocks are shared with it.
    text = SPEC.read_text(encoding="utf-8")
    edited = text.replace("description: The unique identifier for the customer", "description: Who it is", 1)
    assert edited != text
    root = _project(tmp_path / "warm", text)
    assert _program(root, "generate").returncode == 0
    (root / "spec" / "customerio.yaml").write_text(edited, encoding="utf-8")
    done = _program(root, "generate")
    assert done.returncode == 0, done.stderr
    fresh = _project(tmp_path / "fresh", edited)
    assert nodegen(fresh, "generate") == 0
    assert tree_bytes(root / "generated") == tree_bytes(fresh / "generated")


def test_bad_spec_with_no_cache_is_reported_without_waiting_for_the_warm_up(tmp_path: Path) -> None:
    # With no cache the helper starts loading datamodel-code-generator at once; a bad spec means
    # nothing needs it, and it is stopped rather than waited for.
    root = tmp_path / "project"
    (root / "spec").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "specs" / "bad" / "multi_semantic.yaml", root / "spec" / "bad.yaml")
    expected = (REPO / "tests" / "specs" / "bad" / "multi_semantic.expected").read_text(encoding="utf-8")
    done = _program(root, "--no-cache", "generate")
    assert (done.returncode, done.stdout) == (2, "")
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[:-1] == expected.replace("tests/specs/bad/multi_semantic.yaml", "spec/bad.yaml").splitlines()
    assert not (root / "generated").exists()


def test_without_a_working_process_pool_the_helper_runs_its_tasks_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import concurrent.futures

    class NoSemaphores:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise OSError(38, "Function not implemented")  # as in containers without /dev/shm

    root = _project(tmp_path, SPEC.read_text(encoding="utf-8"))
    spec = root / "spec" / "customerio.yaml"
    alone = compile_specs([spec], Options(root=root))
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoSemaphores)
    helped = compile_specs([spec], Options(root=root, helper=True, cache_dir=root / "cache"))
    assert helped == alone
