"""The HTTP edge: routes, middlewares, schemas and handlers."""
