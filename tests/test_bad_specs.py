"""The bad-spec corpus: every broken spec in tests/specs/bad/ gets exactly its expected diagnostics.

Each `NAME.yaml` sits next to `NAME.expected`, the exact `file:line:col: message` lines nodegen must
print on stderr, in order. For every spec: exit code 2, those lines and then the summary line, no
traceback, nothing on stdout, and a project's generated/ tree byte-for-byte untouched. Specs with
several independent problems (`multi_*`) prove that all of them are reported, not only the first.

A spec over the size limit is written at test time (storing a megabyte in the repo is pointless).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main
from generator.yaml_source import MAX_SPEC_BYTES, load

REPO = Path(__file__).resolve().parents[1]
BAD = Path("tests/specs/bad")  # relative to REPO: diagnostics show the path as it was given
GENERATED_AT_TEST_TIME = {"oversized"}

# Problems that nodegen does not detect yet; each `.expected` holds the diagnostic it should give.
MISSING_CHECKS: dict[str, str] = {}

NAMES = sorted({p.stem for p in (REPO / BAD).glob("*.expected")})


def _case(name: str) -> object:
    if name in MISSING_CHECKS:
        return pytest.param(name, marks=pytest.mark.xfail(reason=MISSING_CHECKS[name], strict=True))
    return name


CASES = [_case(name) for name in NAMES]


def expected_lines(name: str) -> list[str]:
    return (REPO / BAD / f"{name}.expected").read_text(encoding="utf-8").splitlines()


def summary(count: int) -> str:
    return f"nodegen: {count} problem{'s' if count != 1 else ''}; nothing was written"


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def valid_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose generated/ tree was produced from the valid Customer.io spec."""
    root = tmp_path_factory.mktemp("project")
    (root / "spec").mkdir()
    shutil.copy(REPO / "spec" / "customerio.yaml", root / "spec" / "customerio.yaml")
    assert main(["--root", str(root), "generate"]) == 0
    # The oversized spec lives inside the project at the corpus path, so it is shown the same way.
    oversized = root / BAD / "oversized.yaml"
    oversized.parent.mkdir(parents=True)
    oversized.write_bytes(b"nodegen: 1\n" + b"#" * (MAX_SPEC_BYTES - 11) + b"\n")
    return root


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def spec_arg(name: str, project: Path) -> str:
    if name in GENERATED_AT_TEST_TIME:
        return str(project / BAD / f"{name}.yaml")
    return (BAD / f"{name}.yaml").as_posix()


def test_corpus_is_complete() -> None:
    stored = {p.stem for p in (REPO / BAD).glob("*.yaml")}
    assert stored | GENERATED_AT_TEST_TIME == set(NAMES), "every spec needs its .expected and vice versa"
    assert len(NAMES) - len(MISSING_CHECKS) >= 45
    multi = [name for name in NAMES if name.startswith("multi_")]
    assert len(multi) >= 3 and all(len(expected_lines(name)) >= 3 for name in multi)


@pytest.mark.parametrize("name", CASES)
def test_generate_reports_exactly_the_expected_diagnostics(
    name: str, valid_project: Path, in_repo: None, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree_hashes(valid_project)
    assert any(path.startswith("generated/") for path in before)
    code = main(["--root", str(valid_project), "generate", spec_arg(name, valid_project)])
    out, err = capsys.readouterr()
    expected = expected_lines(name)
    assert "Traceback" not in err
    assert err.splitlines() == [*expected, summary(len(expected))]
    assert code == 2
    assert out == ""
    assert tree_hashes(valid_project) == before


@pytest.mark.parametrize("name", CASES)
def test_validate_reports_the_same_diagnostics(
    name: str, valid_project: Path, in_repo: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--root", str(valid_project), "validate", spec_arg(name, valid_project)])
    out, err = capsys.readouterr()
    expected = expected_lines(name)
    assert err.splitlines() == [*expected, summary(len(expected))]
    assert (code, out) == (2, "")


@pytest.mark.parametrize("name", ["yaml_unclosed_quote", "alias_bomb", "multi_semantic"])
def test_real_process_reports_without_traceback(name: str, valid_project: Path) -> None:
    before = tree_hashes(valid_project)
    command = [
        sys.executable,
        "-m",
        "generator",
        "--root",
        str(valid_project),
        "generate",
        spec_arg(name, valid_project),
    ]
    done = subprocess.run(command, check=False, cwd=REPO, capture_output=True, text=True, timeout=120)
    expected = expected_lines(name)
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [*expected, summary(len(expected))]
    assert (done.returncode, done.stdout) == (2, "")
    assert tree_hashes(valid_project) == before


def test_a_spec_at_the_size_limit_is_read() -> None:
    raw = b"nodegen: 1\n" + b"#" * (MAX_SPEC_BYTES - 12) + b"\n"
    assert len(raw) == MAX_SPEC_BYTES
    assert load("spec/x.yaml", raw).data == {"nodegen": 1}


def test_dates_stay_the_text_they_were_written_as() -> None:
    doc = load("spec/x.yaml", b"example: 2024-01-15\nwhen: 2024-01-15T10:30:00Z\n")
    assert doc.data == {"example": "2024-01-15", "when": "2024-01-15T10:30:00Z"}
