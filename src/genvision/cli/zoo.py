"""`genvision zoo`: the bundles shipped with the package and their measured metrics."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def zoo() -> None:
        """List the shipped model bundles with their measured metrics."""
        from genvision.models.bundle import ZOO_DIR, read_config, shipped_bundles

        names = shipped_bundles()
        if not names:
            typer.echo("no bundles are shipped with this installation")
            return
        for name in names:
            cfg = read_config(ZOO_DIR / name)
            size = sum(p.stat().st_size for p in (ZOO_DIR / name).rglob("*") if p.is_file()) / 1e6
            metrics = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                for k, v in (cfg.get("metrics") or {}).items())
            typer.echo(f"{name:22s} {cfg['kind']:12s} {size:5.1f} MB  {metrics}")
