"""The command line of a generated package, built from its node description.

    python -m generated.<node> RESOURCE OPERATION [--flags]

Exit codes: 0 success, 1 the API or the network failed, 2 usage, validation or credential
error. httpx and pydantic are imported only when a command runs, so `--help` stays fast.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Mapping
from typing import Any

import click

from .descriptors import Field, Node, Operation

EXIT_API = 1
EXIT_USAGE = 2


def _describe(f: Field) -> str:
    parts = [f.description.strip()] if f.description else []
    facts = [f"type: {f.type}"]
    if f.required:
        facts.append("required")
    if f.has_default and not f.required and f.default not in (None, "", {}):
        facts.append(f"default: {json.dumps(f.default)}")
    if f.minimum is not None or f.maximum is not None:
        facts.append(f"range: {_num(f.minimum)}..{_num(f.maximum)}")
    if f.options:
        facts.append("one of: " + ", ".join(f"{o.value} ({o.label})" for o in f.options))
    if f.transform == "comma_list":
        bounds = f" ({f.min_items}..{f.max_items} ids)" if f.max_items else ""
        facts.append(f"comma-separated list{bounds}")
    if f.type == "fixedCollection":
        facts.append("KEY=VALUE, repeatable")
    if f.show:
        facts.append(
            "only when " + ", ".join(f"{k}={'/'.join(map(_text, v))}" for k, v in f.show.items())
        )
    return " ".join(parts + [f"[{'; '.join(facts)}]"])


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _text(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def _option(f: Field) -> click.Option:
    name = f.python_name
    help_text = _describe(f)
    if f.type == "boolean":
        flag = f.cli_flag
        return click.Option([f"{flag}/--no-{flag[2:]}", name], default=None, help=help_text)
    kind: Any = click.STRING
    if f.type == "integer":
        kind = (
            click.IntRange(_int(f.minimum), _int(f.maximum))
            if f.minimum is not None or f.maximum is not None
            else click.INT
        )
    elif f.type == "number":
        kind = click.FloatRange(f.minimum, f.maximum)
    elif f.type == "options":
        kind = click.Choice([str(o.value) for o in f.options])
    if f.type == "fixedCollection":
        return click.Option([f.cli_flag, name], multiple=True, metavar="KEY=VALUE", help=help_text)
    return click.Option(
        [f.cli_flag, name], type=kind, default=None, required=f.required, help=help_text
    )


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _values(op: Operation, given: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in op.fields:
        value = given.get(f.python_name)
        if value is None or value == ():
            continue
        if f.type == "fixedCollection":
            pairs = {}
            for entry in value:
                key, sep, rest = entry.partition("=")
                if not sep:
                    raise click.BadParameter(
                        f"expected KEY=VALUE, got {entry!r}", param_hint=f.cli_flag
                    )
                pairs[key] = rest
            value = pairs
        values[f.python_name] = value
    return values


def _credential_options(node: Node) -> list[click.Option]:
    options = []
    for c in node.credentials:
        flag = "--" + "".join("-" + ch.lower() if ch.isupper() else ch for ch in c.name).strip("-")
        kind: Any = click.Choice([str(o.value) for o in c.options]) if c.options else click.STRING
        note = " (secret: prefer the environment variable)" if c.secret else ""
        options.append(
            click.Option(
                [flag, "cred_" + c.name],
                envvar=c.env,
                type=kind,
                default=c.default or None,
                show_envvar=True,
                show_default=not c.secret and bool(c.default),
                help=(c.description or c.display_name) + note,
            )
        )
    return options


def _command(node: Node, package: str, op: Operation) -> click.Command:
    def callback(**kwargs: Any) -> None:
        credentials = {c.name: kwargs.pop("cred_" + c.name) for c in node.credentials}
        base_urls = dict(_pair(p) for p in kwargs.pop("base_url"))
        pretty = kwargs.pop("pretty")
        values = _values(op, kwargs)
        sys.exit(_run(node, package, op, credentials, base_urls, values, pretty))

    params: list[click.Parameter] = [_option(f) for f in op.fields]
    params += _credential_options(node)
    params.append(
        click.Option(
            ["--base-url"],
            multiple=True,
            metavar="NAME=URL",
            help="Send a base API's requests elsewhere ("
            + ", ".join(b.name for b in node.bases)
            + "), e.g. a local test server.",
        )
    )
    params.append(
        click.Option(
            ["--pretty/--compact"],
            default=None,
            help="Indent the JSON output (default: when stdout is a terminal).",
        )
    )
    return click.Command(
        name=op.name,
        callback=callback,
        params=params,
        help=f"{op.display_name}: {op.description}\n\n{op.method} {op.path} ({op.base} API).",
        short_help=op.description or op.display_name,
    )


def _pair(text: str) -> tuple[str, str]:
    name, sep, url = text.partition("=")
    if not sep:
        raise click.BadParameter(f"expected NAME=URL, got {text!r}", param_hint="--base-url")
    return name, url


def _run(
    node: Node,
    package: str,
    op: Operation,
    credentials: dict[str, Any],
    base_urls: dict[str, str],
    values: dict[str, Any],
    pretty: bool | None,
) -> int:
    from . import errors
    from .calls import call
    from .http import Session

    models = importlib.import_module(package + ".models")
    session = Session(node, credentials, base_urls=base_urls)
    try:
        items = call(session, op, getattr(models, op.model), values)
    except (errors.ValidationError, errors.CredentialError) as exc:
        click.echo(f"Error: {exc}", err=True)
        return EXIT_USAGE
    except errors.NodeError as exc:
        click.echo(f"Error: {exc}", err=True)
        return EXIT_API
    finally:
        session.close()
    result: Any = items if op.output.split else items[0]
    indent = 2 if (sys.stdout.isatty() if pretty is None else pretty) else None
    click.echo(json.dumps(result, indent=indent, ensure_ascii=False))
    return 0


def build(node: Node, package: str) -> click.Group:
    root = click.Group(name=f"python -m {package}", help=f"{node.display_name}: {node.description}")
    for resource in node.resources:
        group = click.Group(name=resource.name, help=f"{resource.display_name} operations.")
        for op in resource.operations:
            group.add_command(_command(node, package, op))
        root.add_command(group)
    return root


def run(node: Node, package: str) -> int:
    try:
        build(node, package).main(standalone_mode=True)
    except SystemExit as exit:
        return int(exit.code or 0)
    return 0
