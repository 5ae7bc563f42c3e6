"""Hypothesis strategies for random *valid* nodegen specs, with hostile names and texts.

`specs()` draws a spec document (plain dicts and lists, as `yaml.safe_load` would return it):
1..4 resources, 1..4 operations each, 0..6 parameters each (every parameter type, collections
with sub-options, fixedCollections with a mapping, display conditions, path placeholders bound
to `in: path` parameters), an optional credential with every auth scheme, outputs of every form,
optional settings, headers and deviations. Names are drawn from Python keywords, builtins, names
the generated code uses itself, case and underscore variants, camelCase and random identifiers;
texts from quotes, triple quotes, backslashes (trailing too), Jinja, f-string, shell and YAML
syntax, control and line-separator characters, unicode, code that would run if a text became
code, and 10,000-character strings. They are written as block YAML, flow YAML or JSON.

Validity follows docs/spec-format.md: the schema, unique names, distinct Python names
(`naming.python_name`), bound placeholders, possible display-condition values, defaults of the
right type, within bounds and among the options.

Names that validation refuses are never drawn: two names with one Python name, function,
model or class; resource and operation names Python treats specially in a class (dunders);
parameters whose CLI flag another option of the command has.
"""

from __future__ import annotations

import builtins
import json
import keyword
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import assume
from hypothesis import strategies as st

from generator import naming

# ---------------------------------------------------------------------------------------------
# Texts
# ---------------------------------------------------------------------------------------------

#: A marker that would run a shell command if spec text ever became code.
MARKER = '__import__("os").system("nodegen_pwned")'
#: The marker wrapped in the ways a naive template would let it escape a string.
MARKER_ESCAPES = (
    MARKER,
    '"""); ' + MARKER + "  # ",
    "'''); " + MARKER + "  # ",
    "'+" + MARKER + "+'",
    '"+' + MARKER + '+"',
    "\\\n" + MARKER,
    "\n" + MARKER + "\n",
    "{{ " + MARKER + " }}",
    "{% set x = " + MARKER + " %}",
    "${" + MARKER + "}",
    "\\'; " + MARKER + "; '",
)

HOSTILE_PIECES = (
    '"',
    "'",
    '"""',
    "'''",
    '""""',
    "\\",
    "\\\\",
    "\\n",
    "\\x00",
    "\\N{BULLET}",
    "\\u2028",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "  ",
    " \n ",
    "{{ x }}",
    "{{",
    "}}",
    "{% if x %}",
    "{% endif %}",
    "{% raw %}",
    "{#",
    "#}",
    "${HOME}",
    "${{ secrets }}",
    "$(id)",
    "`id`",
    "```",
    "|",
    "<script>",
    "-->",
    "&amp;",
    "*/",
    "%s",
    "%(x)s",
    "{0}",
    "{x}",
    "f'{x}'",
    "# not a comment",
    "é",
    "ß",
    "日本語",
    "😀",
    "👩‍💻",
    "\u0301",
    "\u00a0",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\x01",
    "=",
    "={{ $json.x }}",
    "-",
    "--help",
    "None",
    "True",
    ":",
    "- ",
    "? ",
    "&a",
    "*a",
    "!!python/object:os.system",
    "%YAML",
    "---",
    "...",
    *MARKER_ESCAPES,
)

@dataclass
class Budget:
    """Per-spec limits so that a spec stays under the 1,000,000-byte limit and fast to generate."""

    long_texts: int = 3


def _piece() -> st.SearchStrategy[str]:
    chars = st.characters(codec="utf-8")  # utf-8: no lone surrogates
    return st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(chars, min_size=1, max_size=8))


def short_texts(max_pieces: int = 6) -> st.SearchStrategy[str]:
    return st.lists(_piece(), max_size=max_pieces).map("".join)


