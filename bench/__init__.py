"""Benchmarks: scripts that print numbers (``make bench-sweep``); not timed tests."""
