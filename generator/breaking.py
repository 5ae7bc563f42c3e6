"""`nodegen breaking OLD NEW`: what a spec change means to the people who import the package.

Both specs go through the usual loader and validation. The two `Node` descriptions are compared
entity by entity (resources, operations, parameters, credential fields, bases and settings are
matched by their spec name), and every difference becomes a `Change`: a stable rule id from
RULES (which fixes its severity), a message, and a position in NEW (in OLD for removals). The
rules are documented in docs/breaking.md; each check below has one job.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import naming
from generator.diagnostics import Diagnostic, SpecError
from generator.located import Located
from generator.runtime.descriptors import Field, Node, Operation, Option

SEVERITIES = ("INFO", "WARN", "ERR")
BUMPS = ("none", "patch", "minor", "major")
EXIT_OK, EXIT_FOUND, EXIT_ERROR = 0, 1, 2
SpecPath = tuple[Any, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    bump: str  # the version bump a change of this kind needs on its own
    summary: str


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("resource-removed", "ERR", "major", "a resource was removed"),
        Rule("operation-removed", "ERR", "major", "an operation was removed"),
        Rule("param-removed", "ERR", "major", "a parameter was removed"),
        Rule("param-made-required", "ERR", "major", "an optional parameter became required"),
        Rule("param-added-required", "ERR", "major", "a new parameter is required"),
        Rule("param-type-changed", "ERR", "major", "a parameter's type (or n8n storage shape) changed"),
        Rule("param-moved", "ERR", "major", "a parameter moved into, out of or between collections"),
        Rule("bounds-narrowed", "ERR", "major", "a value that was accepted may now be rejected"),
        Rule("option-removed", "ERR", "major", "an option value was removed"),
        Rule("credential-removed", "ERR", "major", "a credential field was removed"),
        Rule("auth-changed", "ERR", "major", "a base's auth scheme, or the credential fields it reads, changed"),
        Rule("output-changed", "ERR", "major", "the shape of an operation's output changed"),
        Rule("public-name-changed", "ERR", "major", "a generated public name changed"),
        Rule("default-changed", "WARN", "minor", "a default value changed"),
        Rule("option-added-to-output", "WARN", "minor", "an option value that can be echoed in output was added"),
        Rule("routing-changed", "WARN", "minor", "where or how a request or a parameter is sent changed"),
        Rule("conditions-changed", "WARN", "minor", "when a parameter applies (show/hide) changed"),
        Rule("behaviour-changed", "WARN", "minor", "retries, pacing or execution settings changed"),
        Rule("credential-changed", "WARN", "minor", "a credential field's type, secrecy or required flag changed"),
        Rule("version-bump-too-small", "WARN", "none", "NEW's version is not bumped enough for its changes"),
        Rule("resource-added", "INFO", "minor", "a resource was added"),
        Rule("operation-added", "INFO", "minor", "an operation was added"),
        Rule("param-added-optional", "INFO", "minor", "an optional parameter was added"),
        Rule("param-made-optional", "INFO", "minor", "a required parameter became optional"),
        Rule("option-added", "INFO", "minor", "an option value was added"),
        Rule("credential-added", "INFO", "minor", "a credential field was added"),
        Rule("base-added", "INFO", "minor", "a base API was added"),
        Rule("bounds-widened", "INFO", "minor", "more values are accepted"),
        Rule("docs-changed", "INFO", "patch", "documentation text changed"),
    )
}


@dataclass(frozen=True, order=True)
class Change:
    file: str
    line: int
    col: int
    rule: str
    message: str

    @property
    def severity(self) -> str:
        return RULES[self.rule].severity

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.severity} {self.rule}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "rule": self.rule,
            "message": self.message,
        }


# ---- the two sides ----


@dataclass
class Spec:
    """One validated spec: its raw data (for positions and doc-only keys) and its `Node`."""

    doc: Located
    node: Node
    paths: dict[tuple[str, ...], SpecPath]  # ("param", resource, operation, name) -> raw path

    @property
    def label(self) -> str:
        return self.doc.file

    def where(self, path: SpecPath) -> tuple[int, int]:
        return self.doc.where(path)

    def raw(self, path: SpecPath) -> Any:
        value: Any = self.doc.data
        for part in path:
            value = value[part]
        return value


def index(data: Mapping[str, Any]) -> dict[tuple[str, ...], SpecPath]:
    """The raw path of every named entity of a spec."""
    paths: dict[tuple[str, ...], SpecPath] = {}
    for i, f in enumerate((data.get("credential") or {}).get("fields", [])):
        paths[("credential", f["name"])] = ("credential", "fields", i)
    for i, b in enumerate(data.get("bases", [])):
        paths[("base", b["name"])] = ("bases", i)
    for i, s in enumerate(data.get("settings", [])):
        paths[("setting", s["name"])] = ("settings", i)
    for i, r in enumerate(data["resources"]):
        paths[("resource", r["name"])] = ("resources", i)
        for j, op in enumerate(r["operations"]):
            op_path = ("resources", i, "operations", j)
            paths[("operation", r["name"], op["name"])] = op_path
            for k, p in enumerate(op["params"]):
                p_path = op_path + ("params", k)
                if p["type"] != "collection":
                    paths[("param", r["name"], op["name"], p["name"])] = p_path
                    continue
                paths[("collection", r["name"], op["name"], p["name"])] = p_path
                for m, sub in enumerate(p.get("options") or []):
                    paths[("param", r["name"], op["name"], sub["name"])] = p_path + ("options", m)
    return paths


def load_spec(label: str, raw: bytes) -> Spec:
    """The same loading and validation as `generate` (raises SpecError)."""
    from generator.build import build_node
    from generator.schema_check import check_structure
    from generator.yaml_source import load

    doc = load(label, raw)
    problems = check_structure(doc)
    if problems:
        raise SpecError(problems)
    return Spec(doc, build_node(doc), index(doc.data))


def empty_like(spec: Spec, label: str) -> Spec:
    """The OLD side of a spec that did not exist: same node metadata, nothing in it."""
    data = copy.deepcopy(spec.doc.data)
    data["resources"], data["bases"] = [], []
    if "credential" in data:
        data["credential"]["fields"] = []
    node = dataclasses.replace(spec.node, resources=(), credentials=(), bases=())
    return Spec(Located(label, data), node, index(data))


# ---- collecting changes ----


@dataclass(frozen=True)
class Pair:
    """One entity on both sides: `subject` names it in messages."""

    subject: str
    old: Any
    new: Any
    old_path: SpecPath
    new_path: SpecPath


class Diff:
    """The changes found so far, each placed in NEW (`at_new`, `changed`) or in OLD (`at_old`)."""

    def __init__(self, old: Spec, new: Spec) -> None:
        self.old, self.new = old, new
        self.changes: list[Change] = []

    def _add(self, side: Spec, rule: str, path: SpecPath, message: str) -> None:
        line, col = side.where(path)
        self.changes.append(Change(side.label, line, col, rule, message))

    def at_new(self, rule: str, path: SpecPath, message: str) -> None:
        self._add(self.new, rule, path, message)

    def at_old(self, rule: str, path: SpecPath, message: str) -> None:
        self._add(self.old, rule, path, message)

    def changed(self, rule: str, pair: Pair, sub: SpecPath, message: str) -> None:
        self.at_new(rule, pair.new_path + sub, f"{pair.subject}: {message}")

    def raw_pair(self, pair: Pair) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        return self.old.raw(pair.old_path), self.new.raw(pair.new_path)


def show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr)


def same(a: Any, b: Any) -> bool:
    """Equal with types: `1`, `1.0` and `true` differ, as they do on the wire."""
    return show(a) == show(b)


def membership(
    d: Diff, old: Iterable[Any], new: Iterable[Any], key: str, label: str, rules: tuple[str, str]
) -> list[tuple[Any, Any]]:
    """Report the named entities removed (at OLD) and added (at NEW); return the kept pairs."""
    removed, added, kept = match(old, new)
    for x in removed:
        d.at_old(rules[0], d.old.paths[(key, x.name)], f"{label} {x.name!r} removed")
    for x in added:
        d.at_new(rules[1], d.new.paths[(key, x.name)], f"{label} {x.name!r} added")
    return kept


def match(old: Iterable[Any], new: Iterable[Any]) -> tuple[list[Any], list[Any], list[tuple[Any, Any]]]:
    """(removed, added, kept pairs) of two lists of named entities, in spec order."""
    old_by = {x.name: x for x in old}
    new_by = {x.name: x for x in new}
    removed = [x for name, x in old_by.items() if name not in new_by]
    added = [x for name, x in new_by.items() if name not in old_by]
    return removed, added, [(x, new_by[name]) for name, x in old_by.items() if name in new_by]


def compare_keys(d: Diff, rule: str, pair: Pair, keys: Iterable[tuple[str, str]], what: str = "") -> None:
    """One `rule` change per descriptor attribute that differs; `keys` are (attribute, spec key)."""
    for attr, key in keys:
        before, after = getattr(pair.old, attr), getattr(pair.new, attr)
        if not same(before, after):
            d.changed(rule, pair, (key,), f"{what}{key} changed from {show(before)} to {show(after)}")


def compare_raw(d: Diff, rule: str, pair: Pair, within: SpecPath, keys: Iterable[str], what: str = "") -> None:
    """Like compare_keys, on the spec's own values (for keys the descriptors flatten or lack)."""
    old_raw, new_raw = d.old.raw(pair.old_path + within), d.new.raw(pair.new_path + within)
    for key in keys:
        before, after = old_raw.get(key), new_raw.get(key)
        if not same(before, after):
            d.changed(rule, pair, within + (key,), f"{what}{key} changed from {show(before)} to {show(after)}")


