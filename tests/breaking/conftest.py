"""Helpers for the `nodegen breaking` tests: a small base spec, edited copies, in-process runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.cli import main

BASE = Path(__file__).with_name("base.yaml")
REPO = Path(__file__).resolve().parents[2]
Edits = Sequence[tuple[str, str]]


def edited(text: str, edits: Edits, version: str | None = None) -> str:
    """`text` with each (old, new) replacement applied; each `old` must occur exactly once."""
    for old, new in edits:
        assert text.count(old) == 1, f"edit target must occur once: {old!r}"
        text = text.replace(old, new)
    if version is not None:
        text = edited(text, [("  version: 1.2.3\n", f"  version: {version}\n")])
    return text


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


@pytest.fixture
def breaking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """`nodegen --root tmp_path breaking ARGS...`, in process."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(["--root", str(tmp_path), "breaking", *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def pair(tmp_path: Path, breaking: Callable[..., Result]) -> Callable[..., Result]:
    """Write base.yaml as old.yaml and an edited copy as new.yaml, then compare them."""

    def run(edits: Edits, version: str | None = None, options: Sequence[str] = ()) -> Result:
        base = BASE.read_text(encoding="utf-8")
        (tmp_path / "old.yaml").write_text(base, encoding="utf-8")
        (tmp_path / "new.yaml").write_text(edited(base, edits, version), encoding="utf-8")
        return breaking(*options, str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"))

    return run
