"""The composition root: settings, app, lifespan, auth, middleware, routes and the CLI."""
