"""`genvision serve [--host 127.0.0.1] [--port 7860] [--models FOLDER ...] [--device auto]`: the web app."""

from __future__ import annotations

import ipaddress
import tempfile

import typer

from genvision.app.catalog import ModelCatalog
from genvision.app.context import ServerContext
from genvision.app.downloads import Downloads
from genvision.app.limits import MB, UploadLimits
from genvision.cli.common import DeviceOption, QuietOption, summary
from genvision.errors import GenvisionError
from genvision.generators.guards import check_number
from genvision.runtime import resolve_device

DEFAULT_HOST = "127.0.0.1"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option(
            DEFAULT_HOST,
            "--host",
            help="Address to listen on. The default keeps the "
            "app on this machine; 0.0.0.0 opens it to the "
            "network (there is no login).",
        ),
        port: int = typer.Option(7860, "--port", help="Port to listen on."),
        models: list[str] = typer.Option(
            None,
            "--models",
            help="A bundle folder (or shipped name) to offer besides the shipped bundles; repeat for more.",
        ),
        max_upload_mb: float = typer.Option(10.0, "--max-upload-mb", help="Largest upload accepted, in MB."),
        max_image_size: int = typer.Option(
            4096, "--max-image-size", help="Largest upload width and height, in pixels."
        ),
        seed: int = typer.Option(
            0,
            "--seed",
            help="The seed the forms start with (image k of a seed is the same whatever the count).",
        ),
        device: str = DeviceOption,
        quiet: bool = QuietOption,
    ) -> None:
        """Serve a web app to sample, inpaint, edit and reconstruct in the browser (needs the "app" extra).

        Example: `genvision serve --port 7860 --models runs/my-ddpm/bundle`, then open http://127.0.0.1:7860.
        """
        try:  # gradio (the "app" extra) is imported only here, so that every other command starts without it
            from genvision.app import server  # noqa: PLC0415
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith("gradio"):
                raise
            raise GenvisionError("genvision serve needs gradio: pip install 'genvision[app]'") from exc
        if not 0 < port < 65536:
            raise GenvisionError(f"--port must be between 1 and 65535, got {port}")
        check_number("--max-upload-mb", max_upload_mb, minimum=0.0)
        resolve_device(device)  # an unknown device is an error now, not at the first request
        limits = UploadLimits(max_bytes=round(max_upload_mb * MB), max_side=max_image_size)
        catalog = ModelCatalog.from_refs(models or [], device=device)
        with tempfile.TemporaryDirectory(prefix="genvision-serve-") as root:
            demo = server.build_app(ServerContext(catalog, limits, Downloads(root), seed))
            server.serve(demo, host=host, port=port, limits=limits)
            if not is_loopback(host):
                typer.echo(
                    f"warning: listening on {host}: anyone who can reach this address can use the app",
                    err=True,
                )
            summary(
                quiet,
                f"serving {len(catalog.entries)} models on http://{host}:{port} (uploads up to "
                f"{limits.describe()}); Ctrl+C stops",
            )
            demo.block_thread()
