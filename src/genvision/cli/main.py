"""Entry point: builds the typer app from one module per command group and turns user errors into one line."""
from __future__ import annotations

import importlib
import os
import sys

import typer

from genvision.errors import GenvisionError

# Each module exposes register(app). Modules not present yet are skipped.
COMMAND_MODULES = ("train", "data", "zoo", "sample", "eval", "reconstruct", "interpolate", "inpaint",
                   "invert", "edit", "directions", "diffuse")

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="genvision: train, sample, evaluate, inpaint and edit with generative image models.")


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


def main() -> None:
    import warnings

    warnings.formatwarning = _one_line_warning
    try:
        app(standalone_mode=False)
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
    except Exception as exc:  # click usage errors and anything unexpected: still one line
        import click

        if isinstance(exc, click.exceptions.ClickException):
            typer.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        if os.environ.get("GENVISION_DEBUG"):
            raise
        typer.echo(f"error: unexpected {type(exc).__name__}: {exc} (set GENVISION_DEBUG=1 for the traceback)", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
