"""ONNX export of bundles and the onnxruntime backend (the format: docs/onnx.md).

    genvision export fashion-ldm --format onnx --out web/fashion-ldm
    m = genvision.load("fashion-ldm", backend="onnx")

Modules: `manifest` (the folder format), `graphs` (what is exported per kind), `contents` (manifest sections),
`writer` (export, checks, cache), `runtime` (onnxruntime stand-ins for the torch networks), `backend` (loading).
"""
