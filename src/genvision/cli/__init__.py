"""The `genvision` command line: thin commands over genvision.workflows."""
