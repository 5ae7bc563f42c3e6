"""Named value conversions a spec may ask for (`transform:`), and byte-length checks.

Each raises `ValueError` with a message meant for the user; the caller adds the parameter name.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from .descriptors import Field


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


def unix_seconds(value: Any, field: Field) -> int:
    """ISO 8601 (UTC when it has no offset) or Unix seconds -> integer Unix seconds (D7)."""
    if isinstance(value, bool):
        raise ValueError(f"is not a date: {value!r}")
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            return (
                int(float(text)) if text.replace(".", "", 1).lstrip("-").isdigit() else _iso(text)
            )
        except ValueError:
            raise ValueError(f"is not a date (ISO 8601 or Unix seconds): {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def _iso(text: str) -> int:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
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