def compare_docs(d: Diff, pair: Pair, keys: Iterable[str]) -> None:
    old_raw, new_raw = d.raw_pair(pair)
    for key in keys:
        if not same(old_raw.get(key), new_raw.get(key)):
            d.changed("docs-changed", pair, (key,), f"{key} changed")


def compare_names(d: Diff, pair: Pair, names: Callable[[Any], dict[str, str]], sub: SpecPath) -> None:
    before, after = names(pair.old), names(pair.new)
    moved = [f"{kind} {before[kind]} -> {after[kind]}" for kind in before if before[kind] != after[kind]]
    if moved:
        d.changed("public-name-changed", pair, sub, ", ".join(moved))


def compare_options(d: Diff, pair: Pair, before: tuple[Option, ...], after: tuple[Option, ...], echoed: bool) -> None:
    old_by = {show(o.value): (i, o) for i, o in enumerate(before)}
    new_by = {show(o.value): (i, o) for i, o in enumerate(after)}
    for key, (i, _) in old_by.items():
        if key not in new_by:
            d.at_old("option-removed", pair.old_path + ("options", i), f"{pair.subject}: option {key} removed")
    for key, (i, option) in new_by.items():
        if key not in old_by:
            rule = "option-added-to-output" if echoed else "option-added"
            note = " (it can appear in the output)" if echoed else ""
            d.at_new(rule, pair.new_path + ("options", i), f"{pair.subject}: option {key} added{note}")
            continue
        old = old_by[key][1]
        for attr in ("label", "description"):
            if getattr(old, attr) != getattr(option, attr):
                d.at_new(
                    "docs-changed", pair.new_path + ("options", i, attr), f"{pair.subject}: option {key} {attr} changed"
                )


