"""The HTTP edge: routes, the middleware, schemas and handlers."""
