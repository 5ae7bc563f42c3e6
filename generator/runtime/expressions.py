r"""Safe evaluation of a documented subset of n8n parameter expressions.

n8n stores a parameter as an *expression* when its string value starts with
`=`; the parts wrapped in `{{ ... }}` are JavaScript that n8n runs inside its
own sandbox.  This module deliberately does **not** use `eval`, `exec` or
`compile` (nor a JavaScript engine): expressions come from workflow files,
and running them as code would let anyone who can edit a workflow execute
arbitrary Python in the host process.  Instead a small tokenizer, a
recursive-descent parser and a tree-walking evaluator implement the subset
below, which only ever reads from dicts and lists (never Python attributes).
Anything outside the subset raises `ExpressionError` naming the column of
the problem.

| Syntax                                  | Result                                          |
|-----------------------------------------|-------------------------------------------------|
| `=text` (no `{{ }}`)                    | the plain string `text`                         |
| `={{ expr }}`                           | the value of `expr`, type kept                  |
| `=Hi {{ expr }}!`                       | a string (see "Templates" below)                |
| `$json`, `$input.item.json`             | the current item's JSON                         |
| `$parameter.name`, `$parameter["name"]` | the node's raw parameters                       |
| `$itemIndex`, `$runIndex`               | the item's index; the run index (always `0`)    |
| `.name`, `["name"]`, `[0]`, `[expr]`    | member / index access; missing → `undefined`    |
| `"text"`, `'text'`                      | strings; escapes `\n \t \r \b \f \v \0 \" \' \\ \/ \uXXXX` |
| `42`, `-3`, `1.5`                       | numbers (minus only directly before a number)   |
| `true`, `false`, `null`, `undefined`    | literals (`null` and `undefined` are `None`)    |
| `a + b`                                 | concatenation if either side is a string, else numeric addition |
| `( expr )`                              | grouping                                        |

Templates: each `{{ }}` part is rendered like JavaScript `String(x)`, except
that `null`/`undefined` render as `""` (as in n8n) and objects and arrays as
compact JSON; the same conversion is used when `+` joins a string with a
non-string.  Whitespace around a single `{{ }}` keeps the value's type.

Not supported (raise `ExpressionError`): function and method calls, `$now`
and other `$` variables, `$('Node')`, every other operator (`- * / ? : && ||`
...), template literals, assignment, booleans or null in numeric `+`, access
to `constructor`, `prototype` or any name starting with `__`, properties of
strings, numbers and booleans, named properties of arrays (e.g. `.length`),
and negative array indexes.
Reading a member of null/undefined is an error, as in JavaScript.  The source
inside one `{{ }}` may be at most 10,000 characters long and brackets and
parentheses may nest at most 50 levels deep.

Whole-value results that are dicts or lists are returned as fresh copies, so
callers may mutate them without changing the item's data.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn

__all__ = [
    "ExpressionContext",
    "ExpressionError",
    "evaluate",
    "is_expression",
    "resolve",
]

_MAX_SOURCE_LENGTH = 10_000
_MAX_DEPTH = 50
_MAX_INTEGER_DIGITS = 100
_FORBIDDEN_NAMES = frozenset({"constructor", "prototype"})


class ExpressionError(ValueError):
    """An expression is malformed, unsupported or failed to evaluate.

    ``column`` is the 1-based character position inside ``expression`` (the
    full parameter value, including the leading ``=``).
    """

    expression: str
    reason: str
    column: int

    def __init__(self, reason: str, expression: str, column: int) -> None:
        self.reason = reason
        self.expression = expression
        self.column = column
        super().__init__(f"{reason} at column {column} in expression {expression!r}")

    def __reduce__(self) -> tuple[type[ExpressionError], tuple[str, str, int]]:
        return (type(self), (self.reason, self.expression, self.column))


@dataclass(frozen=True)
class ExpressionContext:
    """What an expression can see while it is evaluated for one item."""

    json: Any
    parameters: Mapping[str, Any]
    item_index: int


# --------------------------------------------------------------------------
# Syntax tree (immutable, so parsed expressions can be cached and shared)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Literal:
    value: Any
    column: int


@dataclass(frozen=True)
class _Variable:
    name: str  # "$json", "$parameter", "$itemIndex" or "$runIndex"
    column: int


@dataclass(frozen=True)
class _Accessor:
    key: _Node
    column: int


@dataclass(frozen=True)
class _Chain:
    """``base.a[0]["b"]`` kept flat so long chains need no deep recursion."""

    base: _Node
    accessors: tuple[_Accessor, ...]
    column: int


@dataclass(frozen=True)
class _Sum:
    """``a + b + c`` kept flat; ``op_columns[i]`` is the column of the i-th ``+``."""

    operands: tuple[_Node, ...]
    op_columns: tuple[int, ...]
    column: int


_Node = _Literal | _Variable | _Chain | _Sum


@dataclass(frozen=True)
class _Compiled:
    parts: tuple[str | _Node, ...]
    whole: bool


# --------------------------------------------------------------------------
# Splitting "=text {{ expr }} text" into parts
# --------------------------------------------------------------------------

_CLOSE_OR_QUOTE = re.compile(r"\}\}|[\"']")
_STRING_BODY = {
    '"': re.compile(r'[^"\\\r\n]*(?:\\[\s\S][^"\\\r\n]*)*'),
    "'": re.compile(r"[^'\\\r\n]*(?:\\[\s\S][^'\\\r\n]*)*"),
}


def _fail(reason: str, expression: str, offset: int) -> NoReturn:
    raise ExpressionError(reason, expression, offset + 1)


def _split(value: str) -> list[str | tuple[int, int]]:
    """Return text parts and ``(start, end)`` offsets of ``{{ }}`` sources."""
    parts: list[str | tuple[int, int]] = []
    text_start = 1
    length = len(value)
    while True:
        open_at = value.find("{{", text_start)
        if open_at < 0:
            parts.append(value[text_start:])
            return parts
        parts.append(value[text_start:open_at])
        source_start = open_at + 2
        # Scanning stops early so a huge unclosed expression costs little.
        limit = min(length, source_start + _MAX_SOURCE_LENGTH + 2)
        pos = source_start
        close_at = -1
        while True:
            match = _CLOSE_OR_QUOTE.search(value, pos, limit)
            if match is None:
                break
            if match.group() == "}}":
                close_at = match.start()
                break
            quote_at = match.start()
            body = _STRING_BODY[value[quote_at]].match(value, quote_at + 1, limit)
            assert body is not None  # the pattern can match the empty string
            end = body.end()
            if end < limit and value[end] == value[quote_at]:
                pos = end + 1
                continue
            if limit < length and value[end : end + 1] not in ("\r", "\n"):
                break  # the string runs past the length limit
            _fail("unterminated string literal", value, quote_at)
        if close_at < 0:
            if limit < length:
                _fail(
                    f"expression is too long (more than {_MAX_SOURCE_LENGTH} " "characters)",
                    value,
                    open_at,
                )
            _fail("unclosed '{{'", value, open_at)
        if close_at - source_start > _MAX_SOURCE_LENGTH:
            _fail(
                f"expression is too long (more than {_MAX_SOURCE_LENGTH} characters)",
                value,
                open_at,
            )
        if not value[source_start:close_at].strip():
            _fail("empty expression", value, open_at)
        parts.append((source_start, close_at))
        text_start = close_at + 2


# --------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "name", "number", "string", "punct", "op" or "end"
    text: str
    value: Any
    pos: int  # 0-based offset inside the full parameter value


_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<number>[0-9][\w$.]*)
    | (?P<name>(?:[^\W\d]|\$)(?:\w|\$)*)
    | (?P<punct>[.\[\]()])
    | (?P<op>>>>=|===|!==|\*\*=|<<=|>>=|>>>|&&=|\|\|=|\?\?=
        |==|!=|<=|>=|&&|\|\||\?\?|\?\.|=>|\+\+|--|\*\*|[-+*/%&|^]=|<<|>>
        |[-+*/%<>=!~&|^?:])
    """,
    re.VERBOSE,
)
_VALID_NUMBER = re.compile(r"(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
_STRING_CHUNK = {'"': re.compile(r'[^"\\\r\n]+'), "'": re.compile(r"[^'\\\r\n]+")}
_SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _read_hex4(value: str, pos: int, end: int) -> int:
    digits = value[pos : pos + 4]
    if pos + 4 > end or not all(ch in _HEX_DIGITS for ch in digits):
        return -1
    return int(digits, 16)


def _read_string(value: str, start: int, end: int) -> tuple[str, int]:
    quote = value[start]
    chunk = _STRING_CHUNK[quote]
    out: list[str] = []
    pos = start + 1
    while True:
        match = chunk.match(value, pos, end)
        if match is not None:
            out.append(match.group())
            pos = match.end()
        if pos >= end or value[pos] in "\r\n":
            _fail("unterminated string literal", value, start)
        char = value[pos]
        if char == quote:
            return "".join(out), pos + 1
        # char is a backslash
        if pos + 1 >= end:
            _fail("unterminated string literal", value, start)
        escape = value[pos + 1]
        if escape in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[escape])
            pos += 2
        elif escape == "0" and not (pos + 2 < end and value[pos + 2].isdigit()):
            out.append("\0")
            pos += 2
        elif escape == "u":
            code = _read_hex4(value, pos + 2, end)
            if code < 0:
                _fail("invalid \\u escape sequence (expected \\uXXXX)", value, pos)
            pos += 6
            if 0xD800 <= code <= 0xDBFF and value.startswith("\\u", pos):
                low = _read_hex4(value, pos + 2, end)
                if 0xDC00 <= low <= 0xDFFF:
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    pos += 6
            out.append(chr(code))
        else:
            sequence = "\\" + escape
            _fail(f"unsupported escape sequence {sequence!r}", value, pos)