# Bounds: (attribute and spec key, LOWER if raising it narrows what is accepted, UPPER if lowering it does).
LOWER, UPPER = "lower", "upper"
FIELD_BOUNDS = (
    ("minimum", LOWER),
    ("maximum", UPPER),
    ("min_length", LOWER),
    ("max_length", UPPER),
    ("max_bytes", UPPER),
    ("min_items", LOWER),
    ("max_items", UPPER),
    ("item_max_bytes", UPPER),
)


def compare_bound(d: Diff, pair: Pair, key: str, kind: str, before: Any, after: Any, sub: SpecPath) -> None:
    if before == after:
        return
    if before is None:
        rule, text = "bounds-narrowed", f"{key} {show(after)} added"
    elif after is None:
        rule, text = "bounds-widened", f"{key} {show(before)} removed"
    else:
        raised = after > before
        narrowed = raised if kind == LOWER else not raised
        rule = "bounds-narrowed" if narrowed else "bounds-widened"
        text = f"{key} {'raised' if raised else 'lowered'} from {show(before)} to {show(after)}"
    d.changed(rule, pair, sub, text)


# ---- node ----


def node_names(d: Diff) -> None:
    pair = Pair(f"node {d.new.node.name!r}", d.old.node, d.new.node, ("node",), ("node",))
    compare_names(d, pair, lambda n: {"package": f"generated.{n.name}"}, ("name",))