def draw_text(draw: Callable[..., Any], budget: Budget, *, min_size: int = 0) -> str:
    """A hostile text; now and then a very long one (10,000 characters)."""
    text: str = draw(short_texts())
    if budget.long_texts > 0 and draw(st.integers(0, 24)) == 0:
        budget.long_texts -= 1
        seed = text or "x"
        text = (seed * (10_000 // len(seed) + 1))[:10_000]
        if draw(st.booleans()):
            text = text[:-1] + "\\"  # a very long text with a trailing backslash
    if draw(st.integers(0, 9)) == 0:
        text += "\\"  # trailing backslash
    if len(text) < min_size:
        text += "x" * (min_size - len(text))
    return text


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

PY_KEYWORDS = tuple(sorted(set(keyword.kwlist) | set(keyword.softkwlist)))
BUILTIN_NAMES = (
    "id", "type", "list", "dict", "str", "int", "float", "bool", "bytes", "set", "print", "object",
    "input", "format", "hash", "len", "min", "max", "filter", "map", "open", "exec", "eval", "vars",
    "super", "property", "range", "iter", "next", "Exception", "TimeoutError", "ValueError",
    "__import__", "__name__", "__doc__", "__build_class__", "Ellipsis", "NotImplemented",
)  # fmt: skip
GENERATOR_RESERVED = ("self", "cls", "client", "session", "retry", "timeout", "http_client", "base_urls", "credentials")
CASE_VARIANTS = (
    "Class", "CLASS", "From", "ID", "Id", "iD", "List", "LIST", "Self", "SELF", "NONE", "Type",
    "Match", "Async", "customerId", "customer_id", "CustomerID", "customerID", "getAll", "get_all",
    "GetAll", "HTTPCode", "http_code", "a1", "A1", "x2y", "X_2_Y", "abc__def", "abc_def_",
)  # fmt: skip
#: Names the generated code or pydantic use themselves: each is a hazard for some kind of name.
GENERATED_NAMES = (
    "items", "models", "call", "acall", "operations", "OPERATIONS", "NODE", "json", "schema",
    "copy", "model_config", "model_dump", "model_fields", "validate", "construct", "register",
    "execute", "execute_async", "close", "aclose", "_session", "__init__", "__repr__", "__enter__",
    "pace", "fields", "pretty", "compact", "base_url", "help", "rate", "wait", "errors", "progress",
    "concurrency", "parameters", "on_error", "max_tries", "items_file", "cred_key", "_", "__",
    "_a", "a_", "__a__", "no_x", "Literal", "Any", "httpx", "Field", "BaseModel", "Annotated",
    "annotations", "runner", "Client", "AsyncClient", "Session", "main", "run",
)  # fmt: skip
BUILTINS = frozenset(dir(builtins))
LONGEST = ("a" * 64, "Z" * 63 + "_", "_" + "x1" * 31 + "y")


def identifiers() -> st.SearchStrategy[str]:
    """Any identifier the schema allows, biased towards hostile ones."""
    return st.one_of(
        st.sampled_from(PY_KEYWORDS),
        st.sampled_from(BUILTIN_NAMES),
        st.sampled_from(GENERATOR_RESERVED),
        st.sampled_from(CASE_VARIANTS),
        st.sampled_from(GENERATED_NAMES),
        st.sampled_from(LONGEST),
        st.from_regex(r"\A[a-z]{1,8}([A-Z][a-z0-9]{0,5}){0,3}\Z"),
        st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,20}\Z"),
    )


def python_name_overrides() -> st.SearchStrategy[str]:
    """What `python_name` may say: an identifier that is neither a keyword, a builtin nor a
    name the generated code reserves (validation refuses all three)."""

    def allowed(name: str) -> bool:
        return not naming.is_keyword(name) and name not in naming.RESERVED and name not in naming.BUILTINS

    hostile = [n for n in (*BUILTIN_NAMES, *CASE_VARIANTS, *GENERATED_NAMES, *LONGEST) if allowed(n)]
    return st.one_of(st.sampled_from(hostile), st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,20}\Z").filter(allowed))


def node_names() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            ("class", "from", "async", "match", "type", "list", "json", "os", "sys", "test", "x", "n" * 64)
        ),
        st.from_regex(r"\A[a-z][a-z0-9_]{0,15}\Z"),
    )


def py(name: str, override: str | None = None) -> str:
    return override or naming.python_name(name)


def flag_word(python: str) -> str:
    """The CLI flag word of a parameter (descriptors.Field.cli_flag without the dashes)."""
    return python.strip("_").replace("_", "-")


def mangled(python: str) -> bool:
    """A private name Python mangles inside a class (validation refuses it for arguments)."""
    return python.startswith("__") and not python.endswith("__")


def special(member: str) -> bool:
    """A resource or operation Python name a class treats specially (validation refuses it)."""
    return member.startswith("__")


