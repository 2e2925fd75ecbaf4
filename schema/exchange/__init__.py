"""The exchange domain's GraphQL API: its types, and the root fields its queries, mutations
and subscriptions modules declare (composed in schema/root.py)."""
