"""What the gateway tells about itself: log lines, metrics and request ids."""
