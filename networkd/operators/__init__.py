"""Operators with I/O: the drivers that run the pure cores of `operators/` on real links."""
