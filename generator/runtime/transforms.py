"""Named value conversions a spec may ask for (`transform:`), and byte-length checks.

Each raises `ValueError` with a message meant for the user; the caller adds the parameter name.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from .descriptors import Field

# The same pattern the models use for `format: email`: one @, a dot in the domain, no spaces.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def utf8_len(value: str) -> int:
    return len(value.encode("utf-8"))


def check_bytes(value: str, *, minimum: int | None = None, maximum: int | None = None) -> None:
    size = utf8_len(value)
    if minimum is not None and size < minimum:
        raise ValueError(
            "must not be empty" if minimum == 1 else f"must be at least {minimum} bytes"
        )
    if maximum is not None and size > maximum:
        raise ValueError(f"must be at most {maximum} bytes (UTF-8), got {size}")


def comma_list(value: Any, field: Field) -> list[str]:
    """`"a, b,,c"` or `["a", " b"]` -> `["a", "b", "c"]` (trimmed, empties dropped: D3)."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    items = [str(part).strip() for part in parts]
    items = [item for item in items if item]
    if field.min_items is not None and len(items) < field.min_items:
        raise ValueError(f"needs at least {field.min_items} id(s), got {len(items)}")
    if field.max_items is not None and len(items) > field.max_items:
        raise ValueError(f"accepts at most {field.max_items} ids, got {len(items)}")
    if field.item_max_bytes is not None:
        for item in items:
            if utf8_len(item) > field.item_max_bytes:
                raise ValueError(f"id {item[:40]!r} is longer than {field.item_max_bytes} bytes")
    return items


# Unix seconds the API can store: years 1 to 9999.
_EARLIEST, _LATEST = -62135596800, 253402300799


def unix_seconds(value: Any, field: Field) -> int:
    """ISO 8601 (UTC when it has no offset) or Unix seconds -> integer Unix seconds (D7)."""
    if isinstance(value, bool):  # every problem here is the user's value, reported as ValueError
        raise ValueError(f"is not a date: {value!r}")  # noqa: TRY004
    if isinstance(value, datetime):
        return _seconds(value)
    if isinstance(value, (int, float)):
        return _bounded(value, repr(value))
    text = str(value).strip()
    if _NUMBER.fullmatch(text):
        return _bounded(float(text) if "." in text else int(text), repr(text))
    try:
        return _seconds(datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        raise ValueError(f"is not a date (ISO 8601 or Unix seconds): {text[:60]!r}") from None


_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _bounded(number: float, shown: str) -> int:
    if (
        isinstance(number, float) and not math.isfinite(number)
    ) or not _EARLIEST <= number <= _LATEST:
        raise ValueError(f"is not a date: {shown[:60]} is outside the years 1 to 9999")
    return int(number)


def _seconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() // 1)


def parse_json(value: Any, field: Field) -> Any:
    """A `json` parameter: text is parsed; an already-decoded value is taken as it is."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        label = field.display_name[:1].upper() + field.display_name[1:].lower()
        raise ValueError(
            f"{label} must be a valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None


TRANSFORMS = {"comma_list": comma_list, "unix_seconds": unix_seconds}