def _number_value(value: str, text: str, pos: int) -> Any:
    if _VALID_NUMBER.fullmatch(text) is None:
        _fail(f"invalid number literal {text!r}", value, pos)
    if "." in text:
        return float(text)
    if len(text) > _MAX_INTEGER_DIGITS:
        _fail("number literal is too long", value, pos)
    return int(text)


def _tokenize(value: str, start: int, end: int) -> list[_Token]:
    tokens: list[_Token] = []
    pos = start
    while pos < end:
        char = value[pos]
        if char in "\"'":
            text, new_pos = _read_string(value, pos, end)
            tokens.append(_Token("string", value[pos:new_pos], text, pos))
            pos = new_pos
            continue
        match = _TOKEN.match(value, pos, end)
        if match is None:
            if char == "`":
                _fail("template literals are not supported", value, pos)
            _fail(f"unexpected character {char!r}", value, pos)
        kind = match.lastgroup
        assert kind is not None
        text = match.group()
        if kind == "number":
            tokens.append(_Token(kind, text, _number_value(value, text, pos), pos))
        elif kind != "ws":
            tokens.append(_Token(kind, text, None, pos))
        pos = match.end()
    tokens.append(_Token("end", "", None, end))
    return tokens


# --------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------

_KEYWORD_LITERALS: dict[str, Any] = {
    "true": True,
    "false": False,
    "null": None,
    "undefined": None,
}
_VARIABLES = frozenset({"$json", "$parameter", "$itemIndex", "$runIndex"})
_COMPARISONS = frozenset({"==", "===", "!=", "!==", "<=", ">="})
_INPUT_PATH = (("punct", "."), ("name", "item"), ("punct", "."), ("name", "json"))


