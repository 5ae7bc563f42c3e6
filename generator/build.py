"""Validated spec data -> the frozen Node description, plus the semantic checks.

The structure was checked against the JSON Schema already; here we check what a schema can't
(unique names, path placeholders, display conditions, defaults, Python name collisions), and
report every problem at once, each with its position in the spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from generator import naming
from generator.diagnostics import Diagnostic, SpecError
from generator.located import Located
from generator.runtime.descriptors import (
    Auth,
    Base,
    BodyConstant,
    Check,
    Collection,
    CredentialField,
    Field,
    Node,
    Operation,
    Option,
    Output,
    Pagination,
    Resource,
    Setting,
)

# Who took a name first: where (None for the generated code's own names) and how to call it.
Claim = tuple[tuple[Any, ...] | None, str]

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class _Builder:
    def __init__(self, doc: Located) -> None:
        self.doc = doc
        self.problems: list[Diagnostic] = []

    def fail(self, path: tuple[Any, ...], message: str, *, key: bool = False) -> None:
        self.problems.append(self.doc.diag(path, message, key=key))

    def unique(self, entries: list[dict[str, Any]], path: tuple[Any, ...], what: str) -> None:
        seen: dict[str, int] = {}
        for i, entry in enumerate(entries):
            name = entry["name"]
            if name in seen:
                line, col = self.doc.where(path + (seen[name], "name"))
                self.fail(path + (i, "name"), f"duplicate {what} name {name!r} (first defined at line {line}, column {col})")
            else:
                seen[name] = i

    # ---- node ----

    def node(self) -> Node:
        data = self.doc.data
        meta = data["node"]
        credential = data.get("credential") or {"name": "", "fields": []}
        prefix = meta.get("env_prefix") or meta["name"].upper()
        if naming.is_keyword(meta["name"]):
            self.fail(
                ("node", "name"),
                f"node name {meta['name']!r} is a Python keyword, so `generated.{meta['name']}` could not be imported; choose another name",
            )
        self.unique(credential["fields"], ("credential", "fields"), "credential field")
        self.credential_fields(credential["fields"], prefix)
        creds = tuple(
            CredentialField(
                name=f["name"],
                display_name=f.get("display_name", f["name"]),
                env=naming.env_var(prefix, f["name"]),
                flag=naming.cli_name(f["name"]),
                secret=f.get("secret", False),
                required=f.get("required", False),
                default=f.get("default", ""),
                options=self.options(f.get("options", [])),
                description=f.get("description", ""),
            )
            for f in credential["fields"]
        )
        cred_names = {f.name for f in creds}
        bases = tuple(self.base(i, b, cred_names) for i, b in enumerate(data.get("bases", [])))
        self.unique(data.get("bases", []), ("bases",), "base")
        settings = tuple(self.setting(i, s) for i, s in enumerate(data.get("settings", [])))
        self.unique(data.get("settings", []), ("settings",), "setting")
        self.unique(data["resources"], ("resources",), "resource")
        base_names = {b.name for b in bases}
        resources = tuple(self.resource(i, r, base_names) for i, r in enumerate(data["resources"]))
        self.python_collisions(data["resources"], self.cli_own_flags(creds))
        default_resource = data.get("default_resource", data["resources"][0]["name"])
        if default_resource not in {r.name for r in resources}:
            self.fail(("default_resource",), f"default_resource {default_resource!r} is not a resource")
        return Node(
            name=meta["name"],
            display_name=meta["display_name"],
            description=meta.get("description", ""),
            version=meta["version"],
            credential_name=credential["name"],
            credentials=creds,
            bases=bases,
            headers=dict(data.get("headers", {})),
            settings=settings,
            default_resource=default_resource,
            resources=resources,
        )

    def credential_fields(self, fields: list[dict[str, Any]], prefix: str) -> None:
        envs: dict[str, int] = {}
        for i, f in enumerate(fields):
            path = ("credential", "fields", i)
            if f["type"] == "options" and not f.get("options"):
                self.fail(path + ("type",), "an options credential field needs a non-empty `options` list")
            values = [o["value"] for o in f.get("options", [])]
            if values and f.get("default", "") != "" and f["default"] not in values:
                shown = ", ".join(repr(v) for v in sorted(values, key=str))
                self.fail(path + ("default",), f"default {f['default']!r} is not among the options ({shown})")
            python = naming.python_name(f["name"])
            if python.startswith("__") and not python.endswith("__"):
                self.fail(path + ("name",), f"credential field {f['name']!r} becomes the Python name {python!r}, which Python mangles inside a class (Client could not take it); choose another name")
            env = naming.env_var(prefix, f["name"])
            first = envs.setdefault(env, i)
            if first != i and fields[first]["name"] != f["name"]:
                line, col = self.doc.where(("credential", "fields", first, "name"))
                self.fail(
                    path + ("name",),
                    f"credential fields {f['name']!r} and {fields[first]['name']!r} (line {line}, column {col}) "
                    f"both become the environment variable {env!r}",
                )

    def options(self, raw: list[dict[str, Any]]) -> tuple[Option, ...]:
        return tuple(Option(o["value"], o["label"], o.get("description", "")) for o in raw)

    def base(self, i: int, raw: dict[str, Any], cred_names: set[str]) -> Base:
        path = ("bases", i)
        for name in PLACEHOLDER.findall(raw["url"]):
            if name not in cred_names:
                self.fail(path + ("url",), f"url placeholder {{{name}}} is not a credential field")
        auth_raw = raw.get("auth", {"scheme": "none"})
        for key in ("username", "password", "token", "value"):
            if key in auth_raw and auth_raw[key] not in cred_names:
                self.fail(path + ("auth", key), f"auth {key} {auth_raw[key]!r} is not a credential field")
        by = raw.get("url_by_credential")
        if by and by["field"] not in cred_names:
            self.fail(path + ("url_by_credential", "field"), f"{by['field']!r} is not a credential field")
        return Base(
            name=raw["name"],
            url=raw["url"],
            auth=Auth(**auth_raw),
            url_field=by["field"] if by else None,
            urls=dict(by["urls"]) if by else {},
            rate_limit=raw.get("rate_limit"),
            description=raw.get("description", ""),
        )

    def setting(self, i: int, raw: dict[str, Any]) -> Setting:
        setting = Setting(
            name=raw["name"],
            type=raw["type"],
            default=raw["default"],
            minimum=raw.get("minimum"),
            maximum=raw.get("maximum"),
            options=self.options(raw.get("options", [])),
        )
        if setting.type == "options" and not setting.options:
            self.fail(("settings", i, "type"), "an options setting needs a non-empty `options` list")
        self.check_value(("settings", i), "default", setting.type, setting.default, raw, setting.options)
        return setting

    # ---- resources and operations ----

    def resource(self, i: int, raw: dict[str, Any], base_names: set[str]) -> Resource:
        path = ("resources", i)
        self.unique(raw["operations"], path + ("operations",), f"operation (in resource {raw['name']!r})")
        ops = tuple(self.operation(path + ("operations", j), raw["name"], op, base_names) for j, op in enumerate(raw["operations"]))
        default_op = raw.get("default_operation", raw["operations"][0]["name"])
        if default_op not in {op.name for op in ops}:
            self.fail(path + ("default_operation",), f"default_operation {default_op!r} is not an operation of {raw['name']!r}")
        return Resource(raw["name"], raw.get("display_name", raw["name"]), default_op, ops)

    def operation(self, path: tuple[Any, ...], resource: str, raw: dict[str, Any], base_names: set[str]) -> Operation:
        request = raw["request"]
        if request["base"] not in base_names:
            self.fail(path + ("request", "base"), f"base {request['base']!r} is not declared in bases")
        fields: list[Field] = []
        collections: list[Collection] = []
        field_paths: dict[str, tuple[Any, ...]] = {}
        self.unique(raw["params"], path + ("params",), "parameter")
        for i, param in enumerate(raw["params"]):
            ppath = path + ("params", i)
            if param["type"] == "collection":
                collections.append(Collection(param["name"], param.get("display_name", param["name"]), *self.conditions(param)))
                subs = param.get("options") or []
                self.unique(subs, ppath + ("options",), f"option (in {param['name']!r})")
                for j, sub in enumerate(subs):
                    spath = ppath + ("options", j)
                    self.register(field_paths, sub["name"], spath)
                    fields.append(self.field(spath, sub, parent=param["name"]))
            else:
                self.register(field_paths, param["name"], ppath)
                fields.append(self.field(ppath, param, parent=None))
        by_name = {f.name: f for f in fields}
        self.check_conditions(path, raw["params"], by_name)
        placeholders = PLACEHOLDER.findall(request["path"])
        for name in placeholders:
            if name not in by_name or by_name[name].location != "path":
                self.fail(path + ("request", "path"), f"path placeholder {{{name}}} is not bound to a parameter with `in: path`")
        for f in fields:
            if f.location == "path" and f.name not in placeholders:
                self.fail(field_paths[f.name] + ("in",), f"parameter {f.name!r} is sent in the path but {request['path']!r} has no {{{f.name}}}")
        checks = []
        for k, check in enumerate(request.get("checks", [])):
            if check["param"] not in by_name:
                self.fail(path + ("request", "checks", k, "param"), f"check names unknown parameter {check['param']!r}")
            checks.append(Check(check["param"], check["key"], check.get("min_bytes"), check.get("max_bytes")))
        output = raw["output"]
        for key, param in output.get("prepend", {}).items():
            if param not in by_name:
                self.fail(path + ("output", "prepend", key), f"output prepends unknown parameter {param!r}")
        body_constants = tuple(
            BodyConstant(c["key"], c["value"], *self.conditions(c)) for c in request.get("body", [])
        )
        for k, constant in enumerate(request.get("body", [])):
            self.check_condition_targets(path + ("request", "body", k), constant, by_name)
        dedup = request.get("dedup_key")
        pagination = self.pagination(path + ("request", "pagination"), request.get("pagination"), raw["output"], by_name)
        return Operation(
            resource=resource,
            name=raw["name"],
            display_name=raw.get("display_name", raw["name"]),
            description=raw.get("description", ""),
            method=request["method"],
            base=request["base"],
            path=request["path"],
            fields=tuple(fields),
            collections=tuple(collections),
            output=Output(
                source=output["from"],
                select=output.get("select"),
                split=output.get("split", False),
                value=dict(output.get("value", {})),
                prepend=dict(output.get("prepend", {})),
            ),
            body=body_constants,
            checks=tuple(checks),
            dedup_key=dedup["key"] if dedup else None,
            idempotent=request.get("idempotent", False),
            model=naming.model_name(resource, raw["name"]),
            pagination=pagination,
        )

    def pagination(
        self, path: tuple[Any, ...], raw: dict[str, Any] | None, output: dict[str, Any], by_name: dict[str, Field]
    ) -> Pagination | None:
        if raw is None:
            return None
        if not output.get("split"):
            self.fail(path, "pagination needs an output with `split: true` (the items of each page)")
        if raw["style"] == "cursor" and "next" not in raw:
            self.fail(path + ("style",), "cursor pagination needs `next`, the response path of the next cursor")
        for key, kind in (("return_all", "boolean"), ("limit", "integer")):
            name = raw.get(key)
            if name is not None and (name not in by_name or by_name[name].type != kind):
                self.fail(path + (key,), f"pagination {key} {name!r} must name a {kind} parameter of this operation")
        return Pagination(
            style=raw["style"],
            param=raw["param"],
            start=raw.get("start", 0),
            size_param=raw.get("size_param"),
            size=raw.get("size"),
            next=raw.get("next"),
            max_pages=raw.get("max_pages", 1000),
            return_all=raw.get("return_all"),
            limit=raw.get("limit"),
        )

    def register(self, seen: dict[str, tuple[Any, ...]], name: str, path: tuple[Any, ...]) -> None:
        if name in seen:
            line, col = self.doc.where(seen[name] + ("name",))
            self.fail(path + ("name",), f"parameter name {name!r} is already used at line {line}, column {col} (collection options share one namespace)")
        seen[name] = path

    def conditions(self, raw: dict[str, Any]) -> tuple[dict[str, tuple[Any, ...]], dict[str, tuple[Any, ...]]]:
        return (
            {k: tuple(v) for k, v in raw.get("show", {}).items()},
            {k: tuple(v) for k, v in raw.get("hide", {}).items()},
        )

    def field(self, path: tuple[Any, ...], raw: dict[str, Any], parent: str | None) -> Field:
        kind = raw["type"]
        show, hide = self.conditions(raw)
        options = self.options(raw.get("options", []) if kind == "options" else [])
        if kind == "options" and not options:
            self.fail(path + ("type",), "an options parameter needs a non-empty `options` list")
        if kind != "options" and raw.get("options"):
            self.fail(path + ("options",), f"`options` is only for options parameters, not {kind}")
        if kind == "fixedCollection" and "mapping" not in raw:
            self.fail(path + ("type",), "a fixedCollection needs `mapping: {key: ..., value: ...}` naming its key and value fields")
        location = raw.get("in", "none")
        explicit = raw.get("python_name")
        if explicit and naming.is_keyword(explicit):
            self.fail(path + ("python_name",), f"python_name {explicit!r} is a Python keyword; choose another name")
        elif explicit in naming.RESERVED:
            self.fail(path + ("python_name",), f"python_name {explicit!r} is a name the generated code uses itself; choose another name")
        elif explicit in naming.BUILTINS:
            self.fail(path + ("python_name",), f"python_name {explicit!r} would shadow the Python builtin {explicit!r}; choose another name, such as {explicit + '_'!r}")
        if raw.get("minimum") is not None and raw.get("maximum") is not None and raw["minimum"] > raw["maximum"]:
            self.fail(path + ("minimum",), f"minimum {raw['minimum']} is above the maximum {raw['maximum']}")
        if location == "path" and parent is not None:
            self.fail(
                path + ("in",),
                f"parameter {raw['name']!r} is sent in the path but is inside the collection {parent!r}, so it may be missing; "
                "make it a top-level parameter with `required: true`",
            )
        option_values = [o.value for o in options]
        first_equal: dict[Any, int] = {}
        for k, value in enumerate(option_values):
            j = first_equal.setdefault(value, k)  # 1 == 1.0 == True in Python, and so in the model
            if j != k and type(option_values[j]) is type(value):
                self.fail(path + ("options", k, "value"), f"duplicate option value {value!r} (option {j + 1} has it)")
            elif j != k:
                self.fail(path + ("options", k, "value"), f"option value {value!r} equals {option_values[j]!r} (option {j + 1}) in Python, so the model cannot tell them apart; use distinct values")
        for key in raw.get("value_map", {}):
            if kind == "options" and key not in option_values:
                self.fail(path + ("value_map", key), f"value_map renames {key!r}, which is not an option of {raw['name']!r}", key=True)
        if raw.get("spread") and kind not in ("json", "fixedCollection"):
            self.fail(path + ("spread",), "`spread` needs a json or fixedCollection parameter (an object to merge)")
        if raw.get("spread") and location not in ("body", "query"):
            self.fail(path + ("spread",), "`spread` needs `in: body` or `in: query`")
        if raw.get("transform") == "comma_list" and kind != "string":
            self.fail(path + ("transform",), "comma_list applies to string parameters")
        if raw.get("transform") == "unix_seconds" and kind not in ("dateTime", "string", "number", "integer"):
            self.fail(path + ("transform",), "unix_seconds applies to dateTime, string or number parameters")
        has_default = "default" in raw and kind not in ("collection",)
        default = raw.get("default")
        if has_default:
            self.check_value(path, "default", kind, default, raw, options)
        if raw.get("example") is not None:
            self.check_value(path, "example", kind, raw["example"], raw, options)
        return Field(
            name=raw["name"],
            python_name=raw.get("python_name") or naming.python_name(raw["name"]),
            display_name=raw.get("display_name", raw["name"]),
            type=kind,
            description=raw.get("description", ""),
            required=raw.get("required", False),
            default=default,
            has_default=has_default,
            options=options,
            minimum=raw.get("minimum"),
            maximum=raw.get("maximum"),
            min_length=raw.get("min_length"),
            max_length=raw.get("max_length"),
            max_bytes=raw.get("max_bytes"),
            min_items=raw.get("min_items"),
            max_items=raw.get("max_items"),
            item_max_bytes=raw.get("item_max_bytes"),
            format=raw.get("format"),
            location=location,
            key=raw.get("key", "" if raw.get("spread") else raw["name"]),
            spread=raw.get("spread", False),
            transform=raw.get("transform"),
            omit_if=tuple(raw.get("omit_if", ())),
            value_map=dict(raw.get("value_map", {})),
            allowed_keys=tuple(raw.get("allowed_keys", ())),
            show=show,
            hide=hide,
            parent=parent,
            group=raw.get("group"),
            mapping_key=raw.get("mapping", {}).get("key", "key"),
            mapping_value=raw.get("mapping", {}).get("value", "value"),
            multiple=raw.get("multiple", False),
        )

    def check_value(
        self,
        path: tuple[Any, ...],
        what: str,
        kind: str,
        value: Any,
        raw: dict[str, Any],
        options: tuple[Option, ...],
    ) -> None:
        """A default or an example must be a value the parameter accepts: its type, one of its
        options, within its bounds."""
        where = path + (what,)
        expected: dict[str, type | tuple[type, ...]] = {
            "string": (str, list) if raw.get("transform") == "comma_list" else str,
            "boolean": bool,
            "integer": int,
            "number": (int, float),
            "dateTime": (str, int, float) if raw.get("transform") == "unix_seconds" else str,
            "json": (str, dict, list),
            "fixedCollection": dict,
        }  # as param_schema types them
        wrong_type = not isinstance(value, expected.get(kind, object)) or (
            kind in ("integer", "number") and isinstance(value, bool)
        )
        if value is not None and wrong_type:
            shown = "a mapping of keys to values" if kind == "fixedCollection" else f"a {kind}"
            self.fail(where, f"{what} {value!r} is not {shown}")
            return
        if kind == "options" and options and not any(type(value) is type(o.value) and value == o.value for o in options):
            values = ", ".join(repr(o.value) for o in options)
            self.fail(where, f"{what} {value!r} is not among the options ({values})")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            minimum, maximum = raw.get("minimum"), raw.get("maximum")
            if minimum is not None and value < minimum:
                self.fail(where, f"{what} {value} is below the minimum {minimum}")
            if maximum is not None and value > maximum:
                self.fail(where, f"{what} {value} is above the maximum {maximum}")

    def check_conditions(self, path: tuple[Any, ...], params: list[dict[str, Any]], by_name: dict[str, Field]) -> None:
        for i, param in enumerate(params):
            self.check_condition_targets(path + ("params", i), param, by_name)
            for j, sub in enumerate(param.get("options") or [] if param["type"] == "collection" else []):
                self.check_condition_targets(path + ("params", i, "options", j), sub, by_name)

    def check_condition_targets(self, path: tuple[Any, ...], raw: dict[str, Any], by_name: dict[str, Field]) -> None:
        for kind in ("show", "hide"):
            for name, allowed in raw.get(kind, {}).items():
                target = by_name.get(name)
                if target is None:
                    self.fail(path + (kind, name), f"display condition names unknown parameter {name!r}", key=True)
                    continue
                for k, value in enumerate(allowed):
                    if not _possible(target, value):
                        self.fail(path + (kind, name, k), f"{value!r} is not a possible value of {name!r} ({target.type})")

    def python_collisions(self, resources: list[dict[str, Any]], cli_taken: dict[str, Claim]) -> None:
        """Every name the generated code derives is given out once; a second taker is reported with
        the first. A collision already reported for a name is not reported again for what derives
        from it (the functions of two resources that share a Python name)."""
        members: dict[str, Claim] = {}
        classes: dict[str, Claim] = {}
        functions: dict[str, Claim] = {}
        models: dict[str, Claim] = {}
        for i, resource in enumerate(resources):
            rpath = ("resources", i, "name")
            member = self.member(rpath, "resource", resource["name"])
            pascal = naming.pascal(resource["name"])
            resource_ok = all(
                self.claim(taken, name, rpath, repr(resource["name"]), "resource", what)
                for taken, name, what in (
                    (members, member, "Python name"),
                    (classes, pascal + "Resource", "Python class"),
                    (classes, "Async" + pascal + "Resource", "Python class"),
                )
            )
            methods: dict[str, Claim] = {}
            for j, op in enumerate(resource["operations"]):
                opath = ("resources", i, "operations", j)
                method = self.member(opath + ("name",), "operation", op["name"])
                op_ok = self.claim(methods, method, opath + ("name",), repr(op["name"]), "operation", "Python name")
                if resource_ok and op_ok:
                    qualified = f"'{resource['name']}.{op['name']}'"
                    function = naming.function_name(resource["name"], op["name"])
                    if all(  # the first collision only: an async twin follows its sync function
                        self.claim(functions, name, opath + ("name",), qualified, "operation", "Python function")
                        for name in (function, function + "_async")
                    ):
                        model = naming.model_name(resource["name"], op["name"])
                        self.claim(models, model, opath + ("name",), qualified, "operation", "model class")
                self.parameter_names(opath, op, cli_taken)

    def parameter_names(self, path: tuple[Any, ...], op: dict[str, Any], cli_taken: dict[str, Claim]) -> None:
        """Parameters need distinct Python names and CLI flags that no other option of the
        operation's command has (the credentials' and the CLI's own)."""
        pythons: dict[str, Claim] = {}
        flags = dict(cli_taken)
        for k, param in enumerate(op["params"]):
            entries: list[tuple[Any, tuple[Any, ...]]] = [(param, path + ("params", k))]
            if param["type"] == "collection":
                entries = [(s, path + ("params", k, "options", m)) for m, s in enumerate(param.get("options") or [])]
            for entry, epath in entries:
                python = entry.get("python_name") or naming.python_name(entry["name"])
                label = repr(entry["name"])
                if not self.claim(pythons, python, epath + ("name",), label, "", "Python name", "; set `python_name` on one"):
                    continue
                if python.startswith(naming.PYDANTIC_PROTECTED):
                    self.fail(epath + ("python_name" if "python_name" in entry else "name",), f"parameter {entry['name']!r} becomes the Python name {python!r}, but pydantic reserves names that start with {' or '.join(naming.PYDANTIC_PROTECTED)}; set `python_name`")
                if python.startswith("__") and not python.endswith("__"):
                    self.fail(epath + ("python_name" if "python_name" in entry else "name",), f"parameter {entry['name']!r} becomes the Python name {python!r}, which Python mangles inside a class (Client methods could not take it); set `python_name`")
                    continue
                flag = python.strip("_").replace("_", "-")
                if not flag:
                    self.fail(epath + ("name",), f"parameter {entry['name']!r} (Python name {python!r}) has no letters for a CLI flag; set `python_name`")
                    continue
                self.claim(flags, flag, epath + ("name",), label, "parameter", "CLI flag", "; set `python_name` on one", prefix="--")

    def claim(
        self,
        taken: dict[str, Claim],
        name: str,
        path: tuple[Any, ...],
        label: str,
        kind: str,
        what: str,
        hint: str = "",
        *,
        prefix: str = "",
    ) -> bool:
        """Give `name` to `label`; False (and a diagnostic) if another label took it first."""
        first_path, first_label = taken.setdefault(name, (path, label))
        if first_label == label:
            return True
        lead = f"{kind} {label}" if kind else label
        shown = prefix + name if prefix else repr(name)
        if first_path is None:  # a name the generated code has for itself
            advice = hint.replace(" on one", "") or "; choose another name"
            self.fail(path, f"{lead} becomes the {what} {shown}, which {first_label}{advice}")
        else:
            line, col = self.doc.where(first_path)
            self.fail(path, f"{lead} and {first_label} (line {line}, column {col}) both become the {what} {shown}{hint}")
        return False

    def member(self, path: tuple[Any, ...], kind: str, name: str) -> str:
        """The attribute or method a resource or an operation becomes; refused if Python treats it
        specially in a class (a special method, or a private name it mangles)."""
        member = naming.member_name(name)
        if member.startswith("__"):
            self.fail(path, f"{kind} name {name!r} becomes the Python name {member!r}, which a class treats specially (dunder or mangled); choose another name")
        return member

    def cli_own_flags(self, credentials: tuple[CredentialField, ...]) -> dict[str, Claim]:
        """The flags every command of the generated CLI has before its parameters'."""
        own: dict[str, Claim] = {flag: (None, "the generated CLI uses itself") for flag in naming.CLI_OWN_FLAGS}
        taken = dict(own)
        for i, c in enumerate(credentials):
            path = ("credential", "fields", i, "name")
            # Against the CLI's own flags only (a copy, so nothing is recorded): two fields with
            # one flag share an environment variable too, which credential_fields reports.
            self.claim(dict(own), c.flag, path, repr(c.name), "credential field", "CLI flag", prefix="--")
            taken.setdefault(c.flag, (path, f"credential field {c.name!r}"))
        return taken



