"""The command line of a generated package, built from its node description.

    python -m generated.<node> RESOURCE OPERATION [--flags]
    python -m generated.<node> RESOURCE OPERATION --items FILE [--flag '={{ $json.x }}'] ...

One call prints the result as JSON. With `--items` (JSON Lines or CSV, `-` for stdin),
`--parameters FILE` (n8n parameters as JSON) or a flag given as an expression, it runs like
n8n over items and writes output items as JSON Lines in input order (see `bulk`).
Exit codes: 0 success, 1 the API or the network failed (or an item failed), 2 usage,
validation or credential error, 130 interrupted. httpx and pydantic are imported only when a
command runs, so `--help` stays fast.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Mapping
from typing import IO, Any, Self

import click

from .descriptors import Field, Node, Operation

EXIT_API = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _OrExpression(click.ParamType):  # type: ignore[type-arg]  # generic only in click >= 8.2
    """A flag value of the declared type, or an n8n expression (`=...`) resolved per item."""

    def __init__(self, inner: click.ParamType[Any]) -> None:
        self.inner = inner
        self.name = inner.name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value.startswith("="):
            return value
        return self.inner.convert(value, param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        return self.inner.get_metavar(param, ctx)


def _describe(f: Field) -> str:
    parts = [f.description.strip()] if f.description else []
    facts = [f"type: {f.type}"]
    if f.always_required:
        facts.append("required")
    elif f.required:
        facts.append("required when it applies")
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


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _option(f: Field) -> click.Option:
    name = _PARAM + f.python_name  # a prefix no fixed option or credential destination has
    help_text = _describe(f)
    if f.type == "fixedCollection":
        return click.Option([f.cli_flag, name], multiple=True, metavar="KEY=VALUE", help=help_text)
    kind: click.ParamType[Any] = click.STRING
    if f.type == "boolean":
        kind = click.BOOL
    elif f.type == "integer":
        bounded = f.minimum is not None or f.maximum is not None
        kind = click.IntRange(_int(f.minimum), _int(f.maximum)) if bounded else click.INT
    elif f.type == "number":
        kind = click.FloatRange(f.minimum, f.maximum)
    elif f.type == "options":
        kind = click.Choice([str(o.value) for o in f.options])
    return click.Option([f.cli_flag, name], type=_OrExpression(kind), default=None, help=help_text)


def _values(op: Operation, given: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in op.fields:
        value = given.get(_PARAM + f.python_name)
        if value is None or value == ():
            continue
        if f.type == "options" and isinstance(value, str) and not value.startswith("="):
            value = next((o.value for o in f.options if str(o.value) == value), value)
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


def _n8n_parameters(op: Operation, values: Mapping[str, Any]) -> dict[str, Any]:
    """Flag values (by Python name) -> parameters as n8n stores them."""
    params: dict[str, Any] = {"resource": op.resource, "operation": op.name}
    for f in op.fields:
        if f.python_name not in values:
            continue
        value = values[f.python_name]
        if f.type == "fixedCollection" and f.group:
            value = {f.group: [{f.mapping_key: k, f.mapping_value: v} for k, v in value.items()]}
        if f.parent:
            params.setdefault(f.parent, {})[f.name] = value
        else:
            params[f.name] = value
    return params


_PARAM = "param_"


def _credential_options(node: Node) -> list[click.Option]:
    options = []
    for c in node.credentials:
        kind: Any = click.Choice([str(o.value) for o in c.options]) if c.options else click.STRING
        note = " (secret: prefer the environment variable)" if c.secret else ""
        options.append(
            click.Option(
                ["--" + c.flag, "cred_" + c.name],
                envvar=c.env,
                type=kind,
                default=c.default or None,
                show_envvar=True,
                show_default=not c.secret and bool(c.default),
                help=(c.description or c.display_name) + note,
            )
        )
    return options


def _run_options(node: Node) -> list[click.Option]:
    modes = next((s for s in node.settings if s.name == "onError"), None)
    choices = [str(o.value) for o in modes.options] if modes else ["stopWorkflow"]
    return [
        click.Option(
            ["--items", "items_file"],
            type=click.File("r"),
            help="Run over items: JSON Lines or CSV with a header ('-' for stdin).",
        ),
        click.Option(
            ["--items-format"],
            type=click.Choice(["auto", "jsonl", "csv"]),
            default="auto",
            show_default=True,
            help="Format of --items (auto: .csv is CSV).",
        ),
        click.Option(
            ["--parameters", "parameters_file"],
            type=click.File("r"),
            help="n8n node parameters as a JSON object; flags override them.",
        ),
        click.Option(
            ["--on-error"],
            type=click.Choice(choices),
            default=None,
            help="What a failing item does (n8n onError; default stopWorkflow).",
        ),
        click.Option(
            ["--retry/--no-retry"], default=None, help="Retry a failed request (n8n retryOnFail)."
        ),
        click.Option(
            ["--max-tries"],
            type=int,
            default=None,
            help="Attempts per request with --retry (clamped to the node's bounds).",
        ),
        click.Option(
            ["--wait"], type=int, default=None, help="Milliseconds between tries with --retry."
        ),
        click.Option(
            ["--concurrency"],
            type=click.IntRange(1, 64),
            default=1,
            show_default=True,
            help="Items in flight at once; output keeps input order.",
        ),
        click.Option(
            ["--rate"],
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            help="At most this many requests per second.",
        ),
        click.Option(
            ["--errors", "errors_file"],
            type=click.File("w"),
            default=None,
            help="Write error items here (JSON Lines; default stderr).",
        ),
        click.Option(
            ["--progress/--no-progress"],
            default=None,
            help="Progress bar on stderr (default: when stderr is a terminal).",
        ),
    ]


def _command(node: Node, package: str, op: Operation) -> click.Command:
    def callback(**kwargs: Any) -> None:
        credentials = {c.name: kwargs.pop("cred_" + c.name) for c in node.credentials}
        base_urls = dict(_pair(p) for p in kwargs.pop("base_url"))
        pretty = kwargs.pop("pretty")
        run = {name: kwargs.pop(name) for name in _RUN_OPTION_NAMES}
        values = _values(op, kwargs)
        session_options = {"base_urls": base_urls, "rate": run["rate"]}
        runner_flags = ("items_file", "parameters_file", "on_error", "retry", "max_tries", "wait")
        bulk = any(run[name] is not None for name in runner_flags) or run["concurrency"] > 1
        if bulk or any(isinstance(v, str) and v.startswith("=") for v in values.values()):
            sys.exit(_run_items(node, package, op, credentials, session_options, values, run))
        sys.exit(_run_once(node, package, op, credentials, session_options, values, pretty))

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
    params += _run_options(node)
    return click.Command(
        name=op.name,
        callback=callback,
        params=params,
        help=f"{op.display_name}: {op.description}\n\n{op.method} {op.path} ({op.base} API).",
        short_help=op.description or op.display_name,
    )


_RUN_OPTION_NAMES = (
    "items_file",
    "items_format",
    "parameters_file",
    "on_error",
    "retry",
    "max_tries",
    "wait",
    "concurrency",
    "rate",
    "errors_file",
    "progress",
)


def _pair(text: str) -> tuple[str, str]:
    name, sep, url = text.partition("=")
    if not sep:
        raise click.BadParameter(f"expected NAME=URL, got {text!r}", param_hint="--base-url")
    return name, url


def _run_once(
    node: Node,
    package: str,
    op: Operation,
    credentials: dict[str, Any],
    session_options: dict[str, Any],
    values: dict[str, Any],
    pretty: bool | None,
) -> int:
    from . import errors
    from .calls import call
    from .http import Session

    models = importlib.import_module(package + ".models")
    session = Session(node, credentials, **session_options)
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


def _run_items(
    node: Node,
    package: str,
    op: Operation,
    credentials: dict[str, Any],
    session_options: dict[str, Any],
    values: dict[str, Any],
    run: dict[str, Any],
) -> int:
    from . import errors
    from .bulk import ItemsError, OrderedWriter, read_items, summary
    from .http import Session
    from .runner import execute

    parameters: dict[str, Any] = {}
    try:
        if run["parameters_file"] is not None:
            parameters = json.load(run["parameters_file"])
            if not isinstance(parameters, dict):
                raise ItemsError(f"{run['parameters_file'].name}: parameters must be a JSON object")
        for key in ("resource", "operation"):
            expected = op.resource if key == "resource" else op.name
            if parameters.get(key, expected) != expected:
                raise ItemsError(
                    f"--parameters names {key} {parameters[key]!r}, but the command is {op.qualified_name}"
                )
        items: list[dict[str, Any]] = [{"json": {}}]
        if run["items_file"] is not None:
            items = read_items(run["items_file"], run["items_file"].name, run["items_format"])
    except (ItemsError, json.JSONDecodeError) as exc:
        click.echo(f"Error: {exc}", err=True)
        return EXIT_USAGE
    parameters.update(_n8n_parameters(op, values))
    settings = {
        name: run[key]
        for name, key in (
            ("onError", "on_error"),
            ("retryOnFail", "retry"),
            ("maxTries", "max_tries"),
            ("waitBetweenTries", "wait"),
        )
        if run[key] is not None
    }
    errors_out: IO[str] = run["errors_file"] or sys.stderr
    show = sys.stderr.isatty() if run["progress"] is None else run["progress"]
    models = importlib.import_module(package + ".models")
    session = Session(node, credentials, **session_options)
    started = time.monotonic()
    bar: Any = (
        click.progressbar(length=len(items), file=sys.stderr, label=op.qualified_name)
        if show and sys.stderr.isatty()
        else _TextProgress(len(items), op.qualified_name, sys.stderr, quiet=not show)
    )
    with bar:
        writer = OrderedWriter(
            out=sys.stdout,
            errors=errors_out,
            errors_to_out=settings.get("onError") == "continueRegularOutput",
            on_progress=bar.update,
        )
        code = 0
        try:
            execute(
                node,
                models,
                parameters,
                items,
                None,
                settings,
                session=session,
                concurrency=run["concurrency"],
                on_item=writer,
            )
        except errors.ItemError:
            code = EXIT_API
        except (errors.ValidationError, errors.CredentialError) as exc:
            click.echo(f"Error: {exc}", err=True)
            code = EXIT_USAGE
        except KeyboardInterrupt:
            writer.flush_rest()
            session.close()
            click.echo(
                summary(writer, session.stats.retries, started, len(items), interrupted=True),
                err=True,
            )
            return EXIT_INTERRUPTED
        finally:
            session.close()
        writer.flush_rest()
    if writer.failed and not code:
        code = EXIT_API
    click.echo(summary(writer, session.stats.retries, started, len(items)), err=True)
    return code


class _TextProgress:
    """Progress as plain lines (`label: 50/200 (25%)`, every 10%) where there is no terminal."""

    def __init__(self, total: int, label: str, stream: IO[str], quiet: bool) -> None:
        self.total, self.label, self.stream, self.quiet = total, label, stream, quiet
        self.done = 0
        self._shown = -1

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        self.done += n
        tenth = self.done * 10 // max(self.total, 1)
        if not self.quiet and tenth > self._shown:
            self._shown = tenth
            self.stream.write(
                f"{self.label}: {self.done}/{self.total} ({self.done * 100 // max(self.total, 1)}%)\n"
            )
            self.stream.flush()


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
