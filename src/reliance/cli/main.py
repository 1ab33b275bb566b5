"""The `reliance` command line: the `cli` group, the commands of every area registered on it, and `main`, the
entry point. Every failure is one readable line on stderr and a non-zero exit."""

from __future__ import annotations

import logging
import sys

import click

from reliance.app.home import resolve_home
from reliance.cli import (
    arrived,
    device,
    exports,
    identity,
    items,
    network,
    passphrase,
    programme,
    projects,
    social_code,
    web,
)
from reliance.cli.context import Context, message_lang, say
from reliance.display import clean
from reliance.errors import RelianceError
from reliance.i18n import resolve_lang, t


class WarningLines(logging.Handler):
    """Where the library's warnings go when nothing else takes them (every command but `serve`, which logs,
    and the app, which logs to a file): one inert, translated `reliance: warning:` line each, never a
    traceback. Python's own last resort would print them raw, and a peer's text may be in them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a bad format string: its text as it is
            text = str(record.msg)
        current = click.get_current_context(silent=True)
        ours = current.find_object(Context) if current is not None else None
        if ours is not None:
            ours.warn(text)
        else:
            click.echo(t("cli.warning", resolve_lang(""), text=clean(text)), err=True)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home", "home", type=click.Path(file_okay=False), help="Profile directory (default: RELIANCE_HOME)."
)
@click.option(
    "--passphrase-file", type=click.Path(dir_okay=False), help="Read the key's passphrase from FILE."
)
@click.option("--passphrase", "ask_passphrase", is_flag=True, help="Prompt for the key's passphrase.")
@click.version_option(package_name="reliance")
@click.pass_context
def cli(ctx: click.Context, home: str | None, passphrase_file: str | None, ask_passphrase: bool) -> None:
    """reliance: your social code, offers and needs, and project ledgers, shared peer to peer."""
    ctx.obj = Context(resolve_home(home), passphrase_file, ask_passphrase)
    ctx.obj.lang()  # now: an error raised before anything else asked is said in the home's language too
    ctx.call_on_close(ctx.obj.finish)
    if ctx.invoked_subcommand is None:
        from reliance.tui.app import run_app

        run_app(ctx.obj.home, ctx.obj.passphrase_from_file())  # without a file, the app asks itself


# The areas, each in its module with a `register(cli)` that adds its commands and groups.
AREAS = (
    identity,
    social_code,
    items,
    programme,
    exports,
    projects,
    network,
    arrived,
    passphrase,
    device,
    web,
)
for _area in AREAS:
    _area.register(cli)


def main(argv: list[str] | None = None) -> int:
    last_resort, logging.lastResort = logging.lastResort, WarningLines()
    try:
        result = cli.main(args=argv, prog_name="reliance", standalone_mode=False)
        if isinstance(result, int):  # click returns an Exit's code instead of raising it here
            return result
    except click.exceptions.Abort:
        click.echo(say("cli.aborted"), err=True)
        return 130
    except click.ClickException as exc:
        click.echo(say("cli.error", text=clean(exc.format_message())), err=True)
        return exc.exit_code or 2
    except RelianceError as exc:  # in the language; a value typed on the command line: its option named
        text = exc.text(message_lang())
        if exc.field:
            text = say("cli.option_error", option="--" + exc.field, text=text)
        click.echo(say("cli.error", text=clean(text)), err=True)
        return 1
    except KeyboardInterrupt:
        click.echo(say("cli.interrupted"), err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: one line, never a traceback
        click.echo(say("cli.unexpected", kind=type(exc).__name__, text=clean(str(exc))), err=True)
        return 1
    finally:
        logging.lastResort = last_resort
    return 0


if __name__ == "__main__":
    sys.exit(main())
