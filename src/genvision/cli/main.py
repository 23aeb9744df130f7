"""Entry point: builds the typer app from one module per command group and turns user errors into one line."""

from __future__ import annotations

import importlib
import os
import sys
import warnings

import typer

try:  # typer >= 0.20 raises the exceptions of its vendored click copy and no longer depends on click
    from typer._click.exceptions import ClickException
except ImportError:  # older typer uses click itself, its own dependency
    from click.exceptions import ClickException

from genvision.errors import GenvisionError

# Each module exposes register(app). Modules not present yet are skipped.
COMMAND_MODULES = (
    "train",
    "data",
    "zoo",
    "sample",
    "eval",
    "reconstruct",
    "interpolate",
    "inpaint",
    "invert",
    "edit",
    "directions",
    "blend",
    "serve",
    "figures",
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="genvision: train, sample, evaluate, inpaint and edit with generative image models.",
)


@app.callback()
def _root() -> None:
    """genvision: generative computer vision in PyTorch."""


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"genvision.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"genvision.cli.{name}":
                continue
            raise
        module.register(app)


_register_all()


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error and exit non-zero."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


def _show_usage_error(exc: BaseException) -> int:
    """A usage mistake as click prints it: the usage line, the help hint, then `error: <message>`; returns its code."""
    code = int(getattr(exc, "exit_code", 2))
    ctx = getattr(exc, "ctx", None)
    if (
        type(exc).__name__ == "NoArgsIsHelpError"
    ):  # bare `genvision` / `genvision data`: the help, then exit 2
        text = exc.format_message() if not ctx or not ctx.resilient_parsing else ""
        if text.strip():
            typer.echo(text, err=True)
        return code
    if ctx is not None:
        typer.echo(ctx.get_usage(), err=True)
        if ctx.command.get_help_option(ctx) is not None:
            typer.echo(f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help.", err=True)
    typer.echo(f"error: {exc.format_message()}", err=True)
    return code


def main(argv: list[str] | None = None) -> None:
    warnings.formatwarning = _one_line_warning
    try:
        # standalone_mode=False: usage errors reach us as exceptions, and typer.Exit comes back as its code
        code = app(args=argv, prog_name="genvision", standalone_mode=False)
    except GenvisionError as exc:
        typer.echo(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", err=True)
        sys.exit(130 if type(exc).__name__ == "TrainingInterrupted" else 2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except ClickException as exc:
        sys.exit(_show_usage_error(exc))
    except (
        OSError
    ) as exc:  # a file the user named could not be read or written (permissions, a folder, full disk)
        if os.environ.get("GENVISION_DEBUG"):
            raise
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        typer.echo(f"error: {where}{exc.strerror or exc}", err=True)
        sys.exit(2)
    except Exception as exc:  # anything unexpected: still one line
        if os.environ.get("GENVISION_DEBUG"):
            raise
        typer.echo(
            f"error: unexpected {type(exc).__name__}: {exc} (set GENVISION_DEBUG=1 for the traceback)",
            err=True,
        )
        sys.exit(1)
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
