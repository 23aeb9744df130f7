"""Training losses: adversarial, perceptual, vector-quantisation."""