def _forbidden(key: str) -> bool:
    return key.startswith("__") or key in _FORBIDDEN_NAMES


class _Parser:
    def __init__(self, value: str, tokens: list[_Token]) -> None:
        self.value = value
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def fail(self, reason: str, pos: int) -> NoReturn:
        _fail(reason, self.value, pos)

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def at(self, kind: str, text: str) -> bool:
        token = self.tokens[self.index]
        return token.kind == kind and token.text == text

    def unexpected(self, token: _Token) -> NoReturn:
        if token.kind == "end":
            self.fail("unexpected end of expression", token.pos)
        if token.kind == "op":
            if token.text.endswith("=") and token.text not in _COMPARISONS:
                self.fail("assignment is not supported", token.pos)
            if token.text == "=>":
                self.fail("arrow functions are not supported", token.pos)
            self.fail(f"operator {token.text!r} is not supported", token.pos)
        self.fail(f"unexpected {token.text!r}", token.pos)

    def enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            self.fail(
                f"expression is nested too deeply (more than {_MAX_DEPTH} levels)",
                token.pos,
            )

    def check_key(self, key: str, pos: int) -> None:
        if _forbidden(key):
            self.fail(f"access to property {key!r} is not allowed", pos)

    def parse(self) -> _Node:
        node = self.parse_sum()
        token = self.peek()
        if token.kind != "end":
            self.unexpected(token)
        return node

    def parse_sum(self) -> _Node:
        first = self.parse_unary()
        operands = [first]
        op_columns: list[int] = []
        while self.at("op", "+"):
            op_columns.append(self.advance().pos + 1)
            operands.append(self.parse_unary())
        if len(operands) == 1:
            return first
        return _Sum(tuple(operands), tuple(op_columns), first.column)

    def parse_unary(self) -> _Node:
        token = self.peek()
        if token.kind == "op" and token.text == "-":
            self.advance()
            number = self.peek()
            if number.kind != "number":
                self.fail("unary minus is only supported on number literals", token.pos)
            self.advance()
            return self.parse_postfix(_Literal(-number.value, token.pos + 1))
        if token.kind == "op" and token.text == "+":
            self.fail("unary plus is not supported", token.pos)
        return self.parse_postfix(self.parse_primary())

    def parse_postfix(self, base: _Node) -> _Node:
        accessors: list[_Accessor] = []
        while True:
            token = self.peek()
            if token.kind != "punct" or token.text not in ".[(":
                break
            self.advance()
            if token.text == "(":
                self.fail("function calls are not supported", token.pos)
            if token.text == ".":
                name = self.peek()
                if name.kind != "name":
                    self.fail("expected a property name after '.'", name.pos)
                self.advance()
                self.check_key(name.text, name.pos)
                column = name.pos + 1
                accessors.append(_Accessor(_Literal(name.text, column), column))
                continue
            self.enter(token)
            key_token = self.peek()
            key = self.parse_sum()
            self.depth -= 1
            if isinstance(key, _Literal) and isinstance(key.value, str):
                self.check_key(key.value, key_token.pos)
            if not self.at("punct", "]"):
                closing = self.peek()
                if closing.kind in ("end", "punct"):
                    self.fail("expected ']'", closing.pos)
                self.unexpected(closing)
            self.advance()
            accessors.append(_Accessor(key, key_token.pos + 1))
        if not accessors:
            return base
        return _Chain(base, tuple(accessors), base.column)

    def parse_primary(self) -> _Node:
        token = self.advance()
        column = token.pos + 1
        if token.kind in ("number", "string"):
            return _Literal(token.value, column)
        if token.kind == "name":
            name = token.text
            if self.at("punct", "("):
                self.fail("function calls are not supported", self.peek().pos)
            if name in _KEYWORD_LITERALS:
                return _Literal(_KEYWORD_LITERALS[name], column)
            if name in _VARIABLES:
                return _Variable(name, column)
            if name == "$input":
                return self.parse_input(token)
            if name.startswith("$"):
                self.fail(f"unsupported variable {name!r}", token.pos)
            self.fail(f"unknown identifier {name!r}", token.pos)
        if token.kind == "punct" and token.text == "(":
            self.enter(token)
            inner = self.parse_sum()
            self.depth -= 1
            if not self.at("punct", ")"):
                closing = self.peek()
                if closing.kind in ("end", "punct"):
                    self.fail("expected ')'", closing.pos)
                self.unexpected(closing)
            self.advance()
            return inner
        self.unexpected(token)

    def parse_input(self, token: _Token) -> _Node:
        for kind, text in _INPUT_PATH:
            if not self.at(kind, text):
                self.fail("only '$input.item.json' is supported", token.pos)
            self.advance()
        return _Variable("$json", token.pos + 1)