# ---------------------------------------------------------------------------------------------
# Scopes: names already taken, by every key a name derives
# ---------------------------------------------------------------------------------------------


class Scope:
    def __init__(self, keys: set[tuple[str, str]] | None = None) -> None:
        self.keys: set[tuple[str, str]] = set(keys or ())

    def free(self, keys: list[tuple[str, str]]) -> bool:
        return len(set(keys)) == len(keys) and not any(k in self.keys for k in keys)

    def take(self, keys: list[tuple[str, str]]) -> None:
        self.keys.update(keys)

    def release(self, keys: list[tuple[str, str]]) -> None:
        self.keys.difference_update(keys)


def draw_name(draw: Callable[..., Any], keys_of: Callable[[str], list[tuple[str, str]] | None], scope: Scope) -> str:
    """A name whose keys are free in `scope` (`keys_of` returns None for a name to avoid)."""

    def fits(name: str) -> bool:
        keys = keys_of(name)
        return keys is not None and scope.free(keys)

    name: str = draw(identifiers().filter(fits))
    scope.take(keys_of(name) or [])
    return name


# ---------------------------------------------------------------------------------------------
# The spec
# ---------------------------------------------------------------------------------------------

PARAM_TYPES = ("string", "number", "integer", "boolean", "options", "json", "dateTime", "collection", "fixedCollection")
SUB_TYPES = tuple(t for t in PARAM_TYPES if t != "collection")
AUTH_SCHEMES = ("none", "basic", "bearer", "header", "query")
SETTINGS = (
    {"name": "alwaysOutputData", "type": "boolean", "default": False},
    {"name": "executeOnce", "type": "boolean", "default": False},
    {"name": "retryOnFail", "type": "boolean", "default": True},
    {"name": "maxTries", "type": "integer", "default": 3, "minimum": 2, "maximum": 5},
    {"name": "waitBetweenTries", "type": "integer", "default": 0, "minimum": 0, "maximum": 5000},
    {
        "name": "onError",
        "type": "options",
        "default": "stopWorkflow",
        "options": [
            {"value": "stopWorkflow", "label": "Stop"},
            {"value": "continueRegularOutput", "label": "Continue"},
            {"value": "continueErrorOutput", "label": "Error output"},
        ],
    },
)

finite_floats = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)
small_ints = st.integers(-(2**53), 2**53)


def json_values(budget: Budget, depth: int = 2) -> st.SearchStrategy[Any]:
    scalars = st.one_of(st.none(), st.booleans(), small_ints, finite_floats, short_texts())
    if depth == 0:
        return scalars
    inner = json_values(budget, depth - 1)
    return st.one_of(
        scalars,
        st.lists(inner, max_size=3),
        st.dictionaries(short_texts(max_pieces=3), inner, max_size=3),
    )


@dataclass
class _Param:
    """What later parts of an operation need to know about a drawn parameter."""

    name: str
    type: str
    location: str
    values: list[Any]  # possible values for display conditions (boolean, options)


