"""One minimal before/after pair per rule of `nodegen breaking`, asserting the exact output."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from generator.breaking import RULES
from generator.schema_check import spec_schema
from tests.breaking.conftest import REPO, Edits, Result

MAJOR = "suggested version bump: major (1.2.3 -> 2.0.0); the new version 2.0.0 is bumped enough"
MINOR = "suggested version bump: minor (1.2.3 -> 1.3.0); the new version 1.3.0 is bumped enough"
PATCH = "suggested version bump: patch (1.2.3 -> 1.2.4); the new version 1.2.4 is bumped enough"

TAG_RESOURCE = """
  - name: tag
    display_name: Tag
    operations:
      - name: get
        display_name: Get
        request: {method: GET, base: api, path: /tags}
        output: {from: response}
        params: []
"""
LIST_OPERATION = """      - name: list
        display_name: List
        description: List items
        request: {method: GET, base: api, path: /items}
        output: {from: response, select: items, split: true}
        params:
          - name: sort
            display_name: Sort
            type: options
            default: name
            in: query
            options:
              - {value: name, label: Name}
              - {value: date, label: Date}
"""
SIZE_PARAM = """          - name: size
            display_name: Size
            type: integer
            default: 1
            minimum: 1
            maximum: 10
            in: body
"""
ACCOUNT_FIELD = """    - name: accountId
      display_name: Account ID
      type: string
      default: ""
