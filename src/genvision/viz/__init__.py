"""Figures: sample grids, trajectories, interpolation grids, latent maps, inpainting panels, loss plots."""
