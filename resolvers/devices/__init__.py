"""Registered card readers and terminals, and what they sign."""
