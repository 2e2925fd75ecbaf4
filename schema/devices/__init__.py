"""GraphQL of the registered card readers and terminals."""
