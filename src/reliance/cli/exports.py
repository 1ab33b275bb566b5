"""The `export` command: all you hold, your social code, the catalogue, the programme or a ledger, as text."""

from __future__ import annotations

from pathlib import Path

import click

from reliance.cli.context import Context, echo, fail, pass_ctx, say, warn_unreadable
from reliance.display import escape_json
from reliance.i18n import LANGS


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "markdown", "jsonld", "csv", "ics"]),
    default="json",
    show_default=True,
)
@click.option("--output", type=click.Path(dir_okay=False), help="Write to FILE instead of standard output.")
@click.option("--project", help="For csv: the project whose ledger to export.")
@click.option(
    "--content",
    type=click.Choice(["code", "catalogue", "programme"]),
    default="code",
    show_default=True,
    help="For markdown: your social code and items, or the catalogue or programme for printing.",
)
@click.option("--delimiter", help="For csv: the field separator (default: ; in French, , in English; tab).")
@click.option("--lang", type=click.Choice(LANGS), help="The reader's language (default: yours).")
@pass_ctx
def export_cmd(
    ctx: Context,
    fmt: str,
    output: str | None,
    project: str | None,
    content: str,
    delimiter: str | None,
    lang: str | None,
) -> None:
    """Export everything you hold (json, jsonld), your social code and items or the catalogue or programme
    (markdown), a project's ledger (csv), the programme as a calendar (ics)."""
    from reliance.export import exporters

    ws = ctx.reading_workspace()
    text = exporters.export(
        ws,
        fmt,
        project=project,
        lang=lang or ctx.lang(),
        content=content,
        delimiter=delimiter,
        on_unreadable=lambda d, e: warn_unreadable(ctx, d, e),
    )
    if output:
        try:
            Path(output).write_bytes(text.encode("utf-8"))  # as is: CRLF for csv and ics, the BOM for csv
        except OSError as exc:
            fail(say("cli.cannot_write", file=output, reason=exc.strerror))
        echo(say("cli.wrote", file=output))
    elif fmt in ("json", "jsonld"):
        click.echo(escape_json(text), nl=not text.endswith("\n"))  # exact text, escaped
    else:
        echo(text, nl=not text.endswith("\n"))


def register(cli: click.Group) -> None:
    cli.add_command(export_cmd)
