"""Model bundles (config.json + safetensors), training checkpoints and atomic writes."""
