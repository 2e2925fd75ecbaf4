"""Result delivery in GraphQL."""
