"""black, called as a library with one fixed mode: generated code looks the same on every machine.

Files are formatted one top-level block at a time (the imports, then each `def`, `class` or
assignment), each block cached on its own content: after a change to one operation only that
operation's blocks are formatted again. The blocks are joined with the blank lines black puts
between them, so the file as a whole is black-stable (a test checks it). Blocks are independent,
so a helper process can format some of them while this one formats others.
"""

from __future__ import annotations

import ast
import itertools
import re
from typing import TYPE_CHECKING, Any

from generator.cache import DISABLED, ContentCache
from generator.fingerprint import installed_version

if TYPE_CHECKING:
    from generator.helper import Helper

LINE_LENGTH = 100


def _mode() -> Any:
    import black

    return black.Mode(
        target_versions={black.TargetVersion.PY311},  # type: ignore[attr-defined]
        line_length=LINE_LENGTH,
        magic_trailing_comma=True,
    )


_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_CUT_AT = (*_DEFINITIONS, ast.Assign, ast.AnnAssign)


def blocks(text: str) -> list[tuple[str, bool, bool]]:
    """The source split before each top-level definition or assignment (with the comments and
    decorators just above it), as (text, starts with a definition, ends with one). `ast` finds
    the statements, so no string content can fool the split."""
    # The line breaks `ast` counts (\r\n, \r, \n); str.splitlines also breaks at \x0c, \u2028, ...
    lines = _LINES.findall(text)
    body = ast.parse(text).body
    groups: list[list[ast.stmt]] = [[]]
    cuts = [0]
    for index, statement in enumerate(body):
        if index and isinstance(statement, _CUT_AT):
            decorators = getattr(statement, "decorator_list", [])
            first = (decorators[0].lineno if decorators else statement.lineno) - 1
            while first > 0 and lines[first - 1].startswith("#"):
                first -= 1
            cuts.append(first)
            groups.append([])
        groups[-1].append(statement)
    bounds = [*cuts, len(lines)]
    return [
        ("".join(lines[a:b]), isinstance(group[0], _DEFINITIONS), isinstance(group[-1], _DEFINITIONS))
        for a, b, group in zip(bounds[:-1], bounds[1:], groups, strict=True)
    ]


def _join(parts: list[tuple[str, bool, bool]]) -> str:
    """Blank lines as black puts them: two around a top-level definition, one otherwise."""
    out = parts[0][0]
    for (_, _, ends_def), (text, starts_def, _) in itertools.pairwise(parts):
        out += ("\n\n\n" if ends_def or starts_def else "\n\n") + text
    return out + "\n"


def format_python(
    files: dict[str, str],
    verbatim: frozenset[str] = frozenset(),
    cache: ContentCache = DISABLED,
    helper: Helper | None = None,
) -> dict[str, str]:
    """Format every `.py` file except those in `verbatim` (kept black-clean by a test)."""
    key = f"{installed_version('black')}\0{LINE_LENGTH}\0py311\0"
    split = {path: blocks(text) for path, text in files.items() if path.endswith(".py") and path not in verbatim}
    done: dict[str, str] = {}
    todo: list[str] = []
    for block in dict.fromkeys(block for parts in split.values() for block, _, _ in parts):
        cached = cache.lookup("black-block", key + block)
        if cached is None:
            todo.append(block)
        else:
            done[block] = cached
    for block, formatted in zip(todo, _format_all(todo, helper), strict=True):
        cache.store("black-block", key + block, formatted)
        done[block] = formatted
    return {
        path: _join([(done[b], starts, ends) for b, starts, ends in split[path]]) if path in split else text
        for path, text in files.items()
    }


def _format_all(todo: list[str], helper: Helper | None) -> list[str]:
    """black on each block. With a helper process, it takes blocks from the front of the list
    while this one takes them from the back, until they meet."""
    if helper is None:
        return [_format(block) for block in todo]
    pending = [helper.submit(_format, block) for block in todo]
    results: list[str | None] = [None] * len(todo)
    for index in reversed(range(len(todo))):
        if not pending[index].cancel():
            break  # the helper has this one and every block before it
        results[index] = _format(todo[index])
    return [pending[i].result() if text is None else text for i, text in enumerate(results)]


def _format(block: str) -> str:
    import black

    return str(black.format_str(block, mode=_mode())).strip("\n")


def is_formatted(text: str) -> bool:
    import black

    return bool(black.format_str(text, mode=_mode()) == text)
