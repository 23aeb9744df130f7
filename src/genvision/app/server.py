"""The gradio app: one tab per task over the public API, served on 127.0.0.1 unless told otherwise.

    demo = build_app(ServerContext(catalog, limits, downloads))
    serve(demo, host="127.0.0.1", port=7860, limits=limits)      # returns once the server answers

Offline by construction: analytics off (genvision.app sets GRADIO_ANALYTICS_ENABLED before gradio loads),
no share link, gradio's own fonts, no run history kept in the browser, no MCP server, no monitoring page.
"""

from __future__ import annotations

import gradio as gr

from genvision.app.context import ServerContext
from genvision.app.limits import UploadLimits
from genvision.app.views import edit, inpaint, reconstruct, sample
from genvision.errors import GenvisionError

TABS = (("Sample", sample), ("Inpaint", inpaint), ("Edit", edit), ("Reconstruct", reconstruct))
# gradio's bundled fonts first, then the system's: nothing is fetched from a font CDN
THEME = gr.themes.Default(
    font=[gr.themes.LocalFont("Source Sans Pro"), "ui-sans-serif", "system-ui", "sans-serif"],
    font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "ui-monospace", "monospace"],
)
CSS = ".pixelated img { image-rendering: pixelated; }"
CLEANUP = (3600, 3600)  # every hour, delete gradio's cached files older than an hour


def build_app(ctx: ServerContext) -> gr.Blocks:
    """The Blocks of the web app, one tab per view (views without models in the catalog are left out)."""
    with gr.Blocks(title="genvision", analytics_enabled=False, delete_cache=CLEANUP) as demo:
        gr.Markdown("# genvision\nSample, inpaint, edit and reconstruct with the models this server offers.")
        for title, view in TABS:
            if not ctx.catalog.names(view.KINDS):
                continue
            with gr.Tab(title, id=title.lower(), elem_id=f"tab-{title.lower()}"):
                view.build(demo, ctx)
    return demo


def serve(demo: gr.Blocks, host: str, port: int, limits: UploadLimits, quiet: bool = True) -> None:
    """Start the server in the background; the caller blocks with demo.block_thread()."""
    demo.queue(default_concurrency_limit=1)
    try:
        demo.launch(
            server_name=host,
            server_port=port,
            share=False,
            inbrowser=False,
            quiet=quiet,
            show_error=False,
            max_file_size=limits.max_bytes,
            prevent_thread_lock=True,
            footer_links=["api"],
            run_history=False,
            enable_monitoring=False,
            mcp_server=False,
            ssr_mode=False,
            pwa=False,
            theme=THEME,
            css=CSS,
        )
    except OSError as exc:
        raise GenvisionError(f"cannot listen on {host}:{port} ({exc}); choose another --port") from exc
