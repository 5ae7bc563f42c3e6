"""Per-operation work done once (request.Plan) and the ULID encoder."""

from __future__ import annotations

import time
from typing import Any

import pytest

from generator.runtime import calls, request
from generator.runtime import descriptors as d

FLAG = d.Field(name="flag", python_name="flag", display_name="Flag", type="boolean")
MODE = d.Field(name="mode", python_name="mode", display_name="Mode", type="json")
ON = d.Field(name="on", python_name="on", display_name="On", type="string", show={"flag": (True,)})
LIST = d.Field(name="list", python_name="list_", display_name="List", type="string", show={"mode": (["a"],)})
INNER = d.Field(name="inner", python_name="inner", display_name="Inner", type="string", parent="extra")
OP = d.Operation(
    resource="r",
    name="o",
    display_name="O",
    description="",
    method="GET",
    base="b",
    path="/x",
    fields=(FLAG, MODE, ON, LIST, INNER),
    collections=(d.Collection(name="extra", display_name="Extra", hide={"flag": (True,)}),),
    output=d.Output(source="response"),
)


def _names(values: dict[str, Any]) -> list[str]:
    return [f.name for f in request.active_fields(OP, values)]


@pytest.mark.parametrize("repeat", [1, 2])  # the second round is answered from the plan's memo
def test_display_conditions_compare_type_and_value_with_or_without_the_memo(repeat: int) -> None:
    for _ in range(repeat):
        assert _names({"flag": True}) == ["flag", "mode", "on"]
        assert _names({"flag": 1}) == ["flag", "mode", "inner"]  # 1 is not True (JSON rules)
        assert _names({"flag": False, "mode": ["a"]}) == ["flag", "mode", "list", "inner"]  # not hashable
        assert _names({}) == ["flag", "mode", "inner"]


def test_shown_and_hidden_fields_split_the_fields_in_spec_order() -> None:
    shown, hidden = request.shown_fields(OP, {"flag": True})
    assert [f.name for f in shown] == ["flag", "mode", "on"]
    assert [f.name for f in hidden] == ["list", "inner"]


def test_ulid_is_26_crockford_characters_carrying_the_time_in_milliseconds() -> None:
    before = int(time.time() * 1000)
    ulid = calls.new_ulid()
    after = int(time.time() * 1000)
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    assert len(ulid) == 26 and set(ulid) <= set(alphabet)
    number = 0
    for char in ulid:
        number = number * 32 + alphabet.index(char)
    assert before <= number >> 80 <= after
    assert calls.new_ulid() != ulid
