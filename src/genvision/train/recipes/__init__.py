"""One module per model family; genvision.train.families lists them in its FAMILIES table."""
