"""Every Python, CLI and environment name the generator derives from a spec name.

One place, so that keywords and builtins are escaped the same way everywhere, and so that two
spec names that would become the same Python name can be reported (never silently suffixed).
"""

from __future__ import annotations

import builtins
import keyword
import re

# Names the generated code uses itself where a parameter or credential field becomes an argument:
# signatures (session, retry, ...), function bodies (items, models, call, ...) and
# Client.__init__ (pace, fields, ...).
RESERVED = frozenset(
    {
        "self", "cls", "client", "session", "retry", "timeout", "http_client", "base_urls", "credentials",
        "items", "models", "call", "acall", "operations", "OPERATIONS", "pace", "fields", "_credentials",
    }
)  # fmt: skip
# Flags every generated CLI command has besides its parameters' (runtime/cli.py builds them).
CLI_OWN_FLAGS = frozenset(
    {
        "help", "base-url", "pretty", "compact", "items", "items-format", "parameters", "on-error",
        "retry", "no-retry", "max-tries", "wait", "concurrency", "rate", "errors", "progress",
        "no-progress",
    }
)  # fmt: skip
# Field names pydantic refuses to shadow (its protected namespaces): a model field cannot start so.
PYDANTIC_PROTECTED = ("model_validate", "model_dump")
# Attributes of Client and of the resource classes that a resource or an operation would replace.
MEMBERS = frozenset({"execute", "close", "aclose", "_session"})
BUILTINS = frozenset(dir(builtins))
_SHADOWED = BUILTINS | set(keyword.kwlist) | set(keyword.softkwlist) | RESERVED


def is_keyword(name: str) -> bool:
    return keyword.iskeyword(name) or keyword.issoftkeyword(name)


def snake(name: str) -> str:
    """`customerIds` -> `customer_ids`, `getAll` -> `get_all`, `HTTPCode` -> `http_code`."""
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"[^0-9A-Za-z_]+", "_", text).lower()
    return text or "_"


def python_name(name: str) -> str:
    """A safe identifier for a parameter: snake case, escaped with a trailing `_` if it shadows."""
    text = snake(name)
    if text[0].isdigit():
        text = "_" + text
    return text + "_" if text in _SHADOWED else text


def member_name(name: str) -> str:
    """The attribute of a resource on Client, or the method of an operation on its resource."""
    text = python_name(name)
    return text + "_" if text in MEMBERS else text


def pascal(*parts: str) -> str:
    words = [w for part in parts for w in snake(part).split("_") if w]
    text = "".join(w[:1].upper() + w[1:] for w in words)
    return text if text and not text[0].isdigit() else "N" + text


def cli_name(name: str) -> str:
    """A CLI command or flag word: `getAll` -> `get-all`."""
    return snake(name).strip("_").replace("_", "-") or "x"


def env_var(prefix: str, name: str) -> str:
    return f"{prefix}_{snake(name).strip('_').upper()}"


def model_name(resource: str, operation: str) -> str:
    return pascal(resource, operation, "params")


def function_name(resource: str, operation: str) -> str:
    return python_name(f"{snake(resource)}_{snake(operation)}")
