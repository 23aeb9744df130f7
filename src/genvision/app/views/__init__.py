"""One module per tab of the web app; each has KINDS (the bundle kinds it offers) and build(demo, ctx),
which lays out the tab and wires its events."""
