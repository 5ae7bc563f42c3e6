"""Load a YAML spec into plain data plus the source position of every value.

PyYAML's composer keeps marks on nodes; we build plain dicts and lists ourselves so that every
JSON path in the result can be traced back to `line:col` for error messages. Aliases are refused:
a spec never needs them, and refusing them makes alias bombs impossible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from generator.diagnostics import Diagnostic, SpecError

MAX_SPEC_BYTES = 1_000_000
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
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


def load(file: str, raw: bytes) -> Located:
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError([Diagnostic(file, 1, 1, f"spec is {len(raw)} bytes; the limit is {MAX_SPEC_BYTES}")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError([Diagnostic(file, line, col, "spec is not valid UTF-8 text")]) from None
    if "\x00" in text:
        raise SpecError([Diagnostic(file, 1, 1, "spec contains NUL bytes; it is not a text file")])
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecError([Diagnostic(file, line, col, f"YAML syntax error: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Diagnostic(file, 1, 1, f"YAML error: {exc}")]) from None
    if node is None:
        raise SpecError([Diagnostic(file, 1, 1, "spec is empty")])
    located = Located(file, None)
    problems: list[Diagnostic] = []
    located.data = _build(node, (), located, problems, set())
    if problems:
        raise SpecError(problems)
    return located


def _pos(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _build(
    node: yaml.Node, path: Path, located: Located, problems: list[Diagnostic], seen: set[int]
) -> Any:
    located.value_marks[path] = _pos(node)
    if id(node) in seen:  # the composer resolves an alias to the node it names
        line, col = located.key_marks.get(path, _pos(node))
        problems.append(Diagnostic(located.file, line, col, "YAML aliases are not allowed in a spec"))
        return None
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Diagnostic(located.file, *_pos(key_node), "mapping keys must be plain strings"))
                continue
            key = key_node.value
            if key == "<<":
                problems.append(Diagnostic(located.file, *_pos(key_node), "YAML merge keys are not allowed in a spec"))
                continue
            if key in result:
                problems.append(Diagnostic(located.file, *_pos(key_node), f"duplicate key {key!r}"))
                continue
            located.key_marks[path + (key,)] = _pos(key_node)
            result[key] = _build(value_node, path + (key,), located, problems, seen)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), located, problems, seen) for i, item in enumerate(node.value)]
    constructor = yaml.SafeLoader("")
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        problems.append(Diagnostic(located.file, *_pos(node), f"invalid value: {exc}"))
        return None
