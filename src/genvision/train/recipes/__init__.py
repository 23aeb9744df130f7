"""One module per model family; each registers itself with `register_family`."""