@functools.lru_cache(maxsize=2048)
def _compile(value: str) -> _Compiled:
    parts: list[str | _Node] = []
    for part in _split(value):
        if isinstance(part, str):
            parts.append(part)
        else:
            start, end = part
            parts.append(_Parser(value, _tokenize(value, start, end)).parse())
    nodes = [part for part in parts if not isinstance(part, str)]
    if len(nodes) == 1 and all(part.strip() == "" for part in parts if isinstance(part, str)):
        return _Compiled((nodes[0],), whole=True)
    kept = tuple(part for part in parts if not isinstance(part, str) or part)
    return _Compiled(kept, whole=False)


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _float_to_string(number: float) -> str:
    """Format a float like JavaScript's ``Number.prototype.toString()``."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    # repr() gives the shortest round-tripping digits, as JavaScript does.
    parsed = Decimal(repr(abs(number))).as_tuple()
    exponent = parsed.exponent
    assert isinstance(exponent, int)
    all_digits = "".join(str(digit) for digit in parsed.digits)
    digits = all_digits.rstrip("0")
    exponent += len(all_digits) - len(digits)
    count = len(digits)
    point = count + exponent  # position of the decimal point
    if count <= point <= 21:
        text = digits + "0" * (point - count)
    elif 0 < point <= 21:
        text = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        power = point - 1
        mantissa = digits[0] + ("." + digits[1:] if count > 1 else "")
        text = f"{mantissa}e{'+' if power >= 0 else '-'}{abs(power)}"
    return sign + text


def _json_default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _to_string(value: Any, expression: str, column: int) -> str:
    """Convert like JavaScript ``String(x)``, with n8n's template rendering."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    try:
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return _float_to_string(value)
        if isinstance(value, (Mapping, list, tuple)):
            return json.dumps(
                value,
                separators=(",", ":"),
                ensure_ascii=False,
                default=_json_default,
            )
    except (TypeError, ValueError, RecursionError):
        pass
    raise ExpressionError(
        f"value of type {_type_name(value)} cannot be converted to a string",
        expression,
        column,
    )


