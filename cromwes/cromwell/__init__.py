"""Talking to Cromwell: its JSON shapes and the HTTP client."""
