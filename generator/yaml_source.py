"""Load a YAML spec into plain data plus the source position of every value.

PyYAML's composer keeps marks on nodes; we build plain dicts and lists ourselves so that every
JSON path in the result can be traced back to `line:col` for error messages. The result is
JSON-shaped data only (mappings with string keys, lists, strings, numbers, booleans, null).

Refused, each with its position: files over the size limit, bytes that are not UTF-8, NUL bytes,
YAML anchors and aliases (a spec never needs them, and refusing them before composing makes alias
bombs impossible), merge keys, duplicate keys, non-string keys, non-JSON values (binary, NaN and
infinity) and nesting deeper than any spec needs. Dates stay the text they were written as.
"""

from __future__ import annotations

import bisect
import math
import re
from typing import Any

import yaml  # type: ignore[import-untyped]

from generator.diagnostics import Diagnostic, SpecError
from generator.located import Located, Path

MAX_SPEC_BYTES = 1_000_000
MAX_DEPTH = 64  # a real spec nests about 12 deep; the guard keeps recursion bounded
MAX_ANCHOR_REPORTS = 20  # an alias bomb would otherwise print thousands of lines
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"

# How the parser's "while ..." context reads in a message, and what to check.
_CONTEXTS = {
    "while parsing a flow sequence": "in the [ ] list opened at line {line}, column {col}",
    "while parsing a flow mapping": "in the {{ }} mapping opened at line {line}, column {col}",
    "while parsing a block mapping": "in the mapping that starts at line {line}, column {col}; check the indentation",
    "while parsing a block collection": "in the list that starts at line {line}, column {col}; check the indentation",
}
_HINTS = {
    "mapping values are not allowed in this context": (
        "is this line indented deeper than the key above it, or does a value contain an unquoted ': '?"
    ),
}


def load(file: str, raw: bytes) -> Located:
    text = _decode(file, raw)
    node = _compose(file, text)
    if node is None:
        message = "spec is empty" if not text.strip() else "spec has no content, only comments"
        raise SpecError([Diagnostic(file, 1, 1, message)])
    builder = _Builder(file, _Lines(text))
    data = builder.build(node, ())
    if builder.problems:
        raise SpecError(builder.problems)
    return Located(file, data, builder.value_marks, builder.key_marks)


def _decode(file: str, raw: bytes) -> str:
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(
            [Diagnostic(file, 1, 1, f"spec is too large: {len(raw):,} bytes (the limit is {MAX_SPEC_BYTES:,})")]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        col = len(raw[line_start : exc.start].decode("utf-8", "replace")) + 1
        bad = raw[exc.start : exc.start + 1].hex()
        message = f"spec is not valid UTF-8 text (byte 0x{bad}); save it as UTF-8"
        raise SpecError([Diagnostic(file, line, col, message)]) from None
    if "\x00" in text:
        at = text.index("\x00")
        line, col = text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
        raise SpecError([Diagnostic(file, line, col, "spec contains a NUL byte; it is not a text file")])
    return text


def _compose(file: str, text: str) -> yaml.Node | None:
    try:
        _refuse_anchors(file, _Lines(text), yaml.parse(text, Loader=_Loader))
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_syntax_error(file, text, exc)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Diagnostic(file, 1, 1, f"YAML error: {exc}")]) from None


