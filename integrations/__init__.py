"""Gateways to external systems, one package per system, each behind a Protocol."""