def _member(container: Any, key: Any, expression: str, column: int) -> Any:
    if isinstance(key, bool) or not isinstance(key, (str, int)):
        raise ExpressionError(
            f"property key must be a string or an integer, not {_type_name(key)}",
            expression,
            column,
        )
    if isinstance(key, str) and _forbidden(key):
        raise ExpressionError(f"access to property {key!r} is not allowed", expression, column)
    if isinstance(container, Mapping):
        try:
            return container[key if isinstance(key, str) else str(key)]
        except KeyError:
            return None
    if isinstance(container, (list, tuple)):
        if isinstance(key, str):
            reason = (
                f"cannot read property {key!r} of an array " "(only integer indexes are supported)"
            )
        elif key < 0:
            reason = "negative array indexes are not supported"
        else:
            return container[key] if key < len(container) else None
        raise ExpressionError(reason, expression, column)
    raise ExpressionError(
        f"cannot read property {str(key)!r} of {_type_name(container)}",
        expression,
        column,
    )


def _add(left: Any, right: Any, expression: str, column: int) -> Any:
    if isinstance(left, str) or isinstance(right, str):
        return _to_string(left, expression, column) + _to_string(right, expression, column)
    if _is_number(left) and _is_number(right):
        try:
            return left + right
        except OverflowError:
            pass
        raise ExpressionError("number is too large", expression, column)
    raise ExpressionError(
        f"cannot add {_type_name(left)} and {_type_name(right)}", expression, column
    )


