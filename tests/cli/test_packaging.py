"""The generated package on its own: its wheel, a clean venv without nodegen, py.typed, the
console script; and ruff and `mypy --strict` over generated/ from the repository's venv."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.helpers import SECRETS, bases, env, jsonl, write_jsonl
from tests.fakes.customerio_server import FakeCustomerIo

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "generated" / "customerio"


@dataclass
class Installed:
    venv: Path
    wheel: Path
    workdir: Path  # an empty folder: nothing importable from the repository

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        # No PYTHONPATH, no repository on sys.path: only what is installed in the venv.
        clean = {k: v for k, v in env().items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        return subprocess.run(list(args), cwd=self.workdir, env=clean, check=False, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    # Build from a copy: building in generated/customerio would leave build/ and *.egg-info there.
    source = base / "source"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("__pycache__", "build", "dist", "*.egg-info"))
    dist = base / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-w", str(dist), str(source)],
        check=False, capture_output=True, text=True, timeout=300,
    )
    if built.returncode != 0 and "setuptools" in built.stderr and ("Could not" in built.stderr or "No matching" in built.stderr):
        pytest.skip(f"setuptools could not be fetched to build the wheel: {built.stderr[-500:]}")
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("nodegen_customerio-*.whl")
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True, clear=True)
    pip = subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        check=False, capture_output=True, text=True, timeout=300,
    )
    if pip.returncode != 0 and ("Could not find a version" in pip.stderr or "No matching distribution" in pip.stderr):
        pytest.skip(f"the package's dependencies could not be installed from the registry: {pip.stderr[-500:]}")
    assert pip.returncode == 0, pip.stdout + pip.stderr
    workdir = base / "work"
    workdir.mkdir()
    return Installed(env_dir, wheel, workdir)


def test_the_source_folder_is_left_clean(installed: Installed) -> None:
    leftovers = [p.name for p in PACKAGE.iterdir() if p.name in ("build", "dist") or p.name.endswith(".egg-info")]
    assert leftovers == []


def test_wheel_metadata(installed: Installed) -> None:
    import zipfile

    names = set(zipfile.ZipFile(installed.wheel).namelist())
    assert "generated/customerio/py.typed" in names
    assert "generated/customerio/_runtime/cli.py" in names
    assert not any(name.startswith("generator/") for name in names)
    dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    metadata = zipfile.ZipFile(installed.wheel).read(f"{dist_info}/METADATA").decode()
    assert "Name: nodegen-customerio" in metadata
    requires = sorted(line.split(":", 1)[1].strip().split(">")[0] for line in metadata.splitlines() if line.startswith("Requires-Dist:"))
    assert requires == ["click", "httpx", "pydantic", "sniffio"]  # and not nodegen
    entry_points = zipfile.ZipFile(installed.wheel).read(f"{dist_info}/entry_points.txt").decode()
    assert "nodegen-customerio = generated.customerio.__main__:main" in entry_points


def test_imports_without_nodegen(installed: Installed) -> None:
    probe = installed.run(
        str(installed.python), "-c",
        "import json, importlib.util, pathlib, generated.customerio as g\n"
        "print(json.dumps({'file': g.__file__, 'client': hasattr(g, 'Client'), 'execute': hasattr(g, 'execute'),"
        " 'generator': importlib.util.find_spec('generator') is not None,"
        " 'jinja2': importlib.util.find_spec('jinja2') is not None,"
        " 'typed': (pathlib.Path(g.__file__).parent / 'py.typed').is_file()}))",
    )
    assert probe.returncode == 0, probe.stderr
    facts = json.loads(probe.stdout)
    assert facts["file"].startswith(str(installed.venv))  # the installed copy, not the repository's
    assert facts["client"] and facts["execute"]
    assert facts["generator"] is False and facts["jinja2"] is False  # nodegen is not there
    assert facts["typed"] is True
    no_generator = installed.run(str(installed.python), "-c", "import generator")
    assert no_generator.returncode != 0 and "No module named 'generator'" in no_generator.stderr
    listed = installed.run(str(installed.python), "-m", "pip", "list", "--format", "json", "--disable-pip-version-check")
    assert "nodegen" not in {p["name"] for p in json.loads(listed.stdout)}


def test_console_script(installed: Installed, server: FakeCustomerIo, tmp_path: Path) -> None:
    script = installed.venv / "bin" / "nodegen-customerio"
    assert script.is_file()
    helped = installed.run(str(script), "--help")
    assert helped.returncode == 0, helped.stderr
    assert all(word in helped.stdout for word in ("campaign", "customer", "event", "segment"))
    op_help = installed.run(str(script), "event", "track", "--help")
    assert op_help.returncode == 0 and "--items" in op_help.stdout
    # It works, too: one call and a bulk run against the local server.
    one = installed.run(str(script), "campaign", "get", "--campaign-id", "1", *bases(server))
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout)["id"] == 1
    items = write_jsonl(tmp_path / "items.jsonl", [{"user_id": f"w{i}"} for i in range(5)])
    bulk = installed.run(
        str(script), "event", "track", "--items", str(items), "--customer-id", "={{ $json.user_id }}",
        "--event-name", "from-wheel", "--concurrency", "2", *bases(server),
    )
    assert bulk.returncode == 0, bulk.stderr
    assert [line["pairedItem"]["item"] for line in jsonl(bulk.stdout)] == list(range(5))
    assert sorted(e["customer_id"] for e in server.events) == [f"w{i}" for i in range(5)]
    for text in (one.stdout, one.stderr, bulk.stdout, bulk.stderr):
        assert not any(secret in text for secret in SECRETS)


def test_py_typed_is_honoured_by_mypy(installed: Installed) -> None:
    """A user's code type-checks against the installed package (PEP 561), mistakes included."""
    good = installed.workdir / "use_ok.py"
    good.write_text(
        "from generated.customerio import Client\n\n\n"
        "def main() -> None:\n"
        "    with Client(tracking_site_id='s', tracking_api_key='k') as client:\n"
        "        client.segment.add(segment_id=7, customer_ids=['u1'])\n",
        encoding="utf-8",
    )
    bad = installed.workdir / "use_bad.py"
    bad.write_text(good.read_text(encoding="utf-8").replace("segment_id=7", "segment_id='seven'"), encoding="utf-8")
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", str(installed.python)]
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    ok = subprocess.run([*mypy, good.name], cwd=installed.workdir, env=clean, check=False, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    wrong = subprocess.run([*mypy, bad.name], cwd=installed.workdir, env=clean, check=False, capture_output=True, text=True, timeout=300)
    assert wrong.returncode == 1
    assert 'Argument "segment_id" to "add" of "SegmentResource" has incompatible type "str"; expected "int"' in wrong.stdout
    assert "py.typed" not in wrong.stdout  # not "missing library stubs or py.typed marker"


# ----------------------------------------------------------------------------- linters


def test_mypy_strict_on_generated() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "generated/"], cwd=REPO, check=False, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_on_generated() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    command = [str(ruff)] if ruff.is_file() else [sys.executable, "-m", "ruff"]
    done = subprocess.run([*command, "check", "generated/"], cwd=REPO, check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
