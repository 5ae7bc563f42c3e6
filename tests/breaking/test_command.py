"""`nodegen breaking` as a command: --fail-on, --format json, --against, errors, a real spec."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.breaking.conftest import BASE, REPO, Result, edited

SIZE_DEFAULT = [("            default: 1\n", "            default: 2\n")]  # WARN default-changed
NOTE_DOCS = [("description: A free-text note", "description: Any text")]  # INFO docs-changed
NO_SIZE_MAX = [("            maximum: 10\n", "            maximum: 5\n")]  # ERR bounds-narrowed
BLUE_OPTION = "              - {value: blue, label: Blue}\n"


@pytest.mark.parametrize(
    ("edits", "version", "fail_on", "code"),
    [
        (NO_SIZE_MAX, "2.0.0", None, 1),
        (NO_SIZE_MAX, "2.0.0", "ERR", 1),
        (SIZE_DEFAULT, "1.3.0", None, 0),
        (SIZE_DEFAULT, "1.3.0", "ERR", 0),
        (SIZE_DEFAULT, "1.3.0", "WARN", 1),
        (SIZE_DEFAULT, "1.3.0", "INFO", 1),
        (NOTE_DOCS, "1.2.4", "WARN", 0),
        (NOTE_DOCS, "1.2.4", "INFO", 1),
        (NOTE_DOCS, None, "ERR", 0),  # version-bump-too-small is a WARN
        (NOTE_DOCS, None, "WARN", 1),
    ],
)
def test_fail_on(
    pair: Callable[..., Result], edits: list[tuple[str, str]], version: str | None, fail_on: str | None, code: int
) -> None:
    result = pair(edits, version, ["--fail-on", fail_on] if fail_on else [])
    assert result.code == code


def test_fail_on_rejects_an_unknown_severity(pair: Callable[..., Result]) -> None:
    with pytest.raises(SystemExit) as exit:
        pair([], options=["--fail-on", "FATAL"])
    assert exit.value.code == 2


def test_json_format(pair: Callable[..., Result]) -> None:
    result = pair(NO_SIZE_MAX + NOTE_DOCS, None, ["--format", "json"])
    assert result.code == 1
    assert json.loads(result.out) == {
        "changes": [
            {
                "file": "new.yaml",
                "line": 8,
                "col": 12,
                "severity": "WARN",
                "rule": "version-bump-too-small",
                "message": "version 1.2.3 is too small: the changes need a major bump (1.2.3 -> 2.0.0)",
            },
            {
                "file": "new.yaml",
                "line": 74,
                "col": 22,
                "severity": "ERR",
                "rule": "bounds-narrowed",
                "message": "item.create: parameter 'size': maximum lowered from 10 to 5",
            },
            {
                "file": "new.yaml",
                "line": 84,
                "col": 30,
                "severity": "INFO",
                "rule": "docs-changed",
                "message": "item.create: parameter 'note': description changed",
            },
        ],
        "versions": [
            {
                "file": "new.yaml",
                "bump": "major",
                "old_version": "1.2.3",
                "suggested_version": "2.0.0",
                "new_version": "1.2.3",
                "enough": False,
            },
        ],
    }


def test_a_version_bumped_more_than_needed_is_enough(pair: Callable[..., Result]) -> None:
    result = pair(NOTE_DOCS, "2.0.0")
    assert result.lines[-1] == "suggested version bump: patch (1.2.3 -> 1.2.4); the new version 2.0.0 is bumped enough"
    assert result.code == 0


def test_a_lowered_version_is_reported(pair: Callable[..., Result]) -> None:
    result = pair([], "1.2.0")
    assert result.lines == [
        "new.yaml:8:12: WARN version-bump-too-small: version 1.2.0 is lower than 1.2.3",
        "suggested version bump: none (1.2.3 -> 1.2.3); the new version 1.2.0 is too small",
    ]


def test_a_bad_spec_on_either_side_is_reported_and_exits_2(tmp_path: Path, breaking: Callable[..., Result]) -> None:
    base = BASE.read_text(encoding="utf-8")
    (tmp_path / "old.yaml").write_text(edited(base, [("  display_name: Demo\n", "  display_nam: Demo\n")]))
    (tmp_path / "new.yaml").write_text(edited(base, [("            maximum: 10\n", "            maximum: 0\n")]))
    result = breaking(str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"))
    assert result.code == 2
    assert result.out == ""
    errors = result.err.splitlines()
    assert errors[-1] == f"nodegen: {len(errors) - 1} problems; nothing was compared"
    assert "new.yaml:72:22: default 1 is above the maximum 0" in errors
    assert any(line.startswith("old.yaml:6:3: unknown key 'display_nam'") for line in errors)
    assert all(line.startswith(("old.yaml:", "new.yaml:")) for line in errors[:-1])


def test_a_missing_file_exits_2(tmp_path: Path, breaking: Callable[..., Result]) -> None:
    result = breaking(str(BASE), str(tmp_path / "nope.yaml"))
    assert result.code == 2
    assert result.err.startswith("nope.yaml:1:1: cannot read spec: ")


def test_two_paths_are_needed_without_against(breaking: Callable[..., Result]) -> None:
    result = breaking(str(BASE))
    assert result.code == 2
    assert result.err == "nodegen: breaking needs OLD and NEW spec paths (or --against GIT_REF [SPEC ...])\n"


# ---- --against ----


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """tmp_path as a git repository with spec/demo.yaml (base.yaml) committed."""
    (tmp_path / "spec").mkdir()
    shutil.copy(BASE, tmp_path / "spec" / "demo.yaml")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "spec/demo.yaml")
    git(tmp_path, "commit", "-q", "-m", "demo")
    return tmp_path


def test_against_compares_with_the_committed_version(repo: Path, breaking: Callable[..., Result]) -> None:
    spec = repo / "spec" / "demo.yaml"
    spec.write_text(edited(spec.read_text(), NO_SIZE_MAX + [(BLUE_OPTION, "")], "2.0.0"))
    result = breaking("--against", "HEAD")
    assert result.lines == [
        "HEAD:spec/demo.yaml:68:17: ERR option-removed: item.create: parameter 'color': option \"blue\" removed",
        "spec/demo.yaml:73:22: ERR bounds-narrowed: item.create: parameter 'size': maximum lowered from 10 to 5",
        "suggested version bump: major (1.2.3 -> 2.0.0); the new version 2.0.0 is bumped enough",
    ]
    assert result.code == 1
    assert breaking("--against", "HEAD", str(spec)).lines == result.lines


def test_against_a_spec_absent_at_the_ref_is_all_additions(repo: Path, breaking: Callable[..., Result]) -> None:
    text = BASE.read_text().replace("  name: demo\n", "  name: other\n")
    (repo / "spec" / "other.yaml").write_text(text)
    result = breaking("--against", "HEAD", "--fail-on", "INFO")
    assert result.lines == [
        "spec/other.yaml:14:7: INFO credential-added: credential field 'apiKey' added",
        "spec/other.yaml:20:7: INFO credential-added: credential field 'region' added",
        "spec/other.yaml:27:7: INFO credential-added: credential field 'accountId' added",
        "spec/other.yaml:33:5: INFO base-added: base 'api' added",
        "spec/other.yaml:45:5: INFO resource-added: resource 'item' added",
        "spec/other.yaml:101:5: INFO resource-added: resource 'tag' added",
        "spec/demo.yaml: suggested version bump: none (1.2.3 -> 1.2.3)",
        "spec/other.yaml: suggested version bump: none (new spec at 1.2.3)",
    ]
    assert result.code == 1


def test_against_an_unknown_ref_exits_2(repo: Path, breaking: Callable[..., Result]) -> None:
    result = breaking("--against", "no-such-branch")
    assert result.code == 2
    assert result.err == f"nodegen: unknown git ref 'no-such-branch' (in {(repo / 'spec').resolve()})\n"


def test_against_outside_a_repository_exits_2(
    tmp_path: Path, breaking: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(BASE, tmp_path / "demo.yaml")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.resolve().parent))  # in case /tmp is in a repo
    result = breaking("--against", "HEAD", str(tmp_path / "demo.yaml"))
    assert result.code == 2
    assert result.err == f"nodegen: {tmp_path.resolve()} is not in a git repository\n"


# ---- the Customer.io spec, end to end ----


def cut_item(text: str, header: str) -> str:
    """Remove the YAML list item starting with the line `header`, up to the next line as indented or less."""
    lines = text.splitlines(keepends=True)
    start = lines.index(header + "\n")
    indent = len(header) - len(header.lstrip())
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
        end += 1
    return "".join(lines[:start] + lines[end:])


def at(text: str, line_text: str, word: str) -> str:
    """`LINE:COL` of `word` in the one line of `text` containing `line_text`."""
    found = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line_text in line]
    assert len(found) == 1, line_text
    n, line = found[0]
    return f"{n}:{line.index(word, line.index(line_text)) + 1}"


GET_ALL_OUTPUT = "        output: {from: response, select: campaigns, split: true}\n"
LIMIT_PARAM = """\
        params:
          - name: limit
            display_name: Limit
            type: integer
            default: 50
            minimum: 1
            in: query
