"""The start-up baseline: a minimal click app with one group and one command."""

import click


@click.group()
def cli() -> None:
    """A minimal click app."""


@cli.command()
@click.option("--name", default="world", help="Who to greet.")
def hello(name: str) -> None:
    """Say hello."""
    click.echo(f"hello {name}")


if __name__ == "__main__":
    cli()
