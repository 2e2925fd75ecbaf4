"""The TV hall sign-in in GraphQL."""
