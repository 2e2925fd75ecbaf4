"""Fault tests drive the province through the exchange tests' sandbox helper."""

from tests.exchange.conftest import sandbox

__all__ = ["sandbox"]