def node_docs(d: Diff) -> None:
    pair = Pair("node", None, None, ("node",), ("node",))
    compare_docs(d, pair, ("display_name", "description", "n8n_type", "n8n_version", "group", "subtitle"))
    old_cred, new_cred = d.old.doc.data.get("credential") or {}, d.new.doc.data.get("credential") or {}
    for key in ("name", "display_name"):
        if old_cred.get(key) != new_cred.get(key):
            d.at_new("docs-changed", ("credential", key), f"credential {key} changed")
    old_dev, new_dev = d.old.doc.data.get("deviations", []), d.new.doc.data.get("deviations", [])
    if not same(old_dev, new_dev):
        first = next(
            (i for i, (a, b) in enumerate(zip(old_dev, new_dev)) if not same(a, b)), min(len(old_dev), len(new_dev))
        )
        d.at_new("docs-changed", ("deviations", first), "deviations changed")


def node_headers(d: Diff) -> None:
    before, after = d.old.node.headers, d.new.node.headers
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            d.at_new(
                "routing-changed",
                ("headers", name),
                f"header {name}: {show(before.get(name))} -> {show(after.get(name))}",
            )


def node_defaults(d: Diff) -> None:
    before, after = d.old.node.default_resource, d.new.node.default_resource
    if before != after and d.old.node.resources:
        d.at_new("default-changed", ("default_resource",), f"default_resource changed from {before!r} to {after!r}")


def settings(d: Diff) -> None:
    kept = membership(d, d.old.node.settings, d.new.node.settings, "setting", "setting", ("behaviour-changed", "behaviour-changed"))
    for old, new in kept:
        pair = Pair(
            f"setting {new.name!r}", old, new, d.old.paths[("setting", old.name)], d.new.paths[("setting", new.name)]
        )
        compare_keys(
            d,
            "behaviour-changed",
            pair,
            (("type", "type"), ("default", "default"), ("minimum", "minimum"), ("maximum", "maximum")),
        )
        if [show(o.value) for o in old.options] != [show(o.value) for o in new.options]:
            d.changed("behaviour-changed", pair, ("options",), "options changed")
        compare_docs(d, pair, ("display_name", "description"))


# ---- credential fields ----


def credential_names(c: Any) -> dict[str, str]:
    return {"environment variable": c.env, "client keyword": naming.python_name(c.name)}


def credentials(d: Diff) -> None:
    kept = membership(d, d.old.node.credentials, d.new.node.credentials, "credential", "credential field", ("credential-removed", "credential-added"))
    for old, new in kept:
        key = ("credential", new.name)
        pair = Pair(f"credential field {new.name!r}", old, new, d.old.paths[key], d.new.paths[key])
        compare_names(d, pair, credential_names, ("name",))
        compare_raw(d, "credential-changed", pair, (), ("type",))
        compare_keys(d, "credential-changed", pair, (("secret", "secret"), ("required", "required")))
        compare_keys(d, "default-changed", pair, (("default", "default"),))
        compare_options(d, pair, old.options, new.options, echoed=False)
        compare_docs(d, pair, ("display_name", "description"))


# ---- bases ----

AUTH_CREDENTIAL_KEYS = ("username", "password", "token", "value")


def bases(d: Diff) -> None:
    kept = membership(d, d.old.node.bases, d.new.node.bases, "base", "base", ("routing-changed", "base-added"))
    for old, new in kept:
        key = ("base", new.name)
        pair = Pair(f"base {new.name!r}", old, new, d.old.paths[key], d.new.paths[key])
        base_auth(d, pair)
        compare_keys(d, "routing-changed", pair, (("url", "url"),))
        compare_raw(d, "routing-changed", pair, (), ("url_by_credential",))
        compare_keys(d, "behaviour-changed", pair, (("rate_limit", "rate_limit"),))
        compare_docs(d, pair, ("description",))


