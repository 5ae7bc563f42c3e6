""".pre-commit-hooks.yaml: its fields, and each hook's entry run in a scratch git repository
holding a copy of spec/ and generated/ (green in sync, red after a hand edit). Optionally, end
to end with `pre-commit try-repo` when pre-commit can be installed into a scratch venv.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from tests.cli.helpers import REPO

HOOKS_FILE = REPO / ".pre-commit-hooks.yaml"
NEEDS_GIT = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "build", "dist", "*.egg-info", ".nodegen-cache")


def hooks() -> dict[str, dict[str, object]]:
    loaded = yaml.safe_load(HOOKS_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, list)
    return {hook["id"]: hook for hook in loaded}


def test_hooks_file_declares_both_hooks() -> None:
    found = hooks()
    assert list(found) == ["nodegen-check", "nodegen-breaking"]
    check, breaking = found["nodegen-check"], found["nodegen-breaking"]
    assert check["entry"] == "nodegen check"
    assert breaking["entry"] == "nodegen breaking --against HEAD"
    for hook in (check, breaking):
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False
        assert isinstance(hook["name"], str) and hook["name"]
    assert check["files"] == "^(spec/|templates/|generated/)"
    assert breaking["files"] == "^spec/"
    # What the patterns select (pre-commit matches them with re.search on repo-relative paths).
    for path, runs_check, runs_breaking in [
        ("spec/customerio.yaml", True, True),
        ("templates/package/client.py.jinja", True, False),
        ("generated/customerio/client.py", True, False),
        ("README.md", False, False),
        ("tests/spec/x.yaml", False, False),
    ]:
        assert bool(re.search(str(check["files"]), path)) is runs_check, path
        assert bool(re.search(str(breaking["files"]), path)) is runs_breaking, path


def test_docs_describe_the_hooks() -> None:
    text = (REPO / "docs" / "pre-commit.md").read_text(encoding="utf-8")
    for needle in ("nodegen-check", "nodegen-breaking", ".pre-commit-config.yaml", "rev:"):
        assert needle in text


# ----------------------------------------------------------------------------- the entries


def git_env() -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return {
        **base,
        "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
    }


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=repo, env=git_env(), check=True, capture_output=True)


def new_repo(path: Path, copies: dict[str, Path]) -> Path:
    path.mkdir(parents=True)
    for name, source in copies.items():
        if source.is_dir():
            shutil.copytree(source, path / name, ignore=_IGNORE)
        else:
            shutil.copy2(source, path / name)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


@pytest.fixture
def consumer(tmp_path: Path) -> Path:
    """A git repository holding a committed copy of spec/ and generated/, in sync."""
    root = tmp_path / "consumer"
    root.mkdir()
    shutil.copytree(REPO / "spec", root / "spec", ignore=_IGNORE)
    shutil.copytree(REPO / "generated", root / "generated", ignore=_IGNORE)
    # Others may be mid-edit in generator/; regenerate the copy with the generator under test.
    done = subprocess.run([sys.executable, "-m", "generator", "generate"], cwd=root, check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (root / ".gitignore").write_text(".nodegen-cache/\n__pycache__/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "generated")
    return root


def run_entry(hook_id: str, repo: Path) -> subprocess.CompletedProcess[str]:
    """Run a hook's entry as pre-commit would (cwd = the repository root, no file names);
    `nodegen` is the console script for `python -m generator`."""
    program, *args = shlex.split(str(hooks()[hook_id]["entry"]))
    assert program == "nodegen"
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=repo, check=False, capture_output=True, text=True, timeout=120)


@NEEDS_GIT
def test_check_hook_green_in_sync_red_after_a_hand_edit(consumer: Path) -> None:
    green = run_entry("nodegen-check", consumer)
    assert green.returncode == 0, green.stdout + green.stderr
    assert "in sync" in green.stdout

    client = consumer / "generated" / "customerio" / "client.py"
    original = client.read_text(encoding="utf-8")
    client.write_text(original.replace("def __enter__", "def __enter__  ", 1), encoding="utf-8")
    red = run_entry("nodegen-check", consumer)
    assert red.returncode == 1
    assert "changed: generated/customerio/client.py" in red.stdout
    assert "nodegen generate" in red.stderr

    client.write_text(original, encoding="utf-8")
    assert run_entry("nodegen-check", consumer).returncode == 0

    # A spec edit without regenerating is drift too.
    spec = consumer / "spec" / "customerio.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("maximum: 120", "maximum: 100", 1), encoding="utf-8")
    assert run_entry("nodegen-check", consumer).returncode == 1


@NEEDS_GIT
def test_breaking_hook_green_unchanged_red_after_a_breaking_edit(consumer: Path) -> None:
    green = run_entry("nodegen-breaking", consumer)
    assert green.returncode == 0, green.stdout + green.stderr

    spec = consumer / "spec" / "customerio.yaml"
    original = spec.read_text(encoding="utf-8")
    assert original.count("maximum: 120") == 1
    spec.write_text(original.replace("maximum: 120", "maximum: 100"), encoding="utf-8")
    red = run_entry("nodegen-breaking", consumer)
    assert red.returncode == 1
    assert "ERR bounds-narrowed" in red.stdout
    assert "spec/customerio.yaml:" in red.stdout

    spec.write_text(original.replace("maximum: 120", "maximum: 150"), encoding="utf-8")  # widened: fine
    widened = run_entry("nodegen-breaking", consumer)
    assert widened.returncode == 0, widened.stdout
    assert "INFO bounds-widened" in widened.stdout


# ----------------------------------------------------------------------------- pre-commit itself
# Optional: needs pre-commit from the registry (skipped when it cannot be installed, or with
# NODEGEN_TEST_PRE_COMMIT=0). Each `try-repo` builds a fresh hook environment (nodegen and its
# dependencies, ~20-40 s), so it runs once; the other runs use a .pre-commit-config.yaml whose
# environment is built once in a shared PRE_COMMIT_HOME.


@dataclass
class PreCommit:
    executable: Path
    hook_repo: Path
    rev: str
    env: dict[str, str]

    def run(self, repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.executable), *args], cwd=repo, env=self.env, check=False, capture_output=True, text=True, timeout=600
        )

    def configure(self, repo: Path) -> None:
        config = {"repos": [{"repo": str(self.hook_repo), "rev": self.rev, "hooks": [{"id": "nodegen-check"}, {"id": "nodegen-breaking"}]}]}
        (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        git(repo, "add", ".pre-commit-config.yaml")
        git(repo, "commit", "-q", "-m", "pre-commit")


@pytest.fixture(scope="module")
def pre_commit(tmp_path_factory: pytest.TempPathFactory) -> PreCommit:
    if os.environ.get("NODEGEN_TEST_PRE_COMMIT") == "0":
        pytest.skip("NODEGEN_TEST_PRE_COMMIT=0")
    if shutil.which("git") is None:
        pytest.skip("needs git")
    base = tmp_path_factory.mktemp("pre-commit")
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True)
    try:
        subprocess.run(
            [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "pre-commit"],
            check=True, capture_output=True, timeout=180,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"pre-commit could not be installed: {exc}")
    # The hook repository: what `pip install` of nodegen needs, plus the hooks file, committed.
    hook_repo = new_repo(
        base / "nodegen",
        {name: REPO / name for name in ("pyproject.toml", "README.md", "generator", "templates", ".pre-commit-hooks.yaml")},
    )
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, env=git_env(), capture_output=True, text=True, check=True).stdout.strip()
    env = {**git_env(), "PRE_COMMIT_HOME": str(base / "cache"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return PreCommit(env_dir / "bin" / "pre-commit", hook_repo, rev, env)


def _narrow_steps(repo: Path) -> None:
    spec = repo / "spec" / "customerio.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("maximum: 120", "maximum: 100", 1), encoding="utf-8")
    git(repo, "add", "spec/customerio.yaml")


@NEEDS_GIT
def test_pre_commit_try_repo(pre_commit: PreCommit, consumer: Path) -> None:
    _narrow_steps(consumer)
    red = pre_commit.run(consumer, "try-repo", str(pre_commit.hook_repo), "nodegen-breaking")
    assert red.returncode == 1, red.stdout + red.stderr
    assert re.search(r"nodegen breaking.*Failed", red.stdout)
    assert "ERR bounds-narrowed" in red.stdout


@NEEDS_GIT
def test_pre_commit_run_breaking(pre_commit: PreCommit, consumer: Path) -> None:
    pre_commit.configure(consumer)
    green = pre_commit.run(consumer, "run", "nodegen-breaking", "--all-files")
    assert green.returncode == 0, green.stdout + green.stderr
    assert re.search(r"nodegen breaking.*Passed", green.stdout)
    _narrow_steps(consumer)
    red = pre_commit.run(consumer, "run", "nodegen-breaking")
    assert red.returncode == 1
    assert re.search(r"nodegen breaking.*Failed", red.stdout)
    assert "ERR bounds-narrowed" in red.stdout


@NEEDS_GIT
def test_pre_commit_run_check(pre_commit: PreCommit, consumer: Path) -> None:
    pre_commit.configure(consumer)
    green = pre_commit.run(consumer, "run", "nodegen-check", "--all-files")
    assert green.returncode == 0, green.stdout + green.stderr
    assert re.search(r"nodegen check.*Passed", green.stdout)
    client = consumer / "generated" / "customerio" / "client.py"
    client.write_text(client.read_text(encoding="utf-8") + "\n# hand edit\n", encoding="utf-8")
    git(consumer, "add", "-A")
    red = pre_commit.run(consumer, "run", "nodegen-check")
    assert red.returncode == 1
    assert "changed: generated/customerio/client.py" in red.stdout
