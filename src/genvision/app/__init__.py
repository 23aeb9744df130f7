"""`genvision serve`: a local gradio web app over the public API (sample, inpaint, edit, reconstruct).

    from genvision.app.server import build_app, serve
    demo = build_app(ServerContext(ModelCatalog.from_refs([]), UploadLimits(), Downloads(folder)))
    serve(demo, host="127.0.0.1", port=7860, limits=UploadLimits()); demo.block_thread()

The app never talks to the network: analytics are off (set here, before gradio is imported), there are no
share links, and the theme's fonts are the ones gradio ships.
"""

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
