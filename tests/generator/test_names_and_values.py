"""Names the generated code keeps for itself, and option values a Literal cannot hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator import naming
from generator.cli import main
from generator.runtime import cli
from generator.runtime import descriptors as d


def test_the_cli_own_flags_that_build_refuses_are_the_flags_every_command_has() -> None:
    op = d.Operation("r", "o", "o", "", "GET", "b", "/", (), (), d.Output("response"))
    node = d.Node(
        "n", "N", "", "1.0.0", "", (), (d.Base("b", "https://x.invalid", d.Auth("none")),), {}, (), "r",
        (d.Resource("r", "r", "o", (op,)),),
    )  # fmt: skip
    command = cli.build(node, "generated.n").commands["r"].commands["o"]  # type: ignore[attr-defined]
    flags = {opt.lstrip("-") for p in command.params for opt in [*p.opts, *p.secondary_opts]}
    assert flags | {"help"} == naming.CLI_OWN_FLAGS


def test_a_float_option_is_typed_float_and_still_checked_against_the_options(tmp_path: Path) -> None:
    spec = _spec_with(
        [
            {
                "name": "ratio",
                "type": "options",
                "in": "query",
                "options": [{"value": 1.5, "label": "a"}, {"value": "x", "label": "b"}],
            }
        ],
        name="fo",
        method="GET",
    )
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "fo.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    assert main(["--root", str(tmp_path), "generate"]) == 0
    assert "ratio: float | Literal[\"x\"] | None = None," in (tmp_path / "generated/fo/operations.py").read_text()
    probe = """
import httpx
from generated.fo import Client
sent = []
def answer(request):
    sent.append(str(request.url))
    return httpx.Response(200, json={})
client = Client(http_client=httpx.Client(transport=httpx.MockTransport(answer)))
client.r.o(ratio=1.5)
for wrong in (2.5, True):  # pydantic alone would take True as 1.0
    try:
        client.r.o(ratio=wrong)
    except Exception as exc:
        print(type(exc).__name__, exc)
print(sent)
"""
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [
        "ValidationError ratio: Input should be 1.5 or 'x' (got 2.5)",
        "ValidationError ratio: Input should be 1.5 or 'x' (got True)",
        "['https://api.example.invalid/x?ratio=1.5']",
    ]


def _spec_with(params: list[dict[str, object]], name: str = "ex", method: str = "POST") -> dict[str, object]:
    """A node with one resource `r` and one operation `o` taking `params`."""
    return {
        "nodegen": 1,
        "node": {"name": name, "display_name": name.title(), "version": "1.0.0"},
        "bases": [{"name": "main", "url": "https://api.example.invalid"}],
        "resources": [
            {
                "name": "r",
                "operations": [
                    {
                        "name": "o",
                        "request": {"method": method, "base": "main", "path": "/x"},
                        "output": {"from": "response"},
                        "params": params,
                    }
                ],
            }
        ],
    }


def test_examples_and_defaults_are_checked_as_the_model_types_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accepted = [
        {"name": "when", "type": "dateTime", "transform": "unix_seconds", "in": "body", "example": 1700000000},
        {"name": "tags", "type": "string", "transform": "comma_list", "in": "body", "example": ["a", "b"]},
        {"name": "level", "type": "options", "options": [{"value": 1.5, "label": "one"}], "default": 1.5},
    ]
    spec = tmp_path / "ok.yaml"
    spec.write_text(yaml.safe_dump(_spec_with(accepted)), encoding="utf-8")
    assert main(["--root", str(tmp_path), "validate", str(spec)]) == 0
    refused = [{"name": "mode", "type": "options", "options": [{"value": 1, "label": "a"}, {"value": 2, "label": "b"}], "default": True, "example": 1.0}]
    spec = tmp_path / "bad.yaml"
    spec.write_text(yaml.safe_dump(_spec_with(refused)), encoding="utf-8")
    assert main(["--root", str(tmp_path), "validate", str(spec)]) == 2
    assert [line.split(": ", 1)[1] for line in capsys.readouterr().err.splitlines()[:-1]] == [
        "default True is not among the options (1, 2)",
        "example 1.0 is not among the options (1, 2)",
    ]