"""


def test_customerio_realistic_changes(tmp_path: Path, breaking: Callable[..., Result]) -> None:
    old = (REPO / "spec" / "customerio.yaml").read_text(encoding="utf-8")
    new = cut_item(old, "      - name: remove")
    new = edited(
        new,
        [
            ("                format: email\n", "                format: email\n                required: true\n"),
            ("                maximum: 120\n", "                maximum: 100\n"),
            ("        description: Get a campaign\n", "        description: Get one campaign by its ID\n"),
            (GET_ALL_OUTPUT + "        params: []\n", GET_ALL_OUTPUT + LIMIT_PARAM),
        ],
    )
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "customerio.yaml").write_text(old, encoding="utf-8")
    (tmp_path / "customerio.new.yaml").write_text(new, encoding="utf-8")
    result = breaking(str(tmp_path / "spec" / "customerio.yaml"), str(tmp_path / "customerio.new.yaml"))

    version = yaml.safe_load(old)["node"]["version"]
    major = f"{int(version.split('.')[0]) + 1}.0.0"
    email = at_after(new, "format: email", "required: true", "true")
    description = at(new, "description: Get one campaign by its ID", "Get one")
    limit = at(new, "- name: limit", "name")
    steps = at(new, "maximum: 100", "100")
    remove = at(old, "      - name: remove", "name")
    assert result.lines == [
        f"customerio.new.yaml:{at(new, f'  version: {version}', version)}: WARN version-bump-too-small: "
        + f"version {version} is too small: the changes need a major bump ({version} -> {major})",
        f"customerio.new.yaml:{email}: ERR param-made-required: customer.upsert: parameter 'email': now required",
        f"customerio.new.yaml:{description}: INFO docs-changed: campaign.get: description changed",
        f"customerio.new.yaml:{limit}: INFO param-added-optional: campaign.getAll: optional parameter 'limit' added",
        f"customerio.new.yaml:{steps}: ERR bounds-narrowed: campaign.getMetrics: parameter 'steps': "
        + "maximum lowered from 120 to 100",
        f"spec/customerio.yaml:{remove}: ERR operation-removed: operation segment.remove removed",
        f"suggested version bump: major ({version} -> {major}); the new version {version} is too small",
    ]
    assert result.code == 1
    assert result.err == ""


def at_after(text: str, anchor: str, line_text: str, word: str) -> str:
    """`LINE:COL` of `word` on the first line containing `line_text` after the one line containing `anchor`."""
    lines = text.splitlines()
    (start,) = [n for n, line in enumerate(lines) if anchor in line]
    n = next(n for n in range(start + 1, len(lines)) if line_text in lines[n])
    return f"{n + 1}:{lines[n].index(word) + 1}"


def test_python_m_generator_breaking(tmp_path: Path) -> None:
    new = tmp_path / "new.yaml"
    new.write_text(edited(BASE.read_text(), NO_SIZE_MAX, "2.0.0"))
    done = subprocess.run(
        [sys.executable, "-m", "generator", "--root", str(tmp_path), "breaking", str(BASE), str(new)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "new.yaml:74:22: ERR bounds-narrowed: item.create: parameter 'size': maximum lowered from 10 to 5",
        "suggested version bump: major (1.2.3 -> 2.0.0); the new version 2.0.0 is bumped enough",
    ]
