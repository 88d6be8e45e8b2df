"""One module per game flow; each exposes async functions `(services, turn, ...) -> [Reply]`."""
