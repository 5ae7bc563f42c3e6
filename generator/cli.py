"""`nodegen generate|check|validate` (also `python -m generator`).

Exit codes: 0 success / in sync, 1 drift, 2 a bad spec or bad usage. A bad spec is reported as
`file:line:col: message` lines on stderr; nothing is written.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from generator.diagnostics import SpecError

EXIT_OK, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nodegen", description="Generate typed Python node packages from YAML specs.")
    parser.add_argument("--root", type=Path, default=Path("."), help="project folder holding spec/ and generated/ (default: .)")
    parser.add_argument("--templates", type=Path, help="folder of template overrides (also [tool.nodegen] templates)")
    parser.add_argument("--no-cache", action="store_true", help="do not use .nodegen-cache/ (also NODEGEN_NO_CACHE=1)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("generate", "regenerate generated/ from the specs"),
        ("check", "exit 1 if generated/ differs from what the specs produce"),
        ("validate", "check specs without generating"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument("specs", nargs="*", type=Path, help="spec files (default: every spec in spec/)")
        if name == "check":
            command.add_argument("--quiet", action="store_true", help="list drifted files only, no diff")
    _breaking_parser(commands)
    return parser


def _breaking_parser(commands: Any) -> None:
    # Declared here, not in generator.breaking, so other commands never import it.
    text = "report the changes between two versions of a spec, by severity (ERR breaks importers)"
    command = commands.add_parser("breaking", help=text, description=text)
    command.add_argument(
        "specs",
        nargs="*",
        type=Path,
        metavar="SPEC",
        help="OLD NEW; with --against: the specs to check (default: every spec in spec/)",
    )
    command.add_argument("--against", metavar="GIT_REF", help="compare each SPEC with its committed version at GIT_REF")
    command.add_argument("--format", choices=("text", "json"), default="text")
    command.add_argument(
        "--fail-on",
        choices=("ERR", "WARN", "INFO"),
        default="ERR",
        help="exit 1 when a change at or above this severity is found (default: ERR)",
    )


def _templates(root: Path, given: Path | None) -> Path | None:
    if given is not None:
        return given
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return None
    import tomllib

    try:
        config = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("nodegen", {})
    except tomllib.TOMLDecodeError:
        return None
    return (root / config["templates"]) if "templates" in config else None


def entry() -> NoReturn:
    """The `nodegen` program. It exits without the interpreter's teardown of every module it
    loaded, which costs about 0.1 s of CPU; all it writes is stdout, stderr and closed files."""
    code = main(sys.argv[1:], program=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None, *, program: bool = False) -> int:
    """Run one command; `program` (the `nodegen` process itself, not a caller such as a test)
    may use a helper process and skip garbage collection."""
    args = _parser().parse_args(argv)
    if args.command == "breaking":
        from generator import breaking

        return breaking.run(args)
    root: Path = args.root
    templates = _templates(root, args.templates)
    if templates is not None and not templates.is_dir():
        print(f"nodegen: templates folder {templates} does not exist", file=sys.stderr)
        return EXIT_ERROR
    from generator import project

    every_spec = not args.specs
    paths = project.discover(root) if every_spec else list(args.specs)
    if not paths:
        print(f"nodegen: no spec files in {root / 'spec'}", file=sys.stderr)
        return EXIT_ERROR
    for path in paths:
        if not path.is_file():
            print(f"{path}:1:1: spec file not found", file=sys.stderr)
            return EXIT_ERROR
    if program and len(paths) == 1:
        # The program compiles one spec and exits (see main): its garbage is small and need not be
        # collected, and collecting it while black and the other tools load costs 5-10% of the
        # CPU of a cold run. The helper process is forked with the collector off too.
        gc.disable()
    use_cache = not (args.no_cache or os.environ.get("NODEGEN_NO_CACHE"))
    cache_dir = root / ".nodegen-cache" if use_cache else None
    # A helper process only for the program: see Options.helper.
    options = project.Options(root=root, templates=templates, cache_dir=cache_dir, helper=program)
    if args.command == "check":
        from generator import sinks, sources

        labels = [project.label(p, root) for p in paths]
        if sinks.quick_in_sync(root, paths, labels, sources.template_files(templates), every_spec):
            print(f"nodegen: {len(paths)} spec(s) in sync")
            return EXIT_OK
    try:
        output = project.compile_specs(paths, options)
    except SpecError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        count = len(exc.diagnostics)
        print(f"nodegen: {count} problem{'s' if count != 1 else ''}; nothing was written", file=sys.stderr)
        return EXIT_ERROR
    if args.command == "validate":
        print(f"nodegen: {len(paths)} spec(s) valid")
        return EXIT_OK
    from generator import sinks

    if args.command == "generate":
        changes = sinks.write(root, output, every_spec)
        touched = len(changes.changed) + len(changes.missing) + len(changes.orphaned)
        print(f"nodegen: {len(output.files)} files for {len(paths)} spec(s); {touched} changed")
        return EXIT_OK
    found = sinks.drift(root, output, every_spec)
    if not found:
        print(f"nodegen: {len(paths)} spec(s) in sync")
        return EXIT_OK
    if not args.quiet:
        sys.stdout.writelines(found.diff)
    for kind in ("changed", "missing", "orphaned"):
        for path in getattr(found, kind):
            print(f"{kind}: {path}")
    print("nodegen: generated/ is out of date; run `nodegen generate`", file=sys.stderr)
    return EXIT_DRIFT
