"""Tests for the runtime expression evaluator (generator/runtime/expressions.py)."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.runtime import expressions as ex

ITEM: dict[str, Any] = {
    "email": "ann@example.com",
    "first name": "Ann",
    "id": 7,
    "n": 3,
    "ratio": 1.5,
    "flag": True,
    "off": False,
    "nothing": None,
    "tags": ["a", "b"],
    "address": {"city": "Oslo", "lines": [{"street name": "Main St"}]},
    "key": "email",
}
PARAMETERS: dict[str, Any] = {"operation": "create", "limit": 50, "key": "__class__"}


def make_context(json: Any = None, item_index: int = 4) -> Any:
    return ex.ExpressionContext(
        json=ITEM if json is None else json,
        parameters=PARAMETERS,
        item_index=item_index,
    )


def run(expression: str, json: Any = None) -> Any:
    return ex.evaluate(expression, make_context(json))


def error_of(expression: str, json: Any = None) -> Any:
    with pytest.raises(ex.ExpressionError) as caught:
        run(expression, json)
    return caught.value


# ---------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("={{ $json.a }}", True),
        ("=plain", True),
        ("=", True),
        ("plain", False),
        (" ={{ $json.a }}", False),
        ("", False),
        (3, False),
        (None, False),
        (["=x"], False),
        ({"a": "=x"}, False),
    ],
)
def test_is_expression(value: object, expected: bool) -> None:
    assert ex.is_expression(value) is expected


@pytest.mark.parametrize("value", ["plain", "", 3, 1.5, True, None, "x={{ 1 }}"])
def test_non_expressions_are_returned_unchanged(value: Any) -> None:
    assert ex.resolve(value, make_context()) == value


def test_evaluate_requires_leading_equals_sign() -> None:
    err = error_of("{{ 1 }}")
    assert (err.reason, err.column) == ("an expression must start with '='", 1)


# --------------------------------------------------------------- plain text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=hello", "hello"),
        ("=", ""),
        ("=  spaced out ", "  spaced out "),
        ("=a }} b { c", "a }} b { c"),
        ("==x", "=x"),
    ],
)
def test_text_without_braces_is_a_plain_string(value: str, expected: str) -> None:
    assert run(value) == expected


# ------------------------------------------------------- whole-value results


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("={{ $json.email }}", "ann@example.com"),
        ('={{ $json["first name"] }}', "Ann"),
        ("={{ $json['first name'] }}", "Ann"),
        ('={{ $parameter["operation"] }}', "create"),
        ("={{ $parameter.operation }}", "create"),
        ("={{ $parameter.limit }}", 50),
        ("={{ $itemIndex }}", 4),
        ("={{ $runIndex }}", 0),
        ("={{ 1 + 2 }}", 3),
        ('={{ "a" + 1 }}', "a1"),
        ("={{ $json.n }}", 3),
        ("={{ $json.ratio }}", 1.5),
        ("={{ $json.flag }}", True),
        ("={{ $json.off }}", False),
        ("={{ $json.nothing }}", None),
        ("={{ $json.tags }}", ["a", "b"]),
        ("={{ $json.address.city }}", "Oslo"),
        ('={{ $json.address.lines[0]["street name"] }}', "Main St"),
        ("={{ $json.tags[1] }}", "b"),
        ("={{ $input.item.json.email }}", "ann@example.com"),
        ('={{ $input.item.json["first name"] }}', "Ann"),
        ("={{ $json[$json.key] }}", "ann@example.com"),
        ('={{ $json["fir" + "st name"] }}', "Ann"),
        ("=  {{ $json.n }}\n", 3),
        ("={{$json.n}}", 3),
        ('={{\n\t$json . address [ "city" ]\n}}', "Oslo"),
        ("={{ ($json).n }}", 3),
    ],
)
def test_whole_value_expressions(value: str, expected: Any) -> None:
    result = run(value)
    assert result == expected
    assert type(result) is type(expected)


def test_whole_value_keeps_dicts_and_returns_a_copy() -> None:
    data = {"inner": {"x": [1, {"y": 2}]}}
    result = run("={{ $json.inner }}", data)
    assert result == {"x": [1, {"y": 2}]}
    assert type(result) is dict
    result["x"][1]["y"] = 99
    assert data == {"inner": {"x": [1, {"y": 2}]}}


def test_input_item_json_is_json() -> None:
    assert run("={{ $input.item.json }}") == run("={{ $json }}") == ITEM


@pytest.mark.parametrize(
    "value",
    [
        "={{ $json.missing }}",
        '={{ $json["missing"] }}',
        "={{ $json.tags[2] }}",
        "={{ $json.tags[100] }}",
        "={{ $json.address.lines[0].missing }}",
        "={{ $json[0] }}",
        "={{ null }}",
        "={{ undefined }}",
    ],
)
def test_missing_values_are_none(value: str) -> None:
    assert run(value) is None


def test_numeric_key_on_object_uses_its_string_form() -> None:
    assert run("={{ $json[0] }}", {"0": "zero"}) == "zero"


def test_list_root_can_be_indexed() -> None:
    assert run("={{ $json[1][0] }}", [[1], [2]]) == 2


# ---------------------------------------------------------------- templates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=User {{ $json.id }}", "User 7"),
        ("=User {{ $json.id }}!", "User 7!"),
        ("={{ $json.id }}-{{ $itemIndex }}", "7-4"),
        ("=x{{ $json.email }}", "xann@example.com"),
        ("=[{{ $json.nothing }}]", "[]"),
        ("=[{{ $json.missing }}]", "[]"),
        ("=[{{ $json.flag }}|{{ $json.off }}]", "[true|false]"),
        ("=[{{ $json.tags }}]", '[["a","b"]]'),
        (
            "=[{{ $json.address }}]",
            '[{"city":"Oslo","lines":[{"street name":"Main St"}]}]',
        ),
        ('=a "{{ "}}" }}" b', 'a "}}" b'),
        ("=multi\nline {{ 1 }}\n", "multi\nline 1\n"),
    ],
)
def test_templates(value: str, expected: str) -> None:
    assert run(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (-12, "-12"),
        (3.0, "3"),
        (-0.0, "0"),
        (1.5, "1.5"),
        (-2.25, "-2.25"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e300, "1.5e+300"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (2.5e-10, "2.5e-10"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
        ("é ünïcode", "é ünïcode"),
        ([1, "a", None, True], '[1,"a",null,true]'),
        ({"k": "é", "n": [1, 2]}, '{"k":"é","n":[1,2]}'),
        ([], "[]"),
        ({}, "{}"),
    ],
)
def test_template_string_conversion(value: Any, expected: str) -> None:
    assert run("=<{{ $json.v }}>", {"v": value}) == f"<{expected}>"


def test_template_of_unserializable_value_is_an_error() -> None:
    err = error_of("=x {{ $json.v }}", {"v": {1, 2}})
    assert err.reason == "value of type set cannot be converted to a string"
    assert err.column == 7


# ----------------------------------------------------------------- literals


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('={{ "double" }}', "double"),
        ("={{ 'single' }}", "single"),
        ('={{ "it\'s" }}', "it's"),
        ("={{ 'say \"hi\"' }}", 'say "hi"'),
        (r'={{ "a\nb\tc" }}', "a\nb\tc"),
        (r'={{ "q\"q" }}', 'q"q'),
        (r"={{ 'q\'q' }}", "q'q"),
        (r'={{ "back\\slash" }}', "back\\slash"),
        (r'={{ "\u00e9\u20AC" }}', "é€"),
        (r'={{ "\uD83D\uDE00" }}', "\U0001f600"),
        (r'={{ "\r\b\f\v\0\/" }}', "\r\b\f\v\0/"),
        ('={{ "" }}', ""),
        ("={{ 42 }}", 42),
        ("={{ 0 }}", 0),
        ("={{ -3 }}", -3),
        ("={{ - 3 }}", -3),
        ("={{ 1.5 }}", 1.5),
        ("={{ -1.5 }}", -1.5),
        ("={{ 0.25 }}", 0.25),
        ("={{ true }}", True),
        ("={{ false }}", False),
        ("={{ null }}", None),
        ("={{ undefined }}", None),
    ],
)
def test_literals(value: str, expected: Any) -> None:
    result = run(value)
    assert result == expected
    assert type(result) is type(expected)


# ----------------------------------------------------------------- operator


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("={{ 1 + 2 }}", 3),
        ("={{ 1 + 2.5 }}", 3.5),
        ("={{ 0.5 + 0.25 }}", 0.75),
        ("={{ 1 + -3 }}", -2),
        ("={{ $json.n + $json.id }}", 10),
        ('={{ "a" + "b" }}', "ab"),
        ('={{ "a" + 1 }}', "a1"),
        ('={{ 1 + "a" }}', "1a"),
        ('={{ "a" + 1.0 }}', "a1"),
        ('={{ "a" + true }}', "atrue"),
        ('={{ "a" + null }}', "a"),
        ('={{ "a" + $json.tags }}', 'a["a","b"]'),
        ('={{ 1 + 2 + "a" }}', "3a"),
        ('={{ "a" + 1 + 2 }}', "a12"),
        ('={{ "a" + (1 + 2) }}', "a3"),
        ("={{ (1 + 2) + (3 + 4) }}", 10),
        ("={{ ((((1)))) }}", 1),
        ('={{ "id-" + $json.id + "/" + $itemIndex }}', "id-7/4"),
    ],
)
def test_plus_operator(value: str, expected: Any) -> None:
    result = run(value)
    assert result == expected
    assert type(result) is type(expected)


# ------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("value", "reason", "column"),
    [
        ("={{ $json.x.toUpperCase() }}", "function calls are not supported", 24),
        ("={{ $json() }}", "function calls are not supported", 10),
        ("={{ $('Node').item.json }}", "function calls are not supported", 6),
        ("={{ $now }}", "unsupported variable '$now'", 5),
        ("={{ $workflow.id }}", "unsupported variable '$workflow'", 5),
        ("={{ Math.max(1) }}", "unknown identifier 'Math'", 5),
        ("={{ new Date() }}", "unknown identifier 'new'", 5),
        ("={{ $input.first() }}", "only '$input.item.json' is supported", 5),
        ("={{ $input.item.binary }}", "only '$input.item.json' is supported", 5),
        ("={{ $json.n - 1 }}", "operator '-' is not supported", 13),
        ("={{ $json.n * 2 }}", "operator '*' is not supported", 13),
        ("={{ $json.n / 2 }}", "operator '/' is not supported", 13),
        ("={{ $json.n % 2 }}", "operator '%' is not supported", 13),
        ("={{ $json.flag ? 1 : 2 }}", "operator '?' is not supported", 16),
        ("={{ $json.flag && 1 }}", "operator '&&' is not supported", 16),
        ("={{ $json.flag || 1 }}", "operator '||' is not supported", 16),
        ("={{ $json.n == 1 }}", "operator '==' is not supported", 13),
        ("={{ !$json.flag }}", "operator '!' is not supported", 5),
        ("={{ $json?.n }}", "operator '?.' is not supported", 10),
        ("={{ $json.n = 1 }}", "assignment is not supported", 13),
        ("={{ $json.n += 1 }}", "assignment is not supported", 13),
        ("={{ `x ${1}` }}", "template literals are not supported", 5),
        ("={{ +1 }}", "unary plus is not supported", 5),
        ("={{ -$json.n }}", "unary minus is only supported on number literals", 5),
        ("={{ -(1) }}", "unary minus is only supported on number literals", 5),
        (
            "={{ $json.constructor }}",
            "access to property 'constructor' is not allowed",
            11,
        ),
        ("={{ $json.__proto__ }}", "access to property '__proto__' is not allowed", 11),
        (
            '={{ $json["__class__"] }}',
            "access to property '__class__' is not allowed",
            11,
        ),
        ("={{ $json.a.__dict__ }}", "access to property '__dict__' is not allowed", 13),
        ("={{ $json.prototype }}", "access to property 'prototype' is not allowed", 11),
        ("={{ $json.a", "unclosed '{{'", 2),
        ("=x {{ 1 }} {{ 2", "unclosed '{{'", 12),
        ("={{ }}", "empty expression", 2),
        ("={{ 1 + }}", "unexpected end of expression", 9),
        ("={{ $json. }}", "expected a property name after '.'", 12),
        ("={{ $json[0 }}", "expected ']'", 13),
        ("={{ (1 }}", "expected ')'", 8),
        ("={{ 1 2 }}", "unexpected '2'", 7),
        ("={{ {a: 1} }}", "unexpected character '{'", 5),
        ("={{ 1, 2 }}", "unexpected character ','", 6),
        ('={{ "abc }}', "unterminated string literal", 5),
        ("={{ 'a\nb' }}", "unterminated string literal", 5),
        (r"={{ '\x41' }}", r"unsupported escape sequence '\\x'", 6),
        (r"={{ '\u12' }}", r"invalid \u escape sequence (expected \uXXXX)", 6),
        ("={{ 1e3 }}", "invalid number literal '1e3'", 5),
        ("={{ 007 }}", "invalid number literal '007'", 5),
        ("={{ 1. }}", "invalid number literal '1.'", 5),
        ("={{ " + "9" * 101 + " }}", "number literal is too long", 5),
        ("={{ $json.missing.x }}", "cannot read property 'x' of undefined", 19),
        ("={{ $json.nothing.x }}", "cannot read property 'x' of undefined", 19),
        ("={{ null.x }}", "cannot read property 'x' of undefined", 10),
        ("={{ $json.missing[0] }}", "cannot read property '0' of undefined", 19),
        ("={{ $json.tags[-1] }}", "negative array indexes are not supported", 16),
        ("={{ $json.email.length }}", "cannot read property 'length' of string", 17),
        ("={{ $json.n.x }}", "cannot read property 'x' of number", 13),
        ("={{ $json.flag.x }}", "cannot read property 'x' of boolean", 16),
        (
            "={{ $json.tags.length }}",
            (
                "cannot read property 'length' of an array "
                "(only integer indexes are supported)"
            ),
            16,
        ),
        (
            "={{ $json.tags[1.5] }}",
            "property key must be a string or an integer, not number",
            16,
        ),
        (
            "={{ $json[true] }}",
            "property key must be a string or an integer, not boolean",
            11,
        ),
        (
            "={{ $json[$parameter.key] }}",
            "access to property '__class__' is not allowed",
            11,
        ),
        ("={{ true + 1 }}", "cannot add boolean and number", 10),
        ("={{ 1 + null }}", "cannot add number and undefined", 7),
        ("={{ $json.missing + 1 }}", "cannot add undefined and number", 19),
        ("={{ $json.address + 1 }}", "cannot add object and number", 19),
        ("={{ $json.tags + $json.tags }}", "cannot add array and array", 16),
    ],
)
def test_errors(value: str, reason: str, column: int) -> None:
    err = error_of(value)
    assert (err.reason, err.column) == (reason, column)
    assert err.expression == value
    assert str(err) == f"{reason} at column {column} in expression {value!r}"


def test_error_message_text() -> None:
    err = error_of("={{ $json.x.toUpperCase() }}")
    assert isinstance(err, ValueError)
    assert str(err) == (
        "function calls are not supported at column 24 in expression "
        "'={{ $json.x.toUpperCase() }}'"
    )


def test_error_pickles() -> None:
    err = error_of("={{ $now }}")
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.reason, clone.expression, clone.column, str(clone)) == (
        err.reason,
        err.expression,
        err.column,
        str(err),
    )


def test_python_objects_are_never_introspected() -> None:
    class Secret:
        token = "s3cret"

    for value in ("={{ $json.obj.token }}", '={{ $json.obj["token"] }}'):
        err = error_of(value, {"obj": Secret()})
        assert err.reason == "cannot read property 'token' of Secret"
    err = error_of("={{ $json.c.real }}", {"c": 1 + 2j})
    assert err.reason == "cannot read property 'real' of complex"


# ------------------------------------------------------------------- limits


def test_expression_length_limit() -> None:
    body = " " * (10_000 - 1) + "1"
    assert run("={{" + body + "}}") == 1
    err = error_of("={{" + body + " }}")
    assert err.reason == "expression is too long (more than 10000 characters)"
    assert err.column == 2


def test_huge_unclosed_expression_is_rejected_quickly() -> None:
    err = error_of("={{ '" + "a" * 1_000_000)
    assert err.reason == "expression is too long (more than 10000 characters)"


def test_nesting_depth_limit() -> None:
    assert run("={{" + "(" * 50 + "1" + ")" * 50 + "}}") == 1
    assert run("={{ " + "$json[" * 50 + "0" + "]" * 50 + " }}", {"0": 0}) == 0
    err = error_of("={{" + "(" * 51 + "1" + ")" * 51 + "}}")
    assert err.reason == "expression is nested too deeply (more than 50 levels)"
    assert err.column == 54
    err = error_of("={{ " + "$json[" * 51 + "0" + "]" * 51 + " }}", {"0": 0})
    assert err.reason == "expression is nested too deeply (more than 50 levels)"


def test_long_flat_chains_do_not_recurse() -> None:
    assert run("={{ " + " + ".join(["1"] * 2_000) + " }}") == 2_000
    data: Any = "leaf"
    for _ in range(1_500):
        data = {"a": data}
    assert run("={{ $json" + ".a" * 1_500 + " }}", data) == "leaf"


# ------------------------------------------------------------------ caching


def test_cached_parse_gives_per_item_results() -> None:
    value = "=#{{ $itemIndex }} {{ $json.name }}"
    results = [
        ex.evaluate(value, make_context({"name": name}, item_index=index))
        for index, name in enumerate(["a", "b", "a"])
    ]
    assert results == ["#0 a", "#1 b", "#2 a"]
    assert run("={{ $json.v }}", {"v": 1}) == 1
    assert run("={{ $json.v }}", {"v": "x"}) == "x"


def test_repeated_errors_are_identical() -> None:
    first = error_of("={{ $json.missing.x }}")
    second = error_of("={{ $json.missing.x }}")
    assert str(first) == str(second)
    assert run("={{ $json.missing.x }}", {"missing": {"x": 5}}) == 5


# ------------------------------------------------------------------ resolve


def test_resolve_nested_containers() -> None:
    params: dict[str, Any] = {
        "operation": "={{ $parameter.operation }}",
        "body": {
            "email": "={{ $json.email }}",
            "count": "={{ $json.n }}",
            "label": "=User {{ $json.id }}",
            "tags": ["={{ $json.tags[0] }}", "literal", 5, None, ["={{ $itemIndex }}"]],
            "address": "={{ $json.address }}",
        },
        "plain": "no expression",
        "number": 1.5,
        "escaped": "={{ $json.raw }}",
    }
    original = copy.deepcopy(params)
    data = dict(ITEM, raw="={{ 1 + 1 }}")
    result = ex.resolve(params, make_context(data))
    assert result == {
        "operation": "create",
        "body": {
            "email": "ann@example.com",
            "count": 3,
            "label": "User 7",
            "tags": ["a", "literal", 5, None, [4]],
            "address": {"city": "Oslo", "lines": [{"street name": "Main St"}]},
        },
        "plain": "no expression",
        "number": 1.5,
        "escaped": "={{ 1 + 1 }}",  # results are not evaluated again
    }
    assert params == original
    assert result is not params
    assert result["body"] is not params["body"]
    assert result["body"]["tags"][4] is not params["body"]["tags"][4]


def test_resolve_copies_containers_without_expressions() -> None:
    params: dict[str, Any] = {"a": [1, {"b": 2}], "t": (1, 2)}
    result = ex.resolve(params, make_context())
    assert result == {"a": [1, {"b": 2}], "t": [1, 2]}
    assert result["a"] is not params["a"]
    assert result["a"][1] is not params["a"][1]


def test_resolve_expression_string() -> None:
    assert ex.resolve("={{ $json.n }}", make_context()) == 3


def test_resolve_propagates_errors() -> None:
    with pytest.raises(ex.ExpressionError) as caught:
        ex.resolve({"a": ["={{ $now }}"]}, make_context())
    assert caught.value.reason == "unsupported variable '$now'"


# ----------------------------------------------------------------- property

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["a", "b", "c d", "0", "n"]) | st.text(max_size=4),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)

expression_fragments = st.sampled_from(
    [
        "{{",
        "}}",
        "{",
        "}",
        "$json",
        "$input",
        ".item",
        ".json",
        "$parameter",
        "$itemIndex",
        "$runIndex",
        "$now",
        "$(",
        ".",
        "a",
        "b",
        "[",
        "]",
        "(",
        ")",
        "0",
        "1",
        "-",
        "+",
        "1.5",
        '"',
        "'",
        "\\",
        "\\u",
        "\\n",
        "`",
        " ",
        "\n",
        "true",
        "null",
        "undefined",
        "__proto__",
        "constructor",
        "?",
        ":",
        "=",
        "*",
        "é",
        "\U0001f600",
        "1e3",
        "007",
    ]
)
expression_sources = st.text(max_size=40) | st.lists(
    expression_fragments, max_size=25
).map("".join)


@settings(max_examples=150, deadline=None)
@given(item=json_values, text=st.text(max_size=60).filter(lambda t: "{{" not in t))
def test_text_without_braces_round_trips(item: Any, text: str) -> None:
    context = make_context(item)
    assert ex.evaluate("=" + text, context) == text
    assert ex.resolve({"p": ["=" + text]}, context) == {"p": [text]}


@settings(max_examples=400, deadline=1_000)
@given(item=json_values, source=expression_sources, wrap=st.booleans())
def test_arbitrary_input_only_raises_expression_error(
    item: Any, source: str, wrap: bool
) -> None:
    value = "={{" + source + "}}" if wrap else "=" + source
    context = ex.ExpressionContext(json=item, parameters={"a": item}, item_index=0)
    try:
        result = ex.evaluate(value, context)
    except ex.ExpressionError as err:
        assert err.expression == value
        assert 1 <= err.column <= len(value)
    else:
        # The cached parse must give the same kind of result again.
        assert type(ex.evaluate(value, context)) is type(result)
