"""Every ORM query of the service, one module per domain."""
