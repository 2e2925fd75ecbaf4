"""一次(集中)踏勘 in GraphQL: one site visit of every inspecting department."""