def base_auth(d: Diff, pair: Pair) -> None:
    before, after = pair.old.auth, pair.new.auth
    if before.scheme != after.scheme:
        d.changed(
            "auth-changed", pair, ("auth", "scheme"), f"auth scheme changed from {before.scheme} to {after.scheme}"
        )
        return
    auth = Pair(pair.subject, before, after, pair.old_path, pair.new_path + ("auth",))
    compare_keys(d, "auth-changed", auth, ((k, k) for k in AUTH_CREDENTIAL_KEYS), "auth ")
    compare_keys(d, "routing-changed", auth, (("name", "name"),), "auth ")


# ---- resources and operations ----


def resource_names(r: Any) -> dict[str, str]:
    return {
        "client attribute": naming.member_name(r.name),
        "class": naming.pascal(r.name) + "Resource",
        "CLI group": r.name,
    }


def operation_names(op: Operation) -> dict[str, str]:
    return {
        "client method": naming.member_name(op.name),
        "function": naming.function_name(op.resource, op.name),
        "model": op.model,
        "CLI command": op.name,
    }


def resources(d: Diff) -> None:
    kept = membership(d, d.old.node.resources, d.new.node.resources, "resource", "resource", ("resource-removed", "resource-added"))
    for old, new in kept:
        key = ("resource", new.name)
        pair = Pair(f"resource {new.name!r}", old, new, d.old.paths[key], d.new.paths[key])
        compare_names(d, pair, resource_names, ("name",))
        compare_keys(d, "default-changed", pair, (("default_operation", "default_operation"),))
        compare_docs(d, pair, ("display_name", "description"))
        operations(d, old, new)


def operations(d: Diff, old_resource: Any, new_resource: Any) -> None:
    removed, added, kept = match(old_resource.operations, new_resource.operations)
    for op in removed:
        d.at_old(
            "operation-removed",
            d.old.paths[("operation", op.resource, op.name)],
            f"operation {op.qualified_name} removed",
        )
    for op in added:
        d.at_new(
            "operation-added", d.new.paths[("operation", op.resource, op.name)], f"operation {op.qualified_name} added"
        )
    for old, new in kept:
        key = ("operation", new.resource, new.name)
        pair = Pair(new.qualified_name, old, new, d.old.paths[key], d.new.paths[key])
        for check in OPERATION_CHECKS:
            check(d, pair)
        parameters(d, pair)


def operation_names_check(d: Diff, pair: Pair) -> None:
    compare_names(d, pair, operation_names, ("name",))


def operation_routing(d: Diff, pair: Pair) -> None:
    request = Pair(pair.subject, pair.old, pair.new, pair.old_path, pair.new_path + ("request",))
    compare_keys(d, "routing-changed", request, (("method", "method"), ("path", "path"), ("base", "base")), "request ")
    compare_raw(d, "routing-changed", pair, ("request",), ("body", "dedup_key", "pagination"), "request ")


def operation_behaviour(d: Diff, pair: Pair) -> None:
    request = Pair(pair.subject, pair.old, pair.new, pair.old_path, pair.new_path + ("request",))
    compare_keys(d, "behaviour-changed", request, (("idempotent", "idempotent"),), "request ")


def operation_checks(d: Diff, pair: Pair) -> None:
    """`request.checks` are bounds on the final body."""
    old_by = {(c.param, c.key): (i, c) for i, c in enumerate(pair.old.checks)}
    new_by = {(c.param, c.key): (i, c) for i, c in enumerate(pair.new.checks)}
    for key, (i, old) in old_by.items():
        if key not in new_by:
            d.at_old(
                "bounds-widened",
                pair.old_path + ("request", "checks", i),
                f"{pair.subject}: check on {old.key!r} removed",
            )
            continue
        j, new = new_by[key]
        check = Pair(
            f"{pair.subject}: check on {new.key!r}", old, new, pair.old_path, pair.new_path + ("request", "checks", j)
        )
        for attr, kind in (("min_bytes", LOWER), ("max_bytes", UPPER)):
            compare_bound(d, check, attr, kind, getattr(old, attr), getattr(new, attr), (attr,))
    for key, (j, new) in new_by.items():
        if key not in old_by:
            d.changed("bounds-narrowed", pair, ("request", "checks", j), f"check on {new.key!r} added")


