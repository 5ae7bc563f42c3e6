"""black, in-process, with one fixed mode: generated code looks the same on every machine."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from generator.cache import DISABLED, ContentCache

LINE_LENGTH = 100


def _mode() -> Any:
    import black

    return black.Mode(
        target_versions={black.TargetVersion.PY311},  # type: ignore[attr-defined]
        line_length=LINE_LENGTH,
        magic_trailing_comma=True,
    )


def format_python(
    files: dict[str, str], verbatim: frozenset[str] = frozenset(), cache: ContentCache = DISABLED
) -> dict[str, str]:
    """Format every `.py` file except those in `verbatim` (kept black-clean by a test)."""
    key = f"{metadata.version('black')}\0{LINE_LENGTH}\0py311\0"

    def formatted(text: str) -> str:
        import black

        return str(black.format_str(text, mode=_mode()))

    return {
        path: cache.get("black", key + text, lambda text=text: formatted(text))  # type: ignore[misc]
        if path.endswith(".py") and path not in verbatim
        else text
        for path, text in files.items()
    }


def is_formatted(text: str) -> bool:
    import black

    return bool(black.format_str(text, mode=_mode()) == text)
