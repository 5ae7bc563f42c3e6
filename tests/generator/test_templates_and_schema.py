"""Template overrides (`--templates`, `[tool.nodegen] templates`) and the published spec schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from generator.schema_check import SCHEMA_PATH
from tests.generator.conftest import REPO, nodegen

OVERRIDE = '{% import "macros.jinja" as m %}{{ m.header(spec_file) }}\n"""Custom entry point for {{ node.display_name | comment }}."""\n\nfrom ._runtime.cli import run\n\nfrom ._node import NODE\n\nraise SystemExit(run(NODE, __package__ or {{ node.name | py }}))\n'


def _override_dir(root: Path) -> Path:
    folder = root / "my-templates" / "package"
    folder.mkdir(parents=True)
    (folder / "__main__.py.jinja").write_text(OVERRIDE)
    return root / "my-templates"


def test_flag_overrides_a_template_by_name(project: Path) -> None:
    templates = _override_dir(project)
    assert nodegen(project, "--templates", str(templates), "generate") == 0
    main = (project / "generated/customerio/__main__.py").read_text()
    assert '"""Custom entry point for Customer.io."""' in main
    assert nodegen(project, "--templates", str(templates), "check") == 0
    assert nodegen(project, "check") == 1, "without the override the output differs"


def test_pyproject_setting_is_used_by_generate_and_check(project: Path) -> None:
    _override_dir(project)
    (project / "pyproject.toml").write_text('[tool.nodegen]\ntemplates = "my-templates"\n')
    assert nodegen(project, "generate") == 0
    assert "Custom entry point" in (project / "generated/customerio/__main__.py").read_text()
    assert nodegen(project, "check") == 0
    manifest = json.loads((project / "generated/customerio/manifest.json").read_text())
    assert "overrides/package/__main__.py.jinja" in manifest["inputs"]


def test_an_edited_override_is_drift(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    templates = _override_dir(project)
    assert nodegen(project, "--templates", str(templates), "generate") == 0
    target = templates / "package/__main__.py.jinja"
    target.write_text(target.read_text().replace("Custom entry point", "Other entry point"))
    assert nodegen(project, "--templates", str(templates), "check") == 1
    assert "changed: generated/customerio/__main__.py" in capsys.readouterr().out


def test_missing_templates_folder_is_an_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert nodegen(project, "--templates", str(project / "nope"), "generate") == 2
    assert "templates folder" in capsys.readouterr().err


def test_published_schema_is_valid_and_accepts_the_repo_specs() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    specs = sorted((REPO / "spec").glob("*.yaml")) + sorted((REPO / "tests/specs/good").glob("*.yaml"))
    assert specs
    for spec in specs:
        jsonschema.validate(yaml.safe_load(spec.read_text()), schema)


def test_every_spec_names_the_schema_for_editors() -> None:
    specs = sorted((REPO / "spec").glob("*.yaml")) + sorted((REPO / "tests/specs/good").glob("*.yaml"))
    for spec in specs:
        first = spec.read_text().splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, f"{spec}: first line must reference the schema"
        assert (spec.parent / match.group(1)).resolve() == SCHEMA_PATH.resolve()