OUTPUT_KEYS = (("source", "from"), ("select", "select"), ("split", "split"), ("value", "value"), ("prepend", "prepend"))


def operation_output(d: Diff, pair: Pair) -> None:
    before, after = pair.old.output, pair.new.output
    diffs = [
        (key, getattr(before, attr), getattr(after, attr))
        for attr, key in OUTPUT_KEYS
        if not same(getattr(before, attr), getattr(after, attr))
    ]
    if diffs:
        text = ", ".join(f"{key} {show(a)} -> {show(b)}" for key, a, b in diffs)
        d.changed("output-changed", pair, ("output", diffs[0][0]), f"output changed: {text}")


def operation_docs(d: Diff, pair: Pair) -> None:
    compare_docs(d, pair, ("display_name", "description"))


OPERATION_CHECKS: tuple[Callable[[Diff, Pair], None], ...] = (
    operation_names_check,
    operation_routing,
    operation_behaviour,
    operation_checks,
    operation_output,
    operation_docs,
)


# ---- parameters ----


def parameters(d: Diff, op_pair: Pair) -> None:
    old_op, new_op = op_pair.old, op_pair.new
    r, o = new_op.resource, new_op.name
    removed, added, kept = match(old_op.fields, new_op.fields)
    for f in removed:
        d.at_old(
            "param-removed", d.old.paths[("param", r, o, f.name)], f"{op_pair.subject}: parameter {f.name!r} removed"
        )
    for f in added:
        required = "param-added-required" if f.required else "param-added-optional"
        kind = "required" if f.required else "optional"
        d.at_new(
            required, d.new.paths[("param", r, o, f.name)], f"{op_pair.subject}: {kind} parameter {f.name!r} added"
        )
    for old, new in kept:
        pair = Pair(
            f"{op_pair.subject}: parameter {new.name!r}",
            old,
            new,
            d.old.paths[("param", r, o, old.name)],
            d.new.paths[("param", r, o, new.name)],
        )
        for check in PARAM_CHECKS:
            check(d, pair, new_op)
    _, _, collections = match(old_op.collections, new_op.collections)
    for old, new in collections:
        key = ("collection", r, o, new.name)
        pair = Pair(f"{op_pair.subject}: collection {new.name!r}", old, new, d.old.paths[key], d.new.paths[key])
        param_conditions(d, pair, new_op)
        compare_docs(d, pair, ("display_name", "description", "placeholder"))


def field_names(f: Field) -> dict[str, str]:
    return {"Python name": f.python_name, "CLI flag": f.cli_flag}


def param_names(d: Diff, pair: Pair, op: Operation) -> None:
    compare_names(d, pair, field_names, ("python_name",))


def param_moved(d: Diff, pair: Pair, op: Operation) -> None:
    def place(parent: str | None) -> str:
        return f"collection {parent!r}" if parent else "the top level"

    if pair.old.parent != pair.new.parent:
        d.changed("param-moved", pair, ("name",), f"moved from {place(pair.old.parent)} to {place(pair.new.parent)}")


def param_type(d: Diff, pair: Pair, op: Operation) -> None:
    compare_keys(d, "param-type-changed", pair, (("type", "type"),))
    if pair.new.type == pair.old.type == "fixedCollection":
        keys = (("group", "group"), ("mapping_key", "mapping"), ("mapping_value", "mapping"), ("multiple", "multiple"))
        compare_keys(d, "param-type-changed", pair, keys, "n8n storage ")


def param_required(d: Diff, pair: Pair, op: Operation) -> None:
    if not pair.old.required and pair.new.required:
        d.changed("param-made-required", pair, ("required",), "now required")
    elif pair.old.required and not pair.new.required:
        d.changed("param-made-optional", pair, ("required",), "now optional")


def param_default(d: Diff, pair: Pair, op: Operation) -> None:
    before = show(pair.old.default) if pair.old.has_default else "(none)"
    after = show(pair.new.default) if pair.new.has_default else "(none)"
    if before != after:
        d.changed("default-changed", pair, ("default",), f"default changed from {before} to {after}")


