"""Names that collide after conversion to Python names are refused, naming both (issue 5, item 2).

`customerId` and `customer_id`, `getAll` and `GET_ALL`, `class` and `class_`: two spec names that
become one Python name would silently shadow each other, so `nodegen generate` must stop with
exit code 2, a `file:line:col: message` naming both, no traceback, and nothing written.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from generator import naming
from tests.property import checks
from tests.property.harness import nodegen, write_spec
from tests.property.specs import PY_KEYWORDS, STYLES, operations, specs

WORD = st.from_regex(r"\A[a-z][a-z0-9]{0,5}\Z")


def _spellings(words: list[str]) -> list[str]:
    """Spellings of two or more words that all become `words[0]_words[1]...` in Python."""
    return [
        "_".join(words),  # customer_id
        words[0] + "".join(w.capitalize() for w in words[1:]),  # customerId
        "_".join(w.upper() for w in words),  # CUSTOMER_ID
        words[0] + "".join(w.upper() for w in words[1:]),  # customerID
    ]


#: Names escaped with a trailing `_` (keywords, builtins, names the generated code uses).
ESCAPED = sorted(
    n
    for n in {*PY_KEYWORDS, "id", "type", "list", "self", "session", "retry", "print"}
    if naming.python_name(n) == n + "_"
)


@st.composite
def colliding_names(draw: Callable[..., Any]) -> tuple[str, str]:
    """Two different spec names with one Python name."""
    if draw(st.booleans()):
        candidates = _spellings(draw(st.lists(WORD, min_size=2, max_size=3)))
    else:  # `class` and `class_`
        name = draw(st.sampled_from(ESCAPED))
        candidates = [name, name + "_"]
    first, second = draw(st.permutations(candidates))[:2]
    assume(first != second and naming.python_name(first) == naming.python_name(second))
    return first, second


def _unused(taken: Callable[[str], bool], stem: str) -> str:
    i = 0
    while taken(f"{stem}{i}"):
        i += 1
    return f"{stem}{i}"


def _function_names(doc: dict[str, Any]) -> set[str]:
    return {naming.function_name(r["name"], op["name"]) for r, op in operations(doc)}


def place_params(doc: dict[str, Any], pair: tuple[str, str], where: str) -> bool:
    """A new operation whose two parameters (top level or collection options) collide."""
    resource = doc["resources"][0]
    ops = {o["name"] for o in resource["operations"]} | {naming.python_name(o["name"]) for o in resource["operations"]}
    functions = _function_names(doc)
    name = _unused(
        lambda n: n in ops or naming.python_name(n) in ops or naming.function_name(resource["name"], n) in functions,
        "collisionProbe",
    )
    first: dict[str, Any] = {"name": pair[0], "type": "string"}
    second: dict[str, Any] = {"name": pair[1], "type": "boolean"}
    if where == "top level":
        params = [first, second]
    elif where == "collection and top level":
        params = [{"name": "extra", "type": "collection", "options": [first]}, second]
        if naming.python_name("extra") in {naming.python_name(n) for n in pair}:
            return False
    else:  # two collections
        params = [
            {"name": "extraOne", "type": "collection", "options": [first]},
            {"name": "extraTwo", "type": "collection", "options": [second]},
        ]
    resource["operations"].append(
        {
            "name": name,
            "request": {"method": "POST", "base": doc["bases"][0]["name"], "path": "/probe"},
            "output": {"from": "response"},
            "params": params,
        }
    )
    return True


def place_operations(doc: dict[str, Any], pair: tuple[str, str]) -> bool:
    """Two new operations of the first resource whose names collide."""
    resource = doc["resources"][0]
    taken = {o["name"] for o in resource["operations"]} | {
        naming.python_name(o["name"]) for o in resource["operations"]
    }
    if any(n in taken or naming.python_name(n) in taken for n in pair):
        return False
    if {naming.function_name(resource["name"], n) for n in pair} & _function_names(doc):
        return False
    for n in pair:
        resource["operations"].append(
            {
                "name": n,
                "request": {"method": "GET", "base": doc["bases"][0]["name"], "path": "/x"},
                "output": {"from": "response"},
                "params": [],
            }
        )
    return True


def place_resources(doc: dict[str, Any], pair: tuple[str, str]) -> bool:
    """Two new resources whose names collide."""
    taken = {r["name"] for r in doc["resources"]} | {naming.python_name(r["name"]) for r in doc["resources"]}
    if any(n in taken or naming.python_name(n) in taken for n in pair):
        return False
    if {naming.function_name(n, "get") for n in pair} & _function_names(doc):
        return False
    for n in pair:
        doc["resources"].append(
            {
                "name": n,
                "operations": [
                    {
                        "name": "get",
                        "request": {"method": "GET", "base": doc["bases"][0]["name"], "path": "/x"},
                        "output": {"from": "response"},
                        "params": [],
                    }
                ],
            }
        )
    return True


def place(doc: dict[str, Any], pair: tuple[str, str], where: str) -> bool:
    if where == "operations":
        return place_operations(doc, pair)
    if where == "resources":
        return place_resources(doc, pair)
    return place_params(doc, pair, where)


PLACES = ("top level", "collection and top level", "two collections", "operations", "resources")


@pytest.fixture
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="nodegen-collision-") as tmp:
        yield Path(tmp)


def _phases() -> list[Phase]:
    phases = list(Phase)
    if os.environ.get("CI") and not os.environ.get("NODEGEN_PROPERTY_SHRINK"):
        phases.remove(Phase.shrink)
    return phases


@settings(
    max_examples=25,
    deadline=None,
    phases=_phases(),
    derandomize=not os.environ.get("NODEGEN_PROPERTY_RANDOM"),  # a fixed sample, as in test_valid_specs
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(doc=specs(), pair=colliding_names(), where=st.sampled_from(PLACES), style=STYLES)
def test_names_that_collide_after_conversion_are_refused_naming_both(
    workdir: Path, doc: dict[str, Any], pair: tuple[str, str], where: str, style: str
) -> None:
    doc["resources"] = doc["resources"][:2]  # small: only validation runs
    if doc.get("default_resource") not in {r["name"] for r in doc["resources"]}:
        doc.pop("default_resource", None)
    assume(place(doc, pair, where))
    checks.check_refused_naming_both(workdir / "project", doc, pair, style)


@pytest.mark.parametrize(
    ("first", "second"), [("customerId", "customer_id"), ("getAll", "GET_ALL"), ("class", "class_"), ("ID", "id")]
)
def test_the_documented_collisions_are_refused(workdir: Path, first: str, second: str) -> None:
    """docs/spec-format.md's own examples, as parameters, operations and resources."""
    for where in PLACES:
        doc = {
            "nodegen": 1,
            "node": {"name": "pair", "display_name": "Pair", "version": "1.0.0"},
            "bases": [{"name": "main", "url": "https://api.example.invalid"}],
            "resources": [
                {
                    "name": "r",
                    "operations": [
                        {
                            "name": "o",
                            "request": {"method": "GET", "base": "main", "path": "/"},
                            "output": {"from": "response"},
                            "params": [],
                        }
                    ],
                }
            ],
        }
        assert place(doc, (first, second), where)
        root = workdir / where.replace(" ", "-")
        write_spec(root, doc)
        done = nodegen(root, "validate")
        assert done.code == 2, (where, done.stderr)
        assert any(f"'{first}'" in line and f"'{second}'" in line for line in done.stderr.splitlines()), (
            where,
            done.stderr,
        )
