"""`nodegen check` is green when in sync and red on every kind of drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generator import sinks, sources
from tests.generator.conftest import REPO, nodegen


def test_committed_tree_is_in_sync(capsys: pytest.CaptureFixture[str]) -> None:
    assert nodegen(REPO, "check") == 0
    assert "1 spec(s) in sync" in capsys.readouterr().out


def test_in_sync_check_needs_no_renderer_or_formatter(project: Path) -> None:
    """The manifest proves an unchanged tree in sync: black, datamodel-codegen, jinja2 stay unloaded."""
    probe = (
        "import sys; from generator.cli import main; code = main(['--root', sys.argv[1], 'check']);"
        "print(code, sorted(m for m in ('black', 'datamodel_code_generator', 'jinja2', 'yaml') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(project)], check=False, capture_output=True, text=True, cwd=REPO)
    assert done.stdout.splitlines()[-1] == "0 []", done.stderr


def test_quick_path_refuses_a_hand_edit(project: Path) -> None:
    spec = project / "spec/customerio.yaml"
    templates = sources.template_files(None)
    assert sinks.quick_in_sync(project, [spec], ["spec/customerio.yaml"], templates, True)
    (project / "generated/customerio/_runtime/http.py").write_text("# edited\n")
    assert not sinks.quick_in_sync(project, [spec], ["spec/customerio.yaml"], templates, True)


def test_hand_edited_file_is_changed_with_a_diff(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = project / "generated/customerio/client.py"
    client.write_text(client.read_text().replace('"""Customer operations."""', '"""Hand edit."""'))
    assert nodegen(project, "check") == 1
    out = capsys.readouterr().out
    assert "changed: generated/customerio/client.py" in out
    assert '-    """Hand edit."""\n+    """Customer operations."""\n' in out
    assert "--- a/generated/customerio/client.py" in out


def test_edited_spec_is_drift(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = project / "spec/customerio.yaml"
    spec.write_text(spec.read_text().replace("description: Get a campaign\n", "description: Fetch one campaign\n"))
    assert nodegen(project, "check") == 1
    out = capsys.readouterr().out
    assert "changed: generated/customerio/README.md" in out
    assert "+Fetch one campaign" in out


def test_edited_template_is_drift(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    overrides = tmp_path / "templates" / "package"
    overrides.mkdir(parents=True)
    original = (REPO / "templates/package/__main__.py.jinja").read_text()
    (overrides / "__main__.py.jinja").write_text(original.replace("the command-line interface", "the CLI"))
    assert nodegen(project, "--templates", str(tmp_path / "templates"), "check") == 1
    out = capsys.readouterr().out
    assert "changed: generated/customerio/__main__.py" in out
    assert '+"""`python -m generated.customerio`: the CLI."""' in out


def test_deleted_file_is_missing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "generated/customerio/models.py").unlink()
    assert nodegen(project, "check") == 1
    assert "missing: generated/customerio/models.py" in capsys.readouterr().out


def test_stale_leftover_is_orphaned(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "generated/customerio/old_module.py").write_text("# stale\n")
    (project / "generated/removed_node").mkdir()
    (project / "generated/removed_node/__init__.py").write_text("")
    assert nodegen(project, "check") == 1
    out = capsys.readouterr().out
    assert "orphaned: generated/customerio/old_module.py" in out
    assert "orphaned: generated/removed_node/__init__.py" in out


def test_generate_repairs_every_kind_of_drift(project: Path, snapshot, generated_root: Path) -> None:  # type: ignore[no-untyped-def]
    (project / "generated/customerio/models.py").unlink()
    (project / "generated/customerio/stale.py").write_text("# stale\n")
    (project / "generated/customerio/client.py").write_text("# edited\n")
    assert nodegen(project, "generate") == 0
    assert snapshot(project) == snapshot(generated_root)
    assert nodegen(project, "check") == 0


def test_pycache_is_not_an_orphan(project: Path) -> None:
    cache = project / "generated/customerio/__pycache__"
    cache.mkdir()
    (cache / "client.cpython-311.pyc").write_bytes(b"\0")
    assert nodegen(project, "check") == 0


def test_check_of_one_spec_ignores_other_packages(project: Path) -> None:
    (project / "generated/other").mkdir()
    (project / "generated/other/x.py").write_text("")
    assert nodegen(project, "check", str(project / "spec/customerio.yaml")) == 0
    assert nodegen(project, "check") == 1
