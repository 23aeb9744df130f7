"""GAN inversion and editing: projection in W / W+, the in-domain encoder, edit directions, compression.

Modules: `projection` (optimisation), `encoder` (E: x → W+ and its losses), `directions` (SVM normals,
conditional manipulation, strength sweeps), `compression` (codes as bytes vs JPEG), `perceptual` (the distance).
"""
