"""Immutable descriptions of a node, built by the generated `_node.py` from the spec.

The runtime interprets these declaratively: no per-operation logic is generated, so every
node gets the same tested request building, validation and execution semantics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Location = Literal["path", "query", "body", "none"]
Conditions = Mapping[str, tuple[Any, ...]]


@dataclass(frozen=True)
class Option:
    value: Any
    label: str
    description: str = ""


@dataclass(frozen=True)
class Field:
    """One parameter as the caller sees it (collection sub-options are flattened)."""

    name: str
    python_name: str
    display_name: str
    type: str
    description: str = ""
    required: bool = False
    default: Any = None
    has_default: bool = False
    options: tuple[Option, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    max_bytes: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    item_max_bytes: int | None = None
    format: str | None = None
    location: Location = "none"
    key: str = ""
    spread: bool = False
    transform: str | None = None
    omit_if: tuple[Any, ...] = ()
    value_map: Mapping[str, Any] = field(default_factory=dict)
    allowed_keys: tuple[str, ...] = ()
    show: Conditions = field(default_factory=dict)
    hide: Conditions = field(default_factory=dict)
    parent: str | None = None
    group: str | None = None
    mapping_key: str = "key"
    mapping_value: str = "value"
    multiple: bool = False

    @property
    def always_required(self) -> bool:
        """Required whatever the other values: a top-level field with no display conditions.

        A required field that can be hidden is required only when it applies (checked at run
        time), and a collection option is never required up front.
        """
        return self.required and self.parent is None and not self.show and not self.hide

    @property
    def option_values(self) -> tuple[Any, ...]:
        return tuple(o.value for o in self.options)

    @property
    def cli_flag(self) -> str:
        return "--" + self.python_name.strip("_").replace("_", "-")


@dataclass(frozen=True)
class Collection:
    """An n8n collection parameter; its sub-options are Fields with `parent` set to its name."""

    name: str
    display_name: str
    show: Conditions = field(default_factory=dict)
    hide: Conditions = field(default_factory=dict)


@dataclass(frozen=True)
class BodyConstant:
    key: str
    value: Any
    show: Conditions = field(default_factory=dict)
    hide: Conditions = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """A check on the final request (after JSON mode is merged), blamed on `param`."""

    param: str
    key: str
    min_bytes: int | None = None
    max_bytes: int | None = None


@dataclass(frozen=True)
class Output:
    source: Literal["response", "constant", "request_body"]
    select: str | None = None
    split: bool = False
    value: Mapping[str, Any] = field(default_factory=dict)
    prepend: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Pagination:
    """How a list operation walks pages. `page`/`offset` stop on a short page, `cursor` on no cursor."""

    style: Literal["page", "offset", "cursor"]
    param: str
    start: int = 0
    size_param: str | None = None
    size: int | None = None
    next: str | None = None
    max_pages: int = 1000
    return_all: str | None = None
    limit: str | None = None


@dataclass(frozen=True)
class Operation:
    resource: str
    name: str
    display_name: str
    description: str
    method: str
    base: str
    path: str
    fields: tuple[Field, ...]
    collections: tuple[Collection, ...]
    output: Output
    body: tuple[BodyConstant, ...] = ()
    checks: tuple[Check, ...] = ()
    dedup_key: str | None = None
    idempotent: bool = False
    model: str = ""
    pagination: Pagination | None = None

    @property
    def qualified_name(self) -> str:
        return f"{self.resource}.{self.name}"

    def field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)


@dataclass(frozen=True)
class Auth:
    scheme: Literal["basic", "bearer", "header", "query", "none"]
    username: str = ""
    password: str = ""
    token: str = ""
    name: str = ""
    value: str = ""


@dataclass(frozen=True)
class Base:
    name: str
    url: str
    auth: Auth
    url_field: str | None = None
    urls: Mapping[str, str] = field(default_factory=dict)
    rate_limit: float | None = None
    description: str = ""


@dataclass(frozen=True)
class CredentialField:
    name: str
    display_name: str
    env: str
    flag: str  # the CLI option, without its dashes
    secret: bool = False
    required: bool = False
    default: str = ""
    options: tuple[Option, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Setting:
    name: str
    type: str
    default: Any
    minimum: int | None = None
    maximum: int | None = None
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Resource:
    name: str
    display_name: str
    default_operation: str
    operations: tuple[Operation, ...]


@dataclass(frozen=True)
class Node:
    name: str
    display_name: str
    description: str
    version: str
    credential_name: str
    credentials: tuple[CredentialField, ...]
    bases: tuple[Base, ...]
    headers: Mapping[str, str]
    settings: tuple[Setting, ...]
    default_resource: str
    resources: tuple[Resource, ...]

    def operation(self, resource: str, operation: str) -> Operation:
        for res in self.resources:
            if res.name == resource:
                for op in res.operations:
                    if op.name == operation:
                        return op
        raise KeyError(f"{resource}.{operation}")

    def base(self, name: str) -> Base:
        return next(base for base in self.bases if base.name == name)

    def setting(self, name: str) -> Setting | None:
        return next((s for s in self.settings if s.name == name), None)

    @property
    def secret_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.credentials if f.secret)
