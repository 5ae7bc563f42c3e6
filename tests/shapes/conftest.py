"""Generate the shape specs once per session and load the packages for the tests.

The three specs of tests/specs/good are generated into one tmp project. In-process, the tmp
`generated/` folder is loaded under another top-level name (`_shapes_generated`), so it never
clashes with the repository's own `generated` package; subprocesses (CLI, mypy) run with the
tmp project as their working directory and PYTHONPATH.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

pytest.register_assert_rewrite("tests.shapes.helpers")

from generator.cli import main as nodegen
from tests.shapes.servers import HolidayServer, TaskServer, WeatherServer

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "tests" / "specs" / "good"
SHAPES = ("weatherapi", "tasktracker", "publicholidays")
ALIAS = "_shapes_generated"


@pytest.fixture(scope="session")
def shapes_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shapes")
    (root / "spec").mkdir()
    for name in SHAPES:
        shutil.copy(SPECS / f"{name}.yaml", root / "spec" / f"{name}.yaml")
    assert nodegen(["--root", str(root), "generate"]) == 0
    return root


def _load(root: Path, node: str) -> ModuleType:
    if ALIAS not in sys.modules:
        init = root / "generated" / "__init__.py"
        spec = importlib.util.spec_from_file_location(ALIAS, init, submodule_search_locations=[str(init.parent)])
        assert spec is not None and spec.loader is not None
        package = importlib.util.module_from_spec(spec)
        sys.modules[ALIAS] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"{ALIAS}.{node}")


@pytest.fixture(scope="session")
def weatherapi(shapes_root: Path) -> ModuleType:
    return _load(shapes_root, "weatherapi")


@pytest.fixture(scope="session")
def tasktracker(shapes_root: Path) -> ModuleType:
    return _load(shapes_root, "tasktracker")


@pytest.fixture(scope="session")
def publicholidays(shapes_root: Path) -> ModuleType:
    return _load(shapes_root, "publicholidays")


@pytest.fixture
def weather_server() -> Iterator[WeatherServer]:
    with WeatherServer() as server:
        yield server


@pytest.fixture
def task_server() -> Iterator[TaskServer]:
    with TaskServer() as server:
        yield server


@pytest.fixture
def holiday_server() -> Iterator[HolidayServer]:
    with HolidayServer() as server:
        yield server


def run_cli(root: Path, node: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m generated.<node> ...` in the tmp project, with a clean credential environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("WEATHERAPI_", "TASKS_", "PUBLICHOLIDAYS_"))}
    base["PYTHONPATH"] = str(root)
    return subprocess.run(
        [sys.executable, "-m", f"generated.{node}", *args],
        cwd=root,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