def _eval(node: _Node, context: ExpressionContext, expression: str) -> Any:
    if isinstance(node, _Literal):
        return node.value
    if isinstance(node, _Variable):
        if node.name == "$json":
            return context.json
        if node.name == "$parameter":
            return context.parameters
        if node.name == "$itemIndex":
            return context.item_index
        return 0  # $runIndex
    if isinstance(node, _Chain):
        current = _eval(node.base, context, expression)
        for accessor in node.accessors:
            key = _eval(accessor.key, context, expression)
            current = _member(current, key, expression, accessor.column)
        return current
    total = _eval(node.operands[0], context, expression)
    for operand, column in zip(node.operands[1:], node.op_columns):
        total = _add(total, _eval(operand, context, expression), expression, column)
    return total


def _transform(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """Copy dicts/lists (without recursion) and map every other value through leaf.

    Mappings become dicts and lists/tuples become lists; shared and cyclic
    references are preserved in the copy.
    """
    if not isinstance(value, (Mapping, list, tuple)):
        return leaf(value)
    copies: dict[int, Any] = {}
    root: Any = {} if isinstance(value, Mapping) else []
    copies[id(value)] = root
    pending: list[tuple[Any, Any]] = [(value, root)]
    while pending:
        source, target = pending.pop()
        items = source.items() if isinstance(source, Mapping) else enumerate(source)
        for key, child in items:
            if isinstance(child, (Mapping, list, tuple)):
                copy = copies.get(id(child))
                if copy is None:
                    copy = {} if isinstance(child, Mapping) else []
                    copies[id(child)] = copy
                    pending.append((child, copy))
                new_child = copy
            else:
                new_child = leaf(child)
            if isinstance(target, dict):
                target[key] = new_child
            else:
                target.append(new_child)
    return root


def _identity(value: Any) -> Any:
    return value


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def is_expression(value: object) -> bool:
    """Return True when ``value`` is an n8n expression (a str starting with ``=``)."""
    return isinstance(value, str) and value.startswith("=")


def evaluate(value: str, context: ExpressionContext) -> Any:
    """Evaluate one expression string (it must start with ``=``).

    A value that is exactly one ``{{ expr }}`` (ignoring surrounding
    whitespace) keeps the type of ``expr``; any other value is rendered as a
    string.  Raises :class:`ExpressionError` for anything outside the subset.
    """
    if not isinstance(value, str):
        raise TypeError(f"expression must be a str, not {type(value).__name__}")
    if not value.startswith("="):
        raise ExpressionError("an expression must start with '='", value, 1)
    if "{{" not in value:
        return value[1:]
    compiled = _compile(value)
    if compiled.whole:
        node = compiled.parts[0]
        assert not isinstance(node, str)
        return _transform(_eval(node, context, value), _identity)
    pieces: list[str] = []
    for part in compiled.parts:
        if isinstance(part, str):
            pieces.append(part)
        else:
            result = _eval(part, context, value)
            pieces.append(_to_string(result, value, part.column))
    return "".join(pieces)


def resolve(value: Any, context: ExpressionContext) -> Any:
    """Resolve every expression in ``value``, descending into dicts and lists.

    Returns new containers (Mappings become dicts, lists and tuples become
    lists) and never mutates ``value``; non-expression values are kept as is.
    """

    def leaf(item: Any) -> Any:
        if isinstance(item, str) and item.startswith("="):
            return evaluate(item, context)
        return item

    return _transform(value, leaf)
