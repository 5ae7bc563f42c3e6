"""Python source literals for spec data: the only way spec text reaches generated code.

`literal()` goes through `repr()` for every string, so quotes, backslashes, `\"\"\"` or `{{ }}`
in a description can never become code.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any


def literal(value: Any, qualifier: str = "", names: Mapping[int, str] | None = None) -> str:
    """Python source that evaluates to `value` (dataclasses as keyword constructor calls).

    `names` maps `id(obj)` to a variable already holding that object, used instead of it.
    """
    if names and id(value) in names:
        return names[id(value)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        args = []
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            default = f.default if f.default is not dataclasses.MISSING else (
                f.default_factory() if f.default_factory is not dataclasses.MISSING else dataclasses.MISSING
            )
            if default is not dataclasses.MISSING and item == default and type(item) is type(default):
                continue
            args.append(f"{f.name}={literal(item, qualifier, names)}")
        return f"{qualifier}{type(value).__name__}({', '.join(args)})"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{literal(k, qualifier, names)}: {literal(v, qualifier, names)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        inner = ", ".join(literal(v, qualifier, names) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v, qualifier, names) for v in value) + "]"
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    raise TypeError(f"no literal for {type(value).__name__}")


def docstring(text: str, indent: str = "") -> str:
    """A triple-quoted docstring literal carrying `text` verbatim (escaped where needed)."""
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    body = _CONTROL.sub(_escape, body)
    lines = body.split("\n")
    return '"""' + ("\n" + indent).join(lines) + '"""'


def comment(text: str) -> str:
    """Text safe for a `#` comment: one line."""
    return _CONTROL.sub(_escape, " ".join(text.split()))


# Characters a source line cannot hold raw (NUL), or that some tool reads as a line break: they
# go into string literals as escapes, so the value stays the same and the source stays one line.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
