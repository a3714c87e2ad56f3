"""Benchmarks: `make bench` prints a table of figures for the README (not a test)."""
