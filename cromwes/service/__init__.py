"""What a WES operation does, without HTTP: submissions, run details, listing, service state."""
