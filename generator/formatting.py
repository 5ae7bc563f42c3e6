"""black, in-process, with one fixed mode: generated code looks the same on every machine."""

from __future__ import annotations

from typing import Any

LINE_LENGTH = 100


def _mode() -> Any:
    import black

    return black.Mode(target_versions={black.TargetVersion.PY311}, line_length=LINE_LENGTH, magic_trailing_comma=True)


def format_python(files: dict[str, str], verbatim: frozenset[str] = frozenset()) -> dict[str, str]:
    """Format every `.py` file except those in `verbatim` (kept black-clean by a test)."""
    import black

    mode = _mode()
    return {
        path: black.format_str(text, mode=mode) if path.endswith(".py") and path not in verbatim else text
        for path, text in files.items()
    }


def is_formatted(text: str) -> bool:
    import black

    return bool(black.format_str(text, mode=_mode()) == text)
