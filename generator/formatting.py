"""black, in-process, with one fixed mode: generated code looks the same on every machine."""

from __future__ import annotations

from typing import Any

LINE_LENGTH = 100


def _mode() -> Any:
    import black

    return black.Mode(target_versions={black.TargetVersion.PY311}, line_length=LINE_LENGTH, magic_trailing_comma=True)


def format_python(files: dict[str, str]) -> dict[str, str]:
    import black

    mode = _mode()
    return {path: black.format_str(text, mode=mode) if path.endswith(".py") else text for path, text in files.items()}
