"""Networks, the table of classes bundles may name (catalog), and bundle reading and writing (bundle)."""
