"""Submission policy: path translations and the workflow allow-lists (pure, no I/O)."""