"""
SIZE_NAME = "            display_name: Size\n"
BLUE = "              - {value: blue, label: Blue}\n"
NOTE_END = "                description: A free-text note\n                in: body\n"

# rule id -> (edits to base.yaml, NEW's version, expected change lines, exit code)
CASES: dict[str, tuple[Edits, str, list[str], int]] = {
    "resource-removed": (
        [(TAG_RESOURCE, "")],
        "2.0.0",
        ["old.yaml:101:5: ERR resource-removed: resource 'tag' removed"],
        1,
    ),
    "operation-removed": (
        [(LIST_OPERATION, "")],
        "2.0.0",
        ["old.yaml:86:9: ERR operation-removed: operation item.list removed"],
        1,
    ),
    "param-removed": (
        [(SIZE_PARAM, "")],
        "2.0.0",
        ["old.yaml:69:13: ERR param-removed: item.create: parameter 'size' removed"],
        1,
    ),
    "param-made-required": (
        [(SIZE_NAME, SIZE_NAME + "            required: true\n")],
        "2.0.0",
        ["new.yaml:71:23: ERR param-made-required: item.create: parameter 'size': now required"],
        1,
    ),
    "param-added-required": (
        [
            (
                "          - name: color\n",
                (
                    "          - name: owner\n            type: string\n            required: true\n            default: nobody\n"
                    "            in: body\n          - name: color\n"
                ),
            )
        ],
        "2.0.0",
        ["new.yaml:61:13: ERR param-added-required: item.create: required parameter 'owner' added"],
        1,
    ),
    "param-type-changed": (
        [(SIZE_NAME + "            type: integer\n", SIZE_NAME + "            type: number\n")],
        "2.0.0",
        [
            'new.yaml:71:19: ERR param-type-changed: item.create: parameter \'size\': type changed from "integer" to "number"'
        ],
        1,
    ),
    "param-moved": (
        [("          - name: extra\n", "          - name: more\n")],
        "2.0.0",
        [
            "new.yaml:81:23: ERR param-moved: item.create: parameter 'note': moved from collection 'extra' to collection 'more'"
        ],
        1,
    ),
    "bounds-narrowed": (
        [("            maximum: 10\n", "            maximum: 5\n")],
        "2.0.0",
        ["new.yaml:74:22: ERR bounds-narrowed: item.create: parameter 'size': maximum lowered from 10 to 5"],
        1,
    ),
    "option-removed": (
        [(BLUE, "")],
        "2.0.0",
        ["old.yaml:68:17: ERR option-removed: item.create: parameter 'color': option \"blue\" removed"],
        1,
    ),
    "credential-removed": (
        [(ACCOUNT_FIELD, "")],
        "2.0.0",
        ["old.yaml:27:7: ERR credential-removed: credential field 'accountId' removed"],
        1,
    ),
    "auth-changed": (
        [("auth: {scheme: bearer, token: apiKey}", "auth: {scheme: header, name: X-Api-Key, value: apiKey}")],
        "2.0.0",
        ["new.yaml:35:20: ERR auth-changed: base 'api': auth scheme changed from bearer to header"],
        1,
    ),
    "output-changed": (
        [("select: items, split: true", "select: data, split: true")],
        "2.0.0",
        ['new.yaml:90:42: ERR output-changed: item.list: output changed: select "items" -> "data"'],
        1,
    ),
    "public-name-changed": (
        [(SIZE_NAME, SIZE_NAME + "            python_name: item_size\n")],
        "2.0.0",
        [
            (
                "new.yaml:71:26: ERR public-name-changed: item.create: parameter 'size': "
                "Python name size -> item_size, CLI flag --size -> --item-size"
            )
        ],
        1,
    ),
    "default-changed": (
        [("            default: 1\n", "            default: 2\n")],
        "1.3.0",
        ["new.yaml:72:22: WARN default-changed: item.create: parameter 'size': default changed from 1 to 2"],
        0,
    ),
    "option-added-to-output": (
        [(BLUE, BLUE + "              - {value: green, label: Green}\n")],
        "1.3.0",
        [
            (
                "new.yaml:69:17: WARN option-added-to-output: item.create: parameter 'color': "
                'option "green" added (it can appear in the output)'
            )
        ],
        0,
    ),
    "routing-changed": (
        [("            maximum: 10\n            in: body\n", "            maximum: 10\n            in: query\n")],
        "1.3.0",
        ['new.yaml:75:17: WARN routing-changed: item.create: parameter \'size\': in changed from "body" to "query"'],
        0,
    ),
    "conditions-changed": (
        [("            maximum: 10\n", "            maximum: 10\n            show: {color: [red]}\n")],
        "1.3.0",
        [
            (
                "new.yaml:75:19: WARN conditions-changed: item.create: parameter 'size': "
                'show changed from {} to {"color": ["red"]}'
            )
        ],
        0,
    ),
    "behaviour-changed": (
        [("    default: 3\n", "    default: 4\n")],
        "1.3.0",
        ["new.yaml:40:14: WARN behaviour-changed: setting 'maxTries': default changed from 3 to 4"],
        0,
    ),
    "credential-changed": (
        [("      secret: true\n", "      secret: false\n")],
        "1.3.0",
        ["new.yaml:17:15: WARN credential-changed: credential field 'apiKey': secret changed from true to false"],
        0,
    ),
    "version-bump-too-small": (
        [("            default: 1\n", "            default: 2\n")],
        "1.2.4",
        [
            (
                "new.yaml:8:12: WARN version-bump-too-small: version 1.2.4 is too small: "
                "the changes need a minor bump (1.2.3 -> 1.3.0)"
            ),
            "new.yaml:72:22: WARN default-changed: item.create: parameter 'size': default changed from 1 to 2",
        ],
        0,
    ),
    "resource-added": (
        [
            (
                "        params: []\n",
                (
                    "        params: []\n\n  - name: label\n    operations:\n      - name: get\n"
                    "        request: {method: GET, base: api, path: /labels}\n        output: {from: response}\n"
                    "        params: []\n"
                ),
            )
        ],
        "1.3.0",
        ["new.yaml:110:5: INFO resource-added: resource 'label' added"],
        0,
    ),
    "operation-added": (
        [
            (
                "        params: []\n",
                (
                    "        params: []\n      - name: getAll\n        request: {method: GET, base: api, path: /tags}\n"
                    "        output: {from: response, split: true}\n        params: []\n"
                ),
            )
        ],
        "1.3.0",
        ["new.yaml:109:9: INFO operation-added: operation tag.getAll added"],
        0,
    ),
    "param-added-optional": (
        [
            (
                NOTE_END,
                NOTE_END + "              - name: due\n                type: dateTime\n                in: body\n",
            )
        ],
        "1.3.0",
        ["new.yaml:86:17: INFO param-added-optional: item.create: optional parameter 'due' added"],
        0,
    ),
    "param-made-optional": (
        [
            (
                '            required: true\n            default: ""\n            max_bytes: 100\n',
                '            default: ""\n            max_bytes: 100\n',
            )
        ],
        "1.3.0",
        ["new.yaml:54:13: INFO param-made-optional: item.create: parameter 'id': now optional"],
        0,
    ),
    "option-added": (
        [
            (
                "              - {value: date, label: Date}\n",
                "              - {value: date, label: Date}\n              - {value: size, label: Size}\n",
            )
        ],
        "1.3.0",
        ["new.yaml:100:17: INFO option-added: item.list: parameter 'sort': option \"size\" added"],
        0,
    ),
    "credential-added": (
        [("bases:\n", "    - name: workspace\n      type: string\n      default: main\n\nbases:\n")],
        "1.3.0",
        ["new.yaml:32:7: INFO credential-added: credential field 'workspace' added"],
        0,
    ),
    "base-added": (
        [
            (
                "    auth: {scheme: bearer, token: apiKey}\n",
                "    auth: {scheme: bearer, token: apiKey}\n  - name: legacy\n    url: https://legacy.example.com\n",
            )
        ],
        "1.3.0",
        ["new.yaml:36:5: INFO base-added: base 'legacy' added"],
        0,
    ),
    "bounds-widened": (
        [("            maximum: 10\n", "            maximum: 20\n")],
        "1.3.0",
        ["new.yaml:74:22: INFO bounds-widened: item.create: parameter 'size': maximum raised from 10 to 20"],
        0,
    ),
    "docs-changed": (
        [("description: A free-text note", "description: Any text about the item")],
        "1.2.4",
        ["new.yaml:84:30: INFO docs-changed: item.create: parameter 'note': description changed"],
        0,
    ),
}
BUMP_LINES = {"2.0.0": MAJOR, "1.3.0": MINOR, "1.2.4": PATCH}


@pytest.mark.parametrize("rule", list(CASES))
def test_rule(rule: str, pair: Callable[..., Result]) -> None:
    edits, version, lines, code = CASES[rule]
    result = pair(edits, version)
    bump = (
        BUMP_LINES[version]
        if rule != "version-bump-too-small"
        else ("suggested version bump: minor (1.2.3 -> 1.3.0); the new version 1.2.4 is too small")
    )
    assert result.lines == lines + [bump]
    assert result.code == code
    assert result.err == ""
    assert any(f" {RULES[rule].severity} {rule}: " in line for line in lines)


def test_node_rename_changes_the_package_and_the_environment_variables(pair: Callable[..., Result]) -> None:
    result = pair([("  name: demo\n", "  name: demo2\n")], "2.0.0")
    assert result.lines == [
        "new.yaml:5:9: ERR public-name-changed: node 'demo2': package generated.demo -> generated.demo2",
        "new.yaml:14:13: ERR public-name-changed: credential field 'apiKey': environment variable DEMO_API_KEY -> DEMO2_API_KEY",
        "new.yaml:20:13: ERR public-name-changed: credential field 'region': environment variable DEMO_REGION -> DEMO2_REGION",
        (
            "new.yaml:27:13: ERR public-name-changed: credential field 'accountId': "
            "environment variable DEMO_ACCOUNT_ID -> DEMO2_ACCOUNT_ID"
        ),
        MAJOR,
    ]
    assert result.code == 1


def test_unchanged_spec_reports_nothing(pair: Callable[..., Result]) -> None:
    result = pair([], options=["--fail-on", "INFO"])
    assert result.lines == ["suggested version bump: none (1.2.3 -> 1.2.3)"]
    assert result.code == 0


def test_every_rule_has_a_case_and_is_documented() -> None:
    tested = set(CASES)
    assert tested == set(RULES), "every rule needs a before/after case"
    docs = (REPO / "docs" / "breaking.md").read_text(encoding="utf-8")
    for rule in RULES.values():
        row = re.search(rf"^\| `{re.escape(rule.id)}` \|", docs, re.MULTILINE)
        assert row, f"docs/breaking.md has no row for {rule.id}"
        section = docs[: row.start()].rsplit("### ", 1)[1]
        assert section.startswith(rule.severity), f"{rule.id} is documented under the wrong severity"


# Every key the spec format allows, with the rule family that watches it: a key added to the
# schema without a rule here would be compared by nothing, so this test asks for one.
WATCHED: dict[str, set[str]] = {
    "": {
        "nodegen",
        "node",
        "credential",
        "bases",
        "headers",
        "settings",
        "default_resource",
        "resources",
        "deviations",
    },
    "node": {
        "name",
        "n8n_type",
        "display_name",
        "description",
        "version",
        "n8n_version",
        "group",
        "subtitle",
        "env_prefix",
    },
    "credential": {"name", "display_name", "fields"},
    "credential.fields": {"name", "display_name", "description", "type", "secret", "required", "default", "options"},
    "bases": {"name", "description", "url", "url_by_credential", "auth", "rate_limit"},
    "bases.auth": {"scheme", "username", "password", "token", "name", "value"},
    "settings": {"name", "display_name", "description", "type", "default", "minimum", "maximum", "options"},
    "resources": {"name", "display_name", "description", "default_operation", "operations"},
    "operations": {"name", "display_name", "description", "request", "output", "params"},
    "request": {"method", "base", "path", "idempotent", "body", "dedup_key", "checks", "pagination"},
    "output": {"from", "select", "split", "value", "prepend"},
    "param": {
        "name",
        "display_name",
        "description",
        "required",
        "default",
        "placeholder",
        "python_name",
        "show",
        "hide",
        "options",
        "type",
        "multiple",
        "group",
        "group_display_name",
        "mapping",
        "in",
        "key",
        "spread",
        "transform",
        "omit_if",
        "value_map",
        "allowed_keys",
        "minimum",
        "maximum",
        "min_length",
        "max_length",
        "max_bytes",
        "min_items",
        "max_items",
        "item_max_bytes",
        "format",
        "example",
    },
}


def _keys(schema: dict[str, Any]) -> set[str]:
    keys = set(schema.get("properties", {}))
    for branch in schema.get("oneOf", []):
        keys |= set(branch.get("properties", {}))
    return keys


def test_every_spec_key_is_watched() -> None:
    schema = spec_schema()
    top = schema["properties"]
    resource = top["resources"]["items"]
    operation = resource["properties"]["operations"]["items"]
    found = {
        "": _keys(schema),
        "node": _keys(top["node"]),
        "credential": _keys(top["credential"]),
        "credential.fields": _keys(top["credential"]["properties"]["fields"]["items"]),
        "bases": _keys(top["bases"]["items"]),
        "bases.auth": _keys(top["bases"]["items"]["properties"]["auth"]),
        "settings": _keys(top["settings"]["items"]),
        "resources": _keys(resource),
        "operations": _keys(operation),
        "request": _keys(operation["properties"]["request"]),
        "output": _keys(operation["properties"]["output"]),
        "param": _keys(schema["$defs"]["param"]) | _keys(schema["$defs"]["sub_option"]),
    }
    assert {k: sorted(v) for k, v in found.items()} == {k: sorted(v) for k, v in WATCHED.items()}, (
        "the spec format changed: give the new key a rule in generator/breaking.py and docs/breaking.md"
    )
