"""The settings model, loading it (YAML, Spring-style environment binding) and checking it."""
