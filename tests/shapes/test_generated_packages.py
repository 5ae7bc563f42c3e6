"""The shape specs themselves, and the generated packages as artefacts: types and docs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shapes.conftest import SHAPES, SPECS

NO_CREDENTIAL_MYPY = (
    "generator gap: for a node without credential fields templates/package/client.py.jinja renders "
    "`fields = {}` in Client/AsyncClient.__init__, which mypy --strict rejects (var-annotated)"
)
OUTPUT_WITHOUT_SELECT_DOCS = (
    "generator gap: templates/package/README.md.jinja documents `{from: response}` (no select) as "
    '"the response\'s `None`" and `{split: true}` without select as "one item per element of `None`"'
)
NO_CREDENTIAL_DOCS = (
    "generator gap: README.md.jinja renders an empty '## Credential ``' section, an empty table and "
    "`Client({  })` for a node without credential"
)


def test_specs_point_editors_at_the_schema() -> None:
    for name in SHAPES:
        first = (SPECS / f"{name}.yaml").read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../../generator/spec.schema.json"
        assert (SPECS / first.split("=", 1)[1]).resolve() == (
            SPECS.parents[2] / "generator" / "spec.schema.json"
        ).resolve()


@pytest.fixture(scope="session")
def mypy_report(shapes_root: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(shapes_root / ".mypy_cache"), "generated"],
        cwd=shapes_root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return done.stdout + done.stderr


@pytest.mark.parametrize(
    "node",
    [
        "weatherapi",
        "tasktracker",
        "publicholidays",
    ],
)
def test_generated_package_passes_mypy_strict(mypy_report: str, node: str) -> None:
    assert re.search(r"Success: no issues found|Found \d+ errors? in", mypy_report), mypy_report
    problems = [line for line in mypy_report.splitlines() if line.startswith(f"generated/{node}/")]
    assert problems == [], mypy_report


def _readme(root: Path, node: str) -> str:
    return (root / "generated" / node / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("node", SHAPES)
def test_readme_mentions_every_operation_and_parameter(shapes_root: Path, node: str) -> None:
    import yaml

    text = _readme(shapes_root, node)
    spec = yaml.safe_load((SPECS / f"{node}.yaml").read_text(encoding="utf-8"))
    for resource in spec["resources"]:
        for op in resource["operations"]:
            assert f"#### {resource['name']}.{op['name']}:" in text
            assert f"`{op['request']['method']} {op['request']['path']}`" in text
            for param in op["params"]:
                entries = param.get("options", []) if param["type"] == "collection" else [param]
                for entry in entries:
                    shown = f"{param['name']}.{entry['name']}" if param["type"] == "collection" else entry["name"]
                    assert f"| `{shown}` |" in text, shown
            if "pagination" in op["request"]:
                assert f"{op['request']['pagination']['style']} style" in text


@pytest.mark.parametrize(
    "node",
    [
        "weatherapi",
        "tasktracker",
        "publicholidays",
    ],
)
def test_readme_describes_outputs_without_placeholders(shapes_root: Path, node: str) -> None:
    text = _readme(shapes_root, node)
    assert "`None`" not in text


def test_readme_of_a_node_without_credential(shapes_root: Path) -> None:
    text = _readme(shapes_root, "publicholidays")
    assert "## Credential ``" not in text
    assert "Client({  })" not in text and "Client({ })" not in text