class _SpecBuilder:
    def __init__(self, draw: Callable[..., Any], resources: tuple[int, int], operations: tuple[int, int]) -> None:
        self.draw = draw
        self.resources, self.operations = resources, operations  # (fewest, most)
        self.budget = Budget()
        self.node_scope = Scope()  # function names, model names, class names
        self.reserved_flags = {("flag", f) for f in naming.CLI_OWN_FLAGS}
        self.credential_keys: set[tuple[str, str]] = set()

    def text(self, min_size: int = 0) -> str:
        return draw_text(self.draw, self.budget, min_size=min_size)

    def count(self, low: int, high: int) -> int:
        """How many resources, operations or parameters: every count about as likely (plain
        `st.integers` favours the smallest early on, and each example costs a second)."""
        return int(self.draw(st.sampled_from(range(low, high + 1))))

    def maybe(self, probability_in_4: int = 2) -> bool:
        return bool(self.draw(st.integers(0, 3)) < probability_in_4)

    # ---- names ----

    def resource_keys(self, name: str) -> list[tuple[str, str]] | None:
        member = naming.member_name(name)
        if special(member):
            return None
        pascal = naming.pascal(name)
        return [("raw", name), ("py", member), ("class", pascal + "Resource"), ("class", "Async" + pascal + "Resource")]

    def operation_keys(self, resource: str, name: str) -> list[tuple[str, str]] | None:
        member = naming.member_name(name)
        if special(member) or not self.node_scope.free(self.operation_global_keys(resource, name)):
            return None
        return [("raw", name), ("py", member)]

    def operation_global_keys(self, resource: str, name: str) -> list[tuple[str, str]]:
        """Names an operation takes in the whole node: its function, the function's async twin
        and its model."""
        function = naming.function_name(resource, name)
        return [("fn", function), ("fn", function + "_async"), ("model", naming.model_name(resource, name))]

    def param_keys(self, name: str, kind: str, override: str | None) -> list[tuple[str, str]] | None:
        python = py(name, override)
        word = flag_word(python)
        if not word or python.startswith(naming.PYDANTIC_PROTECTED) or mangled(python):
            return None  # refused: no CLI flag, a name pydantic reserves or Python mangles
        return [("raw", name), ("py", python), ("flag", word)]

    def credential_field_keys(self, name: str) -> list[tuple[str, str]] | None:
        if mangled(py(name)):
            return None  # refused
        # One environment variable each; its CLI flag derives the same way.
        return [("raw", name), ("env", naming.env_var("X", name)), ("flag", naming.cli_name(name))]

    # ---- the document ----

    def spec(self) -> dict[str, Any]:
        draw = self.draw
        node_name = draw(node_names().filter(lambda n: not naming.is_keyword(n)))  # refused: not importable
        doc: dict[str, Any] = {"nodegen": 1}
        node: dict[str, Any] = {
            "name": node_name,
            "display_name": self.text(),
            "version": draw(st.from_regex(r"\A[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\Z")),
        }
        if self.maybe():
            node["description"] = self.text()
        if self.maybe(1):
            node["subtitle"] = self.text()
        if self.maybe(1):
            node["n8n_type"] = draw(identifiers())
            node["n8n_version"] = draw(st.integers(1, 10))
        if self.maybe(1):
            node["group"] = draw(st.lists(short_texts(max_pieces=2), max_size=2))
        if self.maybe(1):
            node["env_prefix"] = draw(st.from_regex(r"\A[A-Z][A-Z0-9_]{0,10}\Z"))
        doc["node"] = node

        fields = self.credential_fields() if draw(st.booleans()) else []  # a node may have no credential
        if fields:
            doc["credential"] = {"name": draw(identifiers()), "fields": fields}
            if self.maybe():
                doc["credential"]["display_name"] = self.text()
        doc["bases"] = self.bases(fields)
        if self.maybe(1):
            doc["headers"] = draw(
                st.dictionaries(
                    st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,15}\Z"), st.from_regex(r"\A[ -~]{0,20}\Z"), max_size=2
                )
            )
        if self.maybe(1):
            chosen = draw(st.lists(st.sampled_from(SETTINGS), unique_by=lambda s: s["name"], max_size=6))
            doc["settings"] = [dict(s, description=self.text()) if self.maybe(1) else dict(s) for s in chosen]

        resources = []
        resource_scope = Scope()
        for _ in range(self.count(*self.resources)):
            name = draw_name(draw, self.resource_keys, resource_scope)
            resources.append(self.resource(name, [b["name"] for b in doc["bases"]]))
        doc["resources"] = resources
        if self.maybe(1):
            doc["default_resource"] = draw(st.sampled_from([r["name"] for r in resources]))
        if self.maybe(1):
            doc["deviations"] = [
                {
                    "id": f"D{i + 1}",
                    "title": self.text(),
                    "n8n": self.text(),
                    "ours": self.text(),
                    **({"before": self.text(), "after": self.text()} if self.maybe(3) else {}),
                }
                for i in range(draw(st.integers(1, 2)))
            ]
        return doc

    def credential_fields(self) -> list[dict[str, Any]]:
        draw = self.draw
        scope = Scope(self.reserved_flags)
        fields = []
        for _ in range(draw(st.integers(1, 3))):
            name = draw_name(draw, self.credential_field_keys, scope)
            entry: dict[str, Any] = {"name": name, "type": draw(st.sampled_from(("string", "options")))}
            if entry["type"] == "options":
                values = draw(
                    st.lists(st.from_regex(r"\A[a-z][a-z0-9.-]{0,12}\Z"), min_size=1, max_size=3, unique=True)
                )
                entry["options"] = [
                    {"value": v, "label": self.text(), **({"description": self.text()} if self.maybe(1) else {})}
                    for v in values
                ]
                entry["default"] = draw(st.sampled_from(values))
            elif self.maybe(1):
                entry["default"] = self.text()
            for key in ("secret", "required"):
                if self.maybe():
                    entry[key] = draw(st.booleans())
            if self.maybe():
                entry["display_name"] = self.text()
            if self.maybe():
                entry["description"] = self.text()
            fields.append(entry)
        for f in fields:
            self.credential_keys.add(("flag", naming.cli_name(f["name"])))
        return fields

    def bases(self, fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
        draw = self.draw
        names = [f["name"] for f in fields]
        scope = Scope()
        bases = []
        for _ in range(draw(st.integers(1, 2))):
            name = draw_name(draw, lambda n: [("raw", n)], scope)
            url = "https://api.example.invalid/" + draw(st.from_regex(r"\A[a-z0-9/]{0,10}\Z"))
            if names and self.maybe(1):
                url = "https://{" + draw(st.sampled_from(names)) + "}.example.invalid/v1"
            base: dict[str, Any] = {"name": name, "url": url}
            scheme = draw(st.sampled_from(AUTH_SCHEMES)) if names else "none"
            if scheme == "basic":
                base["auth"] = {
                    "scheme": "basic",
                    "username": draw(st.sampled_from(names)),
                    "password": draw(st.sampled_from(names)),
                }
            elif scheme == "bearer":
                base["auth"] = {"scheme": "bearer", "token": draw(st.sampled_from(names))}
            elif scheme in ("header", "query"):
                base["auth"] = {
                    "scheme": scheme,
                    "name": draw(st.from_regex(r"\A[A-Za-z][A-Za-z0-9_-]{0,15}\Z")),
                    "value": draw(st.sampled_from(names)),
                }
            elif self.maybe():
                base["auth"] = {"scheme": "none"}
            options = [f for f in fields if f["type"] == "options"]
            if options and self.maybe(1):
                chosen = draw(st.sampled_from(options))
                base["url_by_credential"] = {
                    "field": chosen["name"],
                    "urls": {o["value"]: "https://other.example.invalid/v1" for o in chosen["options"][:1]},
                }
            if self.maybe(1):
                base["rate_limit"] = draw(st.floats(min_value=0.5, max_value=100))
            if self.maybe(1):
                base["description"] = self.text()
            bases.append(base)
        return bases

    def resource(self, name: str, bases: list[str]) -> dict[str, Any]:
        draw = self.draw
        resource: dict[str, Any] = {"name": name}
        if self.maybe():
            resource["display_name"] = self.text()
        if self.maybe(1):
            resource["description"] = self.text()
        scope = Scope()
        operations = []
        for _ in range(self.count(*self.operations)):
            op_name = draw_name(draw, lambda n: self.operation_keys(name, n), scope)
            self.node_scope.take(self.operation_global_keys(name, op_name))
            operations.append(self.operation(op_name, bases))
        resource["operations"] = operations
        if self.maybe(1):
            resource["default_operation"] = draw(st.sampled_from([o["name"] for o in operations]))
        return resource

    def operation(self, name: str, bases: list[str]) -> dict[str, Any]:
        draw = self.draw
        scope = Scope(self.reserved_flags | self.credential_keys)
        params: list[dict[str, Any]] = []
        drawn: list[_Param] = []
        for _ in range(self.count(0, 6)):
            kind = draw(st.sampled_from(PARAM_TYPES))
            if kind == "collection":
                params.append(self.collection(scope, drawn))
            else:
                params.append(self.param(kind, scope, drawn, top_level=True))
        self.conditions(params, drawn)
        method = draw(st.sampled_from(("GET", "POST", "PUT", "DELETE", "PATCH")))
        path = self.path([p for p in drawn if p.location == "path"])
        request: dict[str, Any] = {"method": method, "base": draw(st.sampled_from(bases)), "path": path}
        if self.maybe(1):
            request["idempotent"] = draw(st.booleans())
        if self.maybe(1):
            request["body"] = [
                {
                    "key": draw(st.from_regex(r"\A[A-Za-z0-9_$-]{1,8}(\.[A-Za-z0-9_$-]{1,8}){0,2}\Z")),
                    "value": draw(json_values(self.budget)),
                }
            ]
        if self.maybe(1):
            request["dedup_key"] = {"key": "dedup_id", "generate": "ulid"}
        if drawn and self.maybe(1):
            request["checks"] = [
                {
                    "param": draw(st.sampled_from([p.name for p in drawn])),
                    "key": "k",
                    "max_bytes": draw(st.integers(1, 1000)),
                }
            ]
        output = self.output(drawn)
        if output.get("split") and self.maybe(1):
            request["pagination"] = self.pagination(drawn)
        operation: dict[str, Any] = {"name": name, "request": request, "output": output, "params": params}
        if self.maybe():
            operation["display_name"] = self.text()
        if self.maybe():
            operation["description"] = self.text()
        return operation

    def path(self, path_params: list[_Param]) -> str:
        draw = self.draw
        segment = st.from_regex(r"\A[A-Za-z0-9._~'\"\\ %:@!$&()*+,;=é😀-]{0,10}\Z")
        parts = [draw(segment) for _ in range(draw(st.integers(0, 2)))]
        parts += ["{" + p.name + "}" for p in path_params]
        order = draw(st.permutations(range(len(parts))))
        return "/" + "/".join(parts[i] for i in order)

    def collection(self, scope: Scope, drawn: list[_Param]) -> dict[str, Any]:
        draw = self.draw
        name = draw_name(draw, lambda n: self.param_keys(n, "collection", None), scope)
        subs = [
            self.param(draw(st.sampled_from(SUB_TYPES)), scope, drawn, top_level=False)
            for _ in range(draw(st.integers(1, 3)))
        ]
        param: dict[str, Any] = {"name": name, "type": "collection", "options": subs}
        if self.maybe():
            param["display_name"] = self.text()
        if self.maybe(1):
            param["description"] = self.text()
        if self.maybe(1):
            param["placeholder"] = self.text()
        return param

    def param(self, kind: str, scope: Scope, drawn: list[_Param], *, top_level: bool) -> dict[str, Any]:
        draw = self.draw
        name = draw_name(draw, lambda n: self.param_keys(n, kind, None), scope)
        override = None
        if self.maybe(1):
            # `python_name` overrides the derived name.
            candidate = draw(python_name_overrides())
            plain = self.param_keys(name, kind, None) or []
            scope.release(plain)
            keys = self.param_keys(name, kind, candidate)
            if keys is not None and scope.free(keys):
                override = candidate
                scope.take(keys)
            else:
                scope.take(plain)
        param: dict[str, Any] = {"name": name, "type": kind}
        if override is not None:
            param["python_name"] = override
        values: list[Any] = []
        location = "none"
        if kind in ("string", "integer") and top_level and self.maybe(1):
            location = "path"
            param["required"] = draw(st.booleans())
        elif self.maybe(3):
            location = draw(st.sampled_from(("query", "body", "none")))
        if location != "none" or self.maybe(1):
            param["in"] = location
        if location in ("query", "body") and self.maybe(1):
            param["key"] = draw(st.from_regex(r"\A[A-Za-z0-9_$-]{1,8}(\.[A-Za-z0-9_$-]{1,8}){0,2}\Z"))
        if kind == "string":
            if self.maybe(1):
                param["min_length"] = draw(st.integers(0, 3))
                param["max_length"] = draw(st.integers(3, 20000))
            elif self.maybe(1):
                param["format"] = "email"
            elif self.maybe(1):
                param["transform"] = "comma_list"
                param["max_items"] = draw(st.integers(1, 10))
            if self.maybe(1):
                param["max_bytes"] = draw(st.integers(1, 10000))
            if self.maybe(1):
                param["default"] = "" if "min_length" in param or "format" in param else self.text()
        elif kind in ("number", "integer"):
            numbers = small_ints if kind == "integer" else finite_floats
            bounds = sorted(draw(st.lists(numbers, min_size=2, max_size=2)))
            if self.maybe():
                param["minimum"] = bounds[0]
            if self.maybe():
                param["maximum"] = bounds[1]
            if self.maybe():
                param["default"] = draw(st.sampled_from(bounds))
                if "minimum" not in param and "maximum" not in param:
                    param["default"] = draw(numbers)
        elif kind == "boolean":
            values = [True, False]
            if self.maybe():
                param["default"] = draw(st.booleans())
        elif kind == "options":
            option_values = draw(
                st.lists(
                    st.one_of(short_texts(), small_ints, st.booleans(), finite_floats),
                    min_size=1,
                    max_size=4,
                    unique_by=lambda v: (str, v) if isinstance(v, str) else (float, v),  # 1 == 1.0 == True
                )
            )
            if draw(st.integers(0, 9)) == 0 and self.budget.long_texts > 0:
                self.budget.long_texts -= 1
                option_values[0] = "v" * 10_000  # a very long option value
            param["options"] = [
                {"value": v, "label": self.text(), **({"description": self.text()} if self.maybe(1) else {})}
                for v in option_values
            ]
            values = option_values
            if self.maybe(3):
                param["default"] = draw(st.sampled_from(option_values))
            renamed = [v for v in option_values if isinstance(v, str)][:1]
            if renamed and self.maybe(1):
                param["value_map"] = {v: draw(st.one_of(st.text(max_size=5), small_ints)) for v in renamed}
        elif kind == "json":
            if self.maybe(1):
                param["default"] = draw(
                    st.one_of(
                        short_texts(),
                        st.dictionaries(short_texts(max_pieces=2), json_values(self.budget, 1), max_size=2),
                        st.lists(json_values(self.budget, 1), max_size=2),
                    )
                )
            if location in ("query", "body") and self.maybe(1):
                param["spread"] = True
                param.pop("key", None)
                if self.maybe(1):
                    param["allowed_keys"] = draw(st.lists(short_texts(max_pieces=2), max_size=3))
        elif kind == "dateTime":
            if self.maybe(1):
                param["default"] = draw(st.sampled_from(("2024-01-15T10:30:00Z", "", "2024-02-29")))
            if self.maybe(1):
                param["transform"] = "unix_seconds"
        elif kind == "fixedCollection":
            param["mapping"] = {"key": draw(identifiers()), "value": draw(identifiers())}
            if self.maybe():
                param["group"] = draw(identifiers())
            if self.maybe():
                param["multiple"] = draw(st.booleans())
            if self.maybe():
                param["group_display_name"] = self.text()
            if location in ("query", "body") and self.maybe(1):
                param["spread"] = True
                param.pop("key", None)
        if location == "path":
            param.pop("default", None)
            param.pop("format", None)
            param.pop("transform", None)
        if "required" not in param and self.maybe(1):
            param["required"] = draw(st.booleans())
        if self.maybe():
            param["display_name"] = self.text()
        if self.maybe():
            param["description"] = self.text()
        if self.maybe(1):
            param["placeholder"] = self.text()
        if self.maybe(1):
            param["omit_if"] = draw(
                st.lists(st.one_of(short_texts(max_pieces=2), small_ints, st.booleans()), max_size=2)
            )
        if self.maybe(1):
            param["example"] = self.example(kind, param)
        drawn.append(_Param(name, kind, location, values))
        return param

    def example(self, kind: str, param: dict[str, Any]) -> Any:
        """An example the parameter accepts (validation checks type, options and bounds)."""
        draw = self.draw
        low, high = param.get("minimum"), param.get("maximum")
        numbers = {"integer": small_ints, "number": finite_floats}.get(kind)
        if numbers is not None and (low is not None or high is not None):
            return draw(st.sampled_from([b for b in (low, high) if b is not None]))
        by_kind: dict[str, st.SearchStrategy[Any]] = {
            "string": short_texts(),
            "boolean": st.booleans(),
            "options": st.sampled_from([o["value"] for o in param.get("options", [{"value": 1}])]),
            "json": st.one_of(
                short_texts(),
                st.lists(json_values(self.budget, 1), max_size=2),
                st.dictionaries(short_texts(max_pieces=2), json_values(self.budget, 1), max_size=2),
            ),
            "dateTime": st.just("2024-01-15T10:30:00Z"),
            "fixedCollection": st.dictionaries(short_texts(max_pieces=2), short_texts(max_pieces=2), max_size=2),
        }
        return draw(numbers if numbers is not None else by_kind[kind])

    def conditions(self, params: list[dict[str, Any]], drawn: list[_Param]) -> None:
        draw = self.draw
        targets = [p for p in drawn if p.values]
        if not targets:
            return
        entries = [p for p in params] + [s for p in params if p["type"] == "collection" for s in p["options"]]
        for entry in entries:
            if not self.maybe(1):
                continue
            target = draw(st.sampled_from(targets))
            if target.name == entry["name"]:
                continue
            allowed = draw(st.lists(st.sampled_from(target.values), min_size=1, max_size=2))
            entry[draw(st.sampled_from(("show", "hide")))] = {target.name: allowed}

    def output(self, drawn: list[_Param]) -> dict[str, Any]:
        draw = self.draw
        form = draw(
            st.sampled_from(("response", "select", "split", "split_bare", "constant", "request_body", "prepend"))
        )
        if form == "response":
            return {"from": "response"}
        if form == "select":
            return {"from": "response", "select": self.text()}
        if form == "split":
            return {"from": "response", "select": self.text(), "split": True}
        if form == "split_bare":
            return {"from": "response", "split": True}
        if form == "constant":
            return {
                "from": "constant",
                "value": draw(st.dictionaries(short_texts(max_pieces=3), json_values(self.budget), max_size=3)),
            }
        if form == "prepend" and drawn:
            return {
                "from": "request_body",
                "prepend": {draw(identifiers()): draw(st.sampled_from([p.name for p in drawn]))},
            }
        return {"from": "request_body"}

    def pagination(self, drawn: list[_Param]) -> dict[str, Any]:
        draw = self.draw
        style = draw(st.sampled_from(("page", "offset", "cursor")))
        pagination: dict[str, Any] = {"style": style, "param": draw(st.from_regex(r"\A[a-z]{1,8}\Z"))}
        if style == "cursor":
            pagination["next"] = draw(st.from_regex(r"\A[a-z]{1,6}(\.[a-z]{1,6})?\Z"))
        if self.maybe():
            pagination["size_param"] = "size"
            pagination["size"] = draw(st.integers(1, 100))
        booleans = [p.name for p in drawn if p.type == "boolean"]
        integers = [p.name for p in drawn if p.type == "integer"]
        if booleans and self.maybe():
            pagination["return_all"] = draw(st.sampled_from(booleans))
        if integers and self.maybe():
            pagination["limit"] = draw(st.sampled_from(integers))
        return pagination


@st.composite
def specs(
    draw: Callable[..., Any], resources: tuple[int, int] = (1, 4), operations: tuple[int, int] = (1, 4)
) -> dict[str, Any]:
    """A valid spec with `resources` resources of `operations` operations each (fewest, most)."""
    return _SpecBuilder(draw, resources, operations).spec()


# ---------------------------------------------------------------------------------------------
# Serialising a spec
# ---------------------------------------------------------------------------------------------


def same(a: Any, b: Any) -> bool:
    """Equality that also compares types (1, 1.0 and True differ), as a spec reader sees them."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


def dump(doc: dict[str, Any], style: str) -> str:
    """The spec as YAML text in one of several styles; always one that loads back to `doc`."""
    if style == "json":
        text = json.dumps(doc, ensure_ascii=True, indent=1)
    elif style == "flow":
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=True, width=60)
    else:
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1 << 16)
    if not _loads_back(text, doc):
        # PyYAML folds raw NEL/LS/PS line breaks, reads JSON's `1e+20` as a string (YAML 1.1)
        # and refuses JSON keys over 1024 characters: fall back to an all-escaped block dump.
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=False)
        assert same(yaml.safe_load(text), doc), "no YAML form loads back to this spec"
    return text


def _loads_back(text: str, doc: dict[str, Any]) -> bool:
    try:
        return same(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)), doc)
    except yaml.YAMLError:
        return False


STYLES = st.sampled_from(("block", "flow", "json"))


def all_params(op: dict[str, Any]) -> list[tuple[dict[str, Any], str | None]]:
    """Every parameter of an operation as (entry, collection name or None), in declared order."""
    found: list[tuple[dict[str, Any], str | None]] = []
    for p in op["params"]:
        if p["type"] == "collection":
            found += [(sub, p["name"]) for sub in p.get("options") or []]
        else:
            found.append((p, None))
    return found


def operations(doc: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(r, op) for r in doc["resources"] for op in r["operations"]]


def assume_small(text: str) -> None:
    assume(len(text.encode("utf-8")) <= 1_000_000)