def _possible(target: Field, value: Any) -> bool:
    if target.type == "boolean":
        return isinstance(value, bool)
    if target.type == "options":
        return any(type(o.value) is type(value) and o.value == value for o in target.options)
    return True


def build_node(doc: Located) -> Node:
    builder = _Builder(doc)
    node = builder.node()
    if builder.problems:
        raise SpecError(builder.problems)
    return node


@dataclass(frozen=True)
class DocsInfo:
    """Spec facts that only the docs use."""

    examples: dict[str, dict[str, Any]]
    settings: dict[str, str]
    deviations: list[dict[str, str]]
    error_tree: str


def docs_info(doc: Located) -> DocsInfo:
    from generator.runtime import errors

    data = doc.data
    examples: dict[str, dict[str, Any]] = {}
    for resource in data["resources"]:
        for op in resource["operations"]:
            found: dict[str, Any] = {}
            for param in op["params"]:
                entries = param.get("options") or [] if param["type"] == "collection" else [param]
                found.update({e["name"]: e["example"] for e in entries if "example" in e})
            examples[f"{resource['name']}.{op['name']}"] = found
    tree = (errors.__doc__ or "").strip().split("\n\n")[1]
    return DocsInfo(
        examples=examples,
        settings={s["name"]: s.get("description", "") for s in data.get("settings", [])},
        deviations=list(data.get("deviations", [])),
        error_tree="\n".join(line[4:] for line in tree.splitlines()),
    )