def param_bounds(d: Diff, pair: Pair, op: Operation) -> None:
    for attr, kind in FIELD_BOUNDS:
        compare_bound(d, pair, attr, kind, getattr(pair.old, attr), getattr(pair.new, attr), (attr,))
    before, after = pair.old.format, pair.new.format
    if before != after:
        rule = "bounds-widened" if after is None else "bounds-narrowed"
        d.changed(rule, pair, ("format",), f"format changed from {show(before)} to {show(after)}")
    old_keys, new_keys = set(pair.old.allowed_keys), set(pair.new.allowed_keys)
    if old_keys != new_keys:
        narrowed = bool(new_keys) and (not old_keys or bool(old_keys - new_keys))
        rule = "bounds-narrowed" if narrowed else "bounds-widened"
        text = f"allowed_keys changed from {show(sorted(old_keys) or None)} to {show(sorted(new_keys) or None)}"
        d.changed(rule, pair, ("allowed_keys",), text)


def param_options(d: Diff, pair: Pair, op: Operation) -> None:
    if pair.old.type != pair.new.type:
        return  # param-type-changed says it all
    prepended = pair.new.name in op.output.prepend.values()
    echoed = op.output.source == "request_body" and (pair.new.location == "body" or prepended)
    compare_options(d, pair, pair.old.options, pair.new.options, echoed)


PARAM_ROUTING = (
    ("location", "in"),
    ("key", "key"),
    ("spread", "spread"),
    ("transform", "transform"),
    ("value_map", "value_map"),
    ("omit_if", "omit_if"),
)


def param_routing(d: Diff, pair: Pair, op: Operation) -> None:
    compare_keys(d, "routing-changed", pair, PARAM_ROUTING)


def param_conditions(d: Diff, pair: Pair, op: Operation) -> None:
    compare_keys(d, "conditions-changed", pair, (("show", "show"), ("hide", "hide")))


def param_docs(d: Diff, pair: Pair, op: Operation) -> None:
    compare_docs(d, pair, ("display_name", "description", "placeholder", "example", "group_display_name"))


PARAM_CHECKS: tuple[Callable[[Diff, Pair, Operation], None], ...] = (
    param_names,
    param_moved,
    param_type,
    param_required,
    param_default,
    param_bounds,
    param_options,
    param_routing,
    param_conditions,
    param_docs,
)

NODE_CHECKS: tuple[Callable[[Diff], None], ...] = (
    node_names,
    node_docs,
    node_headers,
    node_defaults,
    settings,
    credentials,
    bases,
    resources,
)


def compare(old: Spec, new: Spec) -> list[Change]:
    d = Diff(old, new)
    for check in NODE_CHECKS:
        check(d)
    return sorted(set(d.changes))


# ---- version bump ----


@dataclass(frozen=True)
class Bump:
    file: str
    bump: str
    old_version: str | None  # None: the spec is new
    suggested: str
    declared: str

    @property
    def enough(self) -> bool:
        return self.old_version is None or _parts(self.declared) >= _parts(self.suggested)

    def text(self, prefix: str = "") -> str:
        if self.old_version is None:
            return f"{prefix}suggested version bump: none (new spec at {self.declared})"
        line = f"{prefix}suggested version bump: {self.bump} ({self.old_version} -> {self.suggested})"
        if self.declared == self.old_version and self.bump == "none":
            return line
        verdict = "is bumped enough" if self.enough else "is too small"
        return f"{line}; the new version {self.declared} {verdict}"

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "bump": self.bump,
            "old_version": self.old_version,
            "suggested_version": self.suggested,
            "new_version": self.declared,
            "enough": self.enough,
        }


def _parts(version: str) -> tuple[int, int, int]:
    major, minor, patch = (int(p) for p in version.split("."))
    return major, minor, patch


def bumped(version: str, bump: str) -> str:
    major, minor, patch = _parts(version)
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    if bump == "patch":
        return f"{major}.{minor}.{patch + 1}"
    return version


