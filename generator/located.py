"""Loaded spec data together with the source position of every value (no YAML needed here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.diagnostics import Diagnostic

Path = tuple[str | int, ...]


@dataclass
class Located:
    """A loaded document and where each of its values (and mapping keys) came from."""

    file: str
    data: Any
    value_marks: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """The closest known position for `path` (falling back to its parents)."""
        marks = self.key_marks if key else self.value_marks
        for cut in range(len(path), -1, -1):
            prefix = path[:cut]
            if prefix in marks:
                return marks[prefix]
            if prefix in self.value_marks:
                return self.value_marks[prefix]
        return (1, 1)

    def diag(self, path: Path, message: str, *, key: bool = False) -> Diagnostic:
        line, col = self.where(path, key=key)
        return Diagnostic(self.file, line, col, message)