def _refuse_anchors(file: str, lines: _Lines, events: Any) -> None:
    """Report every anchor and alias from the event stream, before anything is composed."""
    problems: list[Diagnostic] = []
    anchors: dict[str, tuple[int, int]] = {}
    for event in events:
        anchor = getattr(event, "anchor", None)
        if anchor is None:
            continue
        at = lines.at(event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            first = anchors.get(anchor)
            origin = f" (it repeats &{anchor} from line {first[0]}, column {first[1]})" if first else ""
            message = f"YAML alias *{anchor} is not allowed in a spec{origin}; write the value out"
        else:
            anchors.setdefault(anchor, at)
            message = f"YAML anchor &{anchor} is not allowed in a spec; write the value out where it is used"
        if len(problems) == MAX_ANCHOR_REPORTS:
            problems.append(Diagnostic(file, *at, "more YAML anchors and aliases follow; not all are listed"))
            break
        problems.append(Diagnostic(file, *at, message))
    if problems:
        raise SpecError(problems)


def _syntax_error(file: str, text: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    line, col, message = _explain(text, exc)
    return Diagnostic(file, line, col, f"YAML syntax error: {message}")


def _explain(text: str, exc: yaml.MarkedYAMLError) -> tuple[int, int, str]:
    """Where a YAML syntax error is and what it means, in the words of someone editing a spec."""
    lines = _Lines(text)
    mark = exc.problem_mark or exc.context_mark
    line, col = lines.at(mark) if mark else (1, 1)
    problem = exc.problem or exc.context or "invalid YAML"
    start = lines.at(exc.context_mark) if exc.context_mark else None
    source_lines = text.split("\n")
    source = source_lines[line - 1] if 0 < line <= len(source_lines) else ""
    indent = source[: len(source) - len(source.lstrip(" \t"))]
    if "\t" in indent:
        return line, indent.index("\t") + 1, "a tab in the indentation; indent with spaces"
    if start and exc.context == "while scanning a quoted scalar" and "end of stream" in problem:
        return *start, "this quoted string is never closed"
    if start and exc.context == "while scanning a simple key":
        return *start, "this key has no ':' after it"
    if exc.context == "expected a single document in the stream":
        return line, col, "a second YAML document starts here; a spec is one document"
    if exc.context and start and start != (line, col):
        where = _CONTEXTS.get(exc.context, exc.context + " at line {line}, column {col}")
        return line, col, f"{problem} ({where.format(line=start[0], col=start[1])})"
    if problem in _HINTS:
        return line, col, f"{problem} ({_HINTS[problem]})"
    return line, col, problem


class _Lines:
    """Line and column as editors, grep and diff count them. YAML also breaks lines at U+0085,
    U+2028 and U+2029, so its marks drift after one; then the mark's offset is recounted."""

    def __init__(self, text: str) -> None:
        odd = any(ch in text for ch in "\x85\u2028\u2029")
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))] if odd else None

    def at(self, mark: Any) -> tuple[int, int]:
        if self.starts is None:
            return mark.line + 1, mark.column + 1
        line = bisect.bisect_right(self.starts, mark.index)
        return line, mark.index - self.starts[line - 1] + 1


class _Builder:
    """Turns composed nodes into plain data, recording positions and collecting problems."""

    def __init__(self, file: str, lines: _Lines) -> None:
        self.file = file
        self.lines = lines
        self.problems: list[Diagnostic] = []
        self.value_marks: dict[Path, tuple[int, int]] = {}
        self.key_marks: dict[Path, tuple[int, int]] = {}
        self.constructor = yaml.SafeLoader("")
        self.too_deep = False

    def fail(self, at: tuple[int, int], message: str) -> None:
        self.problems.append(Diagnostic(self.file, *at, message))

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.value_marks[path] = self.lines.at(node.start_mark)
        if len(path) > MAX_DEPTH:
            if not self.too_deep:
                self.fail(self.lines.at(node.start_mark), f"spec is nested too deeply (more than {MAX_DEPTH} levels)")
            self.too_deep = True
            return None
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(self.lines.at(key_node.start_mark), "mapping keys must be plain strings, not a list or mapping")
                continue
            key = key_node.value
            if key == "<<" and key_node.tag == "tag:yaml.org,2002:merge":
                self.fail(self.lines.at(key_node.start_mark), "YAML merge keys (<<) are not allowed in a spec; write the keys out")
                continue
            if path + (key,) in self.key_marks:
                line, col = self.key_marks[path + (key,)]
                self.fail(self.lines.at(key_node.start_mark), f"duplicate key {key!r} (first at line {line}, column {col})")
                continue
            self.key_marks[path + (key,)] = self.lines.at(key_node.start_mark)
            result[key] = self.build(value_node, path + (key,))
        return result

    def scalar(self, node: yaml.Node) -> Any:
        if node.tag == _TIMESTAMP:
            return node.value  # YAML 1.1 reads 2024-01-01 as a date; a spec means the text
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ArithmeticError, AttributeError, LookupError, TypeError, ValueError) as exc:
            # PyYAML's constructors raise assorted errors on malformed tagged scalars (`!!int 0x`)
            problem = getattr(exc, "problem", None) or f"cannot read {node.value!r} as {node.tag.rsplit(':', 1)[-1]}"
            self.fail(self.lines.at(node.start_mark), f"invalid value: {problem}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(self.lines.at(node.start_mark), f"{node.value} is not allowed in a spec (JSON has no NaN or infinity)")
            return None
        if value is not None and not isinstance(value, (str, int, float, bool)):
            kind = node.tag.rsplit(":", 1)[-1]
            self.fail(self.lines.at(node.start_mark), f"a YAML {kind} value is not allowed in a spec; use a string")
            return None
        return value
