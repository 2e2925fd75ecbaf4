"""Results delivered by the resident's choice: window, terminal with a pickup code, or post."""
