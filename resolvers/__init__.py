"""Domain logic per domain: thin GraphQL resolvers over plain service functions."""