def version_check(old: Spec | None, new: Spec, changes: list[Change]) -> tuple[Bump, list[Change]]:
    """The suggested bump, plus a `version-bump-too-small` change when NEW declares too little."""
    declared = new.node.version
    if old is None:
        return Bump(new.label, "none", None, declared, declared), []
    level = max((BUMPS.index(RULES[c.rule].bump) for c in changes), default=0)
    bump = Bump(new.label, BUMPS[level], old.node.version, bumped(old.node.version, BUMPS[level]), declared)
    if bump.enough:
        return bump, []
    line, col = new.where(("node", "version"))
    if bump.bump == "none":
        message = f"version {declared} is lower than {bump.old_version}"
    else:
        message = f"version {declared} is too small: the changes need a {bump.bump} bump ({bump.old_version} -> {bump.suggested})"
    return bump, [Change(new.label, line, col, "version-bump-too-small", message)]


# ---- the command ----


class UsageError(Exception):
    pass


def _read(path: Path, label: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SpecError([Diagnostic(label, 1, 1, f"cannot read spec: {exc.strerror}")]) from None


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, check=False)
    except OSError as exc:
        raise UsageError(f"cannot run git: {exc.strerror}") from None


def committed(path: Path, ref: str) -> bytes | None:
    """The spec's content at `ref` in its own repository, or None if it did not exist there."""
    folder = path.resolve().parent
    if _git(folder, "rev-parse", "--git-dir").returncode != 0:
        raise UsageError(f"{folder} is not in a git repository")
    if _git(folder, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise UsageError(f"unknown git ref {ref!r} (in {folder})")
    spec = f"{ref}:./{path.name}"
    if _git(folder, "cat-file", "-e", spec).returncode != 0:
        return None
    shown = _git(folder, "show", spec)
    if shown.returncode != 0:
        raise UsageError(shown.stderr.decode(errors="replace").strip())
    return shown.stdout


def comparisons(args: argparse.Namespace) -> list[tuple[Spec | None, Spec]]:
    from generator import project

    root: Path = args.root
    if args.against is None:
        if len(args.specs) != 2:
            raise UsageError("breaking needs OLD and NEW spec paths (or --against GIT_REF [SPEC ...])")
        pairs = [(args.specs[0], args.specs[1])]
    else:
        specs = list(args.specs) or project.discover(root)
        if not specs:
            raise UsageError(f"no spec files in {root / 'spec'}")
        pairs = [(None, path) for path in specs]
    problems: list[Diagnostic] = []
    result: list[tuple[Spec | None, Spec]] = []
    for old_path, new_path in pairs:
        new_label = project.label(new_path, root)
        try:
            new = load_spec(new_label, _read(new_path, new_label))
        except SpecError as exc:
            problems.extend(exc.diagnostics)
            new = None
            if old_path is None:
                continue
        try:
            if old_path is not None:
                old_label = project.label(old_path, root)
                old_raw: bytes | None = _read(old_path, old_label)
            else:
                old_label = f"{args.against}:{new_label}"
                old_raw = committed(new_path, args.against)
            old = load_spec(old_label, old_raw) if old_raw is not None else None
        except SpecError as exc:
            problems.extend(exc.diagnostics)
            continue
        if new is not None:
            result.append((old, new))
    if problems:
        raise SpecError(problems)
    return result


def run(args: argparse.Namespace) -> int:
    try:
        work = comparisons(args)
    except UsageError as exc:
        print(f"nodegen: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except SpecError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        count = len(exc.diagnostics)
        print(f"nodegen: {count} problem{'s' if count != 1 else ''}; nothing was compared", file=sys.stderr)
        return EXIT_ERROR
    changes: list[Change] = []
    bumps: list[Bump] = []
    for old, new in work:
        found = compare(old if old is not None else empty_like(new, new.label), new)
        bump, extra = version_check(old, new, found)
        changes += found + extra
        bumps.append(bump)
    changes.sort()
    if args.format == "json":
        print(
            json.dumps({"changes": [c.as_json() for c in changes], "versions": [b.as_json() for b in bumps]}, indent=2)
        )
    else:
        for change in changes:
            print(change)
        for bump in bumps:
            print(bump.text(f"{bump.file}: " if len(bumps) > 1 else ""))
    threshold = SEVERITIES.index(args.fail_on)
    return EXIT_FOUND if any(SEVERITIES.index(c.severity) >= threshold for c in changes) else EXIT_OK
