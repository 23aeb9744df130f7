"""Entry point: builds the typer app from one module per command group and turns user errors into one line."""

from __future__ import annotations

import difflib
import importlib
import os
import sys
import warnings

import typer
from typer.core import TyperCommand, TyperGroup

try:  # typer >= 0.20 raises the exceptions of its vendored click copy and no longer depends on click
    from typer._click.core import Command, Context
    from typer._click.exceptions import ClickException
except ImportError:  # older typer uses click itself, its own dependency
    from click.core import Command, Context
    from click.exceptions import ClickException

from genvision.errors import GenvisionError

# Each command module exposes register(app). The table names every command, the module that registers it and
# the one-line summary `genvision --help` prints, so the root help lists commands without importing them (and
# torch); a command's module is imported when the command runs or its own help is asked for.
# tests/cli/test_lazy_cli.py checks the table against what the modules register.
COMMANDS: dict[str, tuple[str, str | None]] = {
    "train": (
        "train",
        "Train a model from a config; writes checkpoints, metrics, previews and the bundle to the run folder.",
    ),
    "data": ("data", "Inspect and prepare datasets."),
    "zoo": (
        "zoo",
        "List the shipped model bundles with their measured metrics, or measure one with --measure.",
    ),
    "sample": (
        "sample",
        "Generate images from a model bundle and write them as a grid (and optionally .npy).",
    ),
    "eval": (
        "eval",
        "Compute FID, KID, precision/recall and the KL (Inception) score; print a table, optionally write JSON.",
    ),
    "reconstruct": ("reconstruct", "Encode and decode images; prints their mean PSNR and SSIM."),
    "interpolate": (
        "interpolate",
        "Decode a path between two images (or noise samples) and write it as a strip.",
    ),
    "inpaint": (
        "inpaint",
        "Fill the masked region of images with a diffusion model, without training for it (RePaint optional).",
    ),
    "invert": ("invert", "Invert real images into a StyleGAN's W or W+ space and save their codes."),
    "edit": ("edit", "Move inverted images along an attribute direction in W and write the strength sweep."),
    "directions": (
        "directions",
        "Fit attribute directions in W (unit normals of linear SVMs) and save them by attribute name.",
    ),
    "blend": (
        "blend",
        "Blend a region of one image into another through the generator (GAN-based region blending).",
    ),
    "diffuse": ("blend", None),  # an alias of blend, hidden from the help
    "serve": (
        "serve",
        'Serve a web app to sample, inpaint, edit and reconstruct in the browser (needs the "app" extra).',
    ),
    "figures": (
        "figures",
        "Regenerate the report's figures from the shipped bundles, with an index naming each one's command.",
    ),
    "export": ("export", "Export a bundle's generating networks for onnxruntime (format: docs/onnx.md)."),
    "distill": (
        "distill",
        "Distil a diffusion bundle into few-step students (progressive distillation), one bundle per round.",
    ),
}
COMMAND_MODULES = tuple(dict.fromkeys(module for module, _ in COMMANDS.values()))


def load_command(name: str) -> Command:
    """The click command `name`, built by importing its module and registering it on a fresh typer app."""
    module_name, _ = COMMANDS[name]
    holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    importlib.import_module(f"genvision.cli.{module_name}").register(holder)
    return typer.main.get_group(holder).commands[name]


def load_all_commands() -> None:
    """Import every command's module (what a process about to fork many commands wants once)."""
    for name in COMMANDS:
        load_command(name)


class LazyCommands(TyperGroup):
    """The root command group: lists COMMANDS from the table and imports a command's module only to run it."""

    _listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in COMMANDS:
            return None
        if self._listing:  # the root help needs each command's summary only
            summary = COMMANDS[cmd_name][1]
            return TyperCommand(name=cmd_name, help=summary or "", hidden=summary is None)
        if cmd_name not in self.commands:
            self.add_command(load_command(cmd_name), cmd_name)
        return self.commands[cmd_name]

    def resolve_command(self, ctx: Context, args: list[str]):
        if args and args[0] not in COMMANDS and not args[0].startswith("-"):
            close = difflib.get_close_matches(args[0], list(COMMANDS))
            hint = f". Did you mean {', '.join(repr(m) for m in close)}?" if close else "."
            ctx.fail(f"No such command {args[0]!r}{hint}")
        return super().resolve_command(ctx, args)

    def format_help(self, ctx: Context, formatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    cls=LazyCommands,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="genvision: train, sample, evaluate, inpaint and edit with generative image models.",
)


@app.callback()
def _root() -> None:
    """genvision: generative computer vision in PyTorch."""


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
