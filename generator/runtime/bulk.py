"""Bulk runs for the CLI: read items, stream outputs in input order, progress and a summary.

Output lines are written whole (one `write` per line, then flushed), in input order, as soon
as every earlier item is done; so an interrupted run leaves no half-written line and every
line on stdout is an item that was really processed.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from .runner import ItemOutcome, error_item


class ItemsError(ValueError):
    """The items file cannot be read; `str()` names the file and line."""


def read_items(stream: IO[str], name: str, fmt: str = "auto") -> list[dict[str, Any]]:
    """JSON Lines (one object per line) or CSV with a header row -> n8n items."""
    text = stream.read()
    kind = fmt if fmt != "auto" else ("csv" if name.lower().endswith(".csv") else "jsonl")
    if kind == "csv":
        return [{"json": dict(row)} for row in csv.DictReader(io.StringIO(text))]
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ItemsError(f"{name}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(value, dict):
            raise ItemsError(
                f"{name}:{number}: each line must be a JSON object, got {type(value).__name__}"
            )
        items.append({"json": value})
    return items


@dataclass
class OrderedWriter:
    """Receives outcomes in any order (from worker threads), writes them in input order."""

    out: IO[str]
    errors: IO[str]
    errors_to_out: bool
    on_progress: Callable[[int], None] = lambda n: None
    written: int = 0
    succeeded: int = 0
    failed: int = 0
    _pending: dict[int, ItemOutcome] = field(default_factory=dict)
    _next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, outcome: ItemOutcome) -> None:
        with self._lock:
            self._pending[outcome.index] = outcome
            while self._next in self._pending:
                self._write(self._pending.pop(self._next))
                self._next += 1

    def flush_rest(self) -> None:
        """Write what is still waiting (items after one that never ran), in input order."""
        with self._lock:
            for index in sorted(self._pending):
                self._write(self._pending.pop(index))

    def _write(self, outcome: ItemOutcome) -> None:
        if outcome.error is None:
            self.succeeded += 1
            for item in outcome.outputs or []:
                self._line(self.out, item)
        else:
            self.failed += 1
            self._line(
                self.out if self.errors_to_out else self.errors,
                error_item(outcome.index, outcome.error),
            )
        self.written += 1
        self.on_progress(1)

    @staticmethod
    def _line(stream: IO[str], item: dict[str, Any]) -> None:
        stream.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")
        stream.flush()

    @property
    def in_flight(self) -> list[int]:
        with self._lock:
            return sorted(self._pending)


def summary(
    writer: OrderedWriter, retried: int, started: float, total: int, interrupted: bool = False
) -> str:
    elapsed = time.monotonic() - started
    text = (
        f"{writer.succeeded} succeeded, {writer.failed} failed, {retried} retried, {elapsed:.2f} s"
    )
    if interrupted:
        waiting = writer.in_flight
        extra = (
            f"; finished but not written (an earlier item was unfinished): {waiting}"
            if waiting
            else ""
        )
        text = f"interrupted after {writer.written} of {total} items: {text}{extra}"
    return text
