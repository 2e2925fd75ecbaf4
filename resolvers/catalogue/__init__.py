"""The service catalogue: regions, departments, items, guides, centres and terminals."""
